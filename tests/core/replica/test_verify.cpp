// Online verify (replica_verify.cpp): Established -> VerifyS / VerifyT -> Established, what it
// finds, what it refuses, and that it neither races writes nor resyncs by itself.
#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr std::uint64_t kVolumeBytes = 4 << 20;
constexpr std::uint64_t kBlocks = kVolumeBytes / kBlockBytes;

sim::cluster started(int nodes, std::uint64_t seed) {
  return primary_on_n0(nodes, seed, kVolumeBytes);
}

// Slow disks keep the verify's reads in flight while the test acts.
sim::cluster started_slow(int nodes, std::uint64_t seed) {
  return primary_on_n0(nodes, seed, kVolumeBytes,
                       [](sim::cluster_options& o) { o.disk_latency_max_ns = 1'500'000; });
}

admin verify_command(node_id peer, bool all_peers = false) {
  return command_toward(admin_op::verify, peer, all_peers);
}

}  // namespace

TEST_CASE("verify of identical replicas compares every block and finds nothing") {
  auto c = started(3, 1);
  volume_model model(kVolumeBytes);
  for (int i = 0; i < 20; ++i) write_ok(c, model, 0, i * 3 * kBlockBytes, payload(i, kBlockBytes));
  REQUIRE(c.admin_command(0, verify_command(0, true)).ok);
  c.run_until_quiet();
  for (node_id peer : {1, 2}) {
    CAPTURE(peer);
    const peer_device_view pv = peer_device(c.view(0), peer);
    CHECK(pv.verified_blocks == kBlocks);
    CHECK(pv.verify_out_of_sync_blocks == 0);
    CHECK(pv.out_of_sync_blocks == 0);
    CHECK(pv.repl == repl_state::established);
    // The target learns the figures at the end of the run.
    CHECK(peer_device(c.view(peer), 0).verified_blocks == kBlocks);
  }
  CHECK(logged(c, "n0 replication peer n1 volume 0: Established -> VerifyS"));
  CHECK(logged(c, "n0 replication peer n1 volume 0: VerifyS -> Established"));
  CHECK(logged(c, "n1 replication peer n0 volume 0: Established -> VerifyT"));
  CHECK(logged(c, "n1 replication peer n0 volume 0: VerifyT -> Established"));
  CHECK(c.events_named("verify-done").size() == 4);  // two sources' runs, two targets' reports
  CHECK(c.resync_bytes_received(1) == 0);
}

TEST_CASE("the view shows VerifyS and VerifyT while the run is going") {
  auto c = started_slow(2, 2);
  REQUIRE(c.admin_command(0, verify_command(1)).ok);
  CHECK(peer_device(c.view(0), 1).repl == repl_state::verify_s);
  c.run_for(1'000'000);
  CHECK(peer_device(c.view(1), 0).repl == repl_state::verify_t);
  c.run_until_quiet();
  CHECK(peer_device(c.view(0), 1).repl == repl_state::established);
  CHECK(peer_device(c.view(1), 0).repl == repl_state::established);
}

