// on-io-error (replica_attach.cpp): what a failed local read or write does to the disk, and that
// the I/O that failed is served through a peer either way.
#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr std::uint64_t kVolumeBytes = 1 << 20;

void pass_on(sim::cluster_options& options) { options.io_error_policy = on_io_error::pass_on; }
void call_handler(sim::cluster_options& options) {
  options.io_error_policy = on_io_error::call_local_io_error;
}

// n0 Primary with blocks 0..7 written, then every read of block 2 on n0's disk fails.
sim::cluster with_bad_block(volume_model& model, void (*tweak)(sim::cluster_options&) = nullptr) {
  auto c = primary_on_n0(2, 3, kVolumeBytes, tweak);
  for (std::uint64_t i = 0; i < 8; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  c.add_read_errors(0, 0, 2 * kBlockBytes, kBlockBytes);
  return c;
}

sim::client_result read_block(sim::cluster& c, node_id node, std::uint64_t block) {
  const auto tag = c.read(node, 0, block * kBlockBytes, kBlockBytes);
  c.run_until_quiet();
  return c.result(tag);
}

}  // namespace

TEST_CASE("on-io-error values are spelled as in drbd.conf") {
  CHECK(parse_on_io_error("detach") == on_io_error::detach);
  CHECK(parse_on_io_error("pass_on") == on_io_error::pass_on);
  CHECK(parse_on_io_error("call-local-io-error") == on_io_error::call_local_io_error);
  CHECK_FALSE(parse_on_io_error("pass-on").has_value());
  CHECK_FALSE(parse_on_io_error("").has_value());
  for (auto value : {on_io_error::detach, on_io_error::pass_on, on_io_error::call_local_io_error}) {
    CHECK(parse_on_io_error(to_string(value)) == value);
  }
}

TEST_CASE("on-io-error detach: a failed read detaches the disk and the peer serves the read") {
  volume_model model(kVolumeBytes);
  auto c = with_bad_block(model);
  const auto result = read_block(c, 0, 2);
  REQUIRE(result.status == io_status::ok);
  CHECK(result.data == payload(2, kBlockBytes));
  CHECK(c.view(0).volumes[0].disk == disk_state::diskless);
  CHECK(c.read_errors(0) == 1);
  // Every later read goes to the peer; the Primary goes on writing through it.
  write_ok(c, model, 0, 9 * kBlockBytes, payload(99, kBlockBytes));
  CHECK(read_block(c, 0, 9).data == payload(99, kBlockBytes));
  CHECK(c.read_errors(0) == 1);
  CHECK(logged(c, "read of the local disk failed (on-io-error detach)"));
  // An attach brings the disk back with the generations it held, fully synced.
  REQUIRE(c.admin_command(0, command_toward(admin_op::attach, 1)).ok);
  c.run_until_quiet();
  CHECK(c.view(0).volumes[0].disk == disk_state::uptodate);
  check_all_match(c, model);
}

TEST_CASE("on-io-error call-local-io-error detaches after reporting the handler's event") {
  volume_model model(kVolumeBytes);
  auto c = with_bad_block(model, call_handler);
  REQUIRE(read_block(c, 0, 2).status == io_status::ok);
  CHECK(c.view(0).volumes[0].disk == disk_state::diskless);
  CHECK(logged(c, "local-io-error"));
}

TEST_CASE("on-io-error pass_on: the disk stays attached but Inconsistent, the next handshake "
          "resyncs only the failed blocks") {
  volume_model model(kVolumeBytes);
  auto c = with_bad_block(model, pass_on);
  const auto result = read_block(c, 0, 2);
  REQUIRE(result.status == io_status::ok);
  CHECK(result.data == payload(2, kBlockBytes));
  CHECK(c.view(0).volumes[0].disk == disk_state::inconsistent);
  CHECK(peer_device(c.view(0), 1).out_of_sync_blocks == 1);
  // Writes still reach both disks; reads go to the UpToDate peer.
  write_ok(c, model, 0, 10 * kBlockBytes, payload(100, kBlockBytes));
  CHECK(read_block(c, 0, 3).data == payload(3, kBlockBytes));
  CHECK(c.read_errors(0) == 1);
  // A reconnect: same generation, n0 unusable, so n1 sends the one marked block by bitmap.
  REQUIRE(c.admin_command(0, command_toward(admin_op::disconnect, 1)).ok);
  c.run_until_quiet();
  REQUIRE(c.admin_command(0, command_toward(admin_op::connect, 1)).ok);
  c.run_until_quiet();
  CHECK(logged(c, "inconsistent-same-generation"));
  CHECK(c.view(0).volumes[0].disk == disk_state::uptodate);
  CHECK(peer_device(c.view(0), 1).resynced_blocks == 1);
  CHECK(peer_device(c.view(0), 1).out_of_sync_blocks == 0);
  check_all_match(c, model);
}

TEST_CASE("a resync source whose read fails detaches before it refuses the block; the target "
          "finishes from the other source") {
  volume_model model(kVolumeBytes);
  auto c = primary_on_n0(3, 5, kVolumeBytes);
  REQUIRE(c.admin_command(2, command_toward(admin_op::disconnect, 0)).ok);
  REQUIRE(c.admin_command(2, command_toward(admin_op::disconnect, 1)).ok);
  c.run_until_quiet();
  for (std::uint64_t i = 0; i < 16; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  c.add_read_errors(0, 0, 0, kVolumeBytes);
  REQUIRE(c.admin_command(2, command_toward(admin_op::connect, 0)).ok);
  c.run_until_quiet();
  CHECK(c.view(0).volumes[0].disk == disk_state::diskless);
  CHECK(c.view(2).volumes[0].disk == disk_state::inconsistent);  // no source left: it waits
  REQUIRE(c.admin_command(2, command_toward(admin_op::connect, 1)).ok);
  c.run_until_quiet();
  CHECK(c.view(2).volumes[0].disk == disk_state::uptodate);
  // The Primary refused at most what it had been asked before it detached.
  CHECK(sent(c, 0, 2, wire::msg_type::neg_rs_dreply) <= 8);  // the target's request window
  check_all_match(c, model, mask_of(0));
}
