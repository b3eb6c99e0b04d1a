// Size arithmetic for internal DRBD metadata, in two flavours that agree with each other:
//  a) LINSTOR's net/gross arithmetic in KiB, which decides how large a backing volume must be
//     for a requested usable size (and what is usable on a given volume);
//  b) drbdmeta's exact internal layout of one backing device: where the superblock, the activity
//     log and the bitmap live, and how many bytes of data remain.
// See docs/format-metadata.md. Pure functions; invalid inputs give an error naming the argument.
#pragma once

#include <cstdint>

#include "core/meta/result.h"

namespace tandem::meta {

inline constexpr std::uint32_t kMinPeers = 1;
inline constexpr std::uint32_t kMaxPeers = 31;  // bitmap slots in one superblock
inline constexpr std::uint64_t kMetaBlockBytes = 4096;
inline constexpr std::uint64_t kMetaSectorBytes = 512;
inline constexpr std::uint32_t kDefaultAlStripes = 1;
inline constexpr std::uint32_t kDefaultAlStripeSize4k = 8;  // 32 KiB
inline constexpr std::uint32_t kDefaultBmBytesPerBit = 4096;
inline constexpr std::uint32_t kDefaultPeerSlots = 7;  // LINSTOR's default

// ------------------------------------------------------------------ a) LINSTOR, all sizes in KiB

// Internal metadata of a volume of gross_kib: the bitmap (per peer slot ceil(gross / (block*8))
// bytes, aligned up to 8; times peer_slots; rounded up to whole KiB and then to 4 KiB) + 32 KiB
// activity log + 4 KiB superblock. bitmap_block_bytes: power of two, 4096..1 MiB.
result<std::uint64_t> md_size_kib(std::uint64_t gross_kib, std::uint32_t peer_slots,
                                  std::uint32_t bitmap_block_bytes = kDefaultBmBytesPerBit);

// Smallest gross size whose usable part holds net_kib: the fixed point of
// gross = align4(net) + md_size_kib(gross).
result<std::uint64_t> gross_for_net_kib(std::uint64_t net_kib, std::uint32_t peer_slots,
                                        std::uint32_t bitmap_block_bytes = kDefaultBmBytesPerBit);

// Usable size of a gross volume: floor_align4(gross) - md_size_kib(gross).
result<std::uint64_t> net_for_gross_kib(std::uint64_t gross_kib, std::uint32_t peer_slots,
                                        std::uint32_t bitmap_block_bytes = kDefaultBmBytesPerBit);

// size rounded up to a multiple of granularity (e.g. the 4096 KiB LVM extent).
result<std::uint64_t> round_up_kib(std::uint64_t size_kib, std::uint64_t granularity_kib);

// ------------------------------------------------------- b) drbdmeta internal layout, in bytes

// Offsets are what the superblock stores: signed sectors relative to the superblock.
struct internal_layout {
  std::uint64_t md_offset_bytes = 0;   // superblock position: last 4 KiB-aligned 4 KiB block
  std::int32_t al_offset_sectors = 0;  // -(al size)
  std::int32_t bm_offset_sectors = 0;  // -(md_size_sectors - 8)
  std::uint32_t md_size_sectors = 0;   // bitmap + AL + superblock
  std::uint64_t bitmap_bits = 0;       // per slot, covers the whole device, multiple of 64
  std::uint64_t bitmap_bytes = 0;      // all slots, multiple of 4096
  std::uint64_t usable_bytes = 0;      // data before the bitmap (= first metadata byte)

  std::uint64_t al_area_offset_bytes() const;  // absolute byte offset on the device
  std::uint64_t bm_area_offset_bytes() const;
  std::uint64_t al_area_bytes() const;
  friend bool operator==(const internal_layout&, const internal_layout&) = default;
};

// device_bytes: size of the backing device, a multiple of 512. Fails if the device is too small to
// keep at least one 4 KiB block of data, or an argument is out of range (max_peers 1..31, AL
// stripes and stripe size >= 1, bm_bytes_per_bit a power of two in 4096..1 MiB).
result<internal_layout> compute_internal_layout(
    std::uint64_t device_bytes, std::uint32_t max_peers,
    std::uint32_t al_stripes = kDefaultAlStripes,
    std::uint32_t al_stripe_size_4k = kDefaultAlStripeSize4k,
    std::uint32_t bm_bytes_per_bit = kDefaultBmBytesPerBit);

}  // namespace tandem::meta
