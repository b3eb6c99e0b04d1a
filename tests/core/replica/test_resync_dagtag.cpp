// A sync source reads a block only once the Primary's writes the target holds have reached it
// (wire::resync_dagtag, core/replica/replica_resync_dagtag.cpp).
#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr std::uint64_t kVolumeBytes = 1 << 20;
constexpr std::uint64_t kBlockX = 40;

// n0 Primary; n1 resynced from n0 once, so it no longer counts the generation's writes (its
// replies say nothing about which writes they include). Then n0 writes block X while its data
// to n1 is held: n2 has the new X, n1 the old one, and n2 pulls everything from n1.
sim::cluster n2_pulls_from_n1_behind_the_primary(volume_model& model) {
  auto c = primary_on_n0(3, 1, kVolumeBytes);
  for (int i = 0; i < 4; ++i) write_ok(c, model, 0, i * kBlockBytes, payload(i, kBlockBytes));
  c.cut_link(0, 1);
  c.run_until_quiet();
  write_ok(c, model, 0, 8 * kBlockBytes, payload(8, kBlockBytes));
  c.heal_link(0, 1);
  c.run_until_quiet();
  REQUIRE(peer_device(c.view(1), 0).repl == repl_state::established);
  REQUIRE(c.disk_bytes(1, 0) == c.disk_bytes(0, 0));
  c.hold(0, 1, wire::msg_type::data);
  c.write(0, 0, kBlockX * kBlockBytes, payload(99, kBlockBytes));
  c.run_until_quiet();
  REQUIRE(c.admin_command(2, command_toward(admin_op::invalidate, 1)).ok);
  c.run_until_quiet();
  return c;
}

}  // namespace

TEST_CASE("a source behind the Primary's write the target holds waits for it before reading") {
  volume_model model(kVolumeBytes);
  auto c = n2_pulls_from_n1_behind_the_primary(model);
  // n2 asked for X naming n0's write; n1 has not received it, so it holds the read back and
  // n2's resync cannot finish.
  CHECK(logged(c, "resync-read-waits"));
  CHECK(c.view(2).volumes[0].disk == disk_state::inconsistent);
  c.release_held();
  c.run_until_quiet();
  // The write reached n1, which then read X and sent the new version: the write n0 completes
  // now is on every disk.
  model.apply(kBlockX * kBlockBytes, payload(99, kBlockBytes));
  CHECK(c.view(2).volumes[0].disk == disk_state::uptodate);
  check_all_match(c, model);
}
