// DISKLESS: the pool of a node that takes part in a resource without a local disk (a DRBD client
// or tie-breaker). It has no capacity and creates "volumes" that are nothing but a record with no
// device: tandemd runs such a replica diskless and reads and writes through its peers.
#pragma once

#include <string>

#include "engine/storage/storage_provider.h"

namespace tandem::storage {

class diskless_provider final : public storage_provider {
 public:
  explicit diskless_provider(std::string pool_name) : pool_name_(std::move(pool_name)) {}

  provider_kind kind() const override { return provider_kind::diskless; }
  const std::string& pool_name() const override { return pool_name_; }
  const std::string& source() const override { return source_; }

  // LINSTOR reports DISKLESS pools with 0 total and 0 free capacity.
  result<capacity_info> capacity() override { return capacity_info{}; }
  result<std::uint64_t> allocation_granularity_kib() override { return std::uint64_t{1}; }
  // Validates the request and returns a volume with no device and 0 KiB gross; nothing is stored.
  result<volume_info> create_volume(const create_request& request) override;
  result<volume_info> resize_volume(const volume_id& volume, std::uint64_t new_usable_kib,
                                    std::uint32_t peer_slots) override;
  status delete_volume(const volume_id& volume) override;
  // Always empty: a diskless pool holds nothing that could be listed.
  result<std::vector<volume_info>> list_volumes(std::uint32_t peer_slots) override;

  bool supports_snapshots() const override { return false; }
  result<snapshot_info> create_snapshot(const volume_id& volume,
                                        const std::string& snapshot_name) override;
  status delete_snapshot(const volume_id& volume, const std::string& snapshot_name) override;
  result<std::vector<snapshot_info>> list_snapshots() override;
  result<restored_volume> restore_snapshot(const volume_id& source,
                                           const std::string& snapshot_name,
                                           const volume_id& target,
                                           std::uint32_t peer_slots) override;

 private:
  storage_error unsupported(const std::string& what) const;

  std::string pool_name_;
  std::string source_;
};

}  // namespace tandem::storage
