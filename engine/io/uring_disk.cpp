#include "engine/io/uring_disk.h"

#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tandem::engine {
namespace {

std::runtime_error disk_error(const std::string& path, const std::string& what, int error) {
  return std::runtime_error("disk " + path + ": " + what + ": " + std::strerror(error));
}

}  // namespace

uring_disk::uring_disk(const std::string& path, const disk_options& options)
    : ring_(new io_uring{}), path_(path) {
  int flags = O_RDWR | O_CLOEXEC;
  if (options.create_if_missing) flags |= O_CREAT;
  fd_ = -1;
  if (options.direct) {
    fd_ = ::open(path.c_str(), flags | O_DIRECT, 0600);
    direct_ = fd_ >= 0;
  }
  // O_DIRECT is refused by some file systems (tmpfs): fall back to buffered I/O, which stays
  // correct because FUA and FLUSH map to RWF_DSYNC and fdatasync.
  if (fd_ < 0) fd_ = ::open(path.c_str(), flags, 0600);
  if (fd_ < 0) {
    const int error = errno;
    delete ring_;
    throw disk_error(path, "cannot open", error);
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int error = errno;
    ::close(fd_);
    delete ring_;
    throw disk_error(path, "cannot stat", error);
  }
  if (S_ISBLK(st.st_mode)) {
    block_device_ = true;
    std::uint64_t bytes = 0;
    if (::ioctl(fd_, BLKGETSIZE64, &bytes) != 0) {
      const int error = errno;
      ::close(fd_);
      delete ring_;
      throw disk_error(path, "cannot read block device size", error);
    }
    size_bytes_ = bytes;
  } else {
    if (options.create_if_missing && st.st_size == 0 && options.create_size_bytes > 0) {
      if (::ftruncate(fd_, static_cast<off_t>(options.create_size_bytes)) != 0) {
        const int error = errno;
        ::close(fd_);
        delete ring_;
        throw disk_error(path, "cannot size new file", error);
      }
      st.st_size = static_cast<off_t>(options.create_size_bytes);
    }
    size_bytes_ = static_cast<std::uint64_t>(st.st_size);
  }
  const int queue_result = io_uring_queue_init(options.queue_depth, ring_, 0);
  if (queue_result < 0) {
    ::close(fd_);
    delete ring_;
    throw disk_error(path, "io_uring_queue_init", -queue_result);
  }
  event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0 || io_uring_register_eventfd(ring_, event_fd_) < 0) {
    const int error = errno;
    io_uring_queue_exit(ring_);
    if (event_fd_ >= 0) ::close(event_fd_);
    ::close(fd_);
    delete ring_;
    throw disk_error(path, "cannot register the completion eventfd", error);
  }
}

uring_disk::~uring_disk() {
  // Wait for what the kernel still owns: its buffers belong to the caller, who is going away.
  while (in_flight_ > 0) {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_wait_cqe(ring_, &cqe) < 0) break;
    io_uring_cqe_seen(ring_, cqe);
    --in_flight_;
  }
  io_uring_queue_exit(ring_);
  ::close(event_fd_);
  ::close(fd_);
  delete ring_;
}

void uring_disk::submit(disk_op op, std::uint64_t offset_bytes, std::uint32_t length_bytes,
                        void* buffer, bool fua, std::uint64_t cookie) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_);
  if (sqe == nullptr) {  // the submission queue is full: hand what is queued to the kernel
    flush_submissions();
    sqe = io_uring_get_sqe(ring_);
  }
  if (sqe == nullptr) throw std::runtime_error("disk " + path_ + ": io_uring queue exhausted");
  const bool mutates = op != disk_op::read && op != disk_op::flush;
  if (mutates && fail_writes_) {
    io_uring_prep_nop(sqe);
    injected_failures_.insert(cookie);
  } else {
    switch (op) {
      case disk_op::read:
        io_uring_prep_read(sqe, fd_, buffer, length_bytes, offset_bytes);
        break;
      case disk_op::write:
        io_uring_prep_write(sqe, fd_, buffer, length_bytes, offset_bytes);
        if (fua) sqe->rw_flags = RWF_DSYNC;
        break;
      case disk_op::flush:
        io_uring_prep_fsync(sqe, fd_, IORING_FSYNC_DATASYNC);
        break;
      case disk_op::discard:
        io_uring_prep_fallocate(sqe, fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                offset_bytes, length_bytes);
        break;
      case disk_op::write_zeroes:
        // Block devices zero with PUNCH_HOLE (BLKZEROOUT semantics); files keep their blocks.
        io_uring_prep_fallocate(
            sqe, fd_,
            block_device_ ? (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
                          : (FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE),
            offset_bytes, length_bytes);
        break;
    }
  }
  io_uring_sqe_set_data64(sqe, cookie);
  ++unsubmitted_;
  ++in_flight_;
}

void uring_disk::flush_submissions() {
  if (unsubmitted_ == 0) return;
  const int submitted = io_uring_submit(ring_);
  if (submitted < 0) throw disk_error(path_, "io_uring_submit", -submitted);
  unsubmitted_ = 0;
}

void uring_disk::reap(const std::function<void(std::uint64_t cookie, int result)>& done) {
  std::uint64_t ignored = 0;
  [[maybe_unused]] const ssize_t drained = ::read(event_fd_, &ignored, sizeof ignored);
  // Bounded by what is in flight: each completion is seen exactly once.
  for (std::size_t budget = in_flight_; budget > 0; --budget) {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_peek_cqe(ring_, &cqe) != 0 || cqe == nullptr) break;
    const std::uint64_t cookie = io_uring_cqe_get_data64(cqe);
    int result = cqe->res;
    io_uring_cqe_seen(ring_, cqe);
    --in_flight_;
    if (injected_failures_.erase(cookie) > 0) result = -EIO;
    done(cookie, result);
  }
}

void uring_disk::read_sync(std::uint64_t offset_bytes, void* buffer,
                           std::size_t length_bytes) const {
  std::size_t done_bytes = 0;
  while (done_bytes < length_bytes) {
    const ssize_t n = ::pread(fd_, static_cast<char*>(buffer) + done_bytes,
                              length_bytes - done_bytes,
                              static_cast<off_t>(offset_bytes + done_bytes));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw disk_error(path_, "metadata read", errno);
    if (n == 0) throw std::runtime_error("disk " + path_ + ": metadata read beyond the end");
    done_bytes += static_cast<std::size_t>(n);
  }
}

void uring_disk::write_sync(std::uint64_t offset_bytes, const void* buffer,
                            std::size_t length_bytes) const {
  if (fail_writes_) throw std::runtime_error("disk " + path_ + ": metadata write: injected I/O error");
  std::size_t done_bytes = 0;
  while (done_bytes < length_bytes) {
    const ssize_t n = ::pwrite(fd_, static_cast<const char*>(buffer) + done_bytes,
                               length_bytes - done_bytes,
                               static_cast<off_t>(offset_bytes + done_bytes));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw disk_error(path_, "metadata write", errno);
    done_bytes += static_cast<std::size_t>(n);
  }
}

void uring_disk::flush_sync() const {
  if (::fdatasync(fd_) != 0) throw disk_error(path_, "fdatasync", errno);
}

}  // namespace tandem::engine
