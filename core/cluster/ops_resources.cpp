// Resources: create, modify, delete, toggle-disk, make-available, autoplace, and the automation
// (tie-breaker, auto-quorum, auto-diskful) that follows every change of a definition's replicas.
#include <algorithm>
#include <cstdio>

#include "core/cluster/allocation.h"
#include "core/cluster/automation.h"
#include "core/cluster/autoplacer.h"
#include "core/cluster/ops_common.h"
#include "core/cluster/props.h"

namespace tandem::cluster {

using detail::quoted;

namespace {

constexpr int kMaxAutomationRounds = 4;  // each round fixes one tie-breaker; 4 is plenty

// A generation UUID from a fresh object UUID (FNV-1a, 16 hex digits); never zero, which means
// "no generation".
std::string day0_uuid_from(const std::string& object_uuid) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char ch : object_uuid) hash = (hash ^ ch) * 0x100000001b3ULL;
  if (hash == 0) hash = 1;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

std::uint64_t allowed_request_flags() {
  return resource_flag::kDrbdDiskless | resource_flag::kTieBreaker | resource_flag::kDiskless;
}

// A diskful replica joins day 0 while every other diskful replica of the definition is still
// waiting to come up for the first time (none can have been written to).
void mark_day0(cluster& c, resource_definition& rd, resource& rsc, const op_env& env) {
  if (rsc.is_diskless()) return;
  for (const resource* other : c.resources_of(rd.name)) {
    if (other->is_diskless() || other->is_deleting()) continue;
    if (!other->properties.contains(std::string(kDay0Property))) return;
  }
  rsc.properties[std::string(kDay0Property)] = "yes";
  const std::string uuid_key(kDay0UuidProperty);
  if (!rd.properties.contains(uuid_key)) rd.properties[uuid_key] = day0_uuid_from(env.new_uuid());
}

// Adds one resource; appends to rcs. Returns false on error.
bool add_resource(cluster& c, const op_env& env, resource_definition& rd,
                  const resource_request& request, std::uint64_t obj, api_call_rcs& rcs) {
  const node* n = c.find_node(request.node_name);
  if (n == nullptr) {
    rcs.push_back(detail::not_found_node(obj, request.node_name));
    return false;
  }
  if (n->type == node_type::controller || n->type == node_type::auxiliary) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidNodeType, "Node " + quoted(n->name) + " of type " +
                                                               std::string(to_string(n->type)) +
                                                               " cannot hold resources."));
    return false;
  }
  if (c.find_resource(rd.name, n->name) != nullptr) {
    rcs.push_back(error_rc(
        obj | rc::kFailExistsResource,
        "Resource " + quoted(rd.name) + " already exists on node " + quoted(n->name) + "."));
    return false;
  }
  if ((request.flags & ~allowed_request_flags()) != 0) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidConfiguration,
                           "Only DISKLESS, DRBD_DISKLESS and TIE_BREAKER can be requested."));
    return false;
  }
  for (const auto& [key, value] : request.properties) {
    if (std::string why = check_property(key, value); !why.empty()) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidProperty, why));
      return false;
    }
  }
  resource rsc;
  rsc.definition = rd.name;
  rsc.node_name = n->name;
  // The umbrella DISKLESS of old clients means a DRBD diskless client.
  rsc.flags =
      request.flags == resource_flag::kDiskless ? resource_flag::kDrbdDiskless : request.flags;
  rsc.properties = request.properties;
  if (request.node_id) {
    if (*request.node_id > kMaxNodeId) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidConfiguration,
                             "Node id " + std::to_string(*request.node_id) + " outside 0..31."));
      return false;
    }
    for (const resource* other : c.resources_of(rd.name)) {
      if (other->node_id == *request.node_id) {
        rcs.push_back(error_rc(obj | rc::kFailInvalidConfiguration,
                               "Node id " + std::to_string(*request.node_id) +
                                   " is taken by node " + quoted(other->node_name) + "."));
        return false;
      }
    }
    rsc.node_id = *request.node_id;
  } else {
    auto id = allocate_node_id(c, rd.name);
    if (!id) {
      rcs.push_back(error_rc(obj | rc::kFailPoolExhaustedNodeId,
                             "Resource " + quoted(rd.name) + " already has 32 nodes."));
      return false;
    }
    rsc.node_id = *id;
  }
  if (!rsc.is_diskless() && !rsc.properties.contains("DiskfulBy")) {
    rsc.properties["DiskfulBy"] = "user";
  }
  if (!detail::build_volumes(c, rd, rsc, obj, rcs)) return false;
  mark_day0(c, rd, rsc, env);
  rsc.created_ms = env.now_ms;
  rsc.uuid = env.new_uuid();
  const std::string display_node = rsc.node_name;
  c.resources.emplace(pair_key{name_key(rd.name), name_key(display_node)}, std::move(rsc));
  api_call_rc ok = success_rc(obj | rc::kCreated, "New resource " + quoted(rd.name) + " on node " +
                                                      quoted(display_node) + " registered.");
  ok.obj_refs["RscDfn"] = rd.name;
  ok.obj_refs["Node"] = display_node;
  rcs.push_back(ok);
  return true;
}

