// The resync rate controller in a running cluster (the arithmetic: test_resync_rate.cpp): a paced
// resync moves the same blocks as an unpaced one, only more slowly, and stops its step timer.
#include <optional>

#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr std::uint64_t kVolumeBytes = 4 << 20;
constexpr int kDirtyBlocks = 512;  // 2 MiB to resync

struct resync_run {
  std::uint64_t resync_bytes = 0;
  std::uint64_t duration_ns = 0;
};

// n1 misses 2 MiB of writes, then rejoins and is resynced from n0.
resync_run resync_after_isolation(std::optional<resync_rate_settings> rate) {
  sim::cluster_options options;
  options.nodes = 2;
  options.volume_size_bytes = kVolumeBytes;
  options.seed = 3;
  options.resync_rate = rate;
  sim::cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  volume_model model(kVolumeBytes);
  c.isolate(1);
  c.run_until_quiet();
  for (int i = 0; i < kDirtyBlocks; ++i) {
    write_ok(c, model, 0, static_cast<std::uint64_t>(i) * 2 * kBlockBytes,
             payload(static_cast<std::uint64_t>(i), kBlockBytes));
  }
  const std::uint64_t rejoined_ns = c.now_ns();
  c.rejoin(1);
  REQUIRE(c.run_until_quiet());  // the step timer stops once the resync is over
  CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
  check_all_match(c, model);
  return {c.resync_bytes_received(1), c.now_ns() - rejoined_ns};
}

}  // namespace

TEST_CASE("a paced resync moves the same blocks, no faster than its rate allows") {
  const resync_run unpaced = resync_after_isolation(std::nullopt);
  CHECK(unpaced.resync_bytes == kDirtyBlocks * kBlockBytes);
  CHECK(unpaced.duration_ns < 1'000'000'000);

  SUBCASE("c-max-rate caps the dynamic controller") {
    resync_rate_settings rate;
    rate.max_rate_kib_s = 1024;  // 2 MiB take at least 2 s
    rate.fill_target_sectors = 10'000;
    const resync_run paced = resync_after_isolation(rate);
    CHECK(paced.resync_bytes == unpaced.resync_bytes);
    CHECK(paced.duration_ns >= 1'900'000'000);
    CHECK(paced.duration_ns < 4'000'000'000);
  }
  SUBCASE("c-plan-ahead 0: the static resync-rate") {
    resync_rate_settings rate;
    rate.plan_ahead_ds = 0;
    rate.resync_rate_kib_s = 512;  // 2 MiB take at least 4 s
    const resync_run paced = resync_after_isolation(rate);
    CHECK(paced.resync_bytes == unpaced.resync_bytes);
    CHECK(paced.duration_ns >= 3'900'000'000);
    CHECK(paced.duration_ns < 6'000'000'000);
  }
  SUBCASE("a rate beyond what the window allows changes nothing but the step timer") {
    resync_rate_settings rate;
    rate.plan_ahead_ds = 0;
    rate.resync_rate_kib_s = 4'000'000;
    const resync_run paced = resync_after_isolation(rate);
    CHECK(paced.resync_bytes == unpaced.resync_bytes);
    CHECK(paced.duration_ns < 1'000'000'000);
  }
}
