#include <doctest/doctest.h>

#include <string>

#include "sim/sweep.h"

namespace {

struct sweep_totals {
  std::uint64_t acknowledged = 0;
  std::uint64_t cuts = 0;
  std::uint64_t migrations = 0;
  std::uint64_t resync_bytes = 0;
};

// Runs seeds first..last, checks every run, and sums what the runs exercised.
sweep_totals check_seeds(std::uint64_t first, std::uint64_t last,
                         const tandem::sim::sweep_options& options) {
  sweep_totals totals;
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    const auto report = tandem::sim::run_sweep(seed, options);
    CAPTURE(seed);
    std::string violations;
    for (const auto& v : report.violations) violations += v + "; ";
    CAPTURE(violations);
    CHECK(report.ok());
    totals.acknowledged += report.writes_acknowledged;
    totals.cuts += report.link_cuts;
    totals.migrations += report.migrations;
    totals.resync_bytes += report.resync_bytes;
  }
  return totals;
}

}  // namespace

TEST_CASE("random link faults never lose an acknowledged write and always converge (seeds 1-60)") {
  tandem::sim::sweep_options options;
  options.migrations = false;
  const auto totals = check_seeds(1, 60, options);
  // The sweep really exercised faults, not just a quiet cluster.
  CHECK(totals.acknowledged > 5000);
  CHECK(totals.cuts > 500);
  CHECK(totals.resync_bytes > 0);
}

TEST_CASE("Primary migrations between in-sync nodes under link faults lose nothing (seeds 1-60)") {
  const auto totals = check_seeds(1, 60, {});
  CHECK(totals.acknowledged > 5000);
  CHECK(totals.migrations > 60);
}

TEST_CASE("sub-block writes under link faults and migrations lose nothing (seeds 1-40)") {
  tandem::sim::sweep_options options;
  options.small_writes = true;
  const auto totals = check_seeds(1, 40, options);
  CHECK(totals.acknowledged > 3000);
}

TEST_CASE("with quorum no write is acknowledged by a minority and there is no split brain (1-40)") {
  tandem::sim::sweep_options options;
  options.quorum = true;
  options.small_writes = true;
  const auto totals = check_seeds(1, 40, options);
  CHECK(totals.acknowledged > 2000);
  CHECK(totals.migrations > 20);
}

TEST_CASE("a lossy network with one-way cuts loses no acknowledged write (seeds 1-30)") {
  tandem::sim::sweep_options options;
  options.lossy_network = true;
  const auto totals = check_seeds(1, 30, options);
  CHECK(totals.acknowledged > 1500);
}

TEST_CASE("a sweep run is a pure function of its seed") {
  const auto a = tandem::sim::run_sweep(17);
  const auto b = tandem::sim::run_sweep(17);
  const auto c = tandem::sim::run_sweep(18);
  CHECK(a.trace_hash == b.trace_hash);
  CHECK(a.writes_acknowledged == b.writes_acknowledged);
  CHECK(a.trace_hash != c.trace_hash);
}
