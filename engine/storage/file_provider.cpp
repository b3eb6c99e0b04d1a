#include "engine/storage/file_provider.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "engine/storage/posix_file.h"
#include "engine/storage/size_rounding.h"
#include "engine/storage/volume_naming.h"

namespace tandem::storage {
namespace {

// LINSTOR's default allocation granularity for FILE pools.
constexpr std::uint64_t kFileGranularityKib = 1;

}  // namespace

file_provider::file_provider(provider_kind kind, std::string pool_name, std::string directory,
                             const provider_settings& settings, command_runner& runner)
    : kind_(kind),
      pool_name_(std::move(pool_name)),
      directory_(std::move(directory)),
      settings_(settings),
      loops_(runner, settings.command_timeout) {}

std::string file_provider::context() const {
  return std::string(to_string(kind_)) + " pool '" + pool_name_ + "' (" + directory_ + "): ";
}

storage_error file_provider::failure(error_kind kind, const std::string& message) const {
  return make_error(kind, context() + message);
}

storage_error file_provider::failure(const storage_error& inner) const {
  return with_context(context(), inner);
}

std::string file_provider::volume_path(const volume_id& volume) const {
  return directory_ + "/" + volume_name(volume) + std::string(kVolumeSuffix);
}

std::string file_provider::snapshot_path(const volume_id& volume,
                                         const std::string& snapshot_name) const {
  return directory_ + "/" + volume_name(volume) + "@" + snapshot_name +
         std::string(kSnapshotSuffix);
}

status file_provider::check_directory() const {
  struct stat info {};
  if (::stat(directory_.c_str(), &info) != 0) {
    const int stat_errno = errno;
    return failure(stat_errno == ENOENT ? error_kind::not_found : error_kind::io_error,
                   "directory '" + directory_ + "' is not accessible: " + errno_text(stat_errno));
  }
  if (!S_ISDIR(info.st_mode)) {
    return failure(error_kind::invalid_argument, "'" + directory_ + "' is not a directory");
  }
  return success();
}

result<capacity_info> file_provider::capacity() {
  if (auto ok = check_directory(); !ok) return ok.error();
  struct statvfs fs {};
  if (::statvfs(directory_.c_str(), &fs) != 0) {
    return failure(error_kind::io_error, "statvfs failed: " + errno_text(errno));
  }
  const std::uint64_t block_bytes = fs.f_frsize != 0 ? fs.f_frsize : fs.f_bsize;
  return capacity_info{std::uint64_t{fs.f_blocks} * block_bytes / 1024,
                       std::uint64_t{fs.f_bavail} * block_bytes / 1024};
}

result<std::uint64_t> file_provider::allocation_granularity_kib() {
  return kFileGranularityKib;
}

result<volume_info> file_provider::describe_file(const volume_id& volume, const std::string& path,
                                                 std::uint32_t peer_slots,
                                                 const std::string& device) const {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int stat_errno = errno;
    return failure(stat_errno == ENOENT ? error_kind::not_found : error_kind::io_error,
                   "volume file '" + path + "': " + errno_text(stat_errno));
  }
  volume_info result_info;
  result_info.volume = volume;
  result_info.name = volume_name(volume);
  result_info.device_path = device.empty() ? path : device;
  result_info.gross_kib = static_cast<std::uint64_t>(info.st_size) / 1024;
  result_info.usable_kib = usable_size_kib(result_info.gross_kib, peer_slots);
  result_info.allocated_kib = static_cast<std::uint64_t>(info.st_blocks) * 512 / 1024;
  return result_info;
}

// Gives the file at path its new size: FILE allocates every block (fallocate), FILE_THIN only
// moves the end of file. Flushed, so the size survives a crash.
status file_provider::size_file(const std::string& path, std::uint64_t size_kib,
                                bool grow_existing) const {
  unique_fd file(
      ::open(path.c_str(), O_RDWR | O_CLOEXEC | (grow_existing ? 0 : O_CREAT | O_EXCL), 0600));
  if (file.get() < 0) {
    const int open_errno = errno;
    return failure(open_errno == EEXIST ? error_kind::already_exists : error_kind::io_error,
                   "opening '" + path + "' failed: " + errno_text(open_errno));
  }
  const auto size_bytes = static_cast<off_t>(size_kib * 1024);
  if (thin()) {
    if (::ftruncate(file.get(), size_bytes) != 0) {
      return failure(error_kind::io_error, "ftruncate '" + path + "' to " +
                                               std::to_string(size_kib) +
                                               " KiB failed: " + errno_text(errno));
    }
  } else {
    const int rc = ::posix_fallocate(file.get(), 0, size_bytes);
    if (rc != 0) {
      return failure(rc == ENOSPC ? error_kind::insufficient_space : error_kind::io_error,
                     "fallocate '" + path + "' to " + std::to_string(size_kib) +
                         " KiB failed: " + errno_text(rc));
    }
  }
  if (::fsync(file.get()) != 0) {
    return failure(error_kind::io_error, "fsync '" + path + "' failed: " + errno_text(errno));
  }
  return success();
}

result<std::string> file_provider::device_for(const std::string& path) {
  if (!settings_.file_attach_loop_device) return std::string();
  auto attached = loops_.attached_files();
  if (!attached) return failure(attached.error());
  const auto found = attached.value().find(path);
  return found == attached.value().end() ? std::string() : found->second;
}

