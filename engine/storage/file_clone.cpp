#include "engine/storage/file_clone.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "engine/storage/posix_file.h"

namespace tandem::storage {
namespace {

constexpr std::size_t kCopyChunkBytes = 1u << 20;

storage_error io_failure(const std::string& what, const std::string& path, int error_number) {
  return make_error(error_kind::io_error,
                    what + " '" + path + "' failed: " + std::strerror(error_number));
}

// Errors of FICLONE that mean "this filesystem (pair) cannot share extents", as opposed to a real
// I/O failure.
bool reflink_unsupported(int error_number) {
  return error_number == EOPNOTSUPP || error_number == ENOTTY || error_number == EXDEV ||
         error_number == EINVAL || error_number == ENOSYS || error_number == EPERM;
}

status copy_range(int source, int target, off_t begin, off_t end, const std::string& source_path,
                  const std::string& target_path, std::vector<char>& buffer) {
  off_t offset = begin;
  // Bounded: every round advances offset by at least one byte or returns.
  while (offset < end) {
    const auto want = static_cast<std::size_t>(std::min<off_t>(end - offset, buffer.size()));
    const ssize_t got = ::pread(source, buffer.data(), want, offset);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return io_failure("reading", source_path, errno);
    if (got == 0) return success();  // the source shrank under us; the tail stays a hole
    ssize_t written_total = 0;
    while (written_total < got) {
      const ssize_t written =
          ::pwrite(target, buffer.data() + written_total,
                   static_cast<std::size_t>(got - written_total), offset + written_total);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) return io_failure("writing", target_path, written < 0 ? errno : EIO);
      written_total += written;
    }
    offset += got;
  }
  return success();
}

status sparse_copy(int source, int target, off_t size_bytes, const std::string& source_path,
                   const std::string& target_path) {
  if (::ftruncate(target, size_bytes) != 0) return io_failure("sizing", target_path, errno);
  std::vector<char> buffer(kCopyChunkBytes);
  off_t offset = 0;
  // Bounded by the file size: each round moves past one data extent.
  while (offset < size_bytes) {
    const off_t data = ::lseek(source, offset, SEEK_DATA);
    if (data < 0 && errno == ENXIO) break;  // only a hole remains
    if (data < 0) return io_failure("seeking data in", source_path, errno);
    off_t hole = ::lseek(source, data, SEEK_HOLE);
    if (hole < 0) return io_failure("seeking a hole in", source_path, errno);
    hole = std::min(hole, size_bytes);
    if (auto copied = copy_range(source, target, data, hole, source_path, target_path, buffer);
        !copied) {
      return copied;
    }
    offset = hole;
  }
  return success();
}

}  // namespace

result<copy_method> clone_file(const std::string& source_path, const std::string& target_path,
                               bool prefer_reflink) {
  unique_fd source(::open(source_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (source.get() < 0) {
    const int open_errno = errno;
    return make_error(open_errno == ENOENT ? error_kind::not_found : error_kind::io_error,
                      "opening '" + source_path + "' failed: " + std::strerror(open_errno));
  }
  struct stat source_stat {};
  if (::fstat(source.get(), &source_stat) != 0) return io_failure("stat of", source_path, errno);

  unique_fd target(::open(target_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (target.get() < 0) {
    const int open_errno = errno;
    return make_error(open_errno == EEXIST ? error_kind::already_exists : error_kind::io_error,
                      "creating '" + target_path + "' failed: " + std::strerror(open_errno));
  }
  auto fail = [&](storage_error failure) -> result<copy_method> {
    ::unlink(target_path.c_str());
    return failure;
  };

  copy_method method = copy_method::sparse_copy;
  bool cloned = false;
  if (prefer_reflink) {
    if (::ioctl(target.get(), FICLONE, source.get()) == 0) {
      cloned = true;
      method = copy_method::reflink;
    } else if (!reflink_unsupported(errno)) {
      return fail(io_failure("reflink (FICLONE) into", target_path, errno));
    }
  }
  if (!cloned) {
    if (auto copied =
            sparse_copy(source.get(), target.get(), source_stat.st_size, source_path, target_path);
        !copied) {
      return fail(copied.error());
    }
  }
  if (::fsync(target.get()) != 0) return fail(io_failure("flushing", target_path, errno));
  return method;
}

}  // namespace tandem::storage
