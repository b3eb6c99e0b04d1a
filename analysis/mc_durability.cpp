// The durability Monte-Carlo: disks die at the model's rate (sim::cluster::destroy_disk), an empty
// replacement arrives after an exponential delay and the simulator rebuilds it by a full resync
// while the Primary keeps writing. A run ends when the last disk holding every acknowledged write
// dies: data loss.
#include <stdexcept>
#include <vector>

#include "analysis/monte_carlo.h"
#include "analysis/sim_driver.h"

namespace tandem::analysis {
namespace {

struct run_outcome {
  double hours = 0.0;  // until data loss, or max_hours
  bool lost = false;
  std::uint64_t failures = 0;
  std::vector<double> rebuild_copy_hours;  // restart of an empty disk -> holds current data
};

run_outcome run_once(const durability_simulation& o, std::uint64_t seed) {
  const durability_params& p = o.model;
  const int nodes = p.diskful_replicas;
  sim::cluster_options co;
  co.nodes = nodes;  // quorum off: durability does not depend on it, and writes never stop
  co.volume_size_bytes = o.volume_size_bytes;
  co.seed = seed;
  sim::cluster c(co);
  sim::prng random(seed ^ 0x64757261);
  c.start();

  const double ns_per_hour = static_cast<double>(o.virtual_ns_per_hour);
  const std::uint64_t start_ns = c.now_ns();
  std::vector<std::uint64_t> next_change(static_cast<std::size_t>(nodes));
  std::vector<std::uint64_t> rebuild_started(static_cast<std::size_t>(nodes), 0);
  for (auto& at : next_change) at = start_ns + exponential_ns(random, p.disk_mtbf_hours * ns_per_hour);
  current_replicas current(nodes);
  std::optional<node_id> primary;
  run_outcome out;
  const auto end_ns = start_ns + static_cast<std::uint64_t>(o.max_hours * ns_per_hour);
  const std::uint64_t blocks = co.volume_size_bytes / 4096;
  const auto hours_since_start = [&] {
    return static_cast<double>(c.now_ns() - start_ns) / ns_per_hour;
  };

  while (c.now_ns() < end_ns) {
    const std::uint64_t now = c.now_ns();
    for (int n = 0; n < nodes; ++n) {
      auto& at = next_change[static_cast<std::size_t>(n)];
      if (at > now) continue;
      const auto node = static_cast<node_id>(n);
      if (!c.is_up(node)) {  // the replacement disk is in: rebuild by full resync
        c.restart(node);
        rebuild_started[static_cast<std::size_t>(n)] = now;
        at = now + exponential_ns(random, p.disk_mtbf_hours * ns_per_hour);
        continue;
      }
      ++out.failures;
      current.forget(node);
      c.destroy_disk(node);
      if (current.empty()) {
        out.hours = hours_since_start();
        out.lost = true;
        return out;
      }
      at = now + exponential_ns(random, p.disk_replace_hours * ns_per_hour);
    }
    if (primary && !c.is_up(*primary)) primary.reset();
    if (!primary) {
      auto candidate = promotion_candidate(c, current, nodes);
      if (candidate && c.admin_command(*candidate, admin_op::primary).ok) primary = candidate;
    }
    if (primary) {
      std::vector<std::byte> bytes(4096, static_cast<std::byte>(random.below(256)));
      c.write(*primary, 0, random.below(blocks) * 4096, std::move(bytes));
    }
    c.run_for(o.tick_ns);
    if (!primary) continue;
    current.update(c, *primary);
    for (int n = 0; n < nodes; ++n) {  // rebuilds that finished this tick
      auto& started = rebuild_started[static_cast<std::size_t>(n)];
      if (started == 0 || !current.contains(static_cast<node_id>(n))) continue;
      out.rebuild_copy_hours.push_back(static_cast<double>(c.now_ns() - started) / ns_per_hour);
      started = 0;
    }
  }
  out.hours = hours_since_start();
  return out;
}

}  // namespace

durability_measurement simulate_durability(const durability_simulation& o) {
  validate(o.model);
  if (o.runs < 1 || o.max_hours <= 0 || o.virtual_ns_per_hour == 0 || o.tick_ns == 0 ||
      o.volume_size_bytes < 4096) {
    throw std::invalid_argument("simulation runs, hours, time scale and volume must be > 0");
  }
  durability_measurement m;
  std::vector<double> hours;
  std::vector<double> copies;
  for (int r = 0; r < o.runs; ++r) {
    const run_outcome out = run_once(o, o.first_seed + static_cast<std::uint64_t>(r));
    hours.push_back(out.hours);
    if (out.lost) ++m.losses;
    m.disk_failures += out.failures;
    copies.insert(copies.end(), out.rebuild_copy_hours.begin(), out.rebuild_copy_hours.end());
  }
  m.mttdl_hours = estimate_of(hours);
  m.full_resync_hours = estimate_of(copies).mean;
  return m;
}

}  // namespace tandem::analysis
