// tandem-sim selftest: every planted bug must be caught by the sweep's checkers within a bounded
// number of seeds, and the unmodified core must pass the same seeds. Proves the checkers can fail.
#include "sim/selftest.h"

#include <cstdio>

#include "sim/sweep.h"

namespace tandem::sim {
namespace {

// The sweep configuration that exposes a bug: quorum bugs need quorum on, resync races need
// sub-block writes and migrations, the activity log needs crashes.
sweep_options options_for(planted_bug bug) {
  sweep_options options;
  options.planted = bug;
  options.quorum = bug == planted_bug::ignore_quorum;
  options.small_writes = bug == planted_bug::stale_resync_reply;
  options.crashes = bug == planted_bug::forget_activity_log;
  return options;
}

}  // namespace

int run_selftest(std::uint64_t max_seeds, std::FILE* out) {
  if (!planted_bugs_available()) {
    std::fprintf(out,
                 "selftest: this tandem-sim was built without planted bugs "
                 "(TANDEM_SIM_PLANTED_BUGS=OFF)\n");
    return 2;
  }
  int failures = 0;
  std::fprintf(out, "%-22s %-10s %s\n", "planted bug", "caught by", "first violation");
  for (planted_bug bug : kAllPlantedBugs) {
    const sweep_options options = options_for(bug);
    std::uint64_t caught_at = 0;
    std::string violation;
    for (std::uint64_t seed = 1; seed <= max_seeds && caught_at == 0; ++seed) {
      const sweep_report report = run_sweep(seed, options);
      if (!report.ok()) {
        caught_at = seed;
        violation = report.violations.front();
      }
    }
    if (caught_at == 0) {
      ++failures;
      std::fprintf(out, "%-22s %-10s NOT CAUGHT within %llu seeds\n",
                   std::string(to_string(bug)).c_str(), "-",
                   static_cast<unsigned long long>(max_seeds));
      continue;
    }
    std::fprintf(out, "%-22s seed %-5llu %s\n", std::string(to_string(bug)).c_str(),
                 static_cast<unsigned long long>(caught_at), violation.c_str());
  }
  // The same configurations with no bug planted must pass every seed.
  for (planted_bug bug : kAllPlantedBugs) {
    sweep_options options = options_for(bug);
    options.planted = planted_bug::none;
    for (std::uint64_t seed = 1; seed <= max_seeds; ++seed) {
      const sweep_report report = run_sweep(seed, options);
      if (!report.ok()) {
        ++failures;
        std::fprintf(out, "unmodified core FAILED seed %llu (configuration of %s): %s\n",
                     static_cast<unsigned long long>(seed), std::string(to_string(bug)).c_str(),
                     report.violations.front().c_str());
        break;
      }
    }
  }
  std::fprintf(out, "selftest: %d planted bugs, %s\n", static_cast<int>(std::size(kAllPlantedBugs)),
               failures == 0 ? "every one caught, unmodified core clean" : "FAILED");
  return failures == 0 ? 0 : 1;
}

}  // namespace tandem::sim
