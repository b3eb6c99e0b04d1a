// receive_buffer — the bytes a peer connection has received but not yet dispatched, sized to the
// traffic instead of to the worst case.
//
// Why: tandemd holds one connection per peer per resource. A fixed 256 KiB receive area per
// connection (zero-filled, so resident) made a node with 100 resources of 3 replicas hold
// ~50 MiB of receive buffers that an idle cluster never uses. Here a connection starts with a
// small read (kMinReadBytes), doubles its read size while reads come back full (a busy stream,
// up to kMaxReadBytes, the old fixed size), grows the storage for a frame larger than it, and
// frees the storage once it is empty and no read has come back full for `idle_release` (an idle
// connection still receives a ping every ping interval, so the release happens on that read).
//
// Storage is not zero-filled (only received bytes are ever read), and compaction moves the
// undispatched tail to the front only when that costs no more than the bytes already consumed,
// so the copying stays amortised O(received bytes).
//
// Usage per read: prepare(now) gives the span to read into, commit(n, now) records n bytes read,
// data() / consume(k) hand out and drop whole frames. The span from prepare() stays valid until
// the next prepare(); nothing else moves or frees the storage.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>

namespace tandem::engine {

class receive_buffer {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t kMinReadBytes = 4 * 1024;
  static constexpr std::size_t kMaxReadBytes = 256 * 1024;

  explicit receive_buffer(std::chrono::milliseconds idle_release = std::chrono::seconds(2))
      : idle_release_(idle_release) {}

  // Room for the next read (read_size_bytes() long): compacts, grows or releases first.
  std::span<std::byte> prepare(clock::time_point now);
  // `bytes` of the last prepared span were filled.
  void commit(std::size_t bytes, clock::time_point now);

  // Received, not yet consumed.
  std::span<const std::byte> data() const { return {storage_.get() + start_, end_ - start_}; }
  void consume(std::size_t bytes);

  std::size_t capacity_bytes() const { return capacity_; }
  std::size_t read_size_bytes() const { return read_size_; }

 private:
  void reallocate(std::size_t capacity_bytes);

  std::chrono::milliseconds idle_release_;
  std::unique_ptr<std::byte[]> storage_;
  std::size_t capacity_ = 0;
  std::size_t start_ = 0;  // data() is [start_, end_)
  std::size_t end_ = 0;
  std::size_t read_size_ = kMinReadBytes;
  clock::time_point last_full_read_{};  // the last read that filled all it was offered
};

}  // namespace tandem::engine
