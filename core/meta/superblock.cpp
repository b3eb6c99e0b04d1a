#include "core/meta/superblock.h"

#include <cstdio>
#include <string>

#include "core/meta/activity_log.h"
#include "core/meta/byte_order.h"

namespace tandem::meta {
namespace {

using endian::get_be;
using endian::get_be_s32;
using endian::put_be;
using endian::put_be_s32;
using std::to_string;
namespace off = sb_offset;

std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

error fail(const std::string& what) {
  return error{"superblock: " + what};
}

std::size_t peer_at(std::size_t node) {
  return off::kPeers + node * off::kPeerBytes;
}

}  // namespace

superblock_block encode_superblock(const superblock& sb) {
  superblock_block block{};
  const std::span<std::byte> out(block);
  put_be(out, off::kEffectiveSize, sb.effective_size);
  put_be(out, off::kCurrentUuid, sb.current_uuid);
  put_be(out, off::kMembers, sb.members);
  for (std::size_t i = 0; i < sb.reserved_u64.size(); ++i) {
    put_be(out, off::kReservedU64 + 8 * i, sb.reserved_u64[i]);
  }
  put_be(out, off::kDeviceUuid, sb.device_uuid);
  put_be(out, off::kFlags, sb.flags);
  put_be(out, off::kMagic, sb.magic);
  put_be(out, off::kMdSizeSect, sb.md_size_sect);
  put_be_s32(out, off::kAlOffset, sb.al_offset);
  put_be(out, off::kAlNrExtents, sb.al_nr_extents);
  put_be_s32(out, off::kBmOffset, sb.bm_offset);
  put_be(out, off::kBmBytesPerBit, sb.bm_bytes_per_bit);
  put_be(out, off::kLaPeerMaxBioSize, sb.la_peer_max_bio_size);
  put_be(out, off::kBmMaxPeers, sb.bm_max_peers);
  put_be_s32(out, off::kNodeId, sb.node_id);
  put_be(out, off::kAlStripes, sb.al_stripes);
  put_be(out, off::kAlStripeSize4k, sb.al_stripe_size_4k);
  for (std::size_t i = 0; i < sb.reserved_u32.size(); ++i) {
    put_be(out, off::kReservedU32 + 4 * i, sb.reserved_u32[i]);
  }
  for (std::size_t node = 0; node < kSuperblockPeerSlots; ++node) {
    const peer_md& peer = sb.peers[node];
    const std::size_t at = peer_at(node);
    put_be(out, at + off::kPeerBitmapUuid, peer.bitmap_uuid);
    put_be(out, at + off::kPeerBitmapDagtag, peer.bitmap_dagtag);
    put_be(out, at + off::kPeerFlags, peer.flags);
    put_be_s32(out, at + off::kPeerBitmapIndex, peer.bitmap_index);
    put_be(out, at + off::kPeerReserved, peer.reserved[0]);
    put_be(out, at + off::kPeerReserved + 4, peer.reserved[1]);
  }
  for (std::size_t i = 0; i < kHistoryUuids; ++i) {
    put_be(out, off::kHistoryUuids + 8 * i, sb.history_uuids[i]);
  }
  return block;
}

namespace {

superblock parse(std::span<const std::byte> in) {
  superblock sb;
  sb.effective_size = get_be<std::uint64_t>(in, off::kEffectiveSize);
  sb.current_uuid = get_be<std::uint64_t>(in, off::kCurrentUuid);
  sb.members = get_be<std::uint64_t>(in, off::kMembers);
  for (std::size_t i = 0; i < sb.reserved_u64.size(); ++i) {
    sb.reserved_u64[i] = get_be<std::uint64_t>(in, off::kReservedU64 + 8 * i);
  }
  sb.device_uuid = get_be<std::uint64_t>(in, off::kDeviceUuid);
  sb.flags = get_be<std::uint32_t>(in, off::kFlags);
  sb.magic = get_be<std::uint32_t>(in, off::kMagic);
  sb.md_size_sect = get_be<std::uint32_t>(in, off::kMdSizeSect);
  sb.al_offset = get_be_s32(in, off::kAlOffset);
  sb.al_nr_extents = get_be<std::uint32_t>(in, off::kAlNrExtents);
  sb.bm_offset = get_be_s32(in, off::kBmOffset);
  sb.bm_bytes_per_bit = get_be<std::uint32_t>(in, off::kBmBytesPerBit);
  sb.la_peer_max_bio_size = get_be<std::uint32_t>(in, off::kLaPeerMaxBioSize);
  sb.bm_max_peers = get_be<std::uint32_t>(in, off::kBmMaxPeers);
  sb.node_id = get_be_s32(in, off::kNodeId);
  sb.al_stripes = get_be<std::uint32_t>(in, off::kAlStripes);
  sb.al_stripe_size_4k = get_be<std::uint32_t>(in, off::kAlStripeSize4k);
  for (std::size_t i = 0; i < sb.reserved_u32.size(); ++i) {
    sb.reserved_u32[i] = get_be<std::uint32_t>(in, off::kReservedU32 + 4 * i);
  }
  for (std::size_t node = 0; node < kSuperblockPeerSlots; ++node) {
    peer_md& peer = sb.peers[node];
    const std::size_t at = peer_at(node);
    peer.bitmap_uuid = get_be<std::uint64_t>(in, at + off::kPeerBitmapUuid);
    peer.bitmap_dagtag = get_be<std::uint64_t>(in, at + off::kPeerBitmapDagtag);
    peer.flags = get_be<std::uint32_t>(in, at + off::kPeerFlags);
    peer.bitmap_index = get_be_s32(in, at + off::kPeerBitmapIndex);
    peer.reserved[0] = get_be<std::uint32_t>(in, at + off::kPeerReserved);
    peer.reserved[1] = get_be<std::uint32_t>(in, at + off::kPeerReserved + 4);
  }
  for (std::size_t i = 0; i < kHistoryUuids; ++i) {
    sb.history_uuids[i] = get_be<std::uint64_t>(in, off::kHistoryUuids + 8 * i);
  }
  return sb;
}

}  // namespace

result<superblock> decode_superblock(std::span<const std::byte> bytes, std::uint64_t device_bytes) {
  if (bytes.size() != kSuperblockBytes) {
    return fail("block is " + to_string(bytes.size()) + " bytes, expected 4096");
  }
  superblock sb = parse(bytes);
  if (sb.magic != kMagic09) {
    std::string known;
    if (sb.magic == kMagic08 || sb.magic == kMagic08Unclean) known = " (v08 metadata)";
    if (sb.magic == kMagic07) known = " (v07 metadata)";
    return fail("magic " + hex32(sb.magic) + known + " is not v09 " + hex32(kMagic09));
  }
  if (sb.bm_bytes_per_bit != kDefaultBmBytesPerBit) {
    return fail("bm_bytes_per_bit " + to_string(sb.bm_bytes_per_bit) + " is not 4096");
  }
  if (sb.bm_max_peers < kMinPeers || sb.bm_max_peers > kMaxPeers) {
    return fail("bm_max_peers " + to_string(sb.bm_max_peers) + " outside 1..31");
  }
  if (sb.node_id < -1 || sb.node_id >= kMaxNodes) {
    return fail("node_id " + to_string(sb.node_id) + " outside -1..31");
  }
  for (std::size_t node = 0; node < kSuperblockPeerSlots; ++node) {
    const std::int32_t index = sb.peers[node].bitmap_index;
    if (index < -1 || index >= kMaxNodes) {
      return fail("peers[" + to_string(node) + "].bitmap_index " + to_string(index) +
                  " outside -1..31");
    }
  }
  if (sb.al_stripes == 0) return fail("al_stripes 0, need at least 1");
  if (sb.al_stripe_size_4k == 0) return fail("al_stripe_size_4k 0, need at least 1");
  auto layout = compute_internal_layout(device_bytes, sb.bm_max_peers, sb.al_stripes,
                                        sb.al_stripe_size_4k, sb.bm_bytes_per_bit);
  if (!layout) return fail(layout.message());
  const internal_layout& expect = layout.value();
  if (sb.md_size_sect != expect.md_size_sectors) {
    return fail("md_size_sect " + to_string(sb.md_size_sect) + " is not the expected " +
                to_string(expect.md_size_sectors) + " for this device");
  }
  if (sb.al_offset != expect.al_offset_sectors) {
    return fail("al_offset " + to_string(sb.al_offset) + " is not the expected " +
                to_string(expect.al_offset_sectors) + " for internal metadata");
  }
  if (sb.bm_offset != expect.bm_offset_sectors) {
    return fail("bm_offset " + to_string(sb.bm_offset) + " is not the expected " +
                to_string(expect.bm_offset_sectors) + " for internal metadata");
  }
  const std::uint64_t usable_sectors = expect.usable_bytes / kMetaSectorBytes;
  if (sb.effective_size > usable_sectors) {
    return fail("effective_size " + to_string(sb.effective_size) + " sectors beyond the usable " +
                to_string(usable_sectors) + " sectors");
  }
  return sb;
}

result<superblock> make_created_superblock(std::uint64_t device_bytes, std::uint32_t max_peers,
                                           std::int32_t node_id, std::uint32_t al_nr_extents) {
  if (node_id < -1 || node_id >= kMaxNodes) {
    return fail("node_id " + to_string(node_id) + " outside -1..31");
  }
  auto layout = compute_internal_layout(device_bytes, max_peers);
  if (!layout) return fail(layout.message());
  // The AL ring must hold the transactions needed to rebuild al_nr_extents slots.
  const std::uint32_t ring_blocks = kDefaultAlStripes * kDefaultAlStripeSize4k;
  const auto most = static_cast<std::uint32_t>(ring_blocks * kAlContextPerTransaction);
  if (al_nr_extents == 0 || al_nr_extents > most) {
    return fail("al_nr_extents " + to_string(al_nr_extents) + " outside 1.." + to_string(most) +
                " for a " + to_string(ring_blocks) + "-block activity log");
  }
  superblock sb;
  sb.current_uuid = kUuidJustCreated;
  sb.flags = mdf::kAlClean;
  sb.magic = kMagic09;
  sb.md_size_sect = layout.value().md_size_sectors;
  sb.al_offset = layout.value().al_offset_sectors;
  sb.al_nr_extents = al_nr_extents;
  sb.bm_offset = layout.value().bm_offset_sectors;
  sb.bm_bytes_per_bit = kDefaultBmBytesPerBit;
  sb.bm_max_peers = max_peers;
  sb.node_id = node_id;
  sb.al_stripes = kDefaultAlStripes;
  sb.al_stripe_size_4k = kDefaultAlStripeSize4k;
  return sb;
}

}  // namespace tandem::meta
