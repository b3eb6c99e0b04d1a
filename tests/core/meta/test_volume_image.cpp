#include <doctest/doctest.h>

#include "core/meta/volume_image.h"

using namespace tandem;
using namespace tandem::meta;

namespace {

// A 64 MiB device with 7 peer slots, and a state with something in every field.
struct fixture {
  std::uint64_t device_bytes = 64ull << 20;
  internal_layout layout = compute_internal_layout(device_bytes, 7).value();
  std::uint64_t data_blocks = layout.usable_bytes / kBlockBytes;
  bitmap_slots slots = assign_bitmap_slots({2, 0}, 7).value();

  volume_persistent_state state() const {
    volume_persistent_state s;
    s.number = 0;
    s.disk = disk_state::uptodate;
    s.primary_indicator = true;
    s.uuids.current = 0xabc100;
    s.uuids.history = {0x9900, 0x7700};
    s.uuids.bitmap_uuid_nodes = mask_of(2);
    s.uuids.bitmap_uuids[2] = 0x5500;
    block_bitmap toward0(data_blocks);
    block_bitmap toward2(data_blocks);
    toward2.set({17, 3});
    toward2.set({data_blocks - 1, 1});
    s.bitmaps.emplace(0, toward0);
    s.bitmaps.emplace(2, toward2);
    s.active_extents = {0, 3, 9};
    return s;
  }
};

// Writes transactions into a ring area at their ring positions, as the driver does.
void write_transactions(std::vector<std::byte>& area, const al_ring& ring,
                        const std::vector<al_transaction>& transactions) {
  for (const auto& tr : transactions) {
    auto block = encode_al_transaction(tr).value();
    std::copy(block.begin(), block.end(),
              area.begin() + static_cast<std::ptrdiff_t>(ring.position(tr.tr_number) *
                                                         kAlTransactionBytes));
  }
}

}  // namespace

TEST_CASE("volume image: slots go to diskful peers in node order and are bounded by max-peers") {
  auto slots = assign_bitmap_slots({5, 1, 3}, 7).value();
  CHECK(slots.at(1) == 0);
  CHECK(slots.at(3) == 1);
  CHECK(slots.at(5) == 2);
  auto refused = assign_bitmap_slots({1, 2, 3}, 2);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.message().find("max-peers") != std::string::npos);
}

TEST_CASE("volume image: slots recorded in the superblock stay with their node across adjusts") {
  // Running with diskful peers 0 and 2 (slots 0, 1); node 2 is removed and node 1 added live: node
  // 1 takes the free slot 1. After a restart the same slots must come back, not node-id order.
  superblock sb = make_created_superblock(64ull << 20, 7, 3).value();
  auto fresh = keep_bitmap_slots(sb, {2, 0}, 7).value();
  CHECK(fresh == assign_bitmap_slots({2, 0}, 7).value());  // fresh metadata: node order
  bitmap_slots live = fresh;
  live.erase(2);
  live = add_bitmap_slot(live, 1, 7).value();
  CHECK(live.at(1) == 1);
  CHECK(add_bitmap_slot(live, 1, 7).value() == live);  // already has one
  volume_persistent_state state;
  state.disk = disk_state::uptodate;
  sb = superblock_for(sb, state, {{0, 0}, {4, 3}, {1, 1}});
  // A node that left (4, not configured any more) frees its slot; a new one (6) takes the lowest.
  const auto kept = keep_bitmap_slots(sb, {0, 1, 6}, 7).value();
  CHECK(kept.at(0) == 0);
  CHECK(kept.at(1) == 1);
  CHECK(kept.at(6) == 2);
  auto full = add_bitmap_slot({{0, 0}, {1, 1}}, 5, 2);
  REQUIRE_FALSE(full.ok());
  CHECK(full.message().find("no free bitmap slot for node 5") != std::string::npos);
  CHECK_FALSE(keep_bitmap_slots(sb, {0, 1, 2}, 2).ok());
}

TEST_CASE("volume image: state -> superblock + bitmap area + AL -> state is the identity") {
  fixture f;
  const auto original = f.state();
  superblock base = make_created_superblock(f.device_bytes, 7, 1).value();
  const superblock sb = superblock_for(base, original, f.slots);
  const auto sb_bytes = encode_superblock(sb);
  const superblock decoded = decode_superblock(sb_bytes, f.device_bytes).value();
  CHECK(decoded.peers[2].bitmap_index == 1);
  CHECK(decoded.peers[0].bitmap_index == 0);
  CHECK(decoded.peers[1].bitmap_index == -1);

  const auto area = bitmap_area_for(original, f.slots, f.layout, 7).value();
  const auto slot_bitmaps = decode_bitmap_area(area, 7, f.layout.bitmap_bits).value();

  const al_ring ring = al_ring::make(1, 8).value();
  auto al_area = initialized_al_area(ring, 1237).value();
  write_transactions(al_area, ring, al_snapshot_transactions(original.active_extents, 1237, 40));
  const al_snapshot al = rebuild_activity_log(al_area, ring, 1237).value();

  const auto restored = state_from_metadata(0, decoded, slot_bitmaps, al, f.data_blocks);
  CHECK(restored.disk == disk_state::uptodate);
  CHECK(restored.primary_indicator);
  CHECK(restored.uuids.current == original.uuids.current);
  CHECK(restored.uuids.history == original.uuids.history);
  CHECK(restored.uuids.bitmap_uuid_nodes == mask_of(2));
  CHECK(restored.uuids.bitmap_uuids[2] == 0x5500);
  CHECK(restored.active_extents == original.active_extents);
  REQUIRE(restored.bitmaps.count(2) == 1);
  CHECK(restored.bitmaps.at(2).words() == original.bitmaps.at(2).words());
  CHECK(restored.bitmaps.at(2).count() == 4);
  CHECK(restored.bitmaps.at(0).count() == 0);
}

TEST_CASE("volume image: a later snapshot replaces the extents of an earlier one") {
  const al_ring ring = al_ring::make(1, 8).value();
  auto al_area = initialized_al_area(ring, 1237).value();
  write_transactions(al_area, ring, al_snapshot_transactions({1, 2, 3, 4}, 1237, 10));
  write_transactions(al_area, ring, al_snapshot_transactions({7}, 1237, 12));
  const al_snapshot al = rebuild_activity_log(al_area, ring, 1237).value();
  REQUIRE(al.hot.size() == 1);
  CHECK(al.hot.begin()->second == 7);
}

TEST_CASE("volume image: disk states map onto the consistent / was-up-to-date flags") {
  fixture f;
  superblock base = make_created_superblock(f.device_bytes, 7, 1).value();
  for (disk_state disk : {disk_state::uptodate, disk_state::outdated, disk_state::inconsistent}) {
    auto s = f.state();
    s.disk = disk;
    const superblock sb = superblock_for(base, s, f.slots);
    const auto restored = state_from_metadata(0, sb, {}, al_snapshot{}, f.data_blocks);
    CHECK(restored.disk == disk);
  }
}
