// A new backing volume on reused extents (thick LVM hands out whatever an earlier LV left behind,
// and lvcreate zeroes only its first 4 KiB) could present an old DRBD superblock at its end, and
// tandemd would then trust stale generation UUIDs and bitmaps. LINSTOR wipes for the same reason.
// This zeroes the internal metadata area of a freshly created volume before anyone attaches it.
#pragma once

#include <cstdint>
#include <string>

#include "engine/storage/storage_result.h"

namespace tandem::storage {

// Zeroes the last md_size_kib(gross_kib, peer_slots) KiB of the device or file at path (bitmap,
// activity log and the superblock in the last 4 KiB block) and flushes. peer_slots 0 (no internal
// metadata) still zeroes the last 4 KiB block, where any superblock would be.
status zero_metadata_area(const std::string& path, std::uint64_t gross_kib,
                          std::uint32_t peer_slots);

}  // namespace tandem::storage