select_filter group_filter(const cluster& c, const resource_definition& rd) {
  const resource_group* rg = c.find_group(rd.resource_group);
  return rg == nullptr ? select_filter{} : rg->filter;
}

std::vector<std::uint64_t> volume_sizes(const resource_definition& rd) {
  std::vector<std::uint64_t> sizes;
  for (const volume_definition& vd : rd.volumes) sizes.push_back(vd.size_kib);
  return sizes;
}

api_call_rcs place_tie_breaker(cluster& c, const op_env& env, resource_definition& rd) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kResource;
  placement_request req;
  req.definition = rd.name;
  req.filter = group_filter(c, rd);
  req.count = 1;
  req.diskless = true;
  req.allow_offline_nodes = env.allow_offline_nodes;
  placement_result placed = autoplace(c, req);
  if (!placed.ok) {
    rcs.push_back(warn_rc(
        obj | rc::kWarnNotEnoughNodesForTieBreaker,
        "Could not find a node for a tie-breaker of " + quoted(rd.name) + ". " + placed.message));
    return rcs;
  }
  resource_request tb;
  tb.node_name = placed.chosen.front().node_name;
  tb.flags = resource_flag::kTieBreaker;
  tb.properties["StorPoolName"] = placed.chosen.front().pool;
  api_call_rcs created;
  if (add_resource(c, env, rd, tb, obj, created)) {
    rcs.push_back(info_rc(
        obj | rc::kInfoTieBreakerCreated,
        "Tie breaker resource " + quoted(rd.name) + " created on " + quoted(tb.node_name) + "."));
  } else {
    for (api_call_rc& r : created) {
      // A failed tie-breaker is a warning: the user's operation itself succeeded.
      r.ret_code = rc::kMaskWarn | obj | rc::kWarnNotEnoughNodesForTieBreaker;
      rcs.push_back(r);
    }
  }
  return rcs;
}

}  // namespace

