#include "analysis/availability_model.h"

#include <algorithm>
#include <array>
#include <deque>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/ctmc.h"

namespace tandem::analysis {
namespace {

// One Markov state, packed so it can key a hash map. Nodes 0..diskful-1 are the replicas, the
// tie-breakers follow. Link bit k is the k-th pair (a < b) in lexicographic order.
struct state {
  std::uint32_t up = 0;       // node is running
  std::uint32_t links = 0;    // link is up (all ones when links cannot fail)
  std::uint32_t current = 0;  // replica's disk holds every acknowledged write
  std::uint32_t quorate = 0;  // replica's last quorum decision (what "had quorum" remembers)
  std::uint64_t key() const {
    return std::uint64_t{up} | std::uint64_t{current} << 8 | std::uint64_t{quorate} << 16 |
           std::uint64_t{links} << 24;
  }
};

bool has(std::uint32_t mask, int bit) { return (mask >> bit) & 1u; }

class model {
 public:
  explicit model(const availability_params& p) : p_(p), nodes_(p.diskful_replicas + p.tiebreakers) {
    for (int a = 0; a < nodes_; ++a) {
      for (int b = a + 1; b < nodes_; ++b) pairs_.push_back({a, b});
    }
  }

  int nodes() const { return nodes_; }
  int link_count() const { return static_cast<int>(pairs_.size()); }
  bool links_fail() const { return p_.link_mtbf_hours > 0.0; }
  const std::array<int, 2>& pair(int k) const { return pairs_[static_cast<std::size_t>(k)]; }

  // Connected components of the running nodes over the working links (label = smallest member,
  // -1 for a node that is down).
  std::vector<int> components(const state& s) const {
    std::vector<int> label(static_cast<std::size_t>(nodes_), -1);
    for (int n = 0; n < nodes_; ++n) {
      if (has(s.up, n)) label[static_cast<std::size_t>(n)] = n;
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (int k = 0; k < link_count(); ++k) {
        const auto [a, b] = pair(k);
        auto& la = label[static_cast<std::size_t>(a)];
        auto& lb = label[static_cast<std::size_t>(b)];
        if (!has(s.links, k) || la < 0 || lb < 0 || la == lb) continue;
        la = lb = std::min(la, lb);
        changed = true;
      }
    }
    return label;
  }

  // The partition that takes the writes: the one holding the lowest-numbered replica that is
  // current and quorate (the operator keeps the Primary on data that is complete), or -1.
  int writer(const state& s, const std::vector<int>& label) const {
    for (int d = 0; d < p_.diskful_replicas; ++d) {
      if (has(s.up, d) && has(s.current, d) && has(s.quorate, d)) {
        return label[static_cast<std::size_t>(d)];
      }
    }
    return -1;
  }

  // Applies what follows a change at once: every running replica re-decides quorum from the
  // votes it can see, and while some partition writes, every replica outside it falls behind.
  state settle(state s) const {
    const auto label = components(s);
    std::uint32_t quorate = 0;
    for (int d = 0; d < p_.diskful_replicas; ++d) {
      if (!has(s.up, d)) continue;
      const int group = label[static_cast<std::size_t>(d)];
      quorum_votes votes;
      for (int n = 0; n < nodes_; ++n) {
        const bool with_me = label[static_cast<std::size_t>(n)] == group;
        if (n < p_.diskful_replicas) {
          ++(with_me ? votes.up_to_date : votes.unknown);
        } else {
          ++(with_me ? votes.diskless : votes.missing_diskless);
        }
      }
      const bool had = has(s.quorate, d);
      if (decide_quorum(votes, p_.quorum, quorum_setting{}, had, false).have) quorate |= 1u << d;
    }
    s.quorate = quorate;
    const int w = writer(s, label);
    if (w < 0) return s;
    for (int d = 0; d < p_.diskful_replicas; ++d) {
      if (label[static_cast<std::size_t>(d)] != w) s.current &= ~(1u << d);
    }
    return s;
  }

  bool available(const state& s) const { return writer(s, components(s)) >= 0; }

  // Two partitions each hold a replica that DRBD would let an operator promote: it has quorum
  // and, as far as it can tell, UpToDate data (a stale replica outside the writing partition
  // cannot know it is stale; one inside it is a SyncTarget and cannot be promoted).
  bool split_brain_prone(const state& s) const {
    const auto label = components(s);
    const int w = writer(s, label);
    std::vector<int> promotable_groups;
    for (int d = 0; d < p_.diskful_replicas; ++d) {
      const int group = label[static_cast<std::size_t>(d)];
      if (!has(s.up, d) || !has(s.quorate, d)) continue;
      if (group == w && !has(s.current, d)) continue;
      if (std::find(promotable_groups.begin(), promotable_groups.end(), group) ==
          promotable_groups.end()) {
        promotable_groups.push_back(group);
      }
    }
    return promotable_groups.size() >= 2;
  }

