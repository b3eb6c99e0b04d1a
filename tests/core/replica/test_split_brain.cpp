#include <string>

#include "core/replica/split_brain.h"
#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

split_brain_side side(bool primary, std::uint64_t changed, bool primary_generation = true) {
  return {primary, primary_generation, changed};
}

// Checks that both ends reach mirrored outcomes.
split_brain_outcome both(const split_brain_policy& p, split_brain_side a, split_brain_side b) {
  const auto ra = resolve_split_brain(p, a, b, true);
  const auto rb = resolve_split_brain(p, b, a, false);
  const auto mirror = [](split_brain_outcome o) {
    if (o == split_brain_outcome::discard_peer) return split_brain_outcome::discard_local;
    if (o == split_brain_outcome::discard_local) return split_brain_outcome::discard_peer;
    return o;
  };
  CHECK(rb.outcome == mirror(ra.outcome));
  return ra.outcome;
}

constexpr auto kKeep = split_brain_outcome::discard_peer;
constexpr auto kLose = split_brain_outcome::discard_local;
constexpr auto kStandAlone = split_brain_outcome::disconnect;

}  // namespace

TEST_CASE("policy values parse as drbd.conf spells them") {
  CHECK(parse_after_sb_0pri("discard-zero-changes") == after_sb_0pri::discard_zero_changes);
  CHECK(parse_after_sb_1pri("call-pri-lost-after-sb") == after_sb_1pri::call_pri_lost_after_sb);
  CHECK(parse_after_sb_2pri("violently-as0p") == after_sb_2pri::violently_as0p);
  CHECK(parse_rr_conflict("retry-connect") == rr_conflict::retry_connect);
  CHECK_FALSE(parse_after_sb_0pri("discard-everything").has_value());
  CHECK_FALSE(parse_after_sb_1pri("").has_value());
}

TEST_CASE("after-sb-0pri, every value") {
  split_brain_policy p;
  CHECK(both(p, side(false, 3), side(false, 5)) == kStandAlone);
  p.zero_primaries = after_sb_0pri::discard_least_changes;
  CHECK(both(p, side(false, 3), side(false, 5)) == kLose);
  CHECK(both(p, side(false, 4), side(false, 4)) == kKeep);  // tie: the tie-breaker side keeps
  p.zero_primaries = after_sb_0pri::discard_zero_changes;
  CHECK(both(p, side(false, 0), side(false, 5)) == kLose);
  CHECK(both(p, side(false, 5), side(false, 0)) == kKeep);
  CHECK(both(p, side(false, 0), side(false, 0)) == kKeep);
  CHECK(both(p, side(false, 1), side(false, 5)) == kStandAlone);
  p.zero_primaries = after_sb_0pri::discard_younger_primary;
  CHECK(both(p, side(false, 9, true), side(false, 1, false)) == kLose);
  CHECK(both(p, side(false, 1, true), side(false, 9, true)) == kLose);  // undecided: least changes
  p.zero_primaries = after_sb_0pri::discard_older_primary;
  CHECK(both(p, side(false, 9, true), side(false, 1, false)) == kKeep);
  p.zero_primaries = after_sb_0pri::discard_local;
  CHECK(resolve_split_brain(p, side(false, 1), side(false, 1), true).outcome == kLose);
  p.zero_primaries = after_sb_0pri::discard_remote;
  CHECK(resolve_split_brain(p, side(false, 1), side(false, 1), true).outcome == kKeep);
}

TEST_CASE("after-sb-1pri, every value") {
  split_brain_policy p;
  p.zero_primaries = after_sb_0pri::discard_least_changes;
  const auto primary = side(true, 2);
  const auto secondary = side(false, 7);
  CHECK(both(p, primary, secondary) == kStandAlone);
  p.one_primary = after_sb_1pri::consensus;  // 0pri would discard the Primary: refused
  CHECK(both(p, primary, secondary) == kStandAlone);
  CHECK(both(p, side(true, 9), side(false, 1)) == kKeep);
  p.one_primary = after_sb_1pri::violently_as0p;
  CHECK(both(p, primary, secondary) == kLose);
  p.one_primary = after_sb_1pri::discard_secondary;
  CHECK(both(p, primary, secondary) == kKeep);
  p.one_primary = after_sb_1pri::call_pri_lost_after_sb;
  const auto r = resolve_split_brain(p, primary, secondary, true);
  CHECK(r.outcome == kLose);
  CHECK(r.demote_self);
  CHECK_FALSE(resolve_split_brain(p, secondary, primary, false).demote_self);
}

