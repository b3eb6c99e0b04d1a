#include "engine/io/uring_ring.h"

#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "engine/io/uring_disk.h"

namespace tandem::engine {

namespace {

std::runtime_error ring_error(const std::string& what, int error) {
  return std::runtime_error("io_uring: " + what + ": " + std::strerror(error));
}

}  // namespace

uring_ring::uring_ring(unsigned entries) : ring_(new io_uring{}) {
  const int queue_result = io_uring_queue_init(entries, ring_, 0);
  if (queue_result < 0) {
    delete ring_;
    throw ring_error("io_uring_queue_init", -queue_result);
  }
  event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0 || io_uring_register_eventfd(ring_, event_fd_) < 0) {
    const int error = errno;
    io_uring_queue_exit(ring_);
    if (event_fd_ >= 0) ::close(event_fd_);
    delete ring_;
    throw ring_error("cannot register the completion eventfd", error);
  }
  const int table_result = io_uring_register_buffers_sparse(ring_, buffer_arena::kChunks);
  fixed_table_ = table_result == 0;
  if (!fixed_table_) {
    fixed_buffer_status_ =
        std::string("no registered buffer table: ") + std::strerror(-table_result);
  }
}

uring_ring::~uring_ring() {
  // Every disk waited for its requests when it closed (it holds the ring alive until then).
  io_uring_queue_exit(ring_);
  ::close(event_fd_);
  delete ring_;
}

io_uring_sqe* uring_ring::next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_);
  if (sqe == nullptr) {  // the submission queue is full: hand what is queued to the kernel
    flush_submissions();
    sqe = io_uring_get_sqe(ring_);
  }
  return sqe;
}

void uring_ring::track(io_uring_sqe* sqe, uring_disk* disk, std::uint64_t cookie) {
  std::uint32_t index = 0;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[index] = {disk, cookie};
  io_uring_sqe_set_data64(sqe, index);
  ++unsubmitted_;
  ++in_flight_;
}

int uring_ring::fixed_buffer_index(const void* buffer, std::size_t length_bytes) {
  if (!fixed_table_) return -1;
  buffer_arena& arena = buffer_arena::instance();
  const int chunk = arena.chunk_of(buffer, length_bytes);
  if (chunk < 0) return -1;
  chunk_state& state = chunks_[static_cast<std::size_t>(chunk)];
  if (state == chunk_state::unregistered) {
    iovec chunk_iov{arena.chunk_base(chunk), buffer_arena::kChunkBytes};
    const int result =
        io_uring_register_buffers_update_tag(ring_, static_cast<unsigned>(chunk), &chunk_iov,
                                             nullptr, 1);
    // The update answers how many slots it updated (1), or -errno.
    state = result == 1 ? chunk_state::registered : chunk_state::refused;
    if (result != 1) {
      fixed_buffer_status_ = "arena chunk " + std::to_string(chunk) +
                             " not registered: " + std::strerror(result < 0 ? -result : EINVAL);
    }
  }
  return state == chunk_state::registered ? chunk : -1;
}

void uring_ring::flush_submissions() {
  if (unsubmitted_ == 0) return;
  const int submitted = io_uring_submit(ring_);
  if (submitted < 0) throw ring_error("io_uring_submit", -submitted);
  unsubmitted_ = 0;
}

bool uring_ring::take(bool wait, completion& out) {
  io_uring_cqe* cqe = nullptr;
  const int got = wait ? io_uring_wait_cqe(ring_, &cqe) : io_uring_peek_cqe(ring_, &cqe);
  if (got != 0 || cqe == nullptr) return false;
  const auto index = static_cast<std::uint32_t>(io_uring_cqe_get_data64(cqe));
  out = {slots_[index].disk, slots_[index].cookie, cqe->res};
  io_uring_cqe_seen(ring_, cqe);
  slots_[index] = {};
  free_slots_.push_back(index);
  --in_flight_;
  return true;
}

void uring_ring::reap() {
  std::uint64_t ignored = 0;
  [[maybe_unused]] const ssize_t drained = ::read(event_fd_, &ignored, sizeof ignored);
  // Completions a closing disk's wait_for() took for others first. One at a time off the front:
  // a handler that closes a disk makes wait_for() remove that disk's entries from held_.
  while (!held_.empty()) {
    const completion c = held_.front();
    held_.erase(held_.begin());
    c.disk->deliver(c.cookie, c.result);
  }
  // Bounded by what is in flight: each completion is taken exactly once. Handlers may submit
  // (and flush) meanwhile; that does not disturb the completion queue.
  for (std::size_t budget = in_flight_; budget > 0; --budget) {
    completion c{};
    if (!take(false, c)) break;
    c.disk->deliver(c.cookie, c.result);
  }
}

void uring_ring::wait_for(uring_disk* disk) {
  // Completions already held for this disk go with it.
  std::erase_if(held_, [disk](const completion& c) {
    if (c.disk != disk) return false;
    disk->forget_one();
    return true;
  });
  flush_submissions();
  // Bounded: each round takes one request in flight, which the kernel completes.
  while (disk->in_flight() > 0 && in_flight_ > 0) {
    completion c{};
    if (!take(true, c)) break;
    if (c.disk == disk) {
      disk->forget_one();
    } else {
      held_.push_back(c);
    }
  }
}

}  // namespace tandem::engine
