#include <set>

#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr std::uint64_t kVolumeBytes = 4 << 20;
constexpr std::uint64_t kBlocks = kVolumeBytes / kBlockBytes;
// What a target can have requested but not yet acknowledged: 8 requests of up to 32 blocks.
constexpr std::uint64_t kMaxInFlightResyncBytes = 8 * 32 * kBlockBytes;

sim::cluster started(int nodes, std::uint64_t seed, std::uint64_t disk_latency_max_ns = 400'000) {
  sim::cluster_options options;
  options.nodes = nodes;
  options.volume_size_bytes = kVolumeBytes;
  options.seed = seed;
  options.disk_latency_max_ns = disk_latency_max_ns;
  sim::cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  return c;
}

}  // namespace

TEST_CASE("disconnect/reconnect resyncs exactly the dirty 4 KiB blocks") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    CAPTURE(seed);
    auto c = started(3, seed);
    volume_model model(kVolumeBytes);
    for (int i = 0; i < 20; ++i)
      write_ok(c, model, 0, i * kBlockBytes, payload(seed * 1000 + i, kBlockBytes));
    c.isolate(2);
    c.run_until_quiet();
    std::set<std::uint64_t> dirty;
    sim::prng random(seed);
    for (int i = 0; i < 50; ++i) {
      const std::uint64_t block = random.below(kBlocks);
      // Sub-block writes dirty the whole 4 KiB block they touch; a write across a block boundary
      // dirties both blocks.
      const int shape = static_cast<int>(random.below(3));
      const std::uint64_t offset =
          block * kBlockBytes + (shape == 1 ? 1024 : 0) + (shape == 2 ? 3584 : 0);
      const std::size_t length = shape == 0 ? kBlockBytes : 1024;
      if (offset + length > kVolumeBytes) continue;
      write_ok(c, model, 0, offset, payload(seed * 7919 + i, length));
      for (auto b = offset / kBlockBytes; b <= (offset + length - 1) / kBlockBytes; ++b)
        dirty.insert(b);
    }
    CHECK(peer_device(c.view(0), 2).out_of_sync_blocks == dirty.size());
    CHECK(peer_device(c.view(1), 2).out_of_sync_blocks == dirty.size());
    c.rejoin(2);
    c.run_until_quiet();
    // Counted by the simulated network, outside the core.
    CHECK(c.resync_bytes_received(2) == dirty.size() * kBlockBytes);
    CHECK(c.view(2).volumes[0].disk == disk_state::uptodate);
    CHECK(peer_device(c.view(0), 2).repl == repl_state::established);
    CHECK(peer_device(c.view(0), 2).out_of_sync_blocks == 0);
    CHECK(peer_device(c.view(1), 2).out_of_sync_blocks == 0);
    CHECK(c.view(2).volumes[0].current == c.view(0).volumes[0].current);
    check_all_match(c, model);
  }
}

TEST_CASE("a target syncs from one source at a time, the other source waits and then agrees") {
  auto c = started(3, 3);
  volume_model model(kVolumeBytes);
  c.isolate(2);
  c.run_until_quiet();
  for (int i = 0; i < 10; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  c.rejoin(2);
  c.run_until_quiet();
  const auto& log = c.log();
  const bool paused = std::any_of(log.begin(), log.end(), [](const std::string& line) {
    return line.find("n2 replication peer n") != std::string::npos &&
           line.find("-> PausedSyncT") != std::string::npos;
  });
  CHECK(paused);
  CHECK(c.resync_bytes_received(2) == 10 * kBlockBytes);  // nothing was sent twice
  check_all_match(c, model);
}

TEST_CASE("writes during resync are never overwritten by older resync data") {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    // Slow disks keep the resync busy while the Primary writes to the same blocks.
    auto c = started(2, seed, 2'000'000);
    volume_model model(kVolumeBytes);
    c.isolate(1);
    c.run_until_quiet();
    for (int i = 0; i < 64; ++i)
      write_ok(c, model, 0, i * kBlockBytes, payload(seed * 100 + i, kBlockBytes));
    c.rejoin(1);
    c.run_for(1'000'000);  // resync is under way
    CHECK(peer_device(c.view(0), 1).repl == repl_state::sync_source);
    sim::prng random(seed);
    std::vector<std::pair<std::uint64_t, std::vector<std::byte>>> pending;
    std::vector<std::uint64_t> tags;
    std::set<std::uint64_t> used;
    for (int i = 0; i < 32; ++i) {
      std::uint64_t block = random.below(64);
      if (!used.insert(block).second)
        continue;  // one in-flight write per block keeps the model exact
      auto data = payload(seed * 5000 + i, kBlockBytes);
      tags.push_back(c.write(0, 0, block * kBlockBytes, data));
      pending.emplace_back(block * kBlockBytes, std::move(data));
      c.run_for(random.below(300'000));
    }
    c.run_until_quiet();
    for (std::size_t i = 0; i < tags.size(); ++i) {
      REQUIRE(c.result(tags[i]).status == io_status::ok);
      model.apply(pending[i].first, pending[i].second);
    }
    CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
    check_all_match(c, model);
  }
}

TEST_CASE("a resync interrupted by another disconnect resumes from the bitmap") {
  auto c = started(2, 11, 2'000'000);
  volume_model model(kVolumeBytes);
  c.isolate(1);
  c.run_until_quiet();
  // Every other block: each resync request covers one block, so the resync takes many round trips.
  for (int i = 0; i < 200; ++i) write_ok(c, model, 0, 2 * i * kBlockBytes, payload(i, kBlockBytes));
  c.rejoin(1);
  c.run_for(3'000'000);
  CHECK(c.view(1).volumes[0].disk == disk_state::inconsistent);
  const std::uint64_t first_pass = c.resync_bytes_received(1);
  CHECK(first_pass > 0);
  CHECK(first_pass < 200 * kBlockBytes);
  c.isolate(1);
  c.run_until_quiet();
  // An interrupted target is not usable data.
  CHECK(c.view(1).volumes[0].disk == disk_state::inconsistent);
  CHECK(c.admin_command(1, admin_op::primary).ok == false);
  c.rejoin(1);
  c.run_until_quiet();
  CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
  // Blocks acknowledged by the target in the first pass are not sent again; blocks whose
  // acknowledgement was lost with the connection may be.
  CHECK(c.resync_bytes_received(1) <= 200 * kBlockBytes + kMaxInFlightResyncBytes);
  check_all_match(c, model);
}

TEST_CASE("day 0: a forced Primary makes the others SyncTarget for a full sync") {
  sim::cluster_options options;
  options.nodes = 3;
  options.volume_size_bytes = 1 << 20;
  options.start_uptodate = false;
  sim::cluster c(options);
  c.start();
  CHECK(c.view(0).volumes[0].disk == disk_state::inconsistent);
  const auto refused = c.admin_command(0, admin_op::primary);
  CHECK_FALSE(refused.ok);
  CHECK(refused.message.find("no access to UpToDate data") != std::string::npos);
  REQUIRE(c.admin_command(0, admin_op::primary_force).ok);
  c.run_until_quiet();
  for (node_id n = 0; n < 3; ++n) CHECK(c.view(n).volumes[0].disk == disk_state::uptodate);
  CHECK(c.resync_bytes_received(1) + c.resync_bytes_received(2) == 2 * (1 << 20));
  volume_model model(1 << 20);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  check_all_match(c, model);
}
