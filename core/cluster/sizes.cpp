#include "core/cluster/sizes.h"

#include <string>

#include "core/meta/size.h"

namespace tandem::cluster {

std::uint64_t default_granularity_kib(pool_kind kind) {
  switch (kind) {
    case pool_kind::lvm:
    case pool_kind::lvm_thin: return 4096;
    case pool_kind::zfs:
    case pool_kind::zfs_thin: return 8;
    case pool_kind::file:
    case pool_kind::file_thin: return 4;
    case pool_kind::diskless: return 0;
  }
  return 0;
}

std::uint64_t granularity_kib(const storage_pool& pool) {
  auto it = pool.properties.find("StorDriver/internal/AllocationGranularity");
  if (it != pool.properties.end()) {
    try {
      const std::uint64_t value = std::stoull(it->second);
      if (value > 0) return value;
    } catch (...) {
      // An unparsable value falls back to the kind's default: the satellite overwrites it.
    }
  }
  return default_granularity_kib(pool.kind);
}

result<volume_size_plan> plan_volume_size(std::uint64_t size_kib, const storage_pool& pool,
                                          std::uint32_t peer_slots, bool size_is_gross) {
  if (size_kib < kMinVolumeSizeKib || size_kib > kMaxVolumeSizeKib) {
    return meta::error{"volume size " + std::to_string(size_kib) + " KiB outside " +
                       std::to_string(kMinVolumeSizeKib) + ".." +
                       std::to_string(kMaxVolumeSizeKib) + " KiB"};
  }
  if (!has_backing_device(pool.kind)) {
    return volume_size_plan{0, 0, size_kib};
  }
  std::uint64_t gross = size_kib;
  if (!size_is_gross) {
    auto g = meta::gross_for_net_kib(size_kib, peer_slots);
    if (!g.ok()) return meta::error{g.message()};
    gross = g.value();
  }
  auto allocated = meta::round_up_kib(gross, granularity_kib(pool));
  if (!allocated.ok()) return meta::error{allocated.message()};
  auto usable = meta::net_for_gross_kib(allocated.value(), peer_slots);
  if (!usable.ok()) {
    return meta::error{"volume of " + std::to_string(allocated.value()) +
                       " KiB is too small for its metadata: " + usable.message()};
  }
  return volume_size_plan{gross, allocated.value(), usable.value()};
}

}  // namespace tandem::cluster
