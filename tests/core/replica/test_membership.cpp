// Live membership changes (admin add_peer / remove_peer, what `drbdadm adjust` does with new-peer
// and del-peer): on a Primary under writes, with quorum, with toggle-disk as remove + add.
#include <algorithm>
#include <string>

#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

const quorum_setting kMajority{quorum_setting::kind::majority, 0};
constexpr std::uint64_t kVolumeBytes = 1 << 20;

// `nodes` machines, the first `members` of them replicas; n0 Primary.
sim::cluster membership_cluster(int nodes, int members, quorum_setting quorum = {},
                                on_no_quorum policy = on_no_quorum::io_error) {
  sim::cluster_options options;
  options.nodes = nodes;
  options.members = (node_mask{1} << members) - 1;
  options.volume_size_bytes = kVolumeBytes;
  options.quorum = quorum;
  options.on_no_quorum_policy = policy;
  sim::cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  return c;
}

bool all_ok(const std::vector<admin_done>& answers) {
  return !answers.empty() && std::all_of(answers.begin(), answers.end(),
                                         [](const admin_done& a) { return a.ok; });
}

// Quorum losses reported by `node` (the isolated nodes of a test lose theirs, rightly).
std::size_t quorum_losses(const sim::cluster& c, node_id node) {
  const auto lines = c.events_named("quorum-lost");
  const std::string who = " n" + std::to_string(node) + " event";
  return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](const auto& line) {
    return line.find(who) != std::string::npos;
  }));
}

bool has_connection(const replica_view& view, node_id peer) {
  return std::any_of(view.connections.begin(), view.connections.end(),
                     [&](const connection_view& c) { return c.peer == peer; });
}

}  // namespace

TEST_CASE("an added empty replica gets a full sync from the UpToDate Primary and ends UpToDate") {
  auto c = membership_cluster(4, 3);
  volume_model model(kVolumeBytes);
  for (std::uint64_t i = 0; i < 16; ++i) {
    write_ok(c, model, 0, i * 16 * kBlockBytes, payload(i + 1, kBlockBytes));
  }
  REQUIRE(all_ok(c.add_replica(3)));
  CHECK(c.view(3).volumes[0].disk == disk_state::inconsistent);
  CHECK(connection(c.view(0), 3) == conn_state::connecting);
  c.run_until_quiet();
  // Just-created generation against UpToDate data: the new node is the target of a full sync.
  const auto decisions = c.events_named("handshake-decision");
  CHECK(std::any_of(decisions.begin(), decisions.end(), [](const std::string& line) {
    return line.find(" n3 ") != std::string::npos &&
           line.find("target-set-bitmap by rule=just-created-self") != std::string::npos;
  }));
  CHECK(c.view(3).volumes[0].disk == disk_state::uptodate);
  CHECK(connection(c.view(0), 3) == conn_state::connected);
  CHECK(peer_device(c.view(0), 3).peer_disk == disk_state::uptodate);
  CHECK(peer_device(c.view(0), 3).out_of_sync_blocks == 0);
  // The full volume crossed the network (from one or several sources), not just the written blocks.
  CHECK(c.resync_bytes_received(3) >= kVolumeBytes);
  check_all_match(c, model);
  // The new member is a full replica: it takes writes and can serve as the Primary.
  write_ok(c, model, 0, 5 * kBlockBytes, payload(99, kBlockBytes));
  REQUIRE(c.admin_command(0, admin_op::secondary).ok);
  c.run_until_quiet();  // the demotion reaches every peer
  const auto promoted = c.admin_command(3, admin_op::primary);
  INFO(promoted.message);
  REQUIRE(promoted.ok);
  write_ok(c, model, 3, 7 * kBlockBytes, payload(100, kBlockBytes));
  check_all_match(c, model);
}

