#include "analysis/durability_model.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/ctmc.h"

namespace tandem::analysis {
namespace {

void require(bool ok, const char* name, const char* what) {
  if (!ok) throw std::invalid_argument(std::string(name) + " " + what);
}

}  // namespace

void validate(const durability_params& p) {
  require(p.diskful_replicas >= 1 && p.diskful_replicas <= 32, "replicas", "must be 1..32");
  require(p.disk_mtbf_hours > 0, "disk_mtbf_hours", "must be > 0");
  require(p.disk_replace_hours >= 0, "disk_replace_hours", "must be >= 0");
  require(p.volume_size_gib >= 0, "volume_size_gib", "must be >= 0");
  require(p.resync_mib_per_s > 0, "resync_mib_per_s", "must be > 0");
  require(p.parallel_rebuilds >= 0, "parallel_rebuilds", "must be >= 0 (0: no limit)");
  require(p.rebuild_hours() > 0, "disk_replace_hours", "and the volume size give no rebuild time");
}

durability_result solve_durability(const durability_params& p) {
  validate(p);
  // State g = number of good copies, g = 0..N; state 0 (no copy left) absorbs.
  const int n = p.diskful_replicas;
  const double fail = 1.0 / p.disk_mtbf_hours;
  const double rebuild = 1.0 / p.rebuild_hours();
  const int crews = p.parallel_rebuilds == 0 ? n : p.parallel_rebuilds;
  ctmc chain(static_cast<std::size_t>(n) + 1);
  for (int good = 1; good <= n; ++good) {
    const auto g = static_cast<std::size_t>(good);
    chain.add_rate(g, g - 1, good * fail);
    if (good < n) chain.add_rate(g, g + 1, std::min(n - good, crews) * rebuild);
  }
  std::vector<bool> absorbing(static_cast<std::size_t>(n) + 1, false);
  absorbing[0] = true;
  durability_result result;
  result.mttdl_hours = chain.mean_hours_to_absorption(static_cast<std::size_t>(n), absorbing);
  result.rebuild_hours = p.rebuild_hours();
  result.states = chain.size();
  return result;
}

}  // namespace tandem::analysis