result<volume_info> file_provider::create_volume(const create_request& request) {
  if (auto valid = check_volume_id(request.volume); !valid) return failure(valid.error());
  if (auto ok = check_directory(); !ok) return ok.error();
  auto gross = gross_size_kib(request.usable_kib, request.peer_slots, kFileGranularityKib);
  if (!gross) return failure(gross.error());
  const std::string path = volume_path(request.volume);
  if (::access(path.c_str(), F_OK) == 0) {
    return failure(error_kind::already_exists,
                   "volume '" + volume_name(request.volume) + "' already exists (" + path + ")");
  }
  if (!thin()) {
    auto space = capacity();
    if (!space) return space.error();
    if (space.value().free_kib < gross.value()) {
      return failure(error_kind::insufficient_space,
                     "volume '" + volume_name(request.volume) + "' needs " +
                         std::to_string(gross.value()) + " KiB but only " +
                         std::to_string(space.value().free_kib) + " KiB are free");
    }
  }
  const std::string partial = path + std::string(kPartialSuffix);
  ::unlink(partial.c_str());  // left over from a crash during an earlier attempt
  if (auto sized = size_file(partial, gross.value(), false); !sized) {
    ::unlink(partial.c_str());
    return sized.error();
  }
  if (rename_no_replace(partial, path) != 0) {
    const int rename_errno = errno;
    ::unlink(partial.c_str());
    return failure(
        rename_errno == EEXIST ? error_kind::already_exists : error_kind::io_error,
        "renaming '" + partial + "' to '" + path + "' failed: " + errno_text(rename_errno));
  }
  std::string device;
  if (settings_.file_attach_loop_device) {
    auto attached = loops_.attach(path);
    if (!attached) {
      ::unlink(path.c_str());
      return failure(attached.error());
    }
    device = attached.value();
  }
  return describe_file(request.volume, path, request.peer_slots, device);
}

result<volume_info> file_provider::resize_volume(const volume_id& volume,
                                                 std::uint64_t new_usable_kib,
                                                 std::uint32_t peer_slots) {
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  const std::string path = volume_path(volume);
  auto device = device_for(path);
  if (!device) return device.error();
  auto current = describe_file(volume, path, peer_slots, device.value());
  if (!current) return current;
  if (new_usable_kib < current.value().usable_kib) {
    return failure(error_kind::invalid_argument,
                   "volume '" + volume_name(volume) + "' has " +
                       std::to_string(current.value().usable_kib) + " KiB usable; shrinking to " +
                       std::to_string(new_usable_kib) + " KiB is refused");
  }
  auto gross = gross_size_kib(new_usable_kib, peer_slots, kFileGranularityKib);
  if (!gross) return failure(gross.error());
  if (gross.value() <= current.value().gross_kib) return current;
  if (!thin()) {
    auto space = capacity();
    if (!space) return space.error();
    // st_blocks can exceed the size (the filesystem's own extent blocks): never underflow.
    const std::uint64_t allocated_kib = current.value().allocated_kib;
    const std::uint64_t missing_kib =
        gross.value() > allocated_kib ? gross.value() - allocated_kib : 0;
    if (space.value().free_kib < missing_kib) {
      return failure(error_kind::insufficient_space,
                     "growing volume '" + volume_name(volume) + "' to " +
                         std::to_string(gross.value()) + " KiB needs " +
                         std::to_string(missing_kib) + " KiB more but only " +
                         std::to_string(space.value().free_kib) + " KiB are free");
    }
  }
  if (auto sized = size_file(path, gross.value(), true); !sized) return sized.error();
  if (!device.value().empty()) {
    if (auto refreshed = loops_.refresh_size(device.value()); !refreshed) {
      return failure(refreshed.error());
    }
  }
  return describe_file(volume, path, peer_slots, device.value());
}

status file_provider::delete_volume(const volume_id& volume) {
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  const std::string path = volume_path(volume);
  if (::access(path.c_str(), F_OK) != 0) {
    return failure(error_kind::not_found, "volume '" + volume_name(volume) + "' does not exist");
  }
  auto device = device_for(path);
  if (!device) return device.error();
  if (!device.value().empty()) {
    if (auto detached = loops_.detach(device.value()); !detached) {
      return failure(detached.error());
    }
  }
  if (::unlink(path.c_str()) != 0) {
    return failure(error_kind::io_error, "unlink '" + path + "' failed: " + errno_text(errno));
  }
  return success();
}

result<std::vector<volume_info>> file_provider::list_volumes(std::uint32_t peer_slots) {
  auto names = names_with_suffix(directory_, kVolumeSuffix);
  if (!names) return failure(names.error());
  std::map<std::string, std::string> attached;
  if (settings_.file_attach_loop_device) {
    auto loops = loops_.attached_files();
    if (!loops) return failure(loops.error());
    attached = std::move(loops.value());
  }
  std::vector<volume_info> volumes;
  for (const std::string& name : names.value()) {
    const auto volume = parse_volume_name(name);
    if (!volume) continue;  // not ours
    const std::string path = volume_path(*volume);
    const auto device = attached.find(path);
    auto info = describe_file(*volume, path, peer_slots,
                              device == attached.end() ? std::string() : device->second);
    if (!info && info.kind() == error_kind::not_found) continue;  // deleted meanwhile
    if (!info) return info.error();
    volumes.push_back(std::move(info.value()));
  }
  return volumes;
}

}  // namespace tandem::storage
