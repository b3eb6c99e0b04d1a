// The snapshot half of file_provider: snapshots are read-only files beside the volumes, made and
// restored with clone_file (reflink when the filesystem shares extents, sparse copy otherwise).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "engine/storage/file_clone.h"
#include "engine/storage/file_provider.h"
#include "engine/storage/posix_file.h"
#include "engine/storage/volume_naming.h"

namespace tandem::storage {

result<snapshot_info> file_provider::create_snapshot(const volume_id& volume,
                                                     const std::string& snapshot_name) {
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  if (auto valid = check_snapshot_name(snapshot_name); !valid) return failure(valid.error());
  const std::string source_path = volume_path(volume);
  struct stat source_info {};
  if (::stat(source_path.c_str(), &source_info) != 0) {
    return failure(error_kind::not_found, "volume '" + volume_name(volume) + "' does not exist");
  }
  const std::string path = snapshot_path(volume, snapshot_name);
  if (::access(path.c_str(), F_OK) == 0) {
    return failure(error_kind::already_exists, "snapshot '" + snapshot_name + "' of volume '" +
                                                   volume_name(volume) + "' already exists");
  }
  const std::string partial = path + std::string(kPartialSuffix);
  ::unlink(partial.c_str());  // left over from a crash during an earlier attempt
  auto method = clone_file(source_path, partial, prefer_reflink_);
  if (!method) return failure(method.error());
  // Snapshots are never written; read-only makes an accidental write fail loudly.
  ::chmod(partial.c_str(), 0400);
  if (rename_no_replace(partial, path) != 0) {
    const int rename_errno = errno;
    ::unlink(partial.c_str());
    return failure(rename_errno == EEXIST ? error_kind::already_exists : error_kind::io_error,
                   "renaming '" + partial + "' failed: " + errno_text(rename_errno));
  }
  snapshot_info info;
  info.volume = volume;
  info.name = snapshot_name;
  info.provider_name = volume_name(volume) + "@" + snapshot_name;
  info.gross_kib = static_cast<std::uint64_t>(source_info.st_size) / 1024;
  info.method = method.value();
  return info;
}

status file_provider::delete_snapshot(const volume_id& volume, const std::string& snapshot_name) {
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  if (auto valid = check_snapshot_name(snapshot_name); !valid) return failure(valid.error());
  const std::string path = snapshot_path(volume, snapshot_name);
  if (::unlink(path.c_str()) != 0) {
    const int unlink_errno = errno;
    if (unlink_errno == ENOENT) {
      return failure(error_kind::not_found, "snapshot '" + snapshot_name + "' of volume '" +
                                                volume_name(volume) + "' does not exist");
    }
    return failure(error_kind::io_error,
                   "unlink '" + path + "' failed: " + errno_text(unlink_errno));
  }
  return success();
}

result<std::vector<snapshot_info>> file_provider::list_snapshots() {
  auto names = names_with_suffix(directory_, kSnapshotSuffix);
  if (!names) return failure(names.error());
  std::vector<snapshot_info> snapshots;
  for (const std::string& name : names.value()) {
    const auto at = name.find('@');
    if (at == std::string::npos) continue;
    const auto volume = parse_volume_name(std::string_view(name).substr(0, at));
    const std::string snapshot_name = name.substr(at + 1);
    if (!volume || !check_snapshot_name(snapshot_name)) continue;  // not ours
    struct stat info {};
    if (::stat(snapshot_path(*volume, snapshot_name).c_str(), &info) != 0) continue;
    snapshot_info snapshot;
    snapshot.volume = *volume;
    snapshot.name = snapshot_name;
    snapshot.provider_name = name;
    snapshot.gross_kib = static_cast<std::uint64_t>(info.st_size) / 1024;
    snapshots.push_back(std::move(snapshot));
  }
  return snapshots;
}

result<restored_volume> file_provider::restore_snapshot(const volume_id& source,
                                                        const std::string& snapshot_name,
                                                        const volume_id& target,
                                                        std::uint32_t peer_slots) {
  if (auto valid = check_volume_id(source); !valid) return failure(valid.error());
  if (auto valid = check_volume_id(target); !valid) return failure(valid.error());
  if (auto valid = check_snapshot_name(snapshot_name); !valid) return failure(valid.error());
  const std::string snapshot = snapshot_path(source, snapshot_name);
  struct stat snapshot_stat {};
  if (::stat(snapshot.c_str(), &snapshot_stat) != 0) {
    return failure(error_kind::not_found, "snapshot '" + snapshot_name + "' of volume '" +
                                              volume_name(source) + "' does not exist");
  }
  const std::string path = volume_path(target);
  if (::access(path.c_str(), F_OK) == 0) {
    return failure(error_kind::already_exists,
                   "restore target volume '" + volume_name(target) + "' already exists");
  }
  if (!thin()) {
    auto space = capacity();
    if (!space) return space.error();
    const auto needed_kib = static_cast<std::uint64_t>(snapshot_stat.st_size) / 1024;
    if (space.value().free_kib < needed_kib) {
      return failure(error_kind::insufficient_space,
                     "restoring into '" + volume_name(target) + "' needs " +
                         std::to_string(needed_kib) + " KiB but only " +
                         std::to_string(space.value().free_kib) + " KiB are free");
    }
  }
  const std::string partial = path + std::string(kPartialSuffix);
  ::unlink(partial.c_str());
  auto method = clone_file(snapshot, partial, prefer_reflink_);
  if (!method) return failure(method.error());
  ::chmod(partial.c_str(), 0600);
  // FILE promises that writes never run out of space: allocate the holes the copy left.
  if (!thin()) {
    if (auto sized =
            size_file(partial, static_cast<std::uint64_t>(snapshot_stat.st_size) / 1024, true);
        !sized) {
      ::unlink(partial.c_str());
      return sized.error();
    }
  }
  if (rename_no_replace(partial, path) != 0) {
    const int rename_errno = errno;
    ::unlink(partial.c_str());
    return failure(rename_errno == EEXIST ? error_kind::already_exists : error_kind::io_error,
                   "renaming '" + partial + "' failed: " + errno_text(rename_errno));
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
  auto info = describe_file(target, path, peer_slots, device);
  if (!info) return info.error();
  return restored_volume{std::move(info.value()), method.value()};
}

}  // namespace tandem::storage
