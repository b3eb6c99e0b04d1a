// Pieces both Monte-Carlo drivers share: exponential delays from the simulator's portable PRNG,
// and the operator's view of which replicas hold every acknowledged write.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <set>

#include "sim/cluster.h"
#include "sim/prng.h"

namespace tandem::analysis {

// An exponentially distributed delay with the given mean, in virtual nanoseconds (at least 1).
inline std::uint64_t exponential_ns(sim::prng& random, double mean_ns) {
  // 53 random bits give u in (0, 1]; -ln(u) is then finite.
  const double u = static_cast<double>((random.next() >> 11) + 1) * 0x1.0p-53;
  const double delay = -std::log(u) * mean_ns;
  return delay < 1.0 ? 1 : static_cast<std::uint64_t>(delay);
}

// What the operator tracks to fail over without losing writes: the replicas known to hold every
// acknowledged write (the Primary and every peer it is in sync with). Call update() right after
// a write completed: only completed writes make the other replicas stale.
class current_replicas {
 public:
  explicit current_replicas(int diskful) {
    for (int n = 0; n < diskful; ++n) nodes_.insert(static_cast<node_id>(n));
  }
  void update(const sim::cluster& c, node_id primary);
  bool contains(node_id node) const { return nodes_.count(node) != 0; }
  bool empty() const { return nodes_.empty(); }
  void forget(node_id node) { nodes_.erase(node); }

 private:
  std::set<node_id> nodes_;
};

// The lowest-numbered running replica holding current data that is UpToDate and quorate, the one
// the operator promotes.
std::optional<node_id> promotion_candidate(const sim::cluster& c, const current_replicas& current,
                                           int diskful);

}  // namespace tandem::analysis
