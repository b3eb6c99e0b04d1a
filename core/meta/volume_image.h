// One volume's replication state (core::volume_persistent_state) as the DRBD v09 internal metadata
// stores it: superblock fields, bitmap slots and activity-log transactions. Pure conversions in both
// directions; the driver (tandemd) reads and writes the bytes, at the offsets of internal_layout.
//
// Mapping:
//   disk state        UpToDate = CONSISTENT | WAS_UP_TO_DATE, Outdated = CONSISTENT,
//                     Inconsistent = neither (DRBD's MDF flags)
//   primary_indicator PRIMARY_IND;  uuids.crashed_primary -> CRASHED_PRIMARY
//   current / history current_uuid, history_uuids[] (newest first, zero = empty)
//   bitmap uuids      peers[node].bitmap_uuid, with NODE_EXISTS for every configured peer
//   bitmaps           slot peers[node].bitmap_index of the bitmap area (slots given by the caller)
//   active extents    the slot table of the activity log
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/meta/activity_log.h"
#include "core/meta/bitmap_area.h"
#include "core/meta/result.h"
#include "core/meta/size.h"
#include "core/meta/superblock.h"
#include "core/replica/replica.h"

namespace tandem::meta {

// Which bitmap slot holds the bitmap toward each diskful peer (node id -> slot).
using bitmap_slots = std::map<node_id, std::uint32_t>;

// Slots in order of node id: the first diskful peer gets slot 0. Fails when there are more diskful
// peers than bm_max_peers.
result<bitmap_slots> assign_bitmap_slots(const std::vector<node_id>& diskful_peers,
                                         std::uint32_t bm_max_peers);

// Slots as the metadata `sb` records them (peers[node].bitmap_index), for the diskful peers that
// are still configured; a peer without a slot gets the lowest free one (and so, on fresh metadata,
// the result equals assign_bitmap_slots). A slot never moves to another node while its node stays
// a peer, so peers added or removed while the resource runs (adjust) find their bitmaps where they
// were after a restart. Fails when the slots are exhausted.
result<bitmap_slots> keep_bitmap_slots(const superblock& sb,
                                       const std::vector<node_id>& diskful_peers,
                                       std::uint32_t bm_max_peers);

// `slots` plus a slot for `peer` (the lowest free one), or unchanged if it has one already.
result<bitmap_slots> add_bitmap_slot(bitmap_slots slots, node_id peer, std::uint32_t bm_max_peers);

// The superblock `base` (from create-md or the device) updated with state's flags and UUIDs.
superblock superblock_for(superblock base, const volume_persistent_state& state,
                          const bitmap_slots& slots);

// The bitmap area for state's bitmaps: slot bitmaps of layout.bitmap_bits bits each.
result<std::vector<std::byte>> bitmap_area_for(const volume_persistent_state& state,
                                               const bitmap_slots& slots,
                                               const internal_layout& layout,
                                               std::uint32_t bm_max_peers);

// Transactions numbered first_tr_number.. that together carry the whole slot table (the hot
// extents in slots 0.., every other slot free), so rebuild_activity_log() of the ring after they
// are written yields exactly `extents` whatever the ring held before.
std::vector<al_transaction> al_snapshot_transactions(const std::vector<std::uint64_t>& extents,
                                                     std::uint32_t al_nr_extents,
                                                     std::uint32_t first_tr_number);

// The state a restart rebuilds from: the decoded superblock, the decoded bitmap area (one
// block_bitmap per slot of layout.bitmap_bits bits), the rebuilt activity log and the number of
// data blocks of the volume (the core's bitmaps cover data only).
volume_persistent_state state_from_metadata(volume_nr number, const superblock& sb,
                                            const std::vector<block_bitmap>& slot_bitmaps,
                                            const al_snapshot& al, std::uint64_t data_blocks);

}  // namespace tandem::meta
