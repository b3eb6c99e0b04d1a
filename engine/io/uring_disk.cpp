#include "engine/io/uring_disk.h"

#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>

#include "engine/io/uring_ring.h"

namespace tandem::engine {
namespace {

std::runtime_error disk_error(const std::string& path, const std::string& what, int error) {
  return std::runtime_error("disk " + path + ": " + what + ": " + std::strerror(error));
}

}  // namespace

const char* to_string(direct_io mode) {
  switch (mode) {
    case direct_io::off: return "off";
    case direct_io::on: return "on";
    case direct_io::automatic: return "auto";
  }
  return "?";
}

uring_disk::uring_disk(const std::string& path, const disk_options& options,
                       std::shared_ptr<uring_ring> ring)
    : ring_(std::move(ring)), path_(path) {
  open_device(path, options);
  if (!ring_) {
    try {
      ring_ = std::make_shared<uring_ring>(options.queue_depth);
    } catch (const std::exception& e) {
      ::close(fd_);
      throw std::runtime_error("disk " + path + ": " + e.what());
    }
  }
}

// Opens fd_ (O_DIRECT as options.direct asks and the target allows), sets size_bytes_. Closes
// what it opened before it throws.
void uring_disk::open_device(const std::string& path, const disk_options& options) {
  int flags = O_RDWR | O_CLOEXEC;
  if (options.create_if_missing) flags |= O_CREAT;
  const bool want_direct = options.direct != direct_io::off;
  fd_ = -1;
  if (want_direct) {
    fd_ = ::open(path.c_str(), flags | O_DIRECT, 0600);
    direct_ = fd_ >= 0;
    // EINVAL is how a file system without O_DIRECT (tmpfs before Linux 6.6) answers; any other
    // error (ENOENT, EACCES) repeats below and is reported from there.
    if (fd_ < 0) direct_fallback_reason_ = std::string("open(O_DIRECT): ") + std::strerror(errno);
  }
  if (fd_ < 0) fd_ = ::open(path.c_str(), flags, 0600);
  if (fd_ < 0) throw disk_error(path, "cannot open", errno);
  auto fail = [&](const std::string& what, int error) {
    ::close(fd_);
    fd_ = -1;
    throw disk_error(path, what, error);
  };
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail("cannot stat", errno);
  block_device_ = S_ISBLK(st.st_mode);
  if (!block_device_ && options.create_if_missing && st.st_size == 0 &&
      options.create_size_bytes > 0 &&
      ::ftruncate(fd_, static_cast<off_t>(options.create_size_bytes)) != 0) {
    fail("cannot size new file", errno);
  }
  try {
    refresh_size();
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
  if (direct_) {
    // The target opened with O_DIRECT; check it takes 512-byte granularity (a 4Kn disk or a file
    // system on one wants 4 KiB and would refuse NBD requests that are only 512-byte aligned).
    if (size_bytes_ % kDirectAlignBytes != 0) {
      direct_fallback_reason_ = "size is not a multiple of 512 bytes";
      direct_ = false;
    } else if (size_bytes_ >= 2 * kDirectAlignBytes) {
      void* probe = ::operator new(kDirectAlignBytes, std::align_val_t{kDirectAlignBytes});
      const ssize_t n = ::pread(fd_, probe, kDirectAlignBytes, kDirectAlignBytes);
      const int error = errno;
      ::operator delete(probe, std::align_val_t{kDirectAlignBytes});
      if (n < 0) {
        direct_fallback_reason_ =
            std::string("512-byte O_DIRECT read refused: ") + std::strerror(error);
        direct_ = false;
      }
    }
    if (!direct_ && ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_DIRECT) != 0) {
      fail("cannot clear O_DIRECT", errno);
    }
  }
  if (options.direct == direct_io::on && !direct_) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("disk " + path + ": direct-io = \"on\" but O_DIRECT is not usable (" +
                             direct_fallback_reason_ + ")");
  }
  if (direct_) direct_fallback_reason_.clear();
}

uring_disk::~uring_disk() {
  // Wait for what the kernel still owns: its buffers belong to the caller, who is going away.
  ring_->wait_for(this);
  ::close(fd_);
}

int uring_disk::event_fd() const { return ring_->event_fd(); }

