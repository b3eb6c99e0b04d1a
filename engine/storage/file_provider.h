// FILE and FILE_THIN: each volume is a file "<resource>_<nnnnn>.img" in the pool's directory.
// FILE preallocates the whole gross size (fallocate), so a write can never fail for lack of space;
// FILE_THIN creates a sparse file that takes space as it is written. Snapshots are files
// "<resource>_<nnnnn>@<snapshot>.snap" beside the volume, made by reflink when the filesystem
// shares extents and by a sparse-aware copy otherwise. Files are written under a ".partial" name
// and renamed into place, so a crash never leaves a half-copied snapshot that looks complete.
#pragma once

#include <memory>
#include <string>

#include "engine/storage/loop_device.h"
#include "engine/storage/provider_factory.h"
#include "engine/storage/storage_provider.h"

namespace tandem::storage {

class file_provider final : public storage_provider {
 public:
  // kind is FILE or FILE_THIN; directory is absolute.
  file_provider(provider_kind kind, std::string pool_name, std::string directory,
                const provider_settings& settings, command_runner& runner);

  provider_kind kind() const override { return kind_; }
  const std::string& pool_name() const override { return pool_name_; }
  const std::string& source() const override { return directory_; }

  result<capacity_info> capacity() override;
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

  // Tests: force the sparse-copy path even where reflink works.
  void set_prefer_reflink(bool prefer) { prefer_reflink_ = prefer; }

  std::string volume_path(const volume_id& volume) const;
  std::string snapshot_path(const volume_id& volume, const std::string& snapshot_name) const;

 private:
  static constexpr std::string_view kVolumeSuffix = ".img";
  static constexpr std::string_view kSnapshotSuffix = ".snap";
  static constexpr std::string_view kPartialSuffix = ".partial";

  bool thin() const { return kind_ == provider_kind::file_thin; }
  std::string context() const;
  storage_error failure(error_kind kind, const std::string& message) const;
  storage_error failure(const storage_error& inner) const;
  status check_directory() const;
  result<volume_info> describe_file(const volume_id& volume, const std::string& path,
                                    std::uint32_t peer_slots, const std::string& device) const;
  status size_file(const std::string& path, std::uint64_t size_kib, bool grow_existing) const;
  result<std::string> device_for(const std::string& path);

  provider_kind kind_;
  std::string pool_name_;
  std::string directory_;
  provider_settings settings_;
  loop_devices loops_;
  bool prefer_reflink_ = true;
};

}  // namespace tandem::storage
