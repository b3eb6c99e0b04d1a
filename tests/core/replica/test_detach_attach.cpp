// Admin detach / attach of the local disk (replica_attach.cpp): Diskless with I/O through peers,
// then a full sync of the returning disk from an UpToDate peer, with no acknowledged write lost.
#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr std::uint64_t kVolumeBytes = 1 << 20;

admin attach_command() {
  return command_toward(admin_op::attach, 0, true);
}

}  // namespace

TEST_CASE("a detached Secondary leaves the replication and comes back by a full sync") {
  auto c = primary_on_n0(3, 1, kVolumeBytes);
  volume_model model(kVolumeBytes);
  for (int i = 0; i < 5; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  REQUIRE(c.admin_command(2, admin_op::detach).ok);
  CHECK(logged(c, "n2 disk volume 0: UpToDate -> Detaching"));
  CHECK(logged(c, "n2 disk volume 0: Detaching -> Diskless"));
  c.run_until_quiet();
  CHECK(peer_device(c.view(0), 2).peer_disk == disk_state::diskless);
  for (int i = 5; i < 15; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  CHECK(peer_device(c.view(0), 2).out_of_sync_blocks == 10);  // what n2 missed
  // Reads on the detached node go to a peer.
  const auto read = c.read(2, 0, 7 * kBlockBytes, kBlockBytes);
  c.run_until_quiet();
  REQUIRE(c.result(read).status == io_status::ok);
  CHECK(c.result(read).data == payload(7, kBlockBytes));
  REQUIRE(c.admin_command(2, attach_command()).ok);
  CHECK(c.view(2).volumes[0].disk == disk_state::inconsistent);
  c.run_until_quiet();
  CHECK(c.view(2).volumes[0].disk == disk_state::uptodate);
  CHECK(c.resync_bytes_received(2) == kVolumeBytes);
  CHECK(peer_device(c.view(0), 2).out_of_sync_blocks == 0);
  check_all_match(c, model);
}

TEST_CASE("a detached Primary keeps writing through its peers, also while it attaches") {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    auto c = primary_on_n0(2, seed, kVolumeBytes);
    volume_model model(kVolumeBytes);
    REQUIRE(c.admin_command(0, admin_op::detach).ok);
    c.run_until_quiet();
    for (int i = 0; i < 8; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
    REQUIRE(c.admin_command(0, attach_command()).ok);
    // Writes at once, while the full sync has not even started: they must survive it.
    std::vector<std::pair<std::uint64_t, std::vector<std::byte>>> late;
    for (int i = 0; i < 8; ++i) {
      auto data = payload(seed * 100 + i, kBlockBytes);
      late.emplace_back(c.write(0, 0, (20 + i) * kBlockBytes, data), data);
    }
    c.run_until_quiet();
    for (int i = 0; i < 8; ++i) {
      REQUIRE(c.result(late[i].first).status == io_status::ok);
      model.apply((20 + i) * kBlockBytes, late[i].second);
    }
    CHECK(c.view(0).local_role == role::primary);
    CHECK(c.view(0).volumes[0].disk == disk_state::uptodate);
    check_all_match(c, model);
  }
}

TEST_CASE("detach and attach are refused where they would lose data or do nothing") {
  auto c = started_cluster(3, 1, kVolumeBytes,
                           [](sim::cluster_options& o) { o.diskless_nodes = mask_of(2); });
  SUBCASE("a diskless node") {
    CHECK_FALSE(c.admin_command(2, admin_op::detach).ok);
    CHECK_FALSE(c.admin_command(2, attach_command()).ok);
  }
  SUBCASE("attach of an attached disk") {
    CHECK_FALSE(c.admin_command(0, attach_command()).ok);
  }
  SUBCASE("a Primary without an UpToDate peer") {
    REQUIRE(c.admin_command(0, admin_op::primary).ok);
    c.isolate(1);
    c.run_until_quiet();
    CHECK_FALSE(c.admin_command(0, admin_op::detach).ok);
  }
  SUBCASE("attach without a peer to sync from") {
    REQUIRE(c.admin_command(1, admin_op::detach).ok);
    c.isolate(1);
    c.run_until_quiet();
    CHECK_FALSE(c.admin_command(1, attach_command()).ok);
    CHECK(c.view(1).volumes[0].disk == disk_state::diskless);
  }
  SUBCASE("while a resync runs") {
    c.isolate(1);
    c.run_until_quiet();
    REQUIRE(c.admin_command(0, admin_op::primary).ok);
    const auto tag = c.write(0, 0, 0, payload(1, kBlockBytes));
    c.run_until_quiet();
    REQUIRE(c.result(tag).status == io_status::ok);
    c.hold(0, 1, wire::msg_type::rs_data_reply);
    c.rejoin(1);
    c.run_until_quiet();
    CHECK_FALSE(c.admin_command(1, admin_op::detach).ok);
    CHECK_FALSE(c.admin_command(0, admin_op::detach).ok);
    c.release_held();
  }
  c.run_until_quiet();
}

TEST_CASE("a full-sync request a peer can no longer serve falls back to a fresh handshake") {
  auto c = primary_on_n0(3, 5, kVolumeBytes);
  // n1 asks n2 for a full sync; n2 invalidates itself (and stays Inconsistent) before the request
  // arrives.
  c.hold(1, 2, wire::msg_type::resync_request);
  c.hold(0, 2, wire::msg_type::rs_data_reply);
  REQUIRE(c.admin_command(1, command_toward(admin_op::invalidate, 2)).ok);
  REQUIRE(c.admin_command(2, command_toward(admin_op::invalidate, 0)).ok);
  c.run_until_quiet();
  c.release_held();
  c.run_until_quiet();
  CHECK(c.events_named("resync-request-refused").size() == 1);
  // n1 asked n0 next: both end UpToDate from n0.
  CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
  CHECK(c.view(2).volumes[0].disk == disk_state::uptodate);
  CHECK(c.disk_bytes(1, 0) == c.disk_bytes(0, 0));
  CHECK(c.disk_bytes(2, 0) == c.disk_bytes(0, 0));
}

TEST_CASE("a peer that was away while the Primary detached and attached still gets every write") {
  auto c = primary_on_n0(3, 6, kVolumeBytes);
  volume_model model(kVolumeBytes);
  for (int i = 0; i < 4; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  c.isolate(2);
  c.run_until_quiet();
  for (int i = 4; i < 8; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  REQUIRE(c.admin_command(0, admin_op::detach).ok);
  c.run_until_quiet();
  for (int i = 8; i < 12; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  REQUIRE(c.admin_command(0, command_toward(admin_op::attach, 1)).ok);
  c.run_until_quiet();
  for (int i = 12; i < 16; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  c.rejoin(2);
  c.run_until_quiet();
  for (node_id n : {0, 1, 2}) {
    CAPTURE(n);
    CHECK(c.view(n).volumes[0].disk == disk_state::uptodate);
  }
  CHECK(c.events_named("split-brain").empty());
  check_all_match(c, model);
}
