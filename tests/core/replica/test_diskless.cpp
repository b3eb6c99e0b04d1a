#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

// n0 and n1 diskful, n2 an intentionally diskless client (like a LINSTOR diskless resource).
sim::cluster with_diskless_client(std::uint64_t seed = 1) {
  sim::cluster_options options;
  options.nodes = 3;
  options.diskless_nodes = mask_of(2);
  options.volume_size_bytes = 1 << 20;
  options.seed = seed;
  sim::cluster c(options);
  c.start();
  return c;
}

}  // namespace

TEST_CASE("a diskless Primary writes to every diskful peer and reads from an UpToDate one") {
  auto c = with_diskless_client();
  CHECK(c.view(2).volumes[0].disk == disk_state::diskless);
  REQUIRE(c.admin_command(2, admin_op::primary).ok);
  volume_model model(1 << 20);
  for (int i = 0; i < 16; ++i) write_ok(c, model, 2, i * kBlockBytes, payload(i, kBlockBytes));
  check_all_match(c, model, mask_of(2));
  const auto tag = c.read(2, 0, 3 * kBlockBytes, 2 * kBlockBytes);
  c.run_until_quiet();
  REQUIRE(c.result(tag).status == io_status::ok);
  const std::vector<std::byte> expected(model.bytes().begin() + 3 * kBlockBytes,
                                        model.bytes().begin() + 5 * kBlockBytes);
  CHECK(c.result(tag).data == expected);
  // The diskless node really read over the network.
  CHECK(c.counters(2, 0).messages.count(wire::msg_type::data_request) == 1);
}

TEST_CASE("a diskless Primary keeps working when one diskful peer is lost, and that peer resyncs") {
  auto c = with_diskless_client(4);
  REQUIRE(c.admin_command(2, admin_op::primary).ok);
  volume_model model(1 << 20);
  write_ok(c, model, 2, 0, payload(1, kBlockBytes));
  c.isolate(1);
  c.run_until_quiet();
  for (int i = 1; i < 9; ++i) write_ok(c, model, 2, i * kBlockBytes, payload(i + 10, kBlockBytes));
  // n0 learned from replicated_to that n1 missed the writes.
  CHECK(peer_device(c.view(0), 1).out_of_sync_blocks == 8);
  c.rejoin(1);
  c.run_until_quiet();
  CHECK(c.resync_bytes_received(1) == 8 * kBlockBytes);
  CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
  check_all_match(c, model, mask_of(2));
}

TEST_CASE("a forwarded read fails over to the next UpToDate peer when the first one is lost") {
  auto c = with_diskless_client();
  REQUIRE(c.admin_command(2, admin_op::primary).ok);
  volume_model model(1 << 20);
  write_ok(c, model, 2, 0, payload(1, kBlockBytes));
  c.hold(0, 2, wire::msg_type::data_reply);
  const auto tag = c.read(2, 0, 0, kBlockBytes);
  c.run_until_quiet();
  CHECK_FALSE(c.result(tag).done);
  c.cut_link(0, 2);
  c.run_until_quiet();
  REQUIRE(c.result(tag).status == io_status::ok);
  CHECK(c.result(tag).data == payload(1, kBlockBytes));
}

TEST_CASE("a diskless node without a connected disk has no data and cannot be promoted") {
  auto c = with_diskless_client();
  c.isolate(2);
  c.run_until_quiet();
  const auto refused = c.admin_command(2, admin_op::primary);
  CHECK_FALSE(refused.ok);
  CHECK(refused.message.find("no access to UpToDate data") != std::string::npos);
  const auto tag = c.read(2, 0, 0, kBlockBytes);
  c.run_until_quiet();
  CHECK(c.result(tag).status == io_status::no_data);
}

