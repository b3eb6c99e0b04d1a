// The availability Monte-Carlo: nodes crash and restart at the model's rates; the operator keeps a
// Primary on a replica holding every acknowledged write; each tick a probe write on the Primary
// shows whether the resource can take writes right now.
#include <stdexcept>
#include <vector>

#include "analysis/monte_carlo.h"
#include "analysis/sim_driver.h"

namespace tandem::analysis {
namespace {

struct run_counts {
  std::uint64_t probes = 0;
  std::uint64_t failed = 0;
  std::uint64_t crashes = 0;
  std::uint64_t promotions = 0;
  std::uint64_t split_brains = 0;
};

run_counts run_once(const availability_simulation& o, std::uint64_t seed) {
  const availability_params& p = o.model;
  const int diskful = p.diskful_replicas;
  const int nodes = diskful + p.tiebreakers;
  sim::cluster_options co;
  co.nodes = nodes;
  for (int t = diskful; t < nodes; ++t) co.diskless_nodes |= mask_of(static_cast<node_id>(t));
  co.quorum = p.quorum;
  co.on_no_quorum_policy = on_no_quorum::io_error;  // a write without quorum fails at once
  co.volume_size_bytes = 64 << 10;
  co.seed = seed;
  sim::cluster c(co);
  sim::prng random(seed ^ 0x61766169);
  c.start();

  const double ns_per_hour = static_cast<double>(o.virtual_ns_per_hour);
  std::vector<std::uint64_t> next_change(static_cast<std::size_t>(nodes));
  for (auto& at : next_change) at = c.now_ns() + exponential_ns(random, p.node_mtbf_hours * ns_per_hour);
  current_replicas current(diskful);
  std::optional<node_id> primary;
  run_counts counts;
  const auto end_ns = c.now_ns() + static_cast<std::uint64_t>(o.hours_per_run * ns_per_hour);
  const std::uint64_t blocks = co.volume_size_bytes / 4096;

  while (c.now_ns() < end_ns) {
    const std::uint64_t now = c.now_ns();
    for (int n = 0; n < nodes; ++n) {
      auto& at = next_change[static_cast<std::size_t>(n)];
      if (at > now) continue;
      const auto node = static_cast<node_id>(n);
      if (c.is_up(node)) {
        c.crash(node);
        ++counts.crashes;
        at = now + exponential_ns(random, p.node_restart_hours * ns_per_hour);
      } else {
        c.restart(node);
        at = now + exponential_ns(random, p.node_mtbf_hours * ns_per_hour);
      }
    }
    if (primary && !c.is_up(*primary)) primary.reset();
    if (!primary) {
      if (auto candidate = promotion_candidate(c, current, diskful)) {
        if (c.admin_command(*candidate, admin_op::primary).ok) {
          primary = candidate;
          ++counts.promotions;
        }
      }
    }
    std::optional<std::uint64_t> probe;
    if (primary) {
      std::vector<std::byte> bytes(4096, static_cast<std::byte>(random.below(256)));
      probe = c.write(*primary, 0, random.below(blocks) * 4096, std::move(bytes));
    }
    c.run_for(o.tick_ns);
    ++counts.probes;
    const bool written = probe && c.result(*probe).done && c.result(*probe).status == io_status::ok;
    if (!written) ++counts.failed;
    // Only a completed write makes other replicas stale; a Primary without quorum writes nothing.
    if (written) current.update(c, *primary);
  }
  counts.split_brains = c.events_named("split-brain").size();
  return counts;
}

}  // namespace

availability_measurement simulate_availability(const availability_simulation& o) {
  validate(o.model);
  if (o.model.link_mtbf_hours != 0) {
    throw std::invalid_argument("link_mtbf_hours must be 0 for the simulation (crashes only)");
  }
  if (o.runs < 1 || o.hours_per_run <= 0 || o.virtual_ns_per_hour == 0 || o.tick_ns == 0) {
    throw std::invalid_argument("simulation runs, hours and time scale must be > 0");
  }
  availability_measurement m;
  std::vector<double> per_run;
  for (int r = 0; r < o.runs; ++r) {
    const run_counts counts = run_once(o, o.first_seed + static_cast<std::uint64_t>(r));
    per_run.push_back(static_cast<double>(counts.failed) / static_cast<double>(counts.probes));
    m.probes += counts.probes;
    m.failed_probes += counts.failed;
    m.crashes += counts.crashes;
    m.promotions += counts.promotions;
    m.split_brain_events += counts.split_brains;
  }
  m.unavailability = estimate_of(per_run);
  return m;
}

}  // namespace tandem::analysis
