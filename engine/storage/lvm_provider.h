// LVM and LVM_THIN through the lvm2 command line tools, as LINSTOR's satellite drives them:
//   capacity      vgs -o vg_name,vg_extent_size,vg_size,vg_free <vg>       (thick)
//                 lvs ... <vg>/<thinpool>: pool size and data_percent      (thin)
//   create        lvcreate --size <N>k --name <lv> --yes <vg>
//                 lvcreate --virtualsize <N>k --thinpool <pool> --name <lv> --yes <vg>
//   resize        lvresize --size <N>k <vg>/<lv>
//   delete        lvremove --force <vg>/<lv>
//   snapshot      lvcreate --snapshot --setactivationskip y --name <lv>_<snap> <vg>/<lv>  (thin)
//   restore       lvcreate --snapshot --setactivationskip n --name <new lv> <vg>/<lv>_<snap>
// Every command gets settings.lvm_extra_args right after its name (tests without device-mapper
// add "--driverloaded n"); lvcreate also gets settings.lvcreate_options (StorDriver/
// LvcreateOptions). LV names are "<resource>_<nnnnn>"; gross sizes are rounded to the VG's extent.
// New and grown LVs get their internal metadata area zeroed (metadata_wipe.h) before use.
#pragma once

#include <string>

#include "engine/storage/lvm_report.h"
#include "engine/storage/provider_factory.h"
#include "engine/storage/storage_provider.h"

namespace tandem::storage {

class lvm_provider final : public storage_provider {
 public:
  // kind LVM: thin_pool empty. kind LVM_THIN: thin_pool names the pool LV in volume_group.
  lvm_provider(provider_kind kind, std::string pool_name, std::string volume_group,
               std::string thin_pool, const provider_settings& settings, command_runner& runner);

  provider_kind kind() const override { return kind_; }
  const std::string& pool_name() const override { return pool_name_; }
  const std::string& source() const override { return source_; }

  result<capacity_info> capacity() override;
  result<std::uint64_t> allocation_granularity_kib() override;
  result<volume_info> create_volume(const create_request& request) override;
  result<volume_info> resize_volume(const volume_id& volume, std::uint64_t new_usable_kib,
                                    std::uint32_t peer_slots) override;
  status delete_volume(const volume_id& volume) override;
  result<std::vector<volume_info>> list_volumes(std::uint32_t peer_slots) override;

  // Thin only: LINSTOR deliberately offers no snapshots on thick LVM.
  bool supports_snapshots() const override { return thin(); }
  result<snapshot_info> create_snapshot(const volume_id& volume,
                                        const std::string& snapshot_name) override;
  status delete_snapshot(const volume_id& volume, const std::string& snapshot_name) override;
  result<std::vector<snapshot_info>> list_snapshots() override;
  result<restored_volume> restore_snapshot(const volume_id& source,
                                           const std::string& snapshot_name,
                                           const volume_id& target,
                                           std::uint32_t peer_slots) override;

 private:
  bool thin() const { return kind_ == provider_kind::lvm_thin; }
  std::string context() const;
  storage_error failure(error_kind kind, const std::string& message) const;
  storage_error failure(const storage_error& inner) const;
  command lvm_command(const std::string& tool, std::vector<std::string> args,
                      bool is_lvcreate = false) const;
  // Runs an lvm2 command; a failure's kind comes from lvm2's message (not found, no space, ...).
  result<command_output> run_lvm(const command& cmd);
  result<lvm_vg_row> volume_group_info();
  result<std::vector<lvm_lv_row>> logical_volumes();
  result<std::optional<lvm_lv_row>> find_lv(const std::string& lv_name);
  status check_snapshot_support() const;
  volume_info describe(const volume_id& volume, const lvm_lv_row& lv,
                       std::uint32_t peer_slots) const;
  std::string device_path(const std::string& lv_name) const;
  // Zeroes the metadata area at the end of a new or grown LV (settings.lvm_zero_metadata_area).
  status zero_tail(const volume_info& info, std::uint32_t peer_slots) const;
  std::string snapshot_lv_name(const volume_id& volume, const std::string& snapshot_name) const;

  provider_kind kind_;
  std::string pool_name_;
  std::string volume_group_;
  std::string thin_pool_;
  std::string source_;
  provider_settings settings_;
  command_runner& runner_;
};

}  // namespace tandem::storage
