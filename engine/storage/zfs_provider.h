// ZFS and ZFS_THIN: every volume is a zvol "<pool>/<resource>_<nnnnn>" (device
// /dev/zvol/<pool>/<name>); ZFS reserves its whole size (refreservation), ZFS_THIN creates it
// sparse (-s). Commands, as LINSTOR's satellite runs them:
//   capacity   zfs list -Hp -o name,used,available -t filesystem,volume <pool>
//   list       zfs list -Hp -o name,type,volsize,used,referenced -t volume,snapshot -r <pool>
//   create     zfs create [-s] [ZfscreateOptions] -V <N>k <pool>/<name>
//   resize     zfs set volsize=<N>k <pool>/<name>
//   delete     zfs destroy <pool>/<name>            (refused while snapshots exist)
//   snapshot   zfs snapshot <pool>/<name>@<snap>    destroy: zfs destroy <pool>/<name>@<snap>
//   restore    zfs clone [-o refreservation=auto] <pool>/<name>@<snap> <pool>/<new name>
// A clone depends on its snapshot: zfs refuses to destroy a snapshot that has clones, and that
// refusal is passed on. Tested only against recorded zfs output (no ZFS on the build machine).
#pragma once

#include <string>

#include "engine/storage/provider_factory.h"
#include "engine/storage/storage_provider.h"
#include "engine/storage/zfs_report.h"

namespace tandem::storage {

class zfs_provider final : public storage_provider {
 public:
  // kind ZFS or ZFS_THIN; zpool is a pool or a dataset ("tank" or "tank/linstor").
  zfs_provider(provider_kind kind, std::string pool_name, std::string zpool,
               const provider_settings& settings, command_runner& runner);

  provider_kind kind() const override { return kind_; }
  const std::string& pool_name() const override { return pool_name_; }
  const std::string& source() const override { return zpool_; }

  result<capacity_info> capacity() override;
  // LINSTOR's default for ZFS (the zvol volblocksize it assumes): 8 KiB.
  result<std::uint64_t> allocation_granularity_kib() override;
  result<volume_info> create_volume(const create_request& request) override;
  result<volume_info> resize_volume(const volume_id& volume, std::uint64_t new_usable_kib,
                                    std::uint32_t peer_slots) override;
  status delete_volume(const volume_id& volume) override;
  result<std::vector<volume_info>> list_volumes(std::uint32_t peer_slots) override;

  bool supports_snapshots() const override { return true; }
  result<snapshot_info> create_snapshot(const volume_id& volume,
                                        const std::string& snapshot_name) override;
  status delete_snapshot(const volume_id& volume, const std::string& snapshot_name) override;
  result<std::vector<snapshot_info>> list_snapshots() override;
  result<restored_volume> restore_snapshot(const volume_id& source,
                                           const std::string& snapshot_name,
                                           const volume_id& target,
                                           std::uint32_t peer_slots) override;

 private:
  bool thin() const { return kind_ == provider_kind::zfs_thin; }
  std::string context() const;
  storage_error failure(error_kind kind, const std::string& message) const;
  storage_error failure(const storage_error& inner) const;
  command zfs_command(std::vector<std::string> args) const;
  result<command_output> run_zfs(const command& cmd);
  result<std::vector<zfs_dataset_row>> datasets();
  std::string dataset(const volume_id& volume) const;
  volume_info describe(const volume_id& volume, const zfs_dataset_row& row,
                       std::uint32_t peer_slots) const;
  const zfs_dataset_row* find(const std::vector<zfs_dataset_row>& rows,
                              const std::string& name) const;

  provider_kind kind_;
  std::string pool_name_;
  std::string zpool_;
  provider_settings settings_;
  command_runner& runner_;
};

}  // namespace tandem::storage