api_call_rcs run_automation(cluster& c, const op_env& env, const std::string& definition) {
  api_call_rcs rcs;
  resource_definition* rd = c.find_definition(definition);
  if (rd == nullptr) return rcs;
  for (int round = 0; round < kMaxAutomationRounds; ++round) {
    const tie_breaker_decision decision = decide_tie_breaker(c, *rd);
    if (decision.action == tie_breaker_action::none) break;
    if (decision.action == tie_breaker_action::create) {
      api_call_rcs more = place_tie_breaker(c, env, *rd);
      const bool failed = std::any_of(more.begin(), more.end(), [](const api_call_rc& r) {
        return rc::is_warning(r.ret_code);
      });
      rcs.insert(rcs.end(), more.begin(), more.end());
      if (failed) break;
    } else {
      c.resources.erase({name_key(rd->name), name_key(decision.node_name)});
      rcs.push_back(info_rc(rc::kDelete | rc::kResource | rc::kInfoTieBreakerDeleting,
                            "Tie breaker of " + quoted(rd->name) + " on " +
                                quoted(decision.node_name) + " is no longer needed: deleted."));
    }
  }
  // A definition without resources has nothing to protect: no quorum property appears on it.
  const bool has_replicas = !c.resources_of(rd->name).empty();
  const bool has_quorum_prop = rd->properties.contains("DrbdOptions/Resource/quorum");
  if (auto wanted = auto_quorum_value(c, *rd); wanted && (has_replicas || has_quorum_prop)) {
    auto& current = rd->properties["DrbdOptions/Resource/quorum"];
    const std::string before = current;
    if (before != *wanted) {
      current = *wanted;
      rd->properties["Internal/Drbd/QuorumSetBy"] = "linstor";
      rcs.push_back(info_rc(rc::kModify | rc::kResourceDefinition | rc::kInfoPropSet,
                            "Resource definition " + quoted(rd->name) +
                                ": DrbdOptions/Resource/quorum updated from " +
                                quoted(before.empty() ? "unset" : before) + " to " +
                                quoted(*wanted) + " by AutoQuorum."));
    } else {
      rd->properties["Internal/Drbd/QuorumSetBy"] = "linstor";
    }
  }
  return rcs;
}

api_call_rcs create_resources(cluster& c, const op_env& env, const std::string& definition,
                              const std::vector<resource_request>& requests) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kResource;
  resource_definition* rd = c.find_definition(definition);
  if (rd == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, definition));
    return rcs;
  }
  if (requests.empty()) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidConfiguration, "No resource to create given."));
    return rcs;
  }
  for (const resource_request& request : requests) {
    // Like LINSTOR: a resource asked for where a tie-breaker already is takes the tie-breaker
    // over, a diskful one with a disk (full sync), a diskless one as a user's diskless client.
    resource* existing = c.find_resource(rd->name, request.node_name);
    if (existing != nullptr && existing->is_tie_breaker()) {
      const bool diskful = (request.flags & resource_flag::kDiskless) == 0;
      if (diskful) {
        auto pool = request.properties.find("StorPoolName");
        api_call_rcs more =
            toggle_disk(c, env, rd->name, existing->node_name, true,
                        pool == request.properties.end() ? std::nullopt
                                                         : std::optional<std::string>(pool->second));
        rcs.insert(rcs.end(), more.begin(), more.end());
        if (has_error(more)) return rcs;
      } else {
        existing->flags = resource_flag::kDrbdDiskless;
        rcs.push_back(success_rc(obj | rc::kModified,
                                 "Tie breaker resource " + quoted(rd->name) + " on " +
                                     quoted(existing->node_name) +
                                     " is now a diskless resource of its own."));
      }
      continue;
    }
    if (!add_resource(c, env, *rd, request, obj, rcs)) return rcs;
  }
  api_call_rcs more = run_automation(c, env, rd->name);
  rcs.insert(rcs.end(), more.begin(), more.end());
  return rcs;
}

api_call_rcs modify_resource(cluster& c, const op_env& env, const std::string& definition,
                             const std::string& node_name, const props_change& change) {
  (void)env;
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kModify | rc::kResource;
  resource* rsc = c.find_resource(definition, node_name);
  if (rsc == nullptr) {
    rcs.push_back(detail::not_found_resource(obj, definition, node_name));
    return rcs;
  }
  if (!detail::apply_props_change(rsc->properties, change, obj, rcs)) return rcs;
  rcs.push_back(success_rc(
      obj | rc::kModified,
      "Resource " + quoted(rsc->definition) + " on node " + quoted(rsc->node_name) + " modified."));
  return rcs;
}

