// disk_ring — the one io_uring through which every resource of tandemd does its disk I/O, and the
// asio watch that reaps it on the daemon's io_context thread (engine/io/uring_ring.h says why one
// ring rather than one per volume: memory and file descriptors per resource).
//
// The ring is made on first use, so a tandemd with only diskless resources (or none) needs no
// io_uring at all. Completions go to the handler each uring_disk was given.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace tandem::engine {

class uring_ring;

class disk_ring {
 public:
  explicit disk_ring(boost::asio::io_context& io) : io_(io) {}
  ~disk_ring();
  disk_ring(const disk_ring&) = delete;
  disk_ring& operator=(const disk_ring&) = delete;

  // The shared ring, made and watched on the first call. Throws std::runtime_error when
  // io_uring cannot be set up.
  std::shared_ptr<uring_ring> ring();
  // Disk requests that went as READ_FIXED / WRITE_FIXED (0 before the ring exists).
  std::uint64_t fixed_requests() const;
  // Why registered buffers are off ("" while they work or before the ring exists).
  std::string fixed_buffer_status() const;

 private:
  struct watch;
  static void arm(const std::shared_ptr<watch>& w);  // reap when the eventfd is readable

  boost::asio::io_context& io_;
  std::shared_ptr<watch> watch_;
};

}  // namespace tandem::engine
