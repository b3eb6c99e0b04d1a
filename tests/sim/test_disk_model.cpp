// The disk model (sim/disk_model.h) and its use by the cluster: bandwidth, latent sector errors
// that a write remaps, torn writes at a crash, and the write tracker's view of them (old or new
// data is fine for a write that was never acknowledged, and only for such a write).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sim/cluster.h"
#include "sim/disk_model.h"
#include "sim/write_tracker.h"

using namespace tandem;
using namespace tandem::sim;

namespace {

std::vector<std::byte> bytes_of(std::size_t length, std::uint8_t value) {
  return std::vector<std::byte>(length, std::byte{value});
}

}  // namespace

TEST_CASE("a disk's bandwidth serialises its transfers") {
  disk_channel channel;
  CHECK(channel.transfer(0, 4096, 0) == 0);                          // unlimited
  CHECK(channel.transfer(0, 1'000'000, 100'000'000) == 10'000'000);  // 1 MB at 100 MB/s: 10 ms
  CHECK(channel.transfer(0, 1'000'000, 100'000'000) == 20'000'000);  // queued behind it
  CHECK(channel.transfer(50'000'000, 1'000'000, 100'000'000) == 60'000'000);  // idle again
}

TEST_CASE("latent sector errors fail reads that touch them until a write covers them") {
  latent_errors bad;
  bad.add(8192, 1024);  // sectors 16 and 17
  CHECK(bad.bad_sectors() == 2);
  CHECK(bad.touches(8192, 512));
  CHECK(bad.touches(4096, 8192));  // a read spanning them
  CHECK(bad.touches(8704, 4096));
  CHECK_FALSE(bad.touches(0, 8192));     // ends right before
  CHECK_FALSE(bad.touches(9216, 4096));  // starts right after
  bad.overwrite(8192, 256);              // covers no whole sector: nothing remapped
  CHECK(bad.bad_sectors() == 2);
  bad.overwrite(8192, 512);
  CHECK_FALSE(bad.touches(8192, 512));
  CHECK(bad.touches(8192, 1024));
  bad.overwrite(4096, 8192);
  CHECK(bad.bad_sectors() == 0);
}

TEST_CASE("a torn write is decided per piece of the tear granularity") {
  prng random(1);
  CHECK(torn_write_pieces(0, 16384, kBlockBytes, random).size() == 4);
  CHECK(torn_write_pieces(2048, 6144, kBlockBytes, random).size() == 2);  // [2k, 4k), [4k, 8k)
  CHECK(torn_write_pieces(512, 1024, kBlockBytes, random).size() == 1);
  CHECK(torn_write_pieces(0, 4096, kSectorBytes, random).size() == 8);
  CHECK(torn_write_pieces(512, 1024, kSectorBytes, random).size() == 2);
  CHECK(torn_write_pieces(1024, 4096, 2048, random).size() == 3);  // [1k, 2k) [2k, 4k) [4k, 5k)
  CHECK(torn_piece_end(1024, 5120, 2048) == 2048);
  CHECK(torn_piece_end(4096, 5120, 2048) == 5120);
  CHECK(torn_piece_end(0, 16384, kSectorBytes) == 512);
  int torn = 0;
  for (int i = 0; i < 100; ++i) {
    const auto landed = torn_write_pieces(0, 16384, kBlockBytes, random);
    const auto count = std::count(landed.begin(), landed.end(), true);
    torn += count != 0 && count != 4 ? 1 : 0;
  }
  CHECK(torn > 60);  // 7 in 8 four-piece writes are torn
}

TEST_CASE("4 KiB tearing draws what the model drew before sectors existed") {
  // The old model: one coin per piece cut at 4 KiB boundaries. Same seed, same coins.
  prng now(9), before(9);
  for (int i = 0; i < 50; ++i) {
    const auto landed = torn_write_pieces(2048, 14336, kBlockBytes, now);
    REQUIRE(landed.size() == 4);
    for (bool piece : landed) CHECK(piece == (before.below(2) == 0));
  }
}

