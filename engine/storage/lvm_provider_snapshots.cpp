// The snapshot half of lvm_provider (LVM_THIN only): LINSTOR-named thin snapshots
// "<lv>_<snapshot>" with activation skipped, restored as thin snapshots of the snapshot.
#include "engine/storage/lvm_provider.h"
#include "engine/storage/volume_naming.h"

namespace tandem::storage {

status lvm_provider::check_snapshot_support() const {
  if (thin()) return success();
  return failure(error_kind::unsupported,
                 "snapshots need a thin pool (LVM_THIN); thick LVM has none, as in LINSTOR");
}

result<snapshot_info> lvm_provider::create_snapshot(const volume_id& volume,
                                                    const std::string& snapshot_name) {
  if (auto supported = check_snapshot_support(); !supported) return supported.error();
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  if (auto valid = check_snapshot_name(snapshot_name); !valid) return failure(valid.error());
  const std::string name = volume_name(volume);
  const std::string snapshot_lv = snapshot_lv_name(volume, snapshot_name);
  auto lvs = logical_volumes();
  if (!lvs) return lvs.error();
  const lvm_lv_row* origin = nullptr;
  for (const lvm_lv_row& lv : lvs.value()) {
    if (lv.name == snapshot_lv) {
      return failure(error_kind::already_exists, "snapshot '" + snapshot_name + "' of volume '" +
                                                     name + "' already exists (" + snapshot_lv +
                                                     ")");
    }
    if (lv.name == name) origin = &lv;
  }
  if (origin == nullptr) {
    return failure(error_kind::not_found, "volume '" + name + "' does not exist");
  }
  if (auto made =
          run_lvm(lvm_command("lvcreate", {"--snapshot", "--setactivationskip", "y", "--name",
                                           snapshot_lv, volume_group_ + "/" + name}));
      !made) {
    return made.error();
  }
  snapshot_info info;
  info.volume = volume;
  info.name = snapshot_name;
  info.provider_name = snapshot_lv;
  info.gross_kib = origin->size_bytes / 1024;
  info.method = copy_method::lvm_thin_snapshot;
  return info;
}

status lvm_provider::delete_snapshot(const volume_id& volume, const std::string& snapshot_name) {
  if (auto supported = check_snapshot_support(); !supported) return supported.error();
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  if (auto valid = check_snapshot_name(snapshot_name); !valid) return failure(valid.error());
  const std::string snapshot_lv = snapshot_lv_name(volume, snapshot_name);
  auto lv = find_lv(snapshot_lv);
  if (!lv) return lv.error();
  if (!lv.value() || !lv.value()->activation_skipped()) {
    return failure(error_kind::not_found, "snapshot '" + snapshot_name + "' of volume '" +
                                              volume_name(volume) + "' does not exist");
  }
  auto removed = run_lvm(lvm_command("lvremove", {"--force", volume_group_ + "/" + snapshot_lv}));
  if (!removed) return removed.error();
  return success();
}

result<std::vector<snapshot_info>> lvm_provider::list_snapshots() {
  if (!thin()) return std::vector<snapshot_info>{};
  auto lvs = logical_volumes();
  if (!lvs) return lvs.error();
  std::vector<snapshot_info> snapshots;
  for (const lvm_lv_row& lv : lvs.value()) {
    if (!lv.activation_skipped() || lv.pool_lv != thin_pool_ || lv.origin.empty()) continue;
    if (!lv.name.starts_with(lv.origin + "_")) continue;
    const auto volume = parse_volume_name(lv.origin);
    const std::string snapshot_name = lv.name.substr(lv.origin.size() + 1);
    if (!volume || !check_snapshot_name(snapshot_name)) continue;
    snapshot_info info;
    info.volume = *volume;
    info.name = snapshot_name;
    info.provider_name = lv.name;
    info.gross_kib = lv.size_bytes / 1024;
    snapshots.push_back(std::move(info));
  }
  return snapshots;
}

result<restored_volume> lvm_provider::restore_snapshot(const volume_id& source,
                                                       const std::string& snapshot_name,
                                                       const volume_id& target,
                                                       std::uint32_t peer_slots) {
  if (auto supported = check_snapshot_support(); !supported) return supported.error();
  if (auto valid = check_volume_id(source); !valid) return failure(valid.error());
  if (auto valid = check_volume_id(target); !valid) return failure(valid.error());
  if (auto valid = check_snapshot_name(snapshot_name); !valid) return failure(valid.error());
  const std::string snapshot_lv = snapshot_lv_name(source, snapshot_name);
  const std::string target_name = volume_name(target);
  auto lvs = logical_volumes();
  if (!lvs) return lvs.error();
  bool snapshot_found = false;
  for (const lvm_lv_row& lv : lvs.value()) {
    if (lv.name == target_name) {
      return failure(error_kind::already_exists,
                     "restore target volume '" + target_name + "' already exists");
    }
    snapshot_found = snapshot_found || (lv.name == snapshot_lv && lv.activation_skipped());
  }
  if (!snapshot_found) {
    return failure(error_kind::not_found, "snapshot '" + snapshot_name + "' of volume '" +
                                              volume_name(source) + "' does not exist");
  }
  // A thin snapshot of the snapshot: shares all blocks, costs nothing until written. Unlike the
  // snapshot itself it is a normal volume, so activation is not skipped.
  if (auto made = run_lvm(
          lvm_command("lvcreate", {"--snapshot", "--setactivationskip", "n", "--activate", "y",
                                   "--name", target_name, volume_group_ + "/" + snapshot_lv}));
      !made) {
    return made.error();
  }
  auto restored = find_lv(target_name);
  if (!restored) return restored.error();
  if (!restored.value()) {
    return failure(error_kind::command_failed,
                   "lvcreate reported success but volume '" + target_name + "' is not listed");
  }
  return restored_volume{describe(target, *restored.value(), peer_slots),
                         copy_method::lvm_thin_snapshot};
}

}  // namespace tandem::storage
