// Checksum-based resync (replica_checksum_resync.cpp, DRBD csums-alg): equal ranges are answered
// "in sync" without data, differing ones with the data, and newer writes still win.
#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr std::uint64_t kVolumeBytes = 4 << 20;
constexpr std::uint64_t kBlocks = kVolumeBytes / kBlockBytes;
// Blocks per checksum request (kChecksumRequestBlocks, private to core/replica).
constexpr std::uint64_t kChecksumRequestBlocks = 8;

sim::cluster started(int nodes, std::uint64_t seed) {
  return primary_on_n0(nodes, seed, kVolumeBytes,
                       [](sim::cluster_options& o) { o.checksum_resync = true; });
}

admin invalidate_command() {
  return command_toward(admin_op::invalidate, 0, true);
}

}  // namespace

TEST_CASE("a full sync of equal data moves no data with checksums") {
  auto c = started(2, 1);
  volume_model model(kVolumeBytes);
  for (int i = 0; i < 30; ++i) write_ok(c, model, 0, i * 7 * kBlockBytes, payload(i, kBlockBytes));
  REQUIRE(c.admin_command(1, invalidate_command()).ok);
  c.run_until_quiet();
  CHECK(c.resync_bytes_received(1) == 0);
  CHECK(peer_device(c.view(1), 0).resync_skipped_blocks == kBlocks);
  CHECK(peer_device(c.view(0), 1).resync_skipped_blocks == kBlocks);  // counted by the source too
  CHECK(sent(c, 1, 0, wire::msg_type::rs_csum_request) == kBlocks / kChecksumRequestBlocks);
  CHECK(sent(c, 0, 1, wire::msg_type::rs_is_in_sync) == kBlocks / kChecksumRequestBlocks);
  CHECK(sent(c, 1, 0, wire::msg_type::rs_data_request) == 0);
  CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
  check_all_match(c, model);
}

TEST_CASE("only the requests whose digests differ carry data") {
  auto c = started(2, 2);
  volume_model model(kVolumeBytes);
  for (int i = 0; i < 10; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  c.corrupt(1, 0, 100 * kBlockBytes, kBlockBytes);  // in request 96..103
  c.corrupt(1, 0, 101 * kBlockBytes, 512);          // same request
  c.corrupt(1, 0, 900 * kBlockBytes, 1);            // in request 896..903
  REQUIRE(c.admin_command(1, invalidate_command()).ok);
  c.run_until_quiet();
  CHECK(c.resync_bytes_received(1) == 2 * kChecksumRequestBlocks * kBlockBytes);
  CHECK(peer_device(c.view(1), 0).resync_skipped_blocks == kBlocks - 2 * kChecksumRequestBlocks);
  check_all_match(c, model);
}

TEST_CASE("without checksums the same sync copies everything") {
  auto c = primary_on_n0(2, 3, kVolumeBytes);  // checksum_resync off
  REQUIRE(c.admin_command(1, invalidate_command()).ok);
  c.run_until_quiet();
  CHECK(c.resync_bytes_received(1) == kVolumeBytes);
  CHECK(peer_device(c.view(1), 0).resync_skipped_blocks == 0);
  CHECK(sent(c, 1, 0, wire::msg_type::rs_csum_request) == 0);
}

TEST_CASE("a bitmap resync with checksums sends the blocks that changed") {
  auto c = started(3, 4);
  volume_model model(kVolumeBytes);
  c.isolate(2);
  c.run_until_quiet();
  for (int i = 0; i < 12; ++i) write_ok(c, model, 0, i * 50 * kBlockBytes, payload(i, kBlockBytes));
  c.rejoin(2);
  c.run_until_quiet();
  CHECK(c.resync_bytes_received(2) == 12 * kBlockBytes);
  CHECK(peer_device(c.view(2), 0).resync_skipped_blocks +
            peer_device(c.view(2), 1).resync_skipped_blocks ==
        0);
  check_all_match(c, model);
}

TEST_CASE("writes during a checksum resync are never overwritten or lost") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    auto c = primary_on_n0(2, seed, kVolumeBytes, [](sim::cluster_options& o) {
      o.checksum_resync = true;
      o.disk_latency_max_ns = 1'500'000;  // writes meet ranges being digested
    });
    volume_model model(kVolumeBytes);
    for (int i = 0; i < 8; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
    c.corrupt(1, 0, 3 * kBlockBytes, kBlockBytes);
    REQUIRE(c.admin_command(1, invalidate_command()).ok);
    // Writes while the first ranges are digested, compared and answered.
    std::vector<std::pair<std::uint64_t, std::vector<std::byte>>> writes;
    for (int i = 0; i < 40; ++i) {
      const std::uint64_t offset = (i % 20) * kBlockBytes;
      auto data = payload(seed * 1000 + i, kBlockBytes);
      const auto tag = c.write(0, 0, offset, data);
      c.run_until_quiet();  // serialises the writes to one block
      REQUIRE(c.result(tag).status == io_status::ok);
      model.apply(offset, data);
    }
    c.run_until_quiet();
    CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
    check_all_match(c, model);
  }
}