TEST_CASE("a replica added while writes are in flight misses none of them") {
  auto c = membership_cluster(4, 3);
  volume_model model(kVolumeBytes);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  // Writes dispatched to n1/n2 before n3 exists, and writes issued right after it was added.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> tags;  // (tag, offset)
  for (std::uint64_t i = 0; i < 8; ++i) {
    const std::uint64_t offset = (i * 37 % 256) * kBlockBytes;
    tags.emplace_back(c.write(0, 0, offset, payload(10 + i, 2 * kBlockBytes)), offset);
  }
  REQUIRE(all_ok(c.add_replica(3)));
  for (std::uint64_t i = 8; i < 16; ++i) {
    const std::uint64_t offset = (i * 37 % 256) * kBlockBytes;
    tags.emplace_back(c.write(0, 0, offset, payload(10 + i, 2 * kBlockBytes)), offset);
    c.run_for(300'000);  // interleave with the new node's handshake and resync
  }
  c.run_until_quiet();
  for (std::size_t i = 0; i < tags.size(); ++i) {
    CAPTURE(i);
    REQUIRE(c.result(tags[i].first).status == io_status::ok);
    model.apply(tags[i].second, payload(10 + i, 2 * kBlockBytes));
  }
  CHECK(c.view(3).volumes[0].disk == disk_state::uptodate);
  check_all_match(c, model);
}

TEST_CASE("a write in flight when a peer is added is marked in the new peer's bitmap") {
  // Had the new peer the current generation already, the handshake would find nothing to sync:
  // the bitmap is what carries the write that was sent before the peer existed.
  auto c = membership_cluster(3, 2);
  volume_model model(kVolumeBytes);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  c.hold(1, 0, wire::msg_type::write_ack);
  const auto in_flight = c.write(0, 0, 3 * kBlockBytes, payload(5, kBlockBytes));
  c.run_until_quiet();
  REQUIRE_FALSE(c.result(in_flight).done);
  REQUIRE(all_ok(c.add_replica(2)));
  CHECK(peer_device(c.view(0), 2).out_of_sync_blocks == 1);
  c.release_held();
  c.run_until_quiet();
  REQUIRE(c.result(in_flight).status == io_status::ok);
  model.apply(3 * kBlockBytes, payload(5, kBlockBytes));
  CHECK(c.view(2).volumes[0].disk == disk_state::uptodate);
  check_all_match(c, model);
}

TEST_CASE("removing a peer settles writes waiting for its ack as a lost connection does") {
  auto c = membership_cluster(3, 3);
  volume_model model(kVolumeBytes);
  c.hold(2, 0, wire::msg_type::write_ack);
  const auto waiting = c.write(0, 0, 4 * kBlockBytes, payload(3, kBlockBytes));
  c.run_until_quiet();
  REQUIRE_FALSE(c.result(waiting).done);  // n0 and n1 have it, n2's ack is held back
  const auto answers = c.remove_replica(2);
  REQUIRE(all_ok(answers));
  // Acknowledged at once, from the copies that have it: nobody waits for a node that left.
  REQUIRE(c.result(waiting).done);
  CHECK(c.result(waiting).status == io_status::ok);
  model.apply(4 * kBlockBytes, payload(3, kBlockBytes));
  c.release_held();
  c.run_until_quiet();
  CHECK_FALSE(has_connection(c.view(0), 2));
  CHECK_FALSE(has_connection(c.view(1), 2));
  CHECK(c.view(0).connections.size() == 1);
  CHECK(c.events_named("peer-removed").size() == 2);
  // Later writes do not wait for it, nor mark a bitmap toward it.
  write_ok(c, model, 0, 8 * kBlockBytes, payload(4, kBlockBytes));
  for (const auto& state : c.view(0).volumes) CHECK(state.suspended_requests == 0);
  check_all_match(c, model, mask_of(2));
}

TEST_CASE("a write whose only remote copy was the removed peer fails if the local disk failed") {
  auto c = membership_cluster(2, 2);
  c.fail_disk_writes(0);
  c.hold(1, 0, wire::msg_type::write_ack);
  const auto tag = c.write(0, 0, 0, payload(1, kBlockBytes));
  c.run_until_quiet();
  REQUIRE_FALSE(c.result(tag).done);
  REQUIRE(all_ok(c.remove_replica(1)));
  // Neither copy is known to hold it: never acknowledged as written.
  REQUIRE(c.result(tag).done);
  CHECK(c.result(tag).status == io_status::io_error);
}

TEST_CASE("a forwarded read waiting on a removed peer is retried on another peer") {
  // n2 is diskless and reads through n0; n0 leaves while the read waits for it.
  sim::cluster_options options;
  options.nodes = 3;
  options.diskless_nodes = mask_of(2);
  options.volume_size_bytes = kVolumeBytes;
  sim::cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  volume_model model(kVolumeBytes);
  write_ok(c, model, 0, 0, payload(8, kBlockBytes));
  c.hold(0, 2, wire::msg_type::data_reply);
  const auto read = c.read(2, 0, 0, kBlockBytes);
  c.run_until_quiet();
  REQUIRE_FALSE(c.result(read).done);
  REQUIRE(c.admin_command(0, admin_op::secondary).ok);
  REQUIRE(all_ok(c.remove_replica(0)));
  c.run_until_quiet();
  REQUIRE(c.result(read).status == io_status::ok);
  CHECK(c.result(read).data == payload(8, kBlockBytes));
}

TEST_CASE("quorum after removing an unreachable member of three: the two left keep it") {
  auto c = membership_cluster(3, 3, kMajority);
  volume_model model(kVolumeBytes);
  c.isolate(2);
  c.run_until_quiet();
  REQUIRE(c.view(0).volumes[0].quorum);  // 2 of 3
  REQUIRE(all_ok(c.remove_replica(2)));
  c.run_until_quiet();
  CHECK(c.view(0).volumes[0].quorum);  // 2 of 2
  CHECK(c.view(1).volumes[0].quorum);
  CHECK(quorum_losses(c, 0) == 0);
  CHECK(quorum_losses(c, 1) == 0);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  // With two members, losing one is losing quorum: the removed node no longer counts either way.
  c.isolate(1);
  c.run_until_quiet();
  CHECK_FALSE(c.view(0).volumes[0].quorum);
}

TEST_CASE("removing a connected member never costs a quorum the remaining members hold") {
  // Four members, n3 down: n0, n1, n2 hold 3 of 4. Removing n2 (connected, its ack pending) leaves
  // n0, n1 of {n0, n1, n3}: 2 of 3. Counting n2 as an unknown node on its way out would be 2 of 4
  // and fail the write with on-no-quorum io-error.
  auto c = membership_cluster(4, 4, kMajority, on_no_quorum::io_error);
  volume_model model(kVolumeBytes);
  c.isolate(3);
  c.run_until_quiet();
  REQUIRE(c.view(0).volumes[0].quorum);
  c.hold(2, 0, wire::msg_type::write_ack);
  const auto waiting = c.write(0, 0, 0, payload(2, kBlockBytes));
  c.run_until_quiet();
  REQUIRE_FALSE(c.result(waiting).done);
  REQUIRE(all_ok(c.remove_replica(2)));
  REQUIRE(c.result(waiting).done);
  CHECK(c.result(waiting).status == io_status::ok);
  model.apply(0, payload(2, kBlockBytes));
  c.release_held();
  c.run_until_quiet();
  CHECK(c.view(0).volumes[0].quorum);
  CHECK(quorum_losses(c, 0) == 0);
  write_ok(c, model, 0, kBlockBytes, payload(3, kBlockBytes));
  check_all_match(c, model, mask_of(2) | mask_of(3));
}

TEST_CASE("an added replica that has not connected yet does not cost the quorum") {
  // n0, n1 of three members up (2 of 3). If the never-seen n3 voted, it would be 2 of 4.
  auto c = membership_cluster(4, 3, kMajority, on_no_quorum::io_error);
  volume_model model(kVolumeBytes);
  c.isolate(2);
  c.run_until_quiet();
  REQUIRE(c.view(0).volumes[0].quorum);
  c.isolate(3);  // the new machine is unreachable at first
  REQUIRE(all_ok(c.add_replica(3)));
  c.run_until_quiet();
  CHECK(c.view(0).volumes[0].quorum);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  // Once it connected it counts: n0, n1, n3 of four.
  c.rejoin(3);
  c.cut_link(3, 2);
  c.run_until_quiet();
  CHECK(c.view(3).volumes[0].disk == disk_state::uptodate);
  CHECK(c.view(0).volumes[0].quorum);
  c.cut_link(0, 3);
  c.run_until_quiet();
  CHECK_FALSE(c.view(0).volumes[0].quorum);  // 2 of 4 now: n3 exists
}

TEST_CASE("membership commands refuse bad node ids with a clear message") {
  auto c = membership_cluster(3, 3);
  auto self = c.admin_command(0, admin_op::add_peer, 0);
  CHECK_FALSE(self.ok);
  CHECK(self.message.find("is this node") != std::string::npos);
  auto twice = c.admin_command(0, admin_op::add_peer, 1);
  CHECK_FALSE(twice.ok);
  CHECK(twice.message.find("already a peer") != std::string::npos);
  auto range = c.admin_command(0, admin_op::add_peer, 40);
  CHECK_FALSE(range.ok);
  CHECK(range.message.find("out of range") != std::string::npos);
  auto unknown = c.admin_command(0, admin_op::remove_peer, 7);
  CHECK_FALSE(unknown.ok);
  CHECK(unknown.message.find("no peer with node id 7") != std::string::npos);
  CHECK(c.view(0).connections.size() == 2);
}

TEST_CASE("toggle-disk as remove plus add: a diskless client becomes a diskful replica") {
  sim::cluster_options options;
  options.nodes = 3;
  options.diskless_nodes = mask_of(2);  // tie-breaker / diskless client
  options.volume_size_bytes = kVolumeBytes;
  options.quorum = kMajority;
  sim::cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  volume_model model(kVolumeBytes);
  for (std::uint64_t i = 0; i < 8; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, 4096));
  REQUIRE(all_ok(c.remove_replica(2)));
  CHECK(c.view(0).volumes[0].quorum);  // n0, n1: 2 of 2
  const auto during = c.write(0, 0, 20 * kBlockBytes, payload(50, kBlockBytes));
  REQUIRE(all_ok(c.add_replica(2, true)));
  c.run_until_quiet();
  REQUIRE(c.result(during).status == io_status::ok);
  model.apply(20 * kBlockBytes, payload(50, kBlockBytes));
  CHECK(c.view(2).volumes[0].disk == disk_state::uptodate);
  CHECK(peer_device(c.view(0), 2).peer_disk == disk_state::uptodate);
  check_all_match(c, model);
  // And back: the diskful replica becomes a diskless tie-breaker again.
  REQUIRE(all_ok(c.remove_replica(2)));
  REQUIRE(all_ok(c.add_replica(2, false)));
  c.run_until_quiet();
  CHECK(c.view(2).volumes[0].disk == disk_state::diskless);
  CHECK(peer_device(c.view(0), 2).peer_disk == disk_state::diskless);
  // The diskless node has no bitmap slot toward it and serves as the tie-breaker.
  CHECK(peer_device(c.view(0), 2).out_of_sync_blocks == 0);
  c.cut_link(0, 1);
  c.run_until_quiet();
  CHECK(c.view(0).volumes[0].quorum);  // n0 with the tie-breaker keeps it
  write_ok(c, model, 0, 30 * kBlockBytes, payload(60, kBlockBytes));
}

