// Volume sizes per storage pool kind (research/linstor.md §5): the requested size is the usable
// (net) size; DRBD's internal metadata is added (core/meta/size.h) and the provider rounds the
// gross size up to its allocation unit (4 MiB LVM extents). What is usable on the rounded volume
// is then slightly more than requested: 1 GiB -> 1052672 KiB LV -> 1052408 KiB usable.
#pragma once

#include <cstdint>

#include "core/cluster/model.h"
#include "core/meta/result.h"

namespace tandem::cluster {

using meta::result;

// Default allocation unit of a kind: LVM and LVM_THIN 4096 KiB, ZFS 8 KiB, FILE 4 KiB (the
// DRBD bitmap block, so usable sizes stay 4 KiB aligned), DISKLESS 0 (nothing allocated).
std::uint64_t default_granularity_kib(pool_kind kind);

// The pool's StorDriver/internal/AllocationGranularity (what the satellite measured, e.g. the VG
// extent size) or the kind's default.
std::uint64_t granularity_kib(const storage_pool& pool);

struct volume_size_plan {
  std::uint64_t gross_kib = 0;      // net + DRBD metadata
  std::uint64_t allocated_kib = 0;  // backing volume size (gross rounded to the pool's unit)
  std::uint64_t usable_kib = 0;     // what the replicated device can expose on this volume
  friend bool operator==(const volume_size_plan&, const volume_size_plan&) = default;
};

// size_kib is the net size unless size_is_gross (VD flag GROSS_SIZE). Diskless pools allocate
// nothing and can use all of the net size. Fails (naming the value) for 0 or absurd sizes.
result<volume_size_plan> plan_volume_size(std::uint64_t size_kib, const storage_pool& pool,
                                          std::uint32_t peer_slots, bool size_is_gross = false);

// LINSTOR's largest volume: 2^54 KiB would overflow byte counts; we cap at 1 EiB.
inline constexpr std::uint64_t kMaxVolumeSizeKib = 1ULL << 50;
// DRBD needs at least one 4 KiB block of data; LINSTOR's minimum gross size is 68 KiB.
inline constexpr std::uint64_t kMinVolumeSizeKib = 4;

}  // namespace tandem::cluster
