// One test per rule of the UUID comparison, plus the symmetry both sides of a handshake rely on.
#include <doctest/doctest.h>

#include <string>

#include "core/replica/uuid_compare.h"

using namespace tandem;

namespace {

constexpr node_id kSelf = 0;
constexpr node_id kPeer = 1;
constexpr node_id kThird = 2;

uuid_set with_current(generation_uuid current) {
  uuid_set set;
  set.current = current;
  return set;
}

void set_bitmap_uuid(uuid_set& set, node_id node, generation_uuid uuid) {
  set.bitmap_uuids[node] = uuid;
  set.bitmap_uuid_nodes |= mask_of(node);
}

sync_decision decide(const uuid_set& self, const uuid_set& peer) {
  const sync_decision mine = compare_uuids(kSelf, self, kPeer, peer);
  const sync_decision theirs = compare_uuids(kPeer, peer, kSelf, self);
  // Both ends of a connection reach mirrored decisions from the same two snapshots.
  CHECK(theirs.strategy == mirrored(mine.strategy));
  return mine;
}

}  // namespace

TEST_CASE("rule just-created-both: two fresh disks need no sync") {
  auto d = decide(with_current(kUuidJustCreated), with_current(0));
  CHECK(d.strategy == sync_strategy::no_sync);
  CHECK(std::string(d.rule) == "just-created-both");
}

TEST_CASE("rules just-created-self / just-created-peer: full sync from the side with data") {
  auto d = decide(with_current(kUuidJustCreated), with_current(0x1000));
  CHECK(d.strategy == sync_strategy::target_set_bitmap);
  CHECK(std::string(d.rule) == "just-created-self");
  d = decide(with_current(0x1000), with_current(kUuidJustCreated));
  CHECK(d.strategy == sync_strategy::source_set_bitmap);
  CHECK(std::string(d.rule) == "just-created-peer");
}

TEST_CASE("rule equal: same generation, the Primary flag bit is ignored") {
  auto d = decide(with_current(0x1000), with_current(0x1001));
  CHECK(d.strategy == sync_strategy::no_sync);
  CHECK(std::string(d.rule) == "equal");
}

TEST_CASE(
    "rules bitmap-peer / bitmap-self: bitmap-based resync toward the one that kept a bitmap") {
  uuid_set behind = with_current(0x1000);
  uuid_set ahead = with_current(0x2000);
  set_bitmap_uuid(ahead, kSelf, 0x1000);  // ahead kept a bitmap toward node 0 since 0x1000
  auto d = decide(behind, ahead);
  CHECK(d.strategy == sync_strategy::target_use_bitmap);
  CHECK(std::string(d.rule) == "bitmap-peer");
  uuid_set ahead_self = with_current(0x2000);
  set_bitmap_uuid(ahead_self, kPeer, 0x1001);
  d = decide(ahead_self, with_current(0x1000));
  CHECK(d.strategy == sync_strategy::source_use_bitmap);
  CHECK(std::string(d.rule) == "bitmap-self");
}

TEST_CASE("rules bitmap-peer-other / bitmap-self-other: a bitmap kept for a third node") {
  uuid_set peer = with_current(0x3000);
  set_bitmap_uuid(peer, kThird, 0x1000);
  auto d = decide(with_current(0x1000), peer);
  CHECK(d.strategy == sync_strategy::target_clear_bitmap);
  CHECK(std::string(d.rule) == "bitmap-peer-other");
  CHECK(d.via_node == kThird);
  uuid_set self = with_current(0x3000);
  set_bitmap_uuid(self, kThird, 0x1000);
  d = decide(self, with_current(0x1000));
  CHECK(d.strategy == sync_strategy::source_copy_bitmap);
  CHECK(std::string(d.rule) == "bitmap-self-other");
  CHECK(d.via_node == kThird);
}

TEST_CASE("rules history-peer / history-self: an ancestor without a bitmap needs a full sync") {
  uuid_set newer = with_current(0x4000);
  newer.history = {0x3000, 0x1000};
  auto d = decide(with_current(0x1000), newer);
  CHECK(d.strategy == sync_strategy::target_set_bitmap);
  CHECK(std::string(d.rule) == "history-peer");
  d = decide(newer, with_current(0x3000));
  CHECK(d.strategy == sync_strategy::source_set_bitmap);
  CHECK(std::string(d.rule) == "history-self");
}

TEST_CASE("rule bitmap-both: both sides wrote since a common generation") {
  uuid_set a = with_current(0x5000);
  uuid_set b = with_current(0x6000);
  set_bitmap_uuid(a, kPeer, 0x1000);
  set_bitmap_uuid(b, kSelf, 0x1000);
  auto d = decide(a, b);
  CHECK(d.strategy == sync_strategy::split_brain_auto_recover);
  CHECK(std::string(d.rule) == "bitmap-both");
  CHECK(is_split_brain(d.strategy));
}

