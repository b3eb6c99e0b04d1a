// invalidate (full sync target of an UpToDate peer) and resize (online grow), as in
// replica_invalidate_resize.cpp.
#include <algorithm>

#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr std::uint64_t kVolumeBytes = 4 << 20;
constexpr std::uint64_t kBlocks = kVolumeBytes / kBlockBytes;

sim::cluster started(int nodes, std::uint64_t seed) {
  return primary_on_n0(nodes, seed, kVolumeBytes);
}

admin invalidate_from(node_id peer, bool all_peers = false) {
  return command_toward(admin_op::invalidate, peer, all_peers);
}

}  // namespace

TEST_CASE("invalidate makes the disk Inconsistent and a full sync target") {
  auto c = started(3, 1);
  volume_model model(kVolumeBytes);
  for (int i = 0; i < 10; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  c.corrupt(2, 0, 40 * kBlockBytes, kBlockBytes);  // invalidate is how an operator repairs it
  REQUIRE(c.admin_command(2, invalidate_from(1)).ok);
  CHECK(c.view(2).volumes[0].disk == disk_state::inconsistent);
  c.run_until_quiet();
  CHECK(logged(c, "n2 disk volume 0: UpToDate -> Inconsistent"));
  CHECK(logged(c, "n2 replication peer n1 volume 0: Established -> WFBitMapT"));
  CHECK(logged(c,
               "n1 event resync-started peer n2 volume 0 blocks 1024 (source, source-set-bitmap by "
               "rule=peer-request)"));
  CHECK(c.events_named("protocol-error").empty());
  CHECK(c.resync_bytes_received(2) == kVolumeBytes);
  CHECK(c.view(2).volumes[0].disk == disk_state::uptodate);
  CHECK(peer_device(c.view(1), 2).repl == repl_state::established);
  CHECK(c.events_named("invalidated").size() == 1);
  check_all_match(c, model);
}

TEST_CASE("invalidate is refused where it would lose the only good data") {
  auto c = started(2, 2);
  SUBCASE("on a Primary") {
    CHECK_FALSE(c.admin_command(0, invalidate_from(1)).ok);
  }
  SUBCASE("without a connected peer") {
    c.isolate(1);
    c.run_until_quiet();
    CHECK_FALSE(c.admin_command(1, invalidate_from(0, true)).ok);
  }
  SUBCASE("from a peer that is not UpToDate") {
    c.hold(0, 1, wire::msg_type::rs_data_reply);  // keeps n1 Inconsistent
    REQUIRE(c.admin_command(1, invalidate_from(0)).ok);
    c.run_until_quiet();
    // n1 is Inconsistent now and n0 its sync source: n0 cannot take its data from it. (Both
    // commands within one network round trip would both pass: see docs/replication.md.)
    REQUIRE(c.admin_command(0, admin_op::secondary).ok);
    CHECK_FALSE(c.admin_command(0, invalidate_from(1)).ok);
  }
  c.release_held();
  c.run_until_quiet();
  CHECK(c.view(0).volumes[0].disk == disk_state::uptodate);
}

TEST_CASE("resize grows every replica and syncs the new area from the node that ran it") {
  auto c = started(3, 3);
  volume_model old_area(kVolumeBytes);
  for (int i = 0; i < 10; ++i) write_ok(c, old_area, 0, i * kBlockBytes, payload(i, kBlockBytes));
  REQUIRE(c.resize(0, 0, 2 * kVolumeBytes, false).ok);
  c.run_until_quiet();
  CHECK(c.events_named("resized").size() == 3);
  for (node_id n : {1, 2}) {
    CAPTURE(n);
    CHECK(c.resync_bytes_received(n) == kVolumeBytes);  // exactly the new half
    CHECK(c.disk_bytes(n, 0) == c.disk_bytes(0, 0));
    CHECK(c.view(n).volumes[0].disk == disk_state::uptodate);
  }
  // The new area takes I/O on every node.
  const auto tag = c.write(0, 0, kVolumeBytes + 8 * kBlockBytes, payload(77, kBlockBytes));
  c.run_until_quiet();
  CHECK(c.result(tag).status == io_status::ok);
  const auto read = c.read(2, 0, kVolumeBytes + 8 * kBlockBytes, kBlockBytes);
  c.run_until_quiet();
  CHECK(c.result(read).status == io_status::ok);
  CHECK(c.result(read).data == payload(77, kBlockBytes));
}

TEST_CASE("resize with assume_clean moves no data") {
  auto c = started(2, 4);
  REQUIRE(c.resize(0, 0, kVolumeBytes + (1 << 20), true).ok);
  c.run_until_quiet();
  CHECK(c.resync_bytes_received(1) == 0);
  CHECK(peer_device(c.view(0), 1).out_of_sync_blocks == 0);
  CHECK(c.disk_bytes(1, 0) == c.disk_bytes(0, 0));
}

TEST_CASE("resize is refused unless every node can take it") {
  auto c = started(3, 5);
  SUBCASE("shrinking") {
    CHECK_FALSE(c.resize(0, 0, kVolumeBytes / 2, false).ok);
  }
  SUBCASE("with a diskful peer away") {
    c.isolate(2);
    c.run_until_quiet();
    const admin_done done = c.resize(0, 0, 2 * kVolumeBytes, false);
    CHECK_FALSE(done.ok);
    CHECK(done.message.find("node 2") != std::string::npos);
  }
  SUBCASE("an unknown volume") {
    admin cmd;
    cmd.op = admin_op::resize;
    cmd.volume = 9;
    cmd.size_sectors = 2 * kVolumeBytes / kSectorBytes;
    CHECK_FALSE(c.admin_command(0, cmd).ok);
  }
  SUBCASE("the same size is a no-op") {
    CHECK(c.resize(0, 0, kVolumeBytes, false).ok);
    CHECK(c.events_named("resized").empty());
  }
  c.run_until_quiet();
}

TEST_CASE("resize beyond the backing device is refused") {
  replica_config config;
  config.self = 0;
  config.volumes.push_back({0, kBlocks * kSectorsPerBlock, 2 * kBlocks * kSectorsPerBlock});
  volume_persistent_state state;
  state.disk = disk_state::uptodate;
  state.uuids.current = 0x1234'0000;
  Replica replica = Replica::restore(config, {state});
  std::vector<output> out;
  admin cmd;
  cmd.tag = 1;
  cmd.op = admin_op::resize;
  cmd.size_sectors = 3 * kBlocks * kSectorsPerBlock;
  replica.step(input{0, cmd}, out);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(std::get<admin_done>(out[0]).ok);
  out.clear();
  cmd.size_sectors = 2 * kBlocks * kSectorsPerBlock;
  replica.step(input{0, cmd}, out);
  const auto done = std::find_if(out.begin(), out.end(), [](const output& o) {
    return std::holds_alternative<admin_done>(o);
  });
  REQUIRE(done != out.end());
  CHECK(std::get<admin_done>(*done).ok);
}

TEST_CASE("a resize during a resync joins the running resync") {
  auto c = started(2, 6);
  volume_model model(2 * kVolumeBytes);
  c.isolate(1);
  c.run_until_quiet();
  for (int i = 0; i < 50; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  c.hold(0, 1, wire::msg_type::rs_data_reply);
  c.rejoin(1);
  c.run_until_quiet();
  REQUIRE(peer_device(c.view(0), 1).repl == repl_state::sync_source);
  REQUIRE(c.resize(0, 0, 2 * kVolumeBytes, false).ok);
  c.run_until_quiet();
  c.release_held();
  c.run_until_quiet();
  CHECK(peer_device(c.view(0), 1).repl == repl_state::established);
  CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
  CHECK(c.resync_bytes_received(1) == 50 * kBlockBytes + kVolumeBytes);
  CHECK(c.disk_bytes(1, 0) == c.disk_bytes(0, 0));
}

TEST_CASE("resize must fit the backing device of every connected node") {
  auto c = primary_on_n0(3, 7, kVolumeBytes, [](sim::cluster_options& o) {
    o.backing_bytes[2] = 6 << 20;  // n2 can grow to 6 MiB, the others without limit
  });
  c.run_until_quiet();  // every node knows n0 is Primary
  const admin_done too_big = c.resize(0, 0, 8 << 20, false);
  CHECK_FALSE(too_big.ok);
  CHECK(too_big.message.find("node 2") != std::string::npos);
  CHECK(c.events_named("resized").empty());
  // Not on a Secondary while another node is Primary: the new area is synced from where it runs.
  const admin_done on_secondary = c.resize(1, 0, 6 << 20, false);
  CHECK_FALSE(on_secondary.ok);
  CHECK(on_secondary.message.find("Primary") != std::string::npos);
  REQUIRE(c.resize(0, 0, 6 << 20, false).ok);
  c.run_until_quiet();
  CHECK(c.events_named("resized").size() == 3);
  CHECK(c.disk_bytes(2, 0) == c.disk_bytes(1, 0));
  CHECK(c.disk_bytes(0, 0) == c.disk_bytes(1, 0));
}

TEST_CASE("a grown backing device reaches every peer; resize without a size takes the smallest") {
  auto c = primary_on_n0(3, 8, kVolumeBytes, [](sim::cluster_options& o) {
    for (node_id n = 0; n < 3; ++n) o.backing_bytes[n] = 6 << 20;
  });
  c.run_until_quiet();
  REQUIRE(c.resize(0, 0, 0, false).ok);  // every node holds 6 MiB
  c.run_until_quiet();
  CHECK(c.view(2).volumes[0].size_sectors * kSectorBytes == (6 << 20));

  auto grow_backing = [&](node_id node, std::uint64_t bytes) {
    admin cmd;
    cmd.op = admin_op::backing_grown;
    cmd.size_sectors = bytes / kSectorBytes;
    return c.admin_command(node, cmd);
  };
  SUBCASE("never below the volume") { CHECK_FALSE(grow_backing(1, 5 << 20).ok); }
  SUBCASE("the smallest node decides") {
    REQUIRE(grow_backing(0, 10 << 20).ok);
    REQUIRE(grow_backing(1, 9 << 20).ok);
    c.run_until_quiet();
    const admin_done blocked = c.resize(0, 0, 9 << 20, false);
    CHECK_FALSE(blocked.ok);  // n2 still holds 6 MiB
    CHECK(blocked.message.find("node 2") != std::string::npos);
    const admin_done no_room = c.resize(0, 0, 0, false);
    CHECK_FALSE(no_room.ok);  // as large as possible is what it has: n2 is named
    CHECK(no_room.message.find("node 2") != std::string::npos);
    REQUIRE(grow_backing(2, 8 << 20).ok);
    c.run_until_quiet();
    REQUIRE(c.resize(0, 0, 0, false).ok);
    c.run_until_quiet();
    for (node_id n = 0; n < 3; ++n) {
      CHECK(c.view(n).volumes[0].size_sectors * kSectorBytes == (8 << 20));
    }
    CHECK(c.disk_bytes(2, 0) == c.disk_bytes(0, 0));
    CHECK(c.disk_bytes(1, 0) == c.disk_bytes(0, 0));
  }
}

namespace {

admin resize_to(std::uint64_t bytes) {
  admin cmd;
  cmd.op = admin_op::resize;
  cmd.volume = 0;
  cmd.size_sectors = bytes / kSectorBytes;
  return cmd;
}

// Runs until both commands are answered; returns how many succeeded.
int both_answered(sim::cluster& c, std::uint64_t a, std::uint64_t b) {
  for (int i = 0; i < 100 && !(c.admin_result(a) && c.admin_result(b)); ++i) {
    c.run_for(10'000'000);
  }
  REQUIRE(c.admin_result(a));
  REQUIRE(c.admin_result(b));
  return int{c.admin_result(a)->ok} + int{c.admin_result(b)->ok};
}

}  // namespace

TEST_CASE("two nodes that invalidate each other at the same moment: the second is refused") {
  auto c = started(3, 11);
  volume_model model(kVolumeBytes);
  for (int i = 0; i < 10; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  // Both prepares are on the wire before either node hears of the other's command. The winner's
  // full sync is held back, so the loser, asking again, finds its source Inconsistent.
  c.hold(1, 2, wire::msg_type::rs_data_reply);
  c.hold(2, 1, wire::msg_type::rs_data_reply);
  const auto a = c.admin_async(1, invalidate_from(2));
  const auto b = c.admin_async(2, invalidate_from(1));
  CHECK(both_answered(c, a, b) == 1);
  c.release_held();
  const admin_done refused = c.admin_result(a)->ok ? *c.admin_result(b) : *c.admin_result(a);
  CAPTURE(refused.message);
  CHECK((refused.message.find("UpToDate") != std::string::npos ||
         refused.message.find("resync") != std::string::npos));
  c.run_until_quiet();
  for (node_id n = 0; n < 3; ++n) {
    CAPTURE(n);
    CHECK(c.view(n).volumes[0].disk == disk_state::uptodate);
  }
  CHECK(c.events_named("invalidated").size() == 1);
  CHECK(c.resync_bytes_received(1) + c.resync_bytes_received(2) == kVolumeBytes);
  check_all_match(c, model);
}

TEST_CASE("two nodes that resize at the same moment: every node grows once, none waits") {
  auto c = started(3, 12);
  volume_model model(kVolumeBytes);
  for (int i = 0; i < 10; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  REQUIRE(c.admin_command(0, admin_op::secondary).ok);  // any node may resize without a Primary
  c.run_until_quiet();
  c.grow_backing_devices(0, 2 * kVolumeBytes, false);
  const admin grow = resize_to(2 * kVolumeBytes);
  const auto a = c.admin_async(1, grow);
  const auto b = c.admin_async(2, grow);
  // The first to commit grows every node; the other then finds the size reached.
  CHECK(both_answered(c, a, b) == 2);
  c.run_until_quiet();
  CHECK(c.events_named("resized").size() == 3);
  for (node_id n = 0; n < 3; ++n) {
    CAPTURE(n);
    CHECK(c.view(n).volumes[0].disk == disk_state::uptodate);
    CHECK(c.view(n).volumes[0].size_sectors == grow.size_sectors);
    CHECK(c.disk_bytes(n, 0) == c.disk_bytes(0, 0));
  }
  // The new area travelled once, from the node that won, to each of the two others.
  CHECK(c.resync_bytes_received(0) + c.resync_bytes_received(1) + c.resync_bytes_received(2) ==
        2 * kVolumeBytes);
  for (node_id n = 0; n < 3; ++n) {
    const auto disk = c.disk_bytes(n, 0);
    CHECK(std::equal(model.bytes().begin(), model.bytes().end(), disk.begin()));
  }
}

TEST_CASE("a peer whose backing device is too small refuses the resize when asked") {
  auto c = primary_on_n0(3, 13, kVolumeBytes, [](sim::cluster_options& o) {
    o.backing_bytes[2] = 6 << 20;
  });
  // n0 never hears n2's limit, so only n2 itself can stop the resize.
  c.isolate(2);
  c.run_until_quiet();
  c.hold(2, 0, wire::msg_type::backing_size);
  c.rejoin(2);
  c.run_until_quiet();
  const admin_done refused = c.resize(0, 0, 8 << 20, false);
  CHECK_FALSE(refused.ok);
  CHECK(refused.message == "the backing device of node 2 holds fewer than 16384 sectors");
  c.run_until_quiet();
  CHECK(c.events_named("resized").empty());
  for (node_id n = 0; n < 3; ++n) {
    CHECK(c.view(n).volumes[0].size_sectors * kSectorBytes == kVolumeBytes);
  }
  CHECK(connection(c.view(0), 2) == conn_state::connected);
  REQUIRE(c.resize(0, 0, 6 << 20, false).ok);
  c.run_until_quiet();
  CHECK(c.events_named("resized").size() == 3);
  c.release_held();
}

TEST_CASE("a resize while a peer takes part in a connect waits for it instead of failing") {
  auto c = started_cluster(3, 14, kVolumeBytes);
  c.cut_link(0, 2);
  c.run_until_quiet();
  // n2 agreed to n0's connect and waits for its end; n1, asked too, has seen it end.
  c.hold(0, 2, wire::msg_type::twopc_commit);
  c.heal_link(0, 2);
  c.run_until_quiet();
  REQUIRE(connection(c.view(2), 0) != conn_state::connected);
  c.grow_backing_devices(0, 2 * kVolumeBytes, false);
  const admin grow = resize_to(2 * kVolumeBytes);
  const auto resize = c.admin_async(1, grow);
  c.run_for(100'000'000);  // n2 answers busy; n1 asks again every 10..80 ms
  CHECK_FALSE(c.admin_result(resize).has_value());
  c.release_held();
  c.run_until_quiet();
  REQUIRE(c.admin_result(resize).has_value());
  CHECK(c.admin_result(resize)->ok);
  for (node_id n = 0; n < 3; ++n) {
    CAPTURE(n);
    CHECK(c.view(n).volumes[0].size_sectors == grow.size_sectors);
    CHECK(c.disk_bytes(n, 0) == c.disk_bytes(1, 0));
  }
}
