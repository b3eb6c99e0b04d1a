// The DRBD v09 superblock ("meta_data_on_disk_9"): one 4096-byte big-endian block at the end of
// the backing device (internal metadata). The struct mirrors the on-disk fields one to one, in
// order; sb_offset names where each starts. Bytes 1392..4095 are zero padding: written as zero,
// ignored on read. See docs/format-metadata.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/base/ids.h"
#include "core/meta/result.h"
#include "core/meta/size.h"

namespace tandem::meta {

inline constexpr std::size_t kSuperblockBytes = 4096;
inline constexpr std::size_t kSuperblockPeerSlots = 32;  // peers[] has room for node ids 0..31
inline constexpr std::size_t kHistoryUuids = 32;

inline constexpr std::uint32_t kMagic07 = 0x8374026a;
inline constexpr std::uint32_t kMagic08 = 0x8374026b;
inline constexpr std::uint32_t kMagic08Unclean = 0x8374026c;
inline constexpr std::uint32_t kMagic09 = 0x8374026d;

// Device flags (superblock.flags), DRBD's MDF_*.
namespace mdf {
inline constexpr std::uint32_t kConsistent = 1u << 0;
inline constexpr std::uint32_t kPrimaryInd = 1u << 1;
inline constexpr std::uint32_t kWasUpToDate = 1u << 4;
inline constexpr std::uint32_t kCrashedPrimary = 1u << 6;
inline constexpr std::uint32_t kAlClean = 1u << 7;
inline constexpr std::uint32_t kAlDisabled = 1u << 8;
inline constexpr std::uint32_t kPrimaryLostQuorum = 1u << 9;
inline constexpr std::uint32_t kHaveQuorum = 1u << 10;
}  // namespace mdf

// Peer flags (peer_md.flags), DRBD's MDF_PEER_* and MDF_NODE_EXISTS. (DRBD's HAVE_BITMAP bit 31
// exists only in memory and is never written.)
namespace mdf_peer {
inline constexpr std::uint32_t kConnected = 1u << 0;
inline constexpr std::uint32_t kOutdated = 1u << 1;
inline constexpr std::uint32_t kFencing = 1u << 2;
inline constexpr std::uint32_t kFullSync = 1u << 3;
inline constexpr std::uint32_t kDeviceSeen = 1u << 4;
inline constexpr std::uint32_t kNodeExists = 1u << 16;
}  // namespace mdf_peer

namespace sb_offset {
inline constexpr std::size_t kEffectiveSize = 0;
inline constexpr std::size_t kCurrentUuid = 8;
inline constexpr std::size_t kMembers = 16;
inline constexpr std::size_t kReservedU64 = 24;  // 3 x u64
inline constexpr std::size_t kDeviceUuid = 48;
inline constexpr std::size_t kFlags = 56;
inline constexpr std::size_t kMagic = 60;
inline constexpr std::size_t kMdSizeSect = 64;
inline constexpr std::size_t kAlOffset = 68;
inline constexpr std::size_t kAlNrExtents = 72;
inline constexpr std::size_t kBmOffset = 76;
inline constexpr std::size_t kBmBytesPerBit = 80;
inline constexpr std::size_t kLaPeerMaxBioSize = 84;
inline constexpr std::size_t kBmMaxPeers = 88;
inline constexpr std::size_t kNodeId = 92;
inline constexpr std::size_t kAlStripes = 96;
inline constexpr std::size_t kAlStripeSize4k = 100;
inline constexpr std::size_t kReservedU32 = 104;  // 2 x u32
inline constexpr std::size_t kPeers = 112;        // 32 x 32 bytes
inline constexpr std::size_t kPeerBytes = 32;
inline constexpr std::size_t kHistoryUuids = 1136;  // 32 x u64
inline constexpr std::size_t kEnd = 1392;           // zero padding from here to 4096
// Inside one peers[] entry.
inline constexpr std::size_t kPeerBitmapUuid = 0;
inline constexpr std::size_t kPeerBitmapDagtag = 8;
inline constexpr std::size_t kPeerFlags = 16;
inline constexpr std::size_t kPeerBitmapIndex = 20;
inline constexpr std::size_t kPeerReserved = 24;  // 2 x u32
}  // namespace sb_offset
static_assert(sb_offset::kPeers + kSuperblockPeerSlots * sb_offset::kPeerBytes ==
              sb_offset::kHistoryUuids);
static_assert(sb_offset::kHistoryUuids + kHistoryUuids * 8 == sb_offset::kEnd);

struct peer_md {
  std::uint64_t bitmap_uuid = 0;
  std::uint64_t bitmap_dagtag = 0;
  std::uint32_t flags = 0;         // mdf_peer::*
  std::int32_t bitmap_index = -1;  // bitmap slot of this node id, -1 = none
  std::array<std::uint32_t, 2> reserved{};
  friend bool operator==(const peer_md&, const peer_md&) = default;
};

struct superblock {
  std::uint64_t effective_size = 0;  // sectors ("last agreed size")
  std::uint64_t current_uuid = kUuidJustCreated;
  std::uint64_t members = 0;  // node mask; no flag says it is valid, so written as 0
  std::array<std::uint64_t, 3> reserved_u64{};
  std::uint64_t device_uuid = 0;
  std::uint32_t flags = 0;  // mdf::*
  std::uint32_t magic = kMagic09;
  std::uint32_t md_size_sect = 0;
  std::int32_t al_offset = 0;  // sectors relative to the superblock
  std::uint32_t al_nr_extents = 0;
  std::int32_t bm_offset = 0;  // sectors relative to the superblock
  std::uint32_t bm_bytes_per_bit = kDefaultBmBytesPerBit;
  std::uint32_t la_peer_max_bio_size = 0;
  std::uint32_t bm_max_peers = 0;
  std::int32_t node_id = -1;  // -1 = not yet assigned
  std::uint32_t al_stripes = kDefaultAlStripes;
  std::uint32_t al_stripe_size_4k = kDefaultAlStripeSize4k;
  std::array<std::uint32_t, 2> reserved_u32{};
  std::array<peer_md, kSuperblockPeerSlots> peers{};  // indexed by node id
  std::array<std::uint64_t, kHistoryUuids> history_uuids{};
  friend bool operator==(const superblock&, const superblock&) = default;
};

using superblock_block = std::array<std::byte, kSuperblockBytes>;

// Writes every field as given (no validation), padding zero.
superblock_block encode_superblock(const superblock& sb);

// Parses and validates like drbdmeta's check of internal v09 metadata on a device of device_bytes:
// size 4096; magic v09; bm_bytes_per_bit 4096; bm_max_peers 1..31; node_id -1..31; every
// peers[i].bitmap_index -1..31; al_stripes / al_stripe_size_4k usable; md_size_sect, al_offset
// and bm_offset equal to compute_internal_layout(device_bytes, ...); effective_size not beyond
// the usable sectors. The error names the first failing field.
result<superblock> decode_superblock(std::span<const std::byte> bytes, std::uint64_t device_bytes);

inline constexpr std::uint32_t kDefaultAlExtents = 1237;

// What create-md writes for internal metadata: effective_size 0, current UUID "just created" (4),
// no history, flags AL_CLEAN, node_id as given (-1 = assign later), every peer slot unused
// (bitmap_index -1), AL of 1 stripe x 32 KiB, bm_bytes_per_bit 4096, offsets and md size from
// compute_internal_layout. al_nr_extents is the al-extents default 1237 unless given.
result<superblock> make_created_superblock(std::uint64_t device_bytes, std::uint32_t max_peers,
                                           std::int32_t node_id,
                                           std::uint32_t al_nr_extents = kDefaultAlExtents);

}  // namespace tandem::meta
