// Randomisation ranges of scenario files: `at_ms = [lo, hi]` becomes one time per seed.
#include "sim/prng.h"
#include "sim/scenario.h"

namespace tandem::sim {
namespace {

// A stream of its own, apart from the cluster's and the runner's: adding a range to a scenario
// moves that entry's time and nothing else of the run.
constexpr std::uint64_t kRangeStream = 0x72616e6765;  // "range"

}  // namespace

scenario resolve_ranges(const scenario& s, std::uint64_t seed) {
  scenario resolved = s;
  prng times(seed ^ kRangeStream);
  for (auto& a : resolved.timeline) {
    if (!a.at_ms_latest) continue;
    a.at_ms = times.between(a.at_ms, *a.at_ms_latest);
    a.at_ms_latest.reset();
  }
  return resolved;
}

}  // namespace tandem::sim
