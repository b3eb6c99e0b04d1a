#include <doctest/doctest.h>

#include <string>

#include "sim/sweep.h"

TEST_CASE("random link faults never lose an acknowledged write and always converge (seeds 1-60)") {
  tandem::sim::sweep_options options;
  options.migrations = false;
  std::uint64_t acknowledged = 0, cuts = 0, resync_bytes = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    const auto report = tandem::sim::run_sweep(seed, options);
    CAPTURE(seed);
    std::string violations;
    for (const auto& v : report.violations) violations += v + "; ";
    CAPTURE(violations);
    CHECK(report.ok());
    acknowledged += report.writes_acknowledged;
    cuts += report.link_cuts;
    resync_bytes += report.resync_bytes;
  }
  // The sweep really exercised faults, not just a quiet cluster.
  CHECK(acknowledged > 5000);
  CHECK(cuts > 500);
  CHECK(resync_bytes > 0);
}

TEST_CASE("Primary migrations between in-sync nodes under link faults lose nothing (seeds 1-60)") {
  std::uint64_t acknowledged = 0, migrations = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    const auto report = tandem::sim::run_sweep(seed);
    CAPTURE(seed);
    std::string violations;
    for (const auto& v : report.violations) violations += v + "; ";
    CAPTURE(violations);
    CHECK(report.ok());
    acknowledged += report.writes_acknowledged;
    migrations += report.migrations;
  }
  CHECK(acknowledged > 5000);
  CHECK(migrations > 60);
}

TEST_CASE("sub-block writes under link faults and migrations lose nothing (seeds 1-40)") {
  tandem::sim::sweep_options options;
  options.small_writes = true;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const auto report = tandem::sim::run_sweep(seed, options);
    CAPTURE(seed);
    std::string violations;
    for (const auto& v : report.violations) violations += v + "; ";
    CAPTURE(violations);
    CHECK(report.ok());
  }
}

TEST_CASE("a sweep run is a pure function of its seed") {
  const auto a = tandem::sim::run_sweep(17);
  const auto b = tandem::sim::run_sweep(17);
  const auto c = tandem::sim::run_sweep(18);
  CHECK(a.trace_hash == b.trace_hash);
  CHECK(a.writes_acknowledged == b.writes_acknowledged);
  CHECK(a.trace_hash != c.trace_hash);
}
