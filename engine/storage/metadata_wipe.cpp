#include "engine/storage/metadata_wipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "core/meta/size.h"
#include "engine/storage/posix_file.h"

namespace tandem::storage {
namespace {

constexpr std::size_t kZeroChunkBytes = 1u << 20;

}  // namespace

status zero_metadata_area(const std::string& path, std::uint64_t gross_kib,
                          std::uint32_t peer_slots) {
  std::uint64_t area_kib = meta::kMetaBlockBytes / 1024;
  if (peer_slots != 0) {
    auto md = meta::md_size_kib(gross_kib, peer_slots);
    if (!md) return make_error(error_kind::invalid_argument, md.message());
    area_kib = md.value();
  }
  // The superblock sits in the last 4 KiB-aligned block, so align the end down to 4 KiB.
  const std::uint64_t end_bytes = gross_kib * 1024 / meta::kMetaBlockBytes * meta::kMetaBlockBytes;
  const std::uint64_t area_bytes = std::min(area_kib * 1024, end_bytes);
  unique_fd device(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (device.get() < 0) {
    const int open_errno = errno;
    return make_error(
        open_errno == ENOENT ? error_kind::not_found : error_kind::io_error,
        "cannot zero the metadata area of '" + path + "': open failed: " + errno_text(open_errno));
  }
  const std::vector<char> zeros(kZeroChunkBytes, 0);
  std::uint64_t offset = end_bytes - area_bytes;
  // Bounded: each round advances offset by at least one byte or returns.
  while (offset < end_bytes) {
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(end_bytes - offset, zeros.size()));
    const ssize_t written = ::pwrite(device.get(), zeros.data(), want, static_cast<off_t>(offset));
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      return make_error(error_kind::io_error, "zeroing the metadata area of '" + path +
                                                  "' failed at byte " + std::to_string(offset) +
                                                  ": " + errno_text(written < 0 ? errno : EIO));
    }
    offset += static_cast<std::uint64_t>(written);
  }
  if (::fsync(device.get()) != 0) {
    return make_error(error_kind::io_error, "flushing '" + path + "' failed: " + errno_text(errno));
  }
  return success();
}

}  // namespace tandem::storage
