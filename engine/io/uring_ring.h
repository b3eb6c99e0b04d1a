// uring_ring — one io_uring instance and its completion eventfd, shared by the uring_disks of one
// thread (tandemd: every backing disk of every resource, on its io_context thread).
//
// Why shared: a ring of 256 entries costs ~28 KiB of resident memory (its SQE array and
// completion queue, mapped into the process) plus file descriptors, whether its disk is busy
// or not. A node with hundreds of
// resources paid that per volume; one ring per thread pays it once, and one io_uring_enter
// submits what every resource queued in a turn of the event loop.
//
// Single-threaded like its disks. Each submission is tracked as {disk, cookie} in a slot whose
// index is the SQE's user_data, so a completion goes back to the disk that submitted it.
// reap() (when event_fd() is readable) hands every waiting completion to its disk, whose
// completion handler runs; wait_for(disk) (a disk closing) waits for that disk's requests only
// and keeps the others for the next reap(), so no other resource's handler runs inside it.
//
// Fixed buffers: the ring reserves a sparse buffer table with one slot per buffer_arena chunk and
// registers a chunk the first time a request's buffer lies inside it; from then on reads and
// writes into that chunk go as READ_FIXED / WRITE_FIXED (no page pinning per request). Where the
// kernel refuses (no sparse tables before Linux 5.13, RLIMIT_MEMLOCK without CAP_IPC_LOCK), the
// ring keeps working with plain reads and writes; fixed_buffer_status() says why.
#pragma once

#include <cstddef>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/buffer_arena.h"

struct io_uring;
struct io_uring_sqe;

namespace tandem::engine {

class uring_disk;

class uring_ring {
 public:
  // Submission queue entries; submissions beyond them in one turn cost one more system call.
  // The completion queue has twice as many, and the kernel keeps any overflow.
  static constexpr unsigned kDefaultEntries = 256;

  // Throws std::runtime_error with the reason.
  explicit uring_ring(unsigned entries = kDefaultEntries);
  ~uring_ring();
  uring_ring(const uring_ring&) = delete;
  uring_ring& operator=(const uring_ring&) = delete;

  // A free SQE (flushes the queue first when it is full); nullptr only when the kernel takes
  // nothing. Once prepared, track() names its disk and cookie (it sets the user_data).
  io_uring_sqe* next_sqe();
  void track(io_uring_sqe* sqe, uring_disk* disk, std::uint64_t cookie);
  void flush_submissions();

  // Readable when completions are waiting.
  int event_fd() const { return event_fd_; }
  // Every waiting completion goes to its disk (uring_disk::deliver).
  void reap();
  // Blocks until every request of `disk` has completed (their completions are dropped: the
  // disk is closing); other disks' completions that arrive meanwhile wait for reap().
  void wait_for(uring_disk* disk);

  std::size_t in_flight() const { return in_flight_; }

  // The registered-buffer index for a request on [buffer, buffer + length_bytes), registering
  // its arena chunk on first use; -1 when the request must use plain I/O (memory outside the
  // arena, or the kernel refused the registration).
  int fixed_buffer_index(const void* buffer, std::size_t length_bytes);
  // Requests submitted as READ_FIXED / WRITE_FIXED so far (tests, metrics).
  std::uint64_t fixed_requests() const { return fixed_requests_; }
  void count_fixed_request() { ++fixed_requests_; }
  // "" while fixed buffers work; otherwise the kernel's answer that turned them off.
  const std::string& fixed_buffer_status() const { return fixed_buffer_status_; }

 private:
  struct slot {
    uring_disk* disk = nullptr;
    std::uint64_t cookie = 0;
  };
  struct completion {
    uring_disk* disk;
    std::uint64_t cookie;
    int result;
  };
  // Takes the next completion off the ring (waiting for one when `wait`); false when none.
  bool take(bool wait, completion& out);

  struct io_uring* ring_;
  int event_fd_ = -1;
  std::size_t in_flight_ = 0;
  std::size_t unsubmitted_ = 0;
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<completion> held_;  // taken by wait_for(), delivered by the next reap()
  enum class chunk_state : std::uint8_t { unregistered, registered, refused };
  std::array<chunk_state, buffer_arena::kChunks> chunks_{};
  bool fixed_table_ = false;  // the sparse table exists
  std::string fixed_buffer_status_;
  std::uint64_t fixed_requests_ = 0;
};

}  // namespace tandem::engine