TEST_CASE("a node whose disk is not UpToDate reads from a peer") {
  auto c = with_diskless_client();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  volume_model model(1 << 20);
  write_ok(c, model, 0, 0, payload(9, kBlockBytes));
  c.fail_disk_writes(0);
  // n0's local write fails: its disk goes Diskless and the write still succeeds on n1.
  write_ok(c, model, 0, kBlockBytes, payload(10, kBlockBytes));
  CHECK(c.view(0).volumes[0].disk == disk_state::diskless);
  const auto tag = c.read(0, 0, kBlockBytes, kBlockBytes);
  c.run_until_quiet();
  REQUIRE(c.result(tag).status == io_status::ok);
  CHECK(c.result(tag).data == payload(10, kBlockBytes));
}

TEST_CASE("a diskless node follows the generation a diskful Primary moved to, then writes itself") {
  // The VM migrates from a diskful node to a diskless one: the diskless node must start its own
  // generation from the one its peers hold now, or they would take its first write for a
  // divergent history and reconnect (seen live as a teardown and an I/O error).
  auto c = with_diskless_client(7);
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  volume_model model(1 << 20);
  for (int i = 0; i < 4; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  REQUIRE(c.admin_command(0, admin_op::secondary).ok);
  c.run_until_quiet();
  CHECK(c.view(2).volumes[0].current == c.view(0).volumes[0].current);

  const auto handshakes = [&](node_id peer) {
    return c.counters(peer, 2).messages.count(wire::msg_type::features);
  };
  const auto before0 = handshakes(0);
  const auto before1 = handshakes(1);
  REQUIRE(c.admin_command(2, admin_op::primary).ok);
  for (int i = 4; i < 8; ++i) write_ok(c, model, 2, i * kBlockBytes, payload(i, kBlockBytes));
  c.run_until_quiet();
  CHECK(connection(c.view(2), 0) == conn_state::connected);
  CHECK(connection(c.view(2), 1) == conn_state::connected);
  CHECK(handshakes(0) == before0);  // no reconnect
  CHECK(handshakes(1) == before1);
  CHECK(c.resync_bytes_received(0) == 0);
  CHECK(c.resync_bytes_received(1) == 0);
  check_all_match(c, model, mask_of(2));
}

TEST_CASE("a diskless Primary does not use a peer that missed writes until a peer holding them is back") {
  auto c = with_diskless_client(5);
  REQUIRE(c.admin_command(2, admin_op::primary).ok);
  volume_model model(1 << 20);
  write_ok(c, model, 2, 0, payload(1, kBlockBytes));
  // n1 cut off from everybody; n2 writes to n0 alone.
  c.isolate(1);
  c.run_until_quiet();
  for (int i = 1; i < 5; ++i) write_ok(c, model, 2, i * kBlockBytes, payload(i + 20, kBlockBytes));
  // Now n0 goes and n1 comes back to the client only: its copy lacks those writes.
  c.cut_link(0, 2);
  c.cut_link(0, 1);
  c.heal_link(1, 2);
  c.run_until_quiet();
  const auto refused = c.write(2, 0, 6 * kBlockBytes, payload(99, kBlockBytes));
  const auto stale_read = c.read(2, 0, 2 * kBlockBytes, kBlockBytes);
  c.run_until_quiet();
  CHECK(c.result(refused).status == io_status::no_data);
  CHECK(c.result(stale_read).status == io_status::no_data);  // never the old block 2
  // n0 is back: the client rotates with n1 left behind, n1 resyncs from n0 and serves again.
  c.heal_link(0, 2);
  c.heal_link(0, 1);
  c.run_until_quiet();
  CHECK(c.events_named("new-current-uuid").size() >= 2);
  CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
  write_ok(c, model, 2, 7 * kBlockBytes, payload(7, kBlockBytes));
  c.isolate(0);
  c.run_until_quiet();
  const auto read_from_n1 = c.read(2, 0, 2 * kBlockBytes, kBlockBytes);
  c.run_until_quiet();
  REQUIRE(c.result(read_from_n1).status == io_status::ok);
  CHECK(c.result(read_from_n1).data == payload(22, kBlockBytes));
  c.rejoin(0);
  c.run_until_quiet();
  check_all_match(c, model, mask_of(2));
}