TEST_CASE("after-sb-2pri, every value") {
  split_brain_policy p;
  p.zero_primaries = after_sb_0pri::discard_least_changes;
  CHECK(both(p, side(true, 1), side(true, 2)) == kStandAlone);
  p.two_primaries = after_sb_2pri::violently_as0p;
  CHECK(both(p, side(true, 1), side(true, 2)) == kLose);
  p.two_primaries = after_sb_2pri::call_pri_lost_after_sb;
  CHECK(resolve_split_brain(p, side(true, 1), side(true, 2), true).demote_self);
}

namespace {

// Two nodes; both become Primary and write while the link is down, then both step down.
sim::cluster diverged(const split_brain_policy& policy, int writes_on_0, int writes_on_1,
                      bool keep_n0_primary = false) {
  sim::cluster_options options;
  options.nodes = 2;
  options.volume_size_bytes = 1 << 20;
  options.split_brain = policy;
  sim::cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  volume_model model(1 << 20);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  c.cut_link(0, 1);
  c.run_until_quiet();
  REQUIRE(c.admin_command(1, admin_op::primary).ok);
  for (int i = 0; i < writes_on_0; ++i)
    write_ok(c, model, 0, (10 + i) * kBlockBytes, payload(i, kBlockBytes));
  for (int i = 0; i < writes_on_1; ++i)
    write_ok(c, model, 1, (40 + i) * kBlockBytes, payload(i + 99, kBlockBytes));
  if (!keep_n0_primary) REQUIRE(c.admin_command(0, admin_op::secondary).ok);
  REQUIRE(c.admin_command(1, admin_op::secondary).ok);
  c.heal_link(0, 1);
  c.run_until_quiet();
  return c;
}

}  // namespace

TEST_CASE("split brain recovered by discard-least-changes: the side that wrote less resyncs") {
  split_brain_policy p;
  p.zero_primaries = after_sb_0pri::discard_least_changes;
  auto c = diverged(p, 6, 2);
  CHECK(c.events_named("split-brain-resolved").size() == 2);
  CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
  CHECK(c.view(0).connections[0].conn == conn_state::connected);
  // n1 took n0's data: the union of both sides' changes, 6 + 2 blocks, came from n0.
  CHECK(c.resync_bytes_received(1) == 8 * kBlockBytes);
  CHECK(c.disk_bytes(0, 0) == c.disk_bytes(1, 0));
}

TEST_CASE("split brain with the default policy stays StandAlone and says so") {
  auto c = diverged({}, 3, 3);
  CHECK(c.events_named("split-brain-unresolved").size() == 2);
  CHECK(c.view(0).connections[0].conn == conn_state::standalone);
}

TEST_CASE("after-sb-1pri discard-secondary keeps the Primary's data") {
  split_brain_policy p;
  p.one_primary = after_sb_1pri::discard_secondary;
  auto c = diverged(p, 1, 5, true);
  CHECK(c.events_named("split-brain-resolved").size() == 2);
  CHECK(c.view(0).local_role == role::primary);
  CHECK(c.disk_bytes(0, 0) == c.disk_bytes(1, 0));
  CHECK(c.resync_bytes_received(0) == 0);
}

TEST_CASE("rr-conflict: a Primary is not made sync target unless the policy says violently") {
  split_brain_policy p;
  p.zero_primaries = after_sb_0pri::discard_least_changes;
  p.one_primary = after_sb_1pri::violently_as0p;
  auto refused = diverged(p, 1, 5, true);  // n0 stays Primary with fewer changes: it would lose
  CHECK(refused.events_named("rr-conflict").size() == 1);
  CHECK(refused.view(0).connections[0].conn == conn_state::standalone);
  p.on_rr_conflict = rr_conflict::violently;
  auto forced = diverged(p, 1, 5, true);
  CHECK(forced.events_named("rr-conflict").empty());
  CHECK(forced.disk_bytes(0, 0) == forced.disk_bytes(1, 0));
}