  // Every transition out of a settled state, as (next state, rate per hour).
  template <typename Visit>
  void transitions(const state& s, Visit visit) const {
    const double fail = 1.0 / p_.node_mtbf_hours;
    const double restart = 1.0 / p_.node_restart_hours;
    for (int n = 0; n < nodes_; ++n) {
      state next = s;
      if (has(s.up, n)) {
        next.up &= ~(1u << n);
        next.quorate &= ~(1u << n);  // a restarted replica decides afresh
        visit(settle(next), fail);
      } else {
        next.up |= 1u << n;
        visit(settle(next), restart);
      }
    }
    if (links_fail()) {
      for (int k = 0; k < link_count(); ++k) {
        state next = s;
        next.links ^= 1u << k;
        visit(settle(next), has(s.links, k) ? 1.0 / p_.link_mtbf_hours : 1.0 / p_.link_repair_hours);
      }
    }
    const auto label = components(s);
    const int w = writer(s, label);
    for (int d = 0; d < p_.diskful_replicas && w >= 0; ++d) {
      if (!has(s.up, d) || has(s.current, d) || label[static_cast<std::size_t>(d)] != w) continue;
      state next = s;
      next.current |= 1u << d;
      visit(settle(next), 1.0 / p_.resync_hours);
    }
  }

  state initial() const {
    state s;
    s.up = (1u << nodes_) - 1;
    s.links = link_count() == 0 ? 0 : static_cast<std::uint32_t>((1ull << link_count()) - 1);
    s.current = (1u << p_.diskful_replicas) - 1;
    s.quorate = s.current;  // day 0: the resource was created with every replica connected
    return settle(s);
  }

 private:
  availability_params p_;
  int nodes_;
  std::vector<std::array<int, 2>> pairs_;
};

void require(bool ok, const char* name, const std::string& what) {
  if (!ok) throw std::invalid_argument(std::string(name) + " " + what);
}

}  // namespace

void validate(const availability_params& p) {
  require(p.diskful_replicas >= 1 && p.diskful_replicas <= 5, "replicas", "must be 1..5");
  require(p.tiebreakers >= 0 && p.tiebreakers <= 2, "tiebreakers", "must be 0..2");
  require(p.node_mtbf_hours > 0, "node_mtbf_hours", "must be > 0");
  require(p.node_restart_hours > 0, "node_restart_hours", "must be > 0");
  require(p.link_mtbf_hours >= 0, "link_mtbf_hours", "must be >= 0 (0: links never fail)");
  require(p.link_repair_hours > 0, "link_repair_hours", "must be > 0");
  require(p.resync_hours > 0, "resync_hours", "must be > 0");
  // Every link is a state bit: 6 links of 4 nodes keep the chain below ~10^5 states, 10 links of
  // 5 nodes would not (tens of millions).
  require(p.link_mtbf_hours == 0 || p.diskful_replicas + p.tiebreakers <= 4, "link_mtbf_hours",
          "> 0 needs at most 4 nodes (replicas + tiebreakers)");
}

availability_result solve_availability(const availability_params& params) {
  validate(params);
  const model m(params);
  std::unordered_map<std::uint64_t, std::size_t> index;
  std::vector<state> states;
  struct edge {
    std::size_t from, to;
    double per_hour;
  };
  std::vector<edge> edges;
  const auto intern = [&](const state& s) {
    auto [it, added] = index.emplace(s.key(), states.size());
    if (added) states.push_back(s);
    return it->second;
  };
  intern(m.initial());
  for (std::size_t i = 0; i < states.size(); ++i) {
    const state s = states[i];
    m.transitions(s, [&](const state& next, double rate) {
      const std::size_t j = intern(next);
      if (j != i) edges.push_back({i, j, rate});
    });
  }
  ctmc chain(states.size());
  for (const auto& e : edges) chain.add_rate(e.from, e.to, e.per_hour);
  const Eigen::VectorXd pi = chain.steady_state();
  availability_result result;
  result.states = states.size();
  for (std::size_t i = 0; i < states.size(); ++i) {
    const double p = pi(static_cast<Eigen::Index>(i));
    if (m.available(states[i])) result.availability += p;
    if (m.split_brain_prone(states[i])) result.split_brain_prone += p;
  }
  return result;
}

}  // namespace tandem::analysis