TEST_CASE("replacing a replica under writes: add n3, remove n1, every acknowledged write survives") {
  auto c = membership_cluster(4, 3, kMajority, on_no_quorum::io_error);
  volume_model model(kVolumeBytes);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> tags;
  auto issue = [&](std::uint64_t i) {
    const std::uint64_t offset = (i * 13 % 200) * kBlockBytes;
    tags.emplace_back(c.write(0, 0, offset, payload(1000 + i, kBlockBytes)), offset);
  };
  std::uint64_t i = 0;
  for (; i < 10; ++i) issue(i);
  REQUIRE(all_ok(c.add_replica(3)));
  for (; i < 20; ++i) {
    issue(i);
    c.run_for(200'000);
  }
  REQUIRE(all_ok(c.remove_replica(1)));
  for (; i < 30; ++i) {
    issue(i);
    c.run_for(200'000);
  }
  c.run_until_quiet();
  // Writes complete in issue order per block here (the core orders overlapping writes).
  for (std::size_t k = 0; k < tags.size(); ++k) {
    CAPTURE(k);
    REQUIRE(c.result(tags[k].first).status == io_status::ok);
    model.apply(tags[k].second, payload(1000 + k, kBlockBytes));
  }
  CHECK(c.view(0).volumes[0].quorum);
  CHECK(c.view(3).volumes[0].disk == disk_state::uptodate);
  CHECK(c.view(2).volumes[0].disk == disk_state::uptodate);
  check_all_match(c, model, mask_of(1));
}