// ------------------------------------------------------------------ generations across restarts
//
// Found by analysis/'s availability Monte-Carlo (3 replicas, quorum majority, crash/restart with
// failover): after a restart a node re-minted the generation UUIDs it had minted before its crash,
// because its UUID stream restarted from the same seed. Peers then hold that value as an old
// generation in their history although it now names newer data, and the UUID comparison of a clean
// failover turns into history-both / bitmap-both (a split brain nobody caused) or worse.

namespace {

sim::cluster three_with_quorum(std::uint64_t seed) {
  sim::cluster_options options;
  options.nodes = 3;
  options.volume_size_bytes = 1 << 20;
  options.quorum = quorum_setting{quorum_setting::kind::majority, 0};
  options.seed = seed;
  sim::cluster c(options);
  c.start();
  c.run_until_quiet();
  return c;
}

// The UUIDs (the event detail, in decimal) of the new-current-uuid events of `node`.
std::vector<std::string> minted_by(const sim::cluster& c, node_id node) {
  std::vector<std::string> uuids;
  const std::string who = " n" + std::to_string(node) + " event new-current-uuid ";
  for (const auto& line : c.events_named("new-current-uuid")) {
    if (line.find(who) == std::string::npos) continue;
    uuids.push_back(line.substr(line.rfind('(')));
  }
  return uuids;
}

}  // namespace

TEST_CASE("a restarted replica never mints a generation UUID it minted before its crash") {
  auto c = three_with_quorum(7);
  volume_model model(1 << 20);
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  const auto before = minted_by(c, 0);
  REQUIRE(before.size() == 1);
  // Fail over to n1, bring n0 back (it resyncs), then fail back to n0.
  c.crash(0);
  c.run_until_quiet();
  REQUIRE(c.admin_command(1, admin_op::primary).ok);
  write_ok(c, model, 1, kBlockBytes, payload(2, kBlockBytes));
  c.restart(0);
  c.run_until_quiet();
  REQUIRE(c.admin_command(1, admin_op::secondary).ok);
  c.run_until_quiet();  // n0 learns that n1 stepped down
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  write_ok(c, model, 0, 2 * kBlockBytes, payload(3, kBlockBytes));
  const auto after = minted_by(c, 0);
  REQUIRE(after.size() == 2);
  CHECK(after[1] != before[0]);
  check_all_match(c, model);
}

TEST_CASE("failover after restarts: a stale replica returning is a plain SyncTarget, no split brain") {
  // n0 mints U; n1 takes over (V) while n0 is down; n2 leaves on V; n0 returns and catches up;
  // n1 moves on (V2); n0 is promoted again and starts a new generation; n2 returns. n2's data is
  // an ancestor of everybody's, so it must resync from them. With the replayed UUID stream n0's new
  // generation was U again: n2 keeps U as its bitmap UUID toward n0, rule bitmap-self made the
  // stale n2 the *source* for the Primary n0, refused by rr-conflict, and n2 never caught up.
  auto c = three_with_quorum(7);
  volume_model model(1 << 20);
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  write_ok(c, model, 0, 0, payload(11, kBlockBytes));
  c.crash(0);
  c.run_until_quiet();
  REQUIRE(c.admin_command(1, admin_op::primary).ok);
  write_ok(c, model, 1, kBlockBytes, payload(12, kBlockBytes));
  c.crash(2);
  c.run_until_quiet();
  c.restart(0);
  c.run_until_quiet();
  write_ok(c, model, 1, 2 * kBlockBytes, payload(13, kBlockBytes));
  REQUIRE(c.admin_command(1, admin_op::secondary).ok);
  c.run_until_quiet();  // n0 learns that n1 stepped down
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  write_ok(c, model, 0, 3 * kBlockBytes, payload(14, kBlockBytes));
  c.restart(2);
  c.run_until_quiet();
  CHECK(c.events_named("split-brain").empty());
  CHECK(c.events_named("rr-conflict").empty());
  for (node_id n = 0; n < 3; ++n) {
    CAPTURE(n);
    const replica_view view = c.view(n);
    CHECK(view.volumes[0].disk == disk_state::uptodate);
    for (const auto& conn : view.connections) {
      CAPTURE(conn.peer);
      CHECK(conn.conn == conn_state::connected);
    }
  }
  check_all_match(c, model);
}