TEST_CASE("rule history-both: diverged from an older common ancestor") {
  uuid_set a = with_current(0x5000);
  uuid_set b = with_current(0x6000);
  a.history = {0x2000, 0x1000};
  b.history = {0x3000, 0x1000};
  auto d = decide(a, b);
  CHECK(d.strategy == sync_strategy::split_brain_disconnect);
  CHECK(std::string(d.rule) == "history-both");
}

TEST_CASE("rule unrelated: nothing in common") {
  uuid_set a = with_current(0x5000);
  uuid_set b = with_current(0x6000);
  a.history = {0x2000};
  b.history = {0x3000};
  auto d = decide(a, b);
  CHECK(d.strategy == sync_strategy::unrelated_data);
  CHECK(std::string(d.rule) == "unrelated");
}

TEST_CASE("rules are evaluated in DRBD's order: bitmap before history") {
  uuid_set behind = with_current(0x1000);
  uuid_set ahead = with_current(0x2000);
  set_bitmap_uuid(ahead, kSelf, 0x1000);
  ahead.history = {0x1000};  // also an ancestor, but the bitmap is the cheaper, correct answer
  CHECK(decide(behind, ahead).strategy == sync_strategy::target_use_bitmap);
}

TEST_CASE("strategy helpers") {
  CHECK(is_source(sync_strategy::source_copy_bitmap));
  CHECK(is_target(sync_strategy::target_clear_bitmap));
  CHECK(is_full_sync(sync_strategy::target_set_bitmap));
  CHECK_FALSE(is_full_sync(sync_strategy::target_use_bitmap));
  CHECK(std::string(to_string(sync_strategy::no_sync)) == "no-sync");
}

TEST_CASE("rule crashed-primary: same generation, the side that crashed as Primary is the source") {
  uuid_set crashed = with_current(0x7000);
  crashed.crashed_primary = true;
  auto d = decide(crashed, with_current(0x7000));
  CHECK(d.strategy == sync_strategy::source_use_bitmap);
  CHECK(std::string(d.rule) == "crashed-primary");
  d = decide(with_current(0x7000), crashed);
  CHECK(d.strategy == sync_strategy::target_use_bitmap);
  // Both crashed (a common power failure): the connection's tie-breaker, the lower node id.
  d = decide(crashed, crashed);
  CHECK(d.strategy == sync_strategy::source_use_bitmap);
  CHECK(std::string(d.rule) == "both-crashed-primary");
  // Different generations: the ordinary rules decide, the flag does not matter.
  uuid_set ahead = with_current(0x8000);
  set_bitmap_uuid(ahead, kSelf, 0x7000);
  CHECK(decide(crashed, ahead).strategy == sync_strategy::target_use_bitmap);
}

TEST_CASE("rules marked-self and marked-peer: same generation, only one side marked blocks") {
  uuid_set marking = with_current(0x7000);
  marking.dirty_blocks_toward_other = 3;
  const uuid_set clean = with_current(0x7000);
  CHECK(std::string(decide(clean, clean).rule) == "equal");
  auto d = decide(marking, clean);
  CHECK(d.strategy == sync_strategy::source_use_bitmap);
  CHECK(std::string(d.rule) == "marked-self");
  d = decide(clean, marking);
  CHECK(d.strategy == sync_strategy::target_use_bitmap);
  CHECK(std::string(d.rule) == "marked-peer");
  // The write counts do not matter when only one side knows of a difference.
  uuid_set counted = clean;
  counted.writes_seen = 99;
  CHECK(std::string(decide(marking, counted).rule) == "marked-self");
  // A crashed Primary still wins: its activity log covers every write it issued.
  uuid_set crashed = with_current(0x7000);
  crashed.crashed_primary = true;
  CHECK(std::string(decide(crashed, marking).rule) == "crashed-primary");
}

TEST_CASE("rule more-writes: same generation, both marked, the side holding more writes is source") {
  uuid_set more = with_current(0x7000);
  more.writes_seen = 12;
  more.dirty_blocks_toward_other = 2;
  uuid_set fewer = with_current(0x7000);
  fewer.writes_seen = 9;
  fewer.dirty_blocks_toward_other = 3;
  auto d = decide(more, fewer);
  CHECK(d.strategy == sync_strategy::source_use_bitmap);
  CHECK(std::string(d.rule) == "more-writes");
  d = decide(fewer, more);
  CHECK(d.strategy == sync_strategy::target_use_bitmap);
  CHECK(std::string(d.rule) == "more-writes");
  // Equal counts, or one unknown (a gap in what it received, restarted): no direction.
  CHECK(std::string(decide(fewer, fewer).rule) == "equal");
  uuid_set unknown = fewer;
  unknown.writes_seen = kWritesSeenUnknown;
  CHECK(std::string(decide(unknown, more).rule) == "equal");
  // Different generations: the ordinary rules decide.
  uuid_set ahead = with_current(0x8000);
  set_bitmap_uuid(ahead, kSelf, 0x7000);
  CHECK(decide(more, ahead).strategy == sync_strategy::target_use_bitmap);
}
