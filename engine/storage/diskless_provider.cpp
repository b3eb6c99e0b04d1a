#include "engine/storage/diskless_provider.h"

#include "engine/storage/volume_naming.h"

namespace tandem::storage {

storage_error diskless_provider::unsupported(const std::string& what) const {
  return make_error(error_kind::unsupported, "DISKLESS pool '" + pool_name_ +
                                                 "' has no storage: " + what + " is not possible");
}

result<volume_info> diskless_provider::create_volume(const create_request& request) {
  if (auto valid = check_volume_id(request.volume); !valid) {
    return with_context("DISKLESS pool '" + pool_name_ + "': ", valid.error());
  }
  volume_info info;
  info.volume = request.volume;
  info.name = volume_name(request.volume);
  return info;
}

result<volume_info> diskless_provider::resize_volume(const volume_id& volume, std::uint64_t,
                                                     std::uint32_t) {
  // A diskless replica takes its size from its peers; there is nothing to grow here.
  return create_volume(create_request{volume, 0, 0});
}

status diskless_provider::delete_volume(const volume_id& volume) {
  if (auto valid = check_volume_id(volume); !valid) {
    return with_context("DISKLESS pool '" + pool_name_ + "': ", valid.error());
  }
  return success();
}

result<std::vector<volume_info>> diskless_provider::list_volumes(std::uint32_t) {
  return std::vector<volume_info>{};
}

result<snapshot_info> diskless_provider::create_snapshot(const volume_id&, const std::string&) {
  return unsupported("a snapshot");
}

status diskless_provider::delete_snapshot(const volume_id&, const std::string&) {
  return unsupported("deleting a snapshot");
}

result<std::vector<snapshot_info>> diskless_provider::list_snapshots() {
  return std::vector<snapshot_info>{};
}

result<restored_volume> diskless_provider::restore_snapshot(const volume_id&, const std::string&,
                                                            const volume_id&, std::uint32_t) {
  return unsupported("restoring a snapshot");
}

}  // namespace tandem::storage