void uring_disk::submit(disk_op op, std::uint64_t offset_bytes, std::uint32_t length_bytes,
                        void* buffer, bool fua, std::uint64_t cookie) {
  io_uring_sqe* sqe = ring_->next_sqe();
  if (sqe == nullptr) throw std::runtime_error("disk " + path_ + ": io_uring queue exhausted");
  const bool mutates = op != disk_op::read && op != disk_op::flush;
  if (cache_ && !(mutates && fail_writes_)) {
    if (mutates) {
      std::vector<std::byte> old(length_bytes);
      transfer_sync(false, offset_bytes, old.data(), old.size());
      cache_->write_submitted(cookie, offset_bytes, std::move(old), fua && op == disk_op::write);
      cached_ops_[cookie] = op;
    } else if (op == disk_op::flush) {
      cache_->flush_submitted(cookie);
      cached_ops_[cookie] = op;
    }
  }
  if (mutates && fail_writes_) {
    io_uring_prep_nop(sqe);
    injected_failures_.insert(cookie);
  } else {
    switch (op) {
      case disk_op::read:
      case disk_op::write: {
        const bool write = op == disk_op::write;
        const int fixed = ring_->fixed_buffer_index(buffer, length_bytes);
        if (fixed >= 0) {
          if (write) {
            io_uring_prep_write_fixed(sqe, fd_, buffer, length_bytes, offset_bytes, fixed);
          } else {
            io_uring_prep_read_fixed(sqe, fd_, buffer, length_bytes, offset_bytes, fixed);
          }
          ring_->count_fixed_request();
        } else if (write) {
          io_uring_prep_write(sqe, fd_, buffer, length_bytes, offset_bytes);
        } else {
          io_uring_prep_read(sqe, fd_, buffer, length_bytes, offset_bytes);
        }
        if (write && fua) sqe->rw_flags = RWF_DSYNC;
        break;
      }
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
  ring_->track(sqe, this, cookie);
  ++in_flight_;
}

void uring_disk::flush_submissions() {
  try {
    ring_->flush_submissions();
  } catch (const std::exception& e) {
    throw std::runtime_error("disk " + path_ + ": " + e.what());
  }
}

void uring_disk::deliver(std::uint64_t cookie, int result) {
  --in_flight_;
  if (injected_failures_.erase(cookie) > 0) result = -EIO;
  if (cache_) {
    auto followed = cached_ops_.find(cookie);
    if (followed != cached_ops_.end()) {
      if (followed->second == disk_op::flush) {
        cache_->flush_completed(cookie, result >= 0);
      } else {
        cache_->write_completed(cookie, result >= 0);
      }
      cached_ops_.erase(followed);
    }
  }
  if (handler_) handler_(cookie, result);
}

void uring_disk::reap(const completion_handler& done) {
  completion_handler own = std::move(handler_);
  handler_ = done;
  ring_->reap();
  handler_ = std::move(own);
}

void uring_disk::pread_all(std::uint64_t offset_bytes, std::byte* buffer,
                           std::size_t length_bytes) const {
  std::size_t done_bytes = 0;
  while (done_bytes < length_bytes) {
    const ssize_t n = ::pread(fd_, buffer + done_bytes, length_bytes - done_bytes,
                              static_cast<off_t>(offset_bytes + done_bytes));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw disk_error(path_, "metadata read", errno);
    if (n == 0) throw std::runtime_error("disk " + path_ + ": metadata read beyond the end");
    done_bytes += static_cast<std::size_t>(n);
  }
}

void uring_disk::pwrite_all(std::uint64_t offset_bytes, const std::byte* buffer,
                            std::size_t length_bytes) const {
  std::size_t done_bytes = 0;
  while (done_bytes < length_bytes) {
    const ssize_t n = ::pwrite(fd_, buffer + done_bytes, length_bytes - done_bytes,
                               static_cast<off_t>(offset_bytes + done_bytes));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw disk_error(path_, "metadata write", errno);
    done_bytes += static_cast<std::size_t>(n);
  }
}

void uring_disk::transfer_sync(bool write, std::uint64_t offset_bytes, std::byte* buffer,
                               std::size_t length_bytes) const {
  constexpr std::uint64_t kAlign = kDirectAlignBytes;
  const bool aligned = offset_bytes % kAlign == 0 && length_bytes % kAlign == 0 &&
                       reinterpret_cast<std::uintptr_t>(buffer) % kAlign == 0;
  if (!direct_ || aligned) {
    if (write) {
      pwrite_all(offset_bytes, buffer, length_bytes);
    } else {
      pread_all(offset_bytes, buffer, length_bytes);
    }
    return;
  }
  // Bounce through an aligned window of at most 1 MiB at a time: bounded memory for a large
  // bitmap area, and only the first and last window can be partial. The window is no larger
  // than the aligned span of the request: a superblock commit needs a sector or two, and a 1 MiB
  // allocation per commit made glibc keep a megabyte of heap per resource (its mmap threshold
  // rises after such a block is freed, so later ones come from the heap and fragment it).
  constexpr std::uint64_t kMaxWindowBytes = std::uint64_t{1} << 20;
  const std::uint64_t end_bytes = offset_bytes + length_bytes;
  const std::uint64_t span_bytes =
      (end_bytes + kAlign - 1) / kAlign * kAlign - offset_bytes / kAlign * kAlign;
  const std::uint64_t window_capacity_bytes = std::min(kMaxWindowBytes, span_bytes);
  struct aligned_delete {
    void operator()(std::byte* p) const { ::operator delete(p, std::align_val_t{kAlign}); }
  };
  const std::unique_ptr<std::byte, aligned_delete> bounce(
      static_cast<std::byte*>(::operator new(window_capacity_bytes, std::align_val_t{kAlign})));
  for (std::uint64_t pos = offset_bytes; pos < end_bytes;) {
    const std::uint64_t window_start = pos / kAlign * kAlign;
    const std::uint64_t window_end =
        std::min((end_bytes + kAlign - 1) / kAlign * kAlign, window_start + window_capacity_bytes);
    const std::uint64_t window_bytes = window_end - window_start;
    const std::uint64_t chunk_bytes = std::min(end_bytes, window_end) - pos;
    std::byte* user = buffer + (pos - offset_bytes);
    std::byte* mirror = bounce.get() + (pos - window_start);
    const bool partial = pos != window_start || pos + chunk_bytes != window_end;
    if (!write || partial) pread_all(window_start, bounce.get(), window_bytes);
    if (write) {
      std::memcpy(mirror, user, chunk_bytes);
      pwrite_all(window_start, bounce.get(), window_bytes);
    } else {
      std::memcpy(user, mirror, chunk_bytes);
    }
    pos += chunk_bytes;
  }
}

void uring_disk::read_sync(std::uint64_t offset_bytes, void* buffer,
                           std::size_t length_bytes) const {
  transfer_sync(false, offset_bytes, static_cast<std::byte*>(buffer), length_bytes);
}

void uring_disk::write_sync(std::uint64_t offset_bytes, const void* buffer,
                            std::size_t length_bytes) const {
  if (fail_writes_) {
    throw std::runtime_error("disk " + path_ + ": metadata write: injected I/O error");
  }
  if (cache_) {
    std::vector<std::byte> old(length_bytes);
    transfer_sync(false, offset_bytes, old.data(), old.size());
    const std::uint64_t id = next_sync_id_++;
    cache_->write_submitted(id, offset_bytes, std::move(old), false);
    cache_->write_completed(id, true);
  }
  // transfer_sync only reads from the buffer when writing.
  transfer_sync(true, offset_bytes, static_cast<std::byte*>(const_cast<void*>(buffer)),
                length_bytes);
}

std::uint64_t uring_disk::refresh_size() {
  if (block_device_) {
    std::uint64_t bytes = 0;
    if (::ioctl(fd_, BLKGETSIZE64, &bytes) != 0) {
      throw disk_error(path_, "cannot read block device size", errno);
    }
    size_bytes_ = bytes;
  } else {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw disk_error(path_, "cannot stat", errno);
    size_bytes_ = static_cast<std::uint64_t>(st.st_size);
  }
  return size_bytes_;
}

void uring_disk::flush_sync() const {
  const std::uint64_t id = next_sync_id_++;
  if (cache_) cache_->flush_submitted(id);
  if (::fdatasync(fd_) != 0) throw disk_error(path_, "fdatasync", errno);
  if (cache_) cache_->flush_completed(id, true);
}

void uring_disk::enable_volatile_write_cache() {
  if (!cache_) cache_ = std::make_unique<volatile_write_cache>();
}

std::size_t uring_disk::power_cut() {
  if (!cache_) return 0;
  const auto undo = cache_->power_cut();
  for (const auto& record : undo) {
    transfer_sync(true, record.offset_bytes, const_cast<std::byte*>(record.old_bytes.data()),
                  record.old_bytes.size());
  }
  if (::fdatasync(fd_) != 0) throw disk_error(path_, "fdatasync", errno);
  cached_ops_.clear();
  return undo.size();
}

}  // namespace tandem::engine
