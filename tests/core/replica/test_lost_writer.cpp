// What replicas do about a writer's last writes: peer acks for every write, the unsettled writes
// of a lost writer, the generation a Primary leaves when a peer misses writes, and writes that
// would reach no UpToDate copy.
#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

sim::cluster three_nodes_primary_n0() { return primary_on_n0(3, 1, 1 << 20); }

}  // namespace

TEST_CASE("completed writes are peer-acked: a Primary crash after them leaves nothing unsettled") {
  auto c = three_nodes_primary_n0();
  volume_model model(1 << 20);
  for (int i = 0; i < 10; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  CHECK(c.counters(0, 1).messages.at(wire::msg_type::peer_ack) == 10);
  c.crash(0);
  c.run_until_quiet();
  CHECK(c.events_named("unacked-writes-marked").empty());
  CHECK(peer_device(c.view(1), 2).out_of_sync_blocks == 0);
  CHECK(peer_device(c.view(2), 1).out_of_sync_blocks == 0);
}

TEST_CASE("a lost writer's unsettled writes: marked toward every peer, then one version wins") {
  auto c = three_nodes_primary_n0();
  volume_model model(1 << 20);
  for (int i = 0; i < 4; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  // n2 never sees the next writes; n1 writes them, but n0 cannot complete them (protocol C waits
  // for n2) and so never peer-acks them.
  c.hold(0, 2, wire::msg_type::data);
  for (int i = 0; i < 3; ++i) c.write(0, 0, (20 + i) * kBlockBytes, payload(50 + i, kBlockBytes));
  c.run_until_quiet();
  CHECK(c.disk_bytes(1, 0) != c.disk_bytes(2, 0));
  c.crash(0);
  c.run_until_quiet();
  const auto marked = c.events_named("unacked-writes-marked");
  REQUIRE(marked.size() == 1);
  CHECK(marked[0].find("n1 ") != std::string::npos);
  // n1 and n2 stayed connected on one generation: they renegotiated, and n1, which holds more of
  // n0's writes, sent them to n2.
  CHECK(c.disk_bytes(1, 0) == c.disk_bytes(2, 0));
  CHECK(c.resync_bytes_received(2) == 3 * kBlockBytes);
  CHECK(peer_device(c.view(1), 2).repl == repl_state::established);
  CHECK(peer_device(c.view(1), 2).out_of_sync_blocks == 0);
  // The crashed writer's own copy may hold any of the versions: it is marked toward n0 as well.
  CHECK(peer_device(c.view(1), 0).out_of_sync_blocks >= 3);
}

TEST_CASE("a Primary that loses a peer with writes in flight to it leaves its generation at once") {
  auto c = three_nodes_primary_n0();
  volume_model model(1 << 20);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  const generation_uuid before = c.view(0).volumes[0].current;
  c.hold(0, 2, wire::msg_type::data);
  const auto tag = c.write(0, 0, 8 * kBlockBytes, payload(2, kBlockBytes));
  c.run_until_quiet();
  CHECK_FALSE(c.result(tag).done);
  c.cut_link(0, 2);
  c.run_until_quiet();
  CHECK(c.result(tag).status == io_status::ok);
  // No further write needed: n1 (which got the write) followed n0 into the new generation, n2
  // (which did not) stays on the old one, so no third node takes n2 for n0's data.
  const generation_uuid after = c.view(0).volumes[0].current;
  CHECK(uuid_value(after) != uuid_value(before));
  CHECK(uuid_value(c.view(1).volumes[0].current) == uuid_value(after));
  CHECK(uuid_value(c.view(2).volumes[0].current) == uuid_value(before));
}

TEST_CASE("a write that would reach no UpToDate copy fails instead of being acknowledged") {
  sim::cluster c = started_cluster(2, 1, 1 << 20);
  REQUIRE(c.admin_command(1, admin_op::primary).ok);
  volume_model model(1 << 20);
  write_ok(c, model, 1, 0, payload(1, kBlockBytes));
  REQUIRE(c.admin_command(1, admin_op::secondary).ok);
  // n0 becomes a sync target of n1 and is promoted while it pulls, then loses its source.
  c.cut_link(0, 1);
  c.run_until_quiet();
  REQUIRE(c.admin_command(1, admin_op::primary).ok);
  for (int i = 0; i < 64; ++i) c.write(1, 0, i * kBlockBytes, payload(10 + i, kBlockBytes));
  c.run_until_quiet();
  REQUIRE(c.admin_command(1, admin_op::secondary).ok);
  c.hold(1, 0, wire::msg_type::rs_data_reply);
  c.heal_link(0, 1);
  c.run_until_quiet();
  REQUIRE(c.view(0).volumes[0].disk == disk_state::inconsistent);
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  c.cut_link(0, 1);
  c.run_until_quiet();
  const auto tag = c.write(0, 0, 0, payload(99, kBlockBytes));
  c.run_until_quiet();
  CHECK(c.result(tag).status == io_status::no_data);
}

TEST_CASE("a Secondary's stale state report cannot hide the writes it refuses from the Primary") {
  // n3 loses quorum (it reaches only n0 of four voters) and reports it; that report is still on
  // the wire when n0, losing n1 with a write in flight, starts a new generation that n3 follows.
  // n0 must end up knowing n3 is on its generation: the writes n3 refuses while it lacks quorum
  // are marked toward it, and once n3 is back they must reach it, not wait for a later miss.
  auto c = primary_on_n0(4, 1, 1 << 20, [](sim::cluster_options& o) {
    o.quorum = quorum_setting{quorum_setting::kind::majority, 0};
  });
  volume_model model(1 << 20);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  c.hold(0, 1, wire::msg_type::data);
  c.write(0, 0, 2 * kBlockBytes, payload(2, kBlockBytes));
  c.run_until_quiet();
  c.hold(3, 0, wire::msg_type::volume_state);
  c.cut_link(1, 3);
  c.cut_link(2, 3);
  c.run_until_quiet();
  REQUIRE_FALSE(c.view(3).volumes[0].quorum);
  const generation_uuid before = c.view(0).volumes[0].current;
  c.cut_link(0, 1);
  c.run_until_quiet();
  REQUIRE(uuid_value(c.view(0).volumes[0].current) != uuid_value(before));
  REQUIRE(uuid_value(c.view(3).volumes[0].current) == uuid_value(c.view(0).volumes[0].current));
  c.release_held();
  c.run_until_quiet();
  // n3 refuses these (no quorum); n0 completes them with n2.
  for (int i = 0; i < 4; ++i) {
    write_ok(c, model, 0, (8 + i) * kBlockBytes, payload(10 + i, kBlockBytes));
  }
  c.heal_link(1, 3);
  c.heal_link(2, 3);
  c.run_until_quiet();
  CHECK(c.view(3).volumes[0].quorum);
  CHECK(peer_device(c.view(0), 3).out_of_sync_blocks == 0);
  CHECK(c.disk_bytes(0, 0) == c.disk_bytes(3, 0));
}
