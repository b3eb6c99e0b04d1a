#include "core/cluster/autoplacer.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/cluster/props.h"
#include "core/cluster/sizes.h"

namespace tandem::cluster {

namespace {

// The search visits at most this many partial selections; beyond it the best found so far wins.
constexpr std::uint64_t kMaxSearchSteps = 200000;

struct candidate {
  const node* host = nullptr;
  const storage_pool* pool = nullptr;
  double score = 0;
};

bool contains_key(const std::vector<std::string>& names, std::string_view name) {
  const std::string key = name_key(name);
  for (const std::string& n : names) {
    if (name_key(n) == key) return true;
  }
  return false;
}

std::optional<std::string> node_prop(const node& n, const std::string& key) {
  auto it = n.properties.find(key);
  if (it == n.properties.end()) return std::nullopt;
  return it->second;
}

// "Aux/site=dc1" -> ("Aux/site", "dc1"); "Aux/site" -> ("Aux/site", nullopt).
std::pair<std::string, std::optional<std::string>> split_rule(const std::string& rule) {
  const auto eq = rule.find('=');
  if (eq == std::string::npos) return {rule, std::nullopt};
  return {rule.substr(0, eq), rule.substr(eq + 1)};
}

// The volumes this definition would put on a pool: sum of planned allocations.
std::optional<std::uint64_t> needed_kib(const storage_pool& pool, const placement_request& req,
                                        std::uint32_t peer_slots, std::string* why) {
  std::uint64_t total = 0;
  for (std::uint64_t size : req.volume_sizes_kib) {
    auto plan = plan_volume_size(size, pool, peer_slots);
    if (!plan.ok()) {
      *why = plan.message();
      return std::nullopt;
    }
    total += plan.value().allocated_kib;
  }
  return total;
}

double oversubscription_ratio(const cluster& c, const storage_pool& pool) {
  auto value = first_hit({&pool.properties, &c.controller_properties}, "MaxOversubscriptionRatio");
  if (value) {
    try {
      const double ratio = std::stod(*value);
      if (ratio > 0) return ratio;
    } catch (...) {
      // Fall through to the default; the property setter validates values.
    }
  }
  return kDefaultMaxOversubscriptionRatio;
}

// Node-level rules. Returns the reason the node is rejected, or empty.
std::string node_rejection_reason(const cluster& c, const node& n, const placement_request& req,
                                  const std::set<std::string>& hosting) {
  if (n.type == node_type::controller || n.type == node_type::auxiliary) {
    return "node type " + std::string(to_string(n.type)) + " cannot hold resources";
  }
  if (hosting.contains(name_key(n.name)))
    return "already has a resource of '" + req.definition + "'";
  if (!req.allow_offline_nodes && n.connection != connection_status::online) {
    return "satellite is " + std::string(to_string(n.connection));
  }
  if (!req.filter.node_name_list.empty() && !contains_key(req.filter.node_name_list, n.name)) {
    return "not in node_name_list";
  }
  auto target = first_hit({&n.properties, &c.controller_properties}, "AutoplaceTarget");
  if (target && parse_bool(*target) == false) return "AutoplaceTarget is false";
  for (const std::string& other : req.filter.not_place_with_rsc) {
    if (c.find_resource(other, n.name) != nullptr) {
      return "has resource '" + other + "' (not_place_with_rsc)";
    }
  }
  return {};
}

// Pool-level rules. Returns the reason the pool is rejected, or empty; fills the score.
std::string pool_rejection_reason(const cluster& c, const storage_pool& pool,
                                  const placement_request& req, std::uint32_t peer_slots,
                                  double* score) {
  if (req.diskless) {
    if (has_backing_device(pool.kind)) return "not a diskless pool";
    if (!req.filter.storage_pool_diskless_list.empty() &&
        !contains_key(req.filter.storage_pool_diskless_list, pool.name)) {
      return "not in storage_pool_diskless_list";
    }
    *score = 0;
    return {};
  }
  if (!has_backing_device(pool.kind)) return "diskless pool";
  if (!req.filter.storage_pool_list.empty() &&
      !contains_key(req.filter.storage_pool_list, pool.name)) {
    return "not in storage_pool_list";
  }
  if (!req.filter.provider_list.empty() &&
      std::find(req.filter.provider_list.begin(), req.filter.provider_list.end(), pool.kind) ==
          req.filter.provider_list.end()) {
    return "provider " + std::string(to_string(pool.kind)) + " not in provider_list";
  }
  auto target = pool.properties.find("AutoplaceTarget");
  if (target != pool.properties.end() && parse_bool(target->second) == false) {
    return "AutoplaceTarget is false";
  }
  std::string why;
  auto need = needed_kib(pool, req, peer_slots, &why);
  if (!need) return why;
  if (!pool.free_capacity_kib) return "free capacity unknown (no report from the satellite yet)";
  double usable_free = static_cast<double>(*pool.free_capacity_kib);
  if (is_thin(pool.kind)) usable_free *= oversubscription_ratio(c, pool);
  if (usable_free < static_cast<double>(*need)) {
    return "needs " + std::to_string(*need) + " KiB, free " +
           std::to_string(*pool.free_capacity_kib) + " KiB" +
           (is_thin(pool.kind) ? " (thin, before oversubscription)" : "");
  }
  *score = usable_free;
  return {};
}

// Constraint state during selection: the values of every rule's property among chosen nodes.
struct selection_rules {
  std::vector<std::pair<std::string, std::optional<std::string>>> same;  // key, fixed value
  std::vector<std::string> different;
  std::map<std::string, std::uint32_t> x_different;

