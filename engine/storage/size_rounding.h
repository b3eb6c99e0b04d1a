// From the usable size the user asked for to the gross size a provider allocates, and back:
// core/meta/size.h's LINSTOR arithmetic plus the provider's allocation unit.
#pragma once

#include <cstdint>

#include "engine/storage/storage_result.h"

namespace tandem::storage {

// usable_kib + DRBD internal metadata for peer_slots (none when 0), rounded up to granularity_kib.
// 1 GiB, 7 slots, 4096 KiB extents -> 1052672 KiB.
result<std::uint64_t> gross_size_kib(std::uint64_t usable_kib, std::uint32_t peer_slots,
                                     std::uint64_t granularity_kib);

// What DRBD can use of a gross volume with peer_slots of internal metadata (0: all of it). A
// volume too small to hold the metadata yields 0.
std::uint64_t usable_size_kib(std::uint64_t gross_kib, std::uint32_t peer_slots);

}  // namespace tandem::storage