api_call_rcs delete_resource(cluster& c, const op_env& env, const std::string& definition,
                             const std::string& node_name, bool keep_tiebreaker) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kDelete | rc::kResource;
  resource_definition* rd = c.find_definition(definition);
  if (rd == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, definition));
    return rcs;
  }
  resource* rsc = c.find_resource(definition, node_name);
  if (rsc == nullptr) {
    rcs.push_back(detail::not_found_resource(obj, rd->name, node_name));
    return rcs;
  }
  const std::string display_node = rsc->node_name;
  if (keep_tiebreaker && rsc->is_diskless()) {
    // Would the remaining replicas want a tie-breaker? Then this diskless becomes it.
    replica_counts counts = count_replicas(c, rd->name);
    if (rsc->is_tie_breaker()) {
      --counts.tie_breakers;
    } else {
      --counts.diskless;
    }
    if (tie_breaker_enabled(c, *rd) && tie_breaker_needed(counts) && counts.tie_breakers == 0) {
      rsc->flags = resource_flag::kTieBreaker;
      rsc->properties.erase("DiskfulBy");
      rcs.push_back(info_rc(obj | rc::kInfoTieBreakerTakeover,
                            "The given resource will not be deleted but will be taken over as a "
                            "managed tie-breaker resource on " +
                                quoted(display_node) + "."));
      api_call_rcs more = run_automation(c, env, rd->name);
      rcs.insert(rcs.end(), more.begin(), more.end());
      return rcs;
    }
  }
  // Never remove the last replica that holds the data while diskless ones still read from it.
  if (!rsc->is_diskless() && count_replicas(c, rd->name).diskful == 1) {
    for (const resource* other : c.resources_of(rd->name)) {
      if (other->is_diskless() && !other->is_tie_breaker()) {
        rcs.push_back(error_rc(obj | rc::kFailInUse,
                               "Resource " + quoted(rd->name) + " on " + quoted(display_node) +
                                   " is the last diskful replica and diskless node " +
                                   quoted(other->node_name) + " still uses it.",
                               {}, "Delete the diskless resources first."));
        return rcs;
      }
    }
  }
  if (rsc->is_tie_breaker() && !keep_tiebreaker) {
    // As LINSTOR: deleting a tie-breaker by hand turns the automation off for this definition.
    rd->properties["DrbdOptions/auto-add-quorum-tiebreaker"] = "False";
  }
  c.resources.erase({name_key(rd->name), name_key(display_node)});
  rcs.push_back(success_rc(obj | rc::kDeleted, "Resource " + quoted(rd->name) + " on node " +
                                                   quoted(display_node) + " deleted."));
  api_call_rcs more = run_automation(c, env, rd->name);
  rcs.insert(rcs.end(), more.begin(), more.end());
  return rcs;
}