  // Can `n` join the nodes in `chosen` (which already satisfy the rules)?
  bool admits(const node& n, const std::vector<const node*>& chosen) const {
    for (const auto& [key, fixed] : same) {
      auto value = node_prop(n, key);
      if (!value) return false;
      if (fixed && *value != *fixed) return false;
      for (const node* other : chosen) {
        if (node_prop(*other, key) != value) return false;
      }
    }
    for (const std::string& key : different) {
      auto value = node_prop(n, key);
      if (!value) continue;  // a node without the property is in no group
      for (const node* other : chosen) {
        if (node_prop(*other, key) == value) return false;
      }
    }
    for (const auto& [key, limit] : x_different) {
      auto value = node_prop(n, key);
      if (!value) continue;
      std::uint32_t same_value = 0;
      for (const node* other : chosen) {
        if (node_prop(*other, key) == value) ++same_value;
      }
      if (same_value + 1 > limit) return false;
    }
    return true;
  }
};

struct search_state {
  const std::vector<candidate>* candidates = nullptr;
  const selection_rules* rules = nullptr;
  std::uint32_t needed = 0;
  std::vector<const node*> chosen_nodes;  // existing replicas first, then new picks
  std::vector<std::size_t> picks;
  std::vector<std::size_t> best;
  double best_score = -1;
  double score = 0;
  std::uint64_t steps = 0;
};

void search(search_state& s, std::size_t from) {
  if (++s.steps > kMaxSearchSteps) return;
  if (s.picks.size() == s.needed) {
    if (s.score > s.best_score) {
      s.best_score = s.score;
      s.best = s.picks;
    }
    return;
  }
  const auto& cands = *s.candidates;
  for (std::size_t i = from; i < cands.size(); ++i) {
    // Candidates are sorted by score: the remaining picks cannot beat the best if even the next
    // ones in order cannot.
    const std::size_t still = s.needed - s.picks.size();
    double bound = s.score;
    for (std::size_t j = i; j < cands.size() && j < i + still; ++j) bound += cands[j].score;
    if (s.best_score >= 0 && bound <= s.best_score) return;
    if (!s.rules->admits(*cands[i].host, s.chosen_nodes)) continue;
    s.picks.push_back(i);
    s.chosen_nodes.push_back(cands[i].host);
    s.score += cands[i].score;
    search(s, i + 1);
    s.score -= cands[i].score;
    s.chosen_nodes.pop_back();
    s.picks.pop_back();
    if (s.steps > kMaxSearchSteps) return;
  }
}

std::string describe_failure(const placement_request& req, std::size_t candidates,
                             const std::vector<pool_rejection>& rejected) {
  std::string message = "Not enough available nodes: " + std::to_string(req.count) + " " +
                        (req.diskless ? "diskless" : "diskful") + " replica(s) of '" +
                        req.definition + "' needed, " + std::to_string(candidates) +
                        " node(s) qualify";
  if (candidates >= req.count) {
    message += ", but no combination of them satisfies replicas_on_same / replicas_on_different";
  }
  for (const pool_rejection& r : rejected) {
    message += "; " + r.node_name + (r.pool.empty() ? "" : "/" + r.pool) + ": " + r.reason;
  }
  return message;
}

}  // namespace

placement_result autoplace(const cluster& c, const placement_request& req) {
  placement_result out;
  const resource_definition* rd = c.find_definition(req.definition);
  const std::uint32_t peer_slots = rd == nullptr ? kDefaultPeerSlots : rd->peer_slots;
  if (req.count == 0) {
    out.ok = true;
    return out;
  }
  std::set<std::string> hosting;
  std::vector<const node*> existing;  // diskful replicas seed the same/different rules
  for (const resource* rsc : c.resources_of(req.definition)) {
    // A tie-breaker's node stays a candidate for a diskful replica: the tie-breaker is taken over
    // (it gets a disk) instead of a new resource, as LINSTOR does.
    if (rsc->is_tie_breaker() && !req.diskless) continue;
    hosting.insert(name_key(rsc->node_name));
    if (!rsc->is_diskless() && !rsc->is_deleting()) {
      if (const node* n = c.find_node(rsc->node_name)) existing.push_back(n);
    }
  }
  // Phase 1: filter. Phase 2: rate (the best pool of each node represents it).
  std::vector<candidate> candidates;
  for (const auto& [key, n] : c.nodes) {
    std::string why = node_rejection_reason(c, n, req, hosting);
    if (!why.empty()) {
      out.rejected.push_back({n.name, {}, why});
      continue;
    }
    std::optional<candidate> best;
    for (const storage_pool* pool : c.pools_of(n.name)) {
      double score = 0;
      std::string reason = pool_rejection_reason(c, *pool, req, peer_slots, &score);
      if (!reason.empty()) {
        out.rejected.push_back({n.name, pool->name, reason});
        continue;
      }
      if (!best || score > best->score) best = candidate{&n, pool, score};
    }
    if (!best && c.pools_of(n.name).empty())
      out.rejected.push_back({n.name, {}, "no storage pool"});
    if (best) candidates.push_back(*best);
  }
  std::map<std::string, std::size_t> resource_count;
  for (const auto& [key, rsc] : c.resources) ++resource_count[key.second];
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const candidate& a, const candidate& b) {
                     if (a.score != b.score) return a.score > b.score;
                     const auto ca = resource_count[name_key(a.host->name)];
                     const auto cb = resource_count[name_key(b.host->name)];
                     if (ca != cb) return ca < cb;
                     return name_key(a.host->name) < name_key(b.host->name);
                   });
  // Phase 3: select.
  selection_rules rules;
  if (!req.diskless) {
    for (const std::string& rule : req.filter.replicas_on_same)
      rules.same.push_back(split_rule(rule));
    rules.different = req.filter.replicas_on_different;
    rules.x_different = req.filter.x_replicas_on_different;
  }
  search_state s;
  s.candidates = &candidates;
  s.rules = &rules;
  s.needed = req.count;
  s.chosen_nodes = existing;
  search(s, 0);
  if (s.best.size() != req.count) {
    out.message = describe_failure(req, candidates.size(), out.rejected);
    return out;
  }
  for (std::size_t i : s.best) {
    out.chosen.push_back({candidates[i].host->name, candidates[i].pool->name});
  }
  out.ok = true;
  return out;
}

}  // namespace tandem::cluster
