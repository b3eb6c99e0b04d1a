// uring_disk — one backing device (block device, loop device or file) driven through io_uring.
//
// Single-threaded: the owner submits from its event loop and, when event_fd() becomes readable,
// calls reap() to collect completions. Buffers belong to the caller and must stay valid until the
// request's completion has been reaped.
//
// Durability: writes go through the page cache unless the device was opened with O_DIRECT
// (direct = true and the target supports it); FUA writes carry RWF_DSYNC, FLUSH is fdatasync, so
// an acknowledged FUA write or a completed FLUSH is on stable storage either way.
//
// Fault injection (tests only; the resource file must allow it): every write can be made to fail
// with EIO, the equivalent of a disk that died under the replica.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>

struct io_uring;

namespace tandem::engine {

enum class disk_op : std::uint8_t { read, write, flush, discard, write_zeroes };

struct disk_options {
  bool direct = false;           // O_DIRECT (needs 512-byte aligned buffers, offsets, lengths)
  unsigned queue_depth = 256;    // submission queue entries
  bool create_if_missing = false;
  std::uint64_t create_size_bytes = 0;  // with create_if_missing: size of the new sparse file
};

class uring_disk {
 public:
  // Throws std::runtime_error naming the path and the reason.
  uring_disk(const std::string& path, const disk_options& options);
  ~uring_disk();
  uring_disk(const uring_disk&) = delete;
  uring_disk& operator=(const uring_disk&) = delete;

  const std::string& path() const { return path_; }
  std::uint64_t size_bytes() const { return size_bytes_; }
  bool direct() const { return direct_; }

  // Queues one request; `cookie` comes back with its completion. Submitted to the kernel at the
  // next flush_submissions() (one system call per batch).
  void submit(disk_op op, std::uint64_t offset_bytes, std::uint32_t length_bytes, void* buffer,
              bool fua, std::uint64_t cookie);
  void flush_submissions();
  std::size_t in_flight() const { return in_flight_; }

  // Readable when completions are waiting.
  int event_fd() const { return event_fd_; }
  // Calls done(cookie, result) for every completed request: result >= 0 is success (bytes
  // transferred for reads and writes), < 0 is -errno.
  void reap(const std::function<void(std::uint64_t cookie, int result)>& done);

  // Synchronous helpers for metadata, used outside the hot path (start-up, metadata commits).
  void read_sync(std::uint64_t offset_bytes, void* buffer, std::size_t length_bytes) const;
  void write_sync(std::uint64_t offset_bytes, const void* buffer, std::size_t length_bytes) const;
  void flush_sync() const;

  void set_fail_writes(bool fail) { fail_writes_ = fail; }
  bool fail_writes() const { return fail_writes_; }

 private:
  struct io_uring* ring_;
  std::string path_;
  int fd_ = -1;
  int event_fd_ = -1;
  std::uint64_t size_bytes_ = 0;
  bool direct_ = false;
  bool fail_writes_ = false;
  bool block_device_ = false;
  std::size_t in_flight_ = 0;
  std::size_t unsubmitted_ = 0;
  // Writes failed by injection travel through the ring as no-ops; their completions become -EIO.
  std::unordered_set<std::uint64_t> injected_failures_;
};

}  // namespace tandem::engine