api_call_rcs toggle_disk(cluster& c, const op_env& env, const std::string& definition,
                         const std::string& node_name, bool to_diskful,
                         const std::optional<std::string>& pool) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kModify | rc::kResource;
  resource_definition* rd = c.find_definition(definition);
  if (rd == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, definition));
    return rcs;
  }
  resource* rsc = c.find_resource(definition, node_name);
  if (rsc == nullptr) {
    rcs.push_back(detail::not_found_resource(obj, rd->name, node_name));
    return rcs;
  }
  if (to_diskful) {
    if (!rsc->is_diskless()) {
      rcs.push_back(warn_rc(obj | rc::kWarnResourceAlreadyHasDisk,
                            "Resource " + quoted(rd->name) + " on " + quoted(rsc->node_name) +
                                " already has a disk."));
      return rcs;
    }
    rsc->flags &= ~resource_flag::kTieBreaker;
    if (pool) {
      rsc->properties["StorPoolName"] = *pool;
    } else if (auto own = rsc->properties.find("StorPoolName"); own != rsc->properties.end()) {
      // The diskless pool it ran on cannot hold the disk: use the group's / definition's pool.
      const storage_pool* current = c.find_pool(rsc->node_name, own->second);
      if (current == nullptr || !has_backing_device(current->kind)) rsc->properties.erase(own);
    }
    if (!rsc->properties.contains("DiskfulBy")) rsc->properties["DiskfulBy"] = "user";
  } else {
    if (rsc->is_diskless()) {
      rcs.push_back(warn_rc(obj | rc::kWarnResourceAlreadyDiskless,
                            "Resource " + quoted(rd->name) + " on " + quoted(rsc->node_name) +
                                " is already diskless."));
      return rcs;
    }
    if (count_replicas(c, rd->name).diskful <= 1) {
      rcs.push_back(error_rc(obj | rc::kFailInUse,
                             "Resource " + quoted(rd->name) + " on " + quoted(rsc->node_name) +
                                 " is the last replica with a disk: removing it would lose the "
                                 "data."));
      return rcs;
    }
    rsc->flags |= resource_flag::kDrbdDiskless;
    rsc->properties.erase("StorPoolName");
    rsc->properties.erase("DiskfulBy");
  }
  if (!detail::build_volumes(c, *rd, *rsc, obj, rcs)) return rcs;
  rcs.push_back(success_rc(obj | rc::kModified,
                           "Resource " + quoted(rd->name) + " on " + quoted(rsc->node_name) +
                               (to_diskful ? " gets a disk." : " becomes diskless.")));
  api_call_rcs more = run_automation(c, env, rd->name);
  rcs.insert(rcs.end(), more.begin(), more.end());
  return rcs;
}

api_call_rcs make_available(cluster& c, const op_env& env, const std::string& definition,
                            const std::string& node_name, bool diskful) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kModify | rc::kResource;
  resource_definition* rd = c.find_definition(definition);
  if (rd == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, definition));
    return rcs;
  }
  resource* rsc = c.find_resource(definition, node_name);
  if (rsc == nullptr) {
    resource_request request;
    request.node_name = node_name;
    request.flags = diskful ? 0 : resource_flag::kDrbdDiskless;
    if (diskful) request.properties["DiskfulBy"] = "make-available";
    return create_resources(c, env, rd->name, {request});
  }
  if (diskful && rsc->is_diskless()) {
    rsc->properties["DiskfulBy"] = "make-available";
    return toggle_disk(c, env, rd->name, node_name, true, std::nullopt);
  }
  if (rsc->is_tie_breaker()) {
    // The user wants this diskless for real now: no longer a managed tie-breaker.
    rsc->flags = resource_flag::kDrbdDiskless;
  }
  rcs.push_back(success_rc(
      obj | rc::kModified,
      "Resource " + quoted(rd->name) + " is available on " + quoted(rsc->node_name) + "."));
  api_call_rcs more = run_automation(c, env, rd->name);
  rcs.insert(rcs.end(), more.begin(), more.end());
  return rcs;
}

