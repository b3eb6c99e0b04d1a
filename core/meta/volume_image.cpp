#include "core/meta/volume_image.h"

#include <algorithm>
#include <string>

namespace tandem::meta {

result<bitmap_slots> assign_bitmap_slots(const std::vector<node_id>& diskful_peers,
                                         std::uint32_t bm_max_peers) {
  std::vector<node_id> sorted = diskful_peers;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  if (sorted.size() > bm_max_peers) {
    return error{"metadata: " + std::to_string(sorted.size()) + " diskful peers but only " +
                 std::to_string(bm_max_peers) + " bitmap slots (max-peers)"};
  }
  bitmap_slots slots;
  for (std::uint32_t i = 0; i < sorted.size(); ++i) slots[sorted[i]] = i;
  return slots;
}

result<bitmap_slots> add_bitmap_slot(bitmap_slots slots, node_id peer,
                                     std::uint32_t bm_max_peers) {
  if (slots.count(peer)) return slots;
  std::vector<bool> used(bm_max_peers, false);
  for (const auto& [node, slot] : slots) {
    if (slot < bm_max_peers) used[slot] = true;
  }
  for (std::uint32_t slot = 0; slot < bm_max_peers; ++slot) {
    if (used[slot]) continue;
    slots[peer] = slot;
    return slots;
  }
  return error{"metadata: no free bitmap slot for node " + std::to_string(peer) + ": all " +
               std::to_string(bm_max_peers) + " are in use (max-peers)"};
}

result<bitmap_slots> keep_bitmap_slots(const superblock& sb,
                                       const std::vector<node_id>& diskful_peers,
                                       std::uint32_t bm_max_peers) {
  std::vector<node_id> sorted = diskful_peers;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  if (sorted.size() > bm_max_peers) {
    return error{"metadata: " + std::to_string(sorted.size()) + " diskful peers but only " +
                 std::to_string(bm_max_peers) + " bitmap slots (max-peers)"};
  }
  bitmap_slots slots;
  std::vector<bool> used(bm_max_peers, false);
  for (node_id node : sorted) {
    if (node >= kSuperblockPeerSlots) continue;
    const std::int32_t index = sb.peers[node].bitmap_index;
    if (index < 0 || static_cast<std::uint32_t>(index) >= bm_max_peers || used[index]) continue;
    used[index] = true;
    slots[node] = static_cast<std::uint32_t>(index);
  }
  for (node_id node : sorted) {
    if (slots.count(node)) continue;
    auto added = add_bitmap_slot(std::move(slots), node, bm_max_peers);
    if (!added.ok()) return added;
    slots = std::move(added).value();
  }
  return slots;
}

superblock superblock_for(superblock base, const volume_persistent_state& state,
                          const bitmap_slots& slots) {
  std::uint32_t flags = base.flags & ~(mdf::kConsistent | mdf::kWasUpToDate | mdf::kPrimaryInd |
                                       mdf::kCrashedPrimary);
  if (state.disk == disk_state::uptodate) flags |= mdf::kConsistent | mdf::kWasUpToDate;
  if (state.disk == disk_state::outdated || state.disk == disk_state::consistent)
    flags |= mdf::kConsistent;
  if (state.primary_indicator) flags |= mdf::kPrimaryInd;
  if (state.uuids.crashed_primary) flags |= mdf::kCrashedPrimary;
  base.flags = flags;
  base.current_uuid = state.uuids.current;
  base.history_uuids.fill(0);
  for (std::size_t i = 0; i < state.uuids.history.size() && i < kHistoryUuids; ++i) {
    base.history_uuids[i] = state.uuids.history[i];
  }
  for (std::size_t node = 0; node < kSuperblockPeerSlots; ++node) {
    peer_md& peer = base.peers[node];
    auto slot = slots.find(static_cast<node_id>(node));
    if (slot == slots.end()) {
      peer = peer_md{};
      continue;
    }
    peer.bitmap_index = static_cast<std::int32_t>(slot->second);
    peer.flags |= mdf_peer::kNodeExists;
    const bool has_uuid = mask_has(state.uuids.bitmap_uuid_nodes, static_cast<node_id>(node));
    peer.bitmap_uuid = has_uuid ? state.uuids.bitmap_uuids[node] : 0;
  }
  return base;
}

result<std::vector<std::byte>> bitmap_area_for(const volume_persistent_state& state,
                                               const bitmap_slots& slots,
                                               const internal_layout& layout,
                                               std::uint32_t bm_max_peers) {
  std::vector<block_bitmap> slot_bitmaps(bm_max_peers, block_bitmap(layout.bitmap_bits));
  for (const auto& [node, bitmap] : state.bitmaps) {
    auto slot = slots.find(node);
    if (slot == slots.end()) continue;
    if (bitmap.size_blocks() > layout.bitmap_bits) {
      return error{"metadata: bitmap toward node " + std::to_string(node) + " has " +
                   std::to_string(bitmap.size_blocks()) + " blocks, the area only " +
                   std::to_string(layout.bitmap_bits)};
    }
    slot_bitmaps[slot->second].merge_words(0, bitmap.words());
  }
  return encode_bitmap_area(slot_bitmaps, bm_max_peers);
}

std::vector<al_transaction> al_snapshot_transactions(const std::vector<std::uint64_t>& extents,
                                                     std::uint32_t al_nr_extents,
                                                     std::uint32_t first_tr_number) {
  std::vector<std::uint32_t> table(al_nr_extents, kAlFreeExtent);
  for (std::size_t i = 0; i < extents.size() && i < al_nr_extents; ++i) {
    table[i] = static_cast<std::uint32_t>(extents[i]);
  }
  std::vector<al_transaction> transactions;
  const std::uint32_t needed = al_transactions_needed(al_nr_extents);
  std::uint16_t start = 0;
  for (std::uint32_t t = 0; t < needed; ++t) {
    al_transaction tr;
    tr.tr_number = first_tr_number + t;
    tr.context_size = static_cast<std::uint16_t>(al_nr_extents);
    tr.context_start_slot_nr = start;
    const std::size_t entries = al_context_entries(tr.context_size, start);
    tr.context.assign(table.begin() + start, table.begin() + start + entries);
    transactions.push_back(std::move(tr));
    start = al_next_context_start(start, static_cast<std::uint16_t>(al_nr_extents));
  }
  return transactions;
}

volume_persistent_state state_from_metadata(volume_nr number, const superblock& sb,
                                            const std::vector<block_bitmap>& slot_bitmaps,
                                            const al_snapshot& al, std::uint64_t data_blocks) {
  volume_persistent_state state;
  state.number = number;
  if ((sb.flags & mdf::kConsistent) == 0) {
    state.disk = disk_state::inconsistent;
  } else {
    state.disk = (sb.flags & mdf::kWasUpToDate) ? disk_state::uptodate : disk_state::outdated;
  }
  state.primary_indicator = (sb.flags & mdf::kPrimaryInd) != 0;
  state.uuids.current = sb.current_uuid;
  state.uuids.crashed_primary = (sb.flags & mdf::kCrashedPrimary) != 0;
  for (auto uuid : sb.history_uuids) {
    if (uuid != 0) state.uuids.history.push_back(uuid);
  }
  for (std::size_t node = 0; node < kSuperblockPeerSlots; ++node) {
    const peer_md& peer = sb.peers[node];
    if (peer.bitmap_index < 0 ||
        static_cast<std::size_t>(peer.bitmap_index) >= slot_bitmaps.size()) {
      continue;
    }
    if (peer.bitmap_uuid != 0) {
      state.uuids.bitmap_uuid_nodes |= mask_of(static_cast<node_id>(node));
      state.uuids.bitmap_uuids[node] = peer.bitmap_uuid;
    }
    block_bitmap bitmap(data_blocks);
    bitmap.merge_words(0, slot_bitmaps[static_cast<std::size_t>(peer.bitmap_index)].words());
    state.bitmaps.emplace(static_cast<node_id>(node), std::move(bitmap));
  }
  for (const auto& [slot, extent] : al.hot) state.active_extents.push_back(extent);
  std::sort(state.active_extents.begin(), state.active_extents.end());
  return state;
}

}  // namespace tandem::meta