TEST_CASE("verify marks exactly the rotten blocks and leaves them to the next handshake") {
  auto c = started(2, 3);
  volume_model model(kVolumeBytes);
  for (int i = 0; i < 10; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  c.corrupt(1, 0, 5 * kBlockBytes, kBlockBytes);
  c.corrupt(1, 0, 700 * kBlockBytes + 100, 1);  // one byte is enough
  REQUIRE(c.admin_command(0, verify_command(1)).ok);
  c.run_until_quiet();
  const peer_device_view pv = peer_device(c.view(0), 1);
  CHECK(pv.verify_out_of_sync_blocks == 2);
  CHECK(pv.out_of_sync_blocks == 2);
  CHECK(c.events_named("verify-out-of-sync").size() == 2);
  // DRBD semantics: the verify itself repairs nothing.
  CHECK(c.resync_bytes_received(1) == 0);
  CHECK(c.disk_bytes(1, 0) != model.bytes());
  // A disconnect/connect does: the Primary resyncs the marked blocks.
  REQUIRE(c.admin_command(0, admin_op::disconnect, 1).ok);
  c.run_until_quiet();
  REQUIRE(c.admin_command(0, admin_op::connect, 1).ok);
  c.run_until_quiet();
  CHECK(c.resync_bytes_received(1) == 2 * kBlockBytes);
  CHECK(peer_device(c.view(0), 1).out_of_sync_blocks == 0);
  check_all_match(c, model);
}

TEST_CASE("verify is refused without a connected UpToDate peer in sync") {
  auto c = started_cluster(3, 1, kVolumeBytes,
                           [](sim::cluster_options& o) { o.diskless_nodes = mask_of(2); });
  SUBCASE("toward a diskless peer") {
    CHECK_FALSE(c.admin_command(0, verify_command(2)).ok);
  }
  SUBCASE("toward an unknown node") {
    CHECK_FALSE(c.admin_command(0, verify_command(7)).ok);
  }
  SUBCASE("from a diskless node") {
    CHECK_FALSE(c.admin_command(2, verify_command(0)).ok);
  }
  SUBCASE("toward a disconnected peer") {
    c.cut_link(0, 1);
    c.run_until_quiet();
    CHECK_FALSE(c.admin_command(0, verify_command(1)).ok);
    CHECK_FALSE(c.admin_command(0, verify_command(0, true)).ok);  // nobody left to verify
  }
  SUBCASE("while a verify with that peer runs") {
    REQUIRE(c.admin_command(0, verify_command(1)).ok);
    const admin_done again = c.admin_command(0, verify_command(1));
    CHECK_FALSE(again.ok);
    CHECK(again.message.find("VerifyS") != std::string::npos);
    // ... and on the target, toward its source.
    c.run_for(300'000);
    CHECK_FALSE(c.admin_command(1, verify_command(0)).ok);
  }
  c.run_until_quiet();
}

TEST_CASE("writes racing the verify are compared again, never reported") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    auto c = started_slow(2, seed);
    REQUIRE(c.admin_command(0, verify_command(1)).ok);
    // Writes to the blocks the verify is reading right now.
    std::vector<std::uint64_t> tags;
    for (int i = 0; i < 64; ++i) {
      tags.push_back(c.write(0, 0, (i % 16) * kBlockBytes, payload(seed * 100 + i, kBlockBytes)));
      c.run_for(50'000);
    }
    c.run_until_quiet();
    for (auto tag : tags) CHECK(c.result(tag).status == io_status::ok);
    const peer_device_view pv = peer_device(c.view(0), 1);
    CHECK(pv.verify_out_of_sync_blocks == 0);
    CHECK(pv.out_of_sync_blocks == 0);
    CHECK(pv.verified_blocks + 16 >= kBlocks);  // a range written every time is not compared
    CHECK(c.disk_bytes(0, 0) == c.disk_bytes(1, 0));
  }
}

TEST_CASE("at most kResyncWindow verify requests are in flight") {
  auto c = started(2, 4);
  c.hold(1, 0, wire::msg_type::ov_reply);
  REQUIRE(c.admin_command(0, verify_command(1)).ok);
  c.run_until_quiet();
  CHECK(c.counters(0, 1).messages.at(wire::msg_type::ov_request) == 8);
  c.release_held();
  c.run_until_quiet();
  CHECK(c.counters(0, 1).messages.at(wire::msg_type::ov_request) == kBlocks / 32);
  CHECK(peer_device(c.view(0), 1).verified_blocks == kBlocks);
}

TEST_CASE("a lost connection ends the verify on both sides") {
  auto c = started(2, 5);
  c.hold(1, 0, wire::msg_type::ov_reply);
  REQUIRE(c.admin_command(0, verify_command(1)).ok);
  c.run_until_quiet();
  c.cut_link(0, 1);
  c.run_until_quiet();
  CHECK(logged(c, "n0 replication peer n1 volume 0: VerifyS -> Established"));
  CHECK(logged(c, "n1 replication peer n0 volume 0: VerifyT -> Established"));
  const auto done = c.events_named("verify-done");
  REQUIRE(done.size() == 2);
  CHECK(done[0].find("replication changed") != std::string::npos);
  c.heal_link(0, 1);
  c.run_until_quiet();
  CHECK(peer_device(c.view(0), 1).repl == repl_state::established);
  CHECK(peer_device(c.view(0), 1).out_of_sync_blocks == 0);
}

TEST_CASE("verify covers every volume and reports each on its own") {
  auto c = primary_on_n0(2, 7, kVolumeBytes, [](sim::cluster_options& o) { o.volumes = 2; });
  c.corrupt(1, 1, 12 * kBlockBytes, kBlockBytes);
  REQUIRE(c.admin_command(0, verify_command(1)).ok);
  c.run_until_quiet();
  const replica_view v = c.view(0);
  REQUIRE(v.connections.size() == 1);
  CHECK(v.connections[0].volumes[0].verified_blocks == kBlocks);
  CHECK(v.connections[0].volumes[0].verify_out_of_sync_blocks == 0);
  CHECK(v.connections[0].volumes[1].verified_blocks == kBlocks);
  CHECK(v.connections[0].volumes[1].verify_out_of_sync_blocks == 1);
  CHECK(v.connections[0].volumes[1].out_of_sync_blocks == 1);
  CHECK(c.events_named("verify-done").size() == 4);  // per volume, on both sides
}

TEST_CASE("verify is paced by the resync rate controller, like a resync") {
  // 4 MiB at a static 4000 KiB/s (800 sectors, 100 blocks per 100 ms step) takes about a second
  // of virtual time; unpaced, the same run is over in a few milliseconds.
  auto paced = primary_on_n0(2, 3, kVolumeBytes, [](sim::cluster_options& o) {
    o.resync_rate.emplace();
    o.resync_rate->plan_ahead_ds = 0;
    o.resync_rate->resync_rate_kib_s = 4000;
  });
  auto unpaced = started(2, 3);
  for (sim::cluster* c : {&paced, &unpaced}) {
    const std::uint64_t start_ns = c->now_ns();
    REQUIRE(c->admin_command(0, verify_command(1)).ok);
    c->run_until_quiet();
    const peer_device_view pv = peer_device(c->view(0), 1);
    CHECK(pv.verified_blocks == kBlocks);
    CHECK(pv.repl == repl_state::established);
    const auto done = c->events_named("verify-done");
    REQUIRE_FALSE(done.empty());
    const double took_s = (c->now_ns() - start_ns) / 1e9;
    CAPTURE(took_s);
    if (c == &paced) {
      CHECK(took_s > 0.9);  // 1024 blocks at 100 per step: 10 steps of 100 ms
      CHECK(took_s < 1.3);
    } else {
      CHECK(took_s < 0.1);
    }
  }
}