api_call_rcs autoplace_definition(cluster& c, const op_env& env, const std::string& definition,
                                  const select_filter& over) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kResource;
  resource_definition* rd = c.find_definition(definition);
  if (rd == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, definition));
    return rcs;
  }
  const select_filter filter = select_filter::merged(group_filter(c, *rd), over);
  const replica_counts counts = count_replicas(c, rd->name);
  std::uint32_t needed = 0;
  if (filter.additional_place_count) {
    needed = *filter.additional_place_count;
  } else {
    const std::uint32_t place_count = filter.place_count.value_or(2);
    if (place_count < counts.diskful) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidPlaceCount,
                             "Resource " + quoted(rd->name) + " already has " +
                                 std::to_string(counts.diskful) +
                                 " diskful replicas, more than "
                                 "place_count " +
                                 std::to_string(place_count) + "."));
      return rcs;
    }
    needed = place_count - counts.diskful;
  }
  if (rd->volumes.empty()) {
    rcs.push_back(
        error_rc(obj | rc::kFailInvalidConfiguration,
                 "Resource definition " + quoted(rd->name) + " has no volume definitions to place.",
                 {}, "Create a volume definition first."));
    return rcs;
  }
  placement_request req;
  req.definition = rd->name;
  req.filter = filter;
  req.count = needed;
  req.volume_sizes_kib = volume_sizes(*rd);
  req.allow_offline_nodes = env.allow_offline_nodes;
  placement_result placed = autoplace(c, req);
  if (!placed.ok) {
    rcs.push_back(error_rc(obj | rc::kFailNotEnoughNodes, placed.message, {},
                           "Add nodes or storage pools, or relax the placement rules."));
    return rcs;
  }
  std::vector<resource_request> requests;
  std::vector<pool_choice> takeovers;  // tie-breakers that get a disk
  for (const pool_choice& choice : placed.chosen) {
    const resource* existing = c.find_resource(rd->name, choice.node_name);
    if (existing != nullptr && existing->is_tie_breaker()) {
      takeovers.push_back(choice);
      continue;
    }
    resource_request r;
    r.node_name = choice.node_name;
    r.properties["StorPoolName"] = choice.pool;
    r.properties["DiskfulBy"] = "auto-placer";
    requests.push_back(std::move(r));
  }
  if (filter.diskless_on_remaining.value_or(false)) {
    for (const auto& [key, n] : c.nodes) {
      if (n.type == node_type::controller || n.type == node_type::auxiliary) continue;
      if (c.find_resource(rd->name, n.name) != nullptr) continue;
      if (!env.allow_offline_nodes && n.connection != connection_status::online) continue;
      const std::string& node_key = key;  // clang 14 cannot capture a structured binding
      const bool chosen =
          std::any_of(placed.chosen.begin(), placed.chosen.end(),
                      [&](const pool_choice& p) { return name_key(p.node_name) == node_key; });
      if (chosen || c.find_pool(n.name, kDefaultDisklessPool) == nullptr) continue;
      resource_request r;
      r.node_name = n.name;
      r.flags = resource_flag::kDrbdDiskless;
      requests.push_back(std::move(r));
    }
  }
  for (const resource_request& request : requests) {
    if (!add_resource(c, env, *rd, request, obj, rcs)) return rcs;
  }
  for (const pool_choice& choice : takeovers) {
    c.find_resource(rd->name, choice.node_name)->properties["DiskfulBy"] = "auto-placer";
    api_call_rcs more = toggle_disk(c, env, rd->name, choice.node_name, true, choice.pool);
    rcs.insert(rcs.end(), more.begin(), more.end());
    if (has_error(more)) return rcs;
  }
  if (requests.empty() && takeovers.empty()) {
    rcs.push_back(success_rc(obj | rc::kCreated, "Resource " + quoted(rd->name) +
                                                     " already has the requested replicas."));
  }
  api_call_rcs more = run_automation(c, env, rd->name);
  rcs.insert(rcs.end(), more.begin(), more.end());
  return rcs;
}

api_call_rcs run_auto_diskful(cluster& c, const op_env& env) {
  api_call_rcs rcs;
  for (const auto& [definition, node_name] : auto_diskful_due(c, env.now_ms)) {
    resource* rsc = c.find_resource(definition, node_name);
    if (rsc == nullptr) continue;
    rsc->properties["DiskfulBy"] = "auto-diskful";
    rsc->flags |= resource_flag::kAutoDiskful;
    api_call_rcs more = toggle_disk(c, env, definition, node_name, true, std::nullopt);
    rcs.insert(rcs.end(), more.begin(), more.end());
  }
  for (const cleanup_decision& decision : auto_diskful_cleanup(c)) {
    if (resource* rsc = c.find_resource(decision.definition, decision.settled_node)) {
      rsc->flags &= ~resource_flag::kAutoDiskful;
    }
    if (decision.remove_node.empty()) continue;
    api_call_rcs more = delete_resource(c, env, decision.definition, decision.remove_node, false);
    for (api_call_rc& r : more) r.message = "auto-diskful cleanup: " + r.message;
    rcs.insert(rcs.end(), more.begin(), more.end());
  }
  return rcs;
}

}  // namespace tandem::cluster
