#include "analysis/partition.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/connected_components.hpp>
#include <map>
#include <set>
#include <stdexcept>

namespace tandem::analysis {
namespace {

using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;

struct element {  // something that can fail: a link (index into links) or a switch (vertex)
  bool is_link = true;
  std::size_t index = 0;
  std::string name;
};

class analyzer {
 public:
  analyzer(const topology& t, const placement& p) : t_(t), p_(p) {
    for (const auto& h : t.hosts) vertex_.emplace(h, vertex_.size());
    for (const auto& s : t.switches) vertex_.emplace(s, vertex_.size());
    for (std::size_t l = 0; l < t.links.size(); ++l) {
      elements_.push_back({true, l, t.links[l].first + "-" + t.links[l].second});
    }
    for (const auto& s : t.switches) elements_.push_back({false, vertex_.at(s), s});
  }

  const std::vector<element>& elements() const { return elements_; }

  partition_outcome judge(const std::vector<std::size_t>& failed) const {
    std::set<std::size_t> dead_links;
    std::set<std::size_t> dead_vertices;
    for (auto e : failed) (elements_[e].is_link ? dead_links : dead_vertices).insert(elements_[e].index);
    graph g(vertex_.size());
    for (std::size_t l = 0; l < t_.links.size(); ++l) {
      const auto a = vertex_.at(t_.links[l].first);
      const auto b = vertex_.at(t_.links[l].second);
      if (dead_links.count(l) || dead_vertices.count(a) || dead_vertices.count(b)) continue;
      boost::add_edge(a, b, g);
    }
    std::vector<int> component(vertex_.size());
    boost::connected_components(g, component.data());
    std::set<int> writable;
    for (const auto& replica : p_.diskful) {
      const int mine = component[vertex_.at(replica)];
      if (decide(mine, component)) writable.insert(mine);
    }
    if (writable.empty()) return partition_outcome::frozen;
    return writable.size() == 1 ? partition_outcome::writable : partition_outcome::two_writable;
  }

 private:
  // A replica in `group` that had quorum before the failure: does it keep it?
  bool decide(int group, const std::vector<int>& component) const {
    quorum_votes votes;
    for (const auto& r : p_.diskful) ++(component[vertex_.at(r)] == group ? votes.up_to_date : votes.unknown);
    for (const auto& r : p_.tiebreakers) {
      ++(component[vertex_.at(r)] == group ? votes.diskless : votes.missing_diskless);
    }
    return decide_quorum(votes, p_.quorum, quorum_setting{}, true, false).have;
  }

  const topology& t_;
  const placement& p_;
  std::map<std::string, std::size_t> vertex_;
  std::vector<element> elements_;
};

// Calls visit(chosen) for every subset of {0..n-1} with exactly k members, in lexicographic order.
template <typename Visit>
void for_each_combination(std::size_t n, std::size_t k, Visit visit) {
  if (k > n) return;
  std::vector<std::size_t> chosen(k);
  for (std::size_t i = 0; i < k; ++i) chosen[i] = i;
  while (true) {
    visit(chosen);
    std::size_t i = k;
    while (i > 0 && chosen[i - 1] == n - k + i - 1) --i;
    if (i == 0) return;
    ++chosen[i - 1];
    for (std::size_t j = i; j < k; ++j) chosen[j] = chosen[j - 1] + 1;
  }
}

}  // namespace

const char* to_string(partition_outcome outcome) {
  switch (outcome) {
    case partition_outcome::writable: return "writable";
    case partition_outcome::frozen: return "frozen";
    case partition_outcome::two_writable: return "two writable sides";
  }
  return "?";
}

void validate(const topology& t, const placement& p) {
  std::set<std::string> hosts(t.hosts.begin(), t.hosts.end());
  std::set<std::string> names = hosts;
  for (const auto& s : t.switches) {
    if (!names.insert(s).second) throw std::invalid_argument("switch '" + s + "' is named twice");
  }
  if (hosts.size() != t.hosts.size()) throw std::invalid_argument("a host is named twice");
  for (const auto& [a, b] : t.links) {
    for (const auto& end : {a, b}) {
      if (!names.count(end)) throw std::invalid_argument("link end '" + end + "' is not a host or switch");
    }
  }
  if (p.diskful.empty()) throw std::invalid_argument("placement '" + p.name + "' has no replicas");
  std::set<std::string> used;
  for (const auto& list : {p.diskful, p.tiebreakers}) {
    for (const auto& h : list) {
      if (!hosts.count(h)) throw std::invalid_argument("placement '" + p.name + "': '" + h + "' is not a host");
      if (!used.insert(h).second) throw std::invalid_argument("placement '" + p.name + "': host '" + h + "' used twice");
    }
  }
}

partition_report analyze_partitions(const topology& t, const placement& p, int max_failures) {
  validate(t, p);
  if (max_failures < 1 || max_failures > 4) throw std::invalid_argument("max_failures must be 1..4");
  const analyzer a(t, p);
  partition_report report;
  report.max_failures = max_failures;
  for (int k = 1; k <= max_failures; ++k) {
    for_each_combination(a.elements().size(), static_cast<std::size_t>(k), [&](const auto& chosen) {
      failure_case c;
      for (auto e : chosen) c.failed.push_back(a.elements()[e].name);
      c.outcome = a.judge(chosen);
      ++(c.outcome == partition_outcome::writable ? report.writable
         : c.outcome == partition_outcome::frozen ? report.frozen
                                                  : report.two_writable);
      report.cases.push_back(std::move(c));
    });
  }
  return report;
}

}  // namespace tandem::analysis