namespace {

// One node, writes that stay on their way to the disk for 1 ms, torn at a crash.
cluster_options torn_disk(std::uint64_t seed, std::uint64_t granularity_bytes) {
  cluster_options options;
  options.nodes = 1;
  options.seed = seed;
  options.volume_size_bytes = 1 << 20;
  options.disk_latency_min_ns = options.disk_latency_max_ns = 1'000'000;
  options.torn_writes = true;
  options.torn_write_granularity_bytes = granularity_bytes;
  return options;
}

bool all_bytes(const std::vector<std::byte>& disk, std::uint64_t offset, std::uint64_t length,
               std::uint8_t value) {
  const auto first = disk.begin() + static_cast<std::ptrdiff_t>(offset);
  return std::all_of(first, first + static_cast<std::ptrdiff_t>(length),
                     [value](std::byte x) { return x == std::byte{value}; });
}

}  // namespace

// Crashes the node while a write of `length` bytes at `offset` is on its way to the disk. Each
// piece of `granularity` bytes must then hold the new data or the old whole, and the tracker must
// accept the disk as it is (the write was never acknowledged). Returns the pieces that are new.
int new_pieces_after_crash(cluster& c, std::uint64_t offset, std::uint64_t length,
                           std::uint64_t granularity) {
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  write_tracker tracker(c.options().volume_size_bytes);
  REQUIRE(tracker.start_write(c, 0, offset, bytes_of(length, 0xab), false));
  c.run_for(500'000);  // the write is on its way to the disk
  c.crash(0);
  const auto& disk = c.disk_bytes(0, 0);
  int new_pieces = 0;
  for (std::uint64_t at = offset; at < offset + length; at += granularity) {
    const bool is_new = all_bytes(disk, at, granularity, 0xab);
    CHECK((is_new || all_bytes(disk, at, granularity, 0)));  // a piece is atomic
    new_pieces += is_new ? 1 : 0;
  }
  std::vector<std::string> violations;
  tracker.collect(
      c, [](io_status, bool) { return false; }, false, violations);
  CHECK(violations.empty());  // a write lost with its node broke no promise
  tracker.check_replicas(c, {0}, 0, violations);
  CHECK(violations.empty());  // its blocks may hold old, new or mixed data
  return new_pieces;
}

TEST_CASE("a crash tears a multi-block write in flight; the tracker accepts it as unacknowledged") {
  int torn_runs = 0;
  for (std::uint64_t seed = 1; seed <= 16; ++seed) {
    cluster c(torn_disk(seed, kBlockBytes));
    const int new_blocks = new_pieces_after_crash(c, 8 * kBlockBytes, 4 * kBlockBytes, kBlockBytes);
    torn_runs += new_blocks != 0 && new_blocks != 4 ? 1 : 0;
  }
  CHECK(torn_runs >= 8);
}

TEST_CASE("sector tearing leaves a 4 KiB block half old, half new; the tracker accepts it") {
  int mixed_blocks = 0;
  for (std::uint64_t seed = 1; seed <= 16; ++seed) {
    cluster c(torn_disk(seed, kSectorBytes));
    const int new_sectors = new_pieces_after_crash(c, 4 * kBlockBytes, kBlockBytes, kSectorBytes);
    mixed_blocks += new_sectors != 0 && new_sectors != 8 ? 1 : 0;
    const auto& log = c.log();
    const bool logged = std::any_of(log.begin(), log.end(), [](const std::string& line) {
      return line.find("torn write at offset 16384: ") != std::string::npos &&
             line.find(" of 8 sectors reached the medium") != std::string::npos;
    });
    CHECK(logged == (new_sectors != 0 && new_sectors != 8));
  }
  CHECK(mixed_blocks >= 12);  // 254 in 256 eight-sector writes are torn
}

TEST_CASE("an acknowledged write is never torn by a crash, whatever the granularity") {
  for (std::uint64_t granularity : {kSectorBytes, kBlockBytes}) {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
      const cluster_options options = torn_disk(seed, granularity);
      cluster c(options);
      c.start();
      REQUIRE(c.admin_command(0, admin_op::primary).ok);
      write_tracker tracker(options.volume_size_bytes);
      const auto no_failure = [](io_status, bool) { return false; };
      std::vector<std::string> violations;
      REQUIRE(tracker.start_write(c, 0, 0, bytes_of(4 * kBlockBytes, 0x3c), false));
      REQUIRE(c.run_until_quiet());
      tracker.collect(c, no_failure, false, violations);
      REQUIRE(tracker.acknowledged() == 1);
      // The crash catches a second write on its way, over the first one's last two blocks.
      REQUIRE(tracker.start_write(c, 0, 2 * kBlockBytes, bytes_of(4 * kBlockBytes, 0x4d), false));
      c.run_for(500'000);
      c.crash(0);
      tracker.collect(c, no_failure, false, violations);
      CHECK(tracker.acknowledged() == 1);
      CHECK(all_bytes(c.disk_bytes(0, 0), 0, 2 * kBlockBytes, 0x3c));
      tracker.check_replicas(c, {0}, 0, violations);
      CHECK(violations.empty());
    }
  }
}

TEST_CASE("an acknowledged write that is not whole on the disk is a violation, to one sector") {
  // As if a block, or just the last sector of one, of the acknowledged write had been torn away.
  for (auto [offset, length] :
       {std::pair{2 * kBlockBytes, kBlockBytes}, {3 * kBlockBytes - kSectorBytes, kSectorBytes}}) {
    CAPTURE(length);
    cluster_options options;
    options.nodes = 1;
    options.volume_size_bytes = 1 << 20;
    cluster c(options);
    c.start();
    REQUIRE(c.admin_command(0, admin_op::primary).ok);
    write_tracker tracker(options.volume_size_bytes);
    REQUIRE(tracker.start_write(c, 0, 0, bytes_of(4 * kBlockBytes, 0xcd), false));
    REQUIRE(c.run_until_quiet());
    std::vector<std::string> violations;
    tracker.collect(
        c, [](io_status, bool) { return false; }, false, violations);
    REQUIRE(violations.empty());
    CHECK(tracker.acknowledged() == 1);
    c.corrupt(0, 0, offset, static_cast<std::uint32_t>(length));
    tracker.check_replicas(c, {0}, 0, violations);
    REQUIRE(violations.size() == 1);
    CHECK(violations[0].find("differs from the acknowledged writes in 1 blocks, the first at "
                             "offset 8192") != std::string::npos);
  }
}

TEST_CASE("a read hitting a latent error is served by the peer; a write remaps the sectors") {
  cluster_options options;
  options.nodes = 2;
  options.seed = 2;
  options.volume_size_bytes = 1 << 20;
  cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  const std::uint64_t written = c.write(0, 0, 0, bytes_of(kBlockBytes, 0x5a));
  REQUIRE(c.run_until_quiet());
  REQUIRE(c.result(written).status == io_status::ok);
  c.add_read_errors(0, 0, 0, kBlockBytes);
  const std::uint64_t first = c.read(0, 0, 0, kBlockBytes);
  REQUIRE(c.run_until_quiet());
  CHECK(c.read_errors(0) == 1);
  CHECK(c.result(first).status == io_status::ok);  // from n1
  CHECK(c.result(first).data == bytes_of(kBlockBytes, 0x5a));
  CHECK(c.view(0).volumes[0].disk == disk_state::diskless);  // on-io-error detach
  // The attach's full sync writes every block, the bad one too: the sectors are remapped.
  admin attach;
  attach.op = admin_op::attach;
  attach.peer = 1;
  REQUIRE(c.admin_command(0, attach).ok);
  REQUIRE(c.run_until_quiet());
  REQUIRE(c.view(0).volumes[0].disk == disk_state::uptodate);
  const std::uint64_t second = c.read(0, 0, 0, kBlockBytes);
  REQUIRE(c.run_until_quiet());
  CHECK(c.read_errors(0) == 1);  // remapped by the resync write: no new error
  CHECK(c.result(second).data == bytes_of(kBlockBytes, 0x5a));
  CHECK(c.view(0).volumes[0].disk == disk_state::uptodate);
}

TEST_CASE("a slow node's disk latency and send delay show in protocol C write latency") {
  auto slowest_write_ns = [](bool slow) {
    cluster_options options;
    options.nodes = 2;
    options.seed = 6;
    cluster c(options);
    c.start();
    REQUIRE(c.admin_command(0, admin_op::primary).ok);
    if (slow) c.slow_node(1, 1000, 3'000'000);
    std::uint64_t slowest = 0;
    for (std::uint64_t i = 0; i < 20; ++i) {
      const std::uint64_t tag = c.write(0, 0, i * kBlockBytes, bytes_of(kBlockBytes, 1));
      REQUIRE(c.run_until_quiet());
      const client_result& r = c.result(tag);
      slowest = std::max(slowest, r.completed_at_ns - r.issued_at_ns);
    }
    return slowest;
  };
  CHECK(slowest_write_ns(false) < 1'000'000);
  CHECK(slowest_write_ns(true) > 3'000'000);
}
