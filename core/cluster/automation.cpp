#include "core/cluster/automation.h"

#include "core/cluster/props.h"

namespace tandem::cluster {

namespace {
constexpr std::string_view kQuorumKey = "DrbdOptions/Resource/quorum";
constexpr std::string_view kQuorumSetByKey = "Internal/Drbd/QuorumSetBy";
}  // namespace

replica_counts count_replicas(const cluster& c, std::string_view definition) {
  replica_counts counts;
  for (const resource* rsc : c.resources_of(definition)) {
    if (rsc->is_deleting()) continue;
    if (rsc->is_tie_breaker()) {
      ++counts.tie_breakers;
    } else if (rsc->is_diskless()) {
      ++counts.diskless;
    } else {
      ++counts.diskful;
    }
  }
  return counts;
}

bool quorum_set_by_user(const cluster& c, const resource_definition& rd) {
  const resource_group* rg = c.find_group(rd.resource_group);
  if (rg != nullptr && rg->properties.contains(std::string(kQuorumKey))) return true;
  if (c.controller_properties.contains(std::string(kQuorumKey))) return true;
  if (!rd.properties.contains(std::string(kQuorumKey))) return false;
  auto by = rd.properties.find(std::string(kQuorumSetByKey));
  return by == rd.properties.end() || by->second != "linstor";
}

bool tie_breaker_enabled(const cluster& c, const resource_definition& rd) {
  auto enabled = definition_prop(c, rd, "DrbdOptions/auto-add-quorum-tiebreaker");
  if (!enabled || parse_bool(*enabled) != true) return false;
  if (!quorum_set_by_user(c, rd)) return true;
  auto quorum = definition_prop(c, rd, kQuorumKey);
  return quorum && name_key(*quorum) == "majority";
}

bool tie_breaker_needed(const replica_counts& counts) {
  return counts.diskful >= 2 && counts.diskful % 2 == 0 && counts.diskless == 0;
}

tie_breaker_decision decide_tie_breaker(const cluster& c, const resource_definition& rd) {
  const replica_counts counts = count_replicas(c, rd.name);
  const bool wanted = tie_breaker_enabled(c, rd) && tie_breaker_needed(counts);
  if (wanted && counts.tie_breakers == 0) return {tie_breaker_action::create, {}};
  if (!wanted || counts.tie_breakers > 1) {
    for (const resource* rsc : c.resources_of(rd.name)) {
      if (rsc->is_tie_breaker() && !rsc->is_deleting()) {
        // More than one (or an unwanted one): remove one per decision; the caller repeats.
        if (!wanted || counts.tie_breakers > 1) return {tie_breaker_action::remove, rsc->node_name};
      }
    }
  }
  return {};
}

std::optional<std::string> auto_quorum_value(const cluster& c, const resource_definition& rd) {
  if (quorum_set_by_user(c, rd)) return std::nullopt;
  const replica_counts counts = count_replicas(c, rd.name);
  const std::uint32_t voters_diskless = counts.diskless + counts.tie_breakers;
  const bool feasible = counts.diskful >= 3 || (counts.diskful == 2 && voters_diskless >= 1);
  return std::string(feasible ? "majority" : "off");
}

std::optional<std::uint64_t> auto_diskful_minutes(const cluster& c, const resource& rsc) {
  auto value = resource_node_prop(c, rsc, "DrbdOptions/auto-diskful");
  if (!value) return std::nullopt;
  try {
    std::size_t used = 0;
    const long long minutes = std::stoll(*value, &used);
    if (used != value->size() || minutes <= 0) return std::nullopt;
    return static_cast<std::uint64_t>(minutes);
  } catch (...) {
    return std::nullopt;
  }
}

std::vector<std::pair<std::string, std::string>> auto_diskful_due(const cluster& c,
                                                                  std::uint64_t now_ms) {
  std::vector<std::pair<std::string, std::string>> due;
  for (const auto& [key, rsc] : c.resources) {
    if (!rsc.is_diskless() || rsc.is_tie_breaker() || rsc.is_deleting()) continue;
    if (!rsc.reported || !rsc.reported->primary_since_ms) continue;
    auto minutes = auto_diskful_minutes(c, rsc);
    if (!minutes) continue;
    const std::uint64_t since = *rsc.reported->primary_since_ms;
    if (now_ms >= since && now_ms - since >= *minutes * 60'000) {
      due.emplace_back(rsc.definition, rsc.node_name);
    }
  }
  return due;
}

namespace {

bool settled(const resource& rsc) {
  if (!rsc.has(resource_flag::kAutoDiskful) || rsc.is_diskless() || rsc.volumes.empty()) {
    return false;
  }
  for (const volume& v : rsc.volumes) {
    if (!v.reported || v.reported->disk_state != "UpToDate") return false;
  }
  return true;
}

bool may_clean_up(const cluster& c, const resource& rsc) {
  if (rsc.is_diskless() || rsc.is_deleting() || !rsc.reported || rsc.reported->in_use) {
    return false;
  }
  auto by = rsc.properties.find("DiskfulBy");
  if (by != rsc.properties.end() &&
      (by->second == "auto-diskful" || by->second == "make-available")) {
    return true;
  }
  auto allowed = resource_node_prop(c, rsc, "DrbdOptions/auto-diskful-allow-cleanup");
  return allowed && parse_bool(*allowed) == true;
}

}  // namespace

std::vector<cleanup_decision> auto_diskful_cleanup(const cluster& c) {
  std::vector<cleanup_decision> out;
  for (const auto& [key, rsc] : c.resources) {
    if (!settled(rsc)) continue;
    cleanup_decision decision{rsc.definition, rsc.node_name, {}};
    const resource_definition* rd = c.find_definition(rsc.definition);
    const resource_group* rg = rd == nullptr ? nullptr : c.find_group(rd->resource_group);
    const std::uint32_t place_count =
        rg != nullptr && rg->filter.place_count ? *rg->filter.place_count : 2;
    if (count_replicas(c, rsc.definition).diskful > place_count) {
      for (const resource* other : c.resources_of(rsc.definition)) {
        if (other == &rsc || !may_clean_up(c, *other)) continue;
        decision.remove_node = other->node_name;
        break;
      }
    }
    out.push_back(std::move(decision));
  }
  return out;
}

}  // namespace tandem::cluster
