// verify, invalidate, detach and attach mixed at random with writes, link cuts and a checksum or
// plain resync: whatever is accepted or refused, no acknowledged write is lost and the replicas end
// identical once everything is healed.
#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr std::uint64_t kVolumeBytes = 512 << 10;
constexpr std::uint64_t kBlocks = kVolumeBytes / kBlockBytes;

// One random operator action or fault; refusals are fine, they are part of what is tested.
void random_action(sim::cluster& c, sim::prng& random, std::vector<bool>& rotten) {
  const auto node = static_cast<node_id>(random.below(3));
  const auto peer = static_cast<node_id>((node + 1 + random.below(2)) % 3);
  switch (random.below(7)) {
    case 0: c.admin_command(node, command_toward(admin_op::verify, peer, random.below(2) == 0)); break;
    case 1: c.admin_command(node, command_toward(admin_op::invalidate, peer, true)); break;
    case 2: c.admin_command(node, admin_op::detach); break;
    case 3: c.admin_command(node, command_toward(admin_op::attach, peer, true)); break;
    case 4: c.cut_link(node, peer); break;
    case 5: c.heal_link(node, peer); break;
    default: {
      const std::uint64_t block = random.below(kBlocks);
      c.corrupt(node, 0, block * kBlockBytes, kBlockBytes);
      rotten[block] = true;
      break;
    }
  }
}

}  // namespace

TEST_CASE("random verify, invalidate, detach and attach under writes lose no acknowledged write") {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    CAPTURE(seed);
    const bool checksums = seed % 2 == 0;
    auto c = primary_on_n0(3, seed, kVolumeBytes,
                           checksums ? +[](sim::cluster_options& o) { o.checksum_resync = true; }
                                     : nullptr);
    sim::prng random(seed * 7919);
    volume_model model(kVolumeBytes);
    // Blocks that rotted on some disk since their last write: the model cannot vouch for them.
    std::vector<bool> rotten(kBlocks, false);
    for (int step = 0; step < 40; ++step) {
      random_action(c, random, rotten);
      c.run_for(random.below(3'000'000));
      const std::uint64_t block = random.below(kBlocks);
      auto data = payload(seed * 100'000 + step, kBlockBytes);
      const auto tag = c.write(0, 0, block * kBlockBytes, data);
      REQUIRE_MESSAGE(c.run_until_quiet(300'000), "no end to the activity after step " << step);
      if (c.result(tag).status == io_status::ok) {
        model.apply(block * kBlockBytes, data);
        rotten[block] = false;
      }
    }
    // Heal everything; disks that rotted are repaired the operator's way: invalidate them.
    for (node_id a = 0; a < 3; ++a) {
      for (node_id b = a + 1; b < 3; ++b) c.heal_link(a, b);
    }
    // A livelock (say, a target renegotiating between two sources forever) never gets quiet.
    REQUIRE_MESSAGE(c.run_until_quiet(300'000), "no end to the activity after healing");
    for (node_id n = 0; n < 3; ++n) {
      if (c.view(n).volumes[0].disk == disk_state::diskless) {
        const admin_done done = c.admin_command(n, command_toward(admin_op::attach, 0, true));
        INFO("attach n" << int(n) << ": " << done.message);
        CHECK(done.ok);
        c.run_until_quiet();
      }
    }
    c.run_until_quiet();
    CHECK(c.view(0).local_role == role::primary);
    for (node_id n = 1; n < 3; ++n) {
      CAPTURE(n);
      const admin_done done = c.admin_command(n, command_toward(admin_op::invalidate, 0));
      INFO(done.message);
      REQUIRE(done.ok);
      c.run_until_quiet();
      CHECK(c.view(n).volumes[0].disk == disk_state::uptodate);
    }
    // n0 may hold rotten blocks of its own: compare only what the model vouches for, everywhere.
    for (node_id n = 0; n < 3; ++n) {
      CAPTURE(n);
      const auto& disk = c.disk_bytes(n, 0);
      const auto& want = model.bytes();
      for (std::uint64_t b = 0; b < kBlocks; ++b) {
        const auto at = static_cast<std::ptrdiff_t>(b * kBlockBytes);
        const bool same = std::equal(disk.begin() + at, disk.begin() + at + kBlockBytes,
                                     want.begin() + at);
        if (!same && !rotten[b]) {
          FAIL_CHECK("block " << b << " differs from its last acknowledged write");
        }
      }
    }
    CHECK(c.disk_bytes(1, 0) == c.disk_bytes(0, 0));
    CHECK(c.disk_bytes(2, 0) == c.disk_bytes(0, 0));
  }
}
