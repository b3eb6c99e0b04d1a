// Snapshots: create (on every diskful replica, or the given nodes), delete, restore into a new
// resource definition.
#include <algorithm>

#include "core/cluster/ops_common.h"

namespace tandem::cluster {

using detail::quoted;

api_call_rcs create_snapshot(cluster& c, const op_env& env, const std::string& definition,
                             const std::string& name, const std::vector<std::string>& nodes) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kSnapshot;
  const resource_definition* rd = c.find_definition(definition);
  if (rd == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, definition));
    return rcs;
  }
  if (std::string why = check_name("snapshot", name); !why.empty()) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidSnapshotName, why));
    return rcs;
  }
  const pair_key key{name_key(definition), name_key(name)};
  if (c.snapshots.contains(key)) {
    rcs.push_back(
        error_rc(obj | rc::kFailExistsSnapshot,
                 "Snapshot " + quoted(name) + " of " + quoted(rd->name) + " already exists."));
    return rcs;
  }
  std::vector<const resource*> targets;
  if (nodes.empty()) {
    for (const resource* rsc : c.resources_of(definition)) {
      if (!rsc->is_diskless()) targets.push_back(rsc);
    }
  } else {
    for (const std::string& node_name : nodes) {
      const resource* rsc = c.find_resource(definition, node_name);
      if (rsc == nullptr) {
        rcs.push_back(detail::not_found_resource(obj, rd->name, node_name));
        return rcs;
      }
      if (rsc->is_diskless()) {
        rcs.push_back(error_rc(obj | rc::kFailSnapshotsNotSupported,
                               "Resource " + quoted(rd->name) + " on " + quoted(rsc->node_name) +
                                   " is diskless: nothing to snapshot."));
        return rcs;
      }
      targets.push_back(rsc);
    }
  }
  if (targets.empty()) {
    rcs.push_back(
        error_rc(obj | rc::kFailNotEnoughNodes,
                 "Resource " + quoted(rd->name) + " has no diskful replica to snapshot."));
    return rcs;
  }
  snapshot snap;
  snap.definition = rd->name;
  snap.name = name;
  for (const resource* rsc : targets) {
    for (const volume& v : rsc->volumes) {
      const storage_pool* pool = c.find_pool(rsc->node_name, v.storage_pool);
      if (pool != nullptr && !supports_snapshots(pool->kind)) {
        rcs.push_back(error_rc(obj | rc::kFailSnapshotsNotSupported,
                               "Storage pool " + quoted(pool->name) + " on " +
                                   quoted(rsc->node_name) + " is " +
                                   std::string(to_string(pool->kind)) + ", which has no snapshots.",
                               {}, "Use a thin pool (LVM_THIN, ZFS, FILE_THIN) or ZFS/FILE."));
        return rcs;
      }
    }
    snap.nodes.push_back(rsc->node_name);
  }
  for (const volume_definition& vd : rd->volumes)
    snap.volume_sizes_kib.emplace_back(vd.number, vd.size_kib);
  snap.created_ms = env.now_ms;
  snap.uuid = env.new_uuid();
  c.snapshots.emplace(key, std::move(snap));
  rcs.push_back(success_rc(obj | rc::kCreated, "New snapshot " + quoted(name) + " of " +
                                                   quoted(rd->name) + " registered."));
  return rcs;
}

api_call_rcs delete_snapshot(cluster& c, const std::string& definition, const std::string& name) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kDelete | rc::kSnapshot;
  if (c.find_definition(definition) == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, definition));
    return rcs;
  }
  if (c.snapshots.erase({name_key(definition), name_key(name)}) == 0) {
    rcs.push_back(
        error_rc(obj | rc::kFailNotFoundSnapshot,
                 "Snapshot " + quoted(name) + " of " + quoted(definition) + " not found."));
    return rcs;
  }
  rcs.push_back(success_rc(obj | rc::kDeleted,
                           "Snapshot " + quoted(name) + " of " + quoted(definition) + " deleted."));
  return rcs;
}

namespace {

const snapshot* find_snapshot(const cluster& c, const std::string& definition,
                              const std::string& name, std::uint64_t obj, api_call_rcs& rcs) {
  if (c.find_definition(definition) == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, definition));
    return nullptr;
  }
  auto it = c.snapshots.find({name_key(definition), name_key(name)});
  if (it == c.snapshots.end()) {
    rcs.push_back(
        error_rc(obj | rc::kFailNotFoundSnapshot,
                 "Snapshot " + quoted(name) + " of " + quoted(definition) + " not found."));
    return nullptr;
  }
  return &it->second;
}

}  // namespace

api_call_rcs restore_snapshot_volume_definitions(cluster& c, const op_env& env,
                                                 const std::string& definition,
                                                 const std::string& name,
                                                 const std::string& to_definition) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kVolumeDefinition;
  const snapshot* snap = find_snapshot(c, definition, name, obj, rcs);
  if (snap == nullptr) return rcs;
  const resource_definition* target = c.find_definition(to_definition);
  if (target == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, to_definition));
    return rcs;
  }
  if (!target->volumes.empty()) {
    rcs.push_back(error_rc(
        obj | rc::kFailExistsVolumeDefinition,
        "Resource definition " + quoted(target->name) + " already has volume definitions."));
    return rcs;
  }
  const auto sizes = snap->volume_sizes_kib;
  for (const auto& [number, size] : sizes) {
    volume_definition_request vd;
    vd.number = number;
    vd.size_kib = size;
    api_call_rcs more = create_volume_definition(c, env, to_definition, vd);
    rcs.insert(rcs.end(), more.begin(), more.end());
    if (has_error(more)) return rcs;
  }
  return rcs;
}

api_call_rcs restore_snapshot_resources(cluster& c, const op_env& env,
                                        const std::string& definition, const std::string& name,
                                        const std::string& to_definition,
                                        const std::vector<std::string>& nodes) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kResource;
  const snapshot* snap = find_snapshot(c, definition, name, obj, rcs);
  if (snap == nullptr) return rcs;
  const std::vector<std::string> targets = nodes.empty() ? snap->nodes : nodes;
  const std::string source = snap->definition + "/" + snap->name;
  std::vector<resource_request> requests;
  for (const std::string& node_name : targets) {
    if (std::none_of(snap->nodes.begin(), snap->nodes.end(),
                     [&](const std::string& n) { return name_key(n) == name_key(node_name); })) {
      rcs.push_back(
          error_rc(obj | rc::kFailNotFoundSnapshot,
                   "Snapshot " + quoted(name) + " has no copy on node " + quoted(node_name) + "."));
      return rcs;
    }
    resource_request r;
    r.node_name = node_name;
    // The restored volume lives in the pool that holds the snapshot.
    if (const resource* origin = c.find_resource(definition, node_name)) {
      if (!origin->volumes.empty())
        r.properties["StorPoolName"] = origin->volumes.front().storage_pool;
    }
    requests.push_back(std::move(r));
  }
  api_call_rcs created = create_resources(c, env, to_definition, requests);
  rcs.insert(rcs.end(), created.begin(), created.end());
  if (has_error(created)) return rcs;
  for (const std::string& node_name : targets) {
    if (resource* rsc = c.find_resource(to_definition, node_name)) {
      for (volume& v : rsc->volumes) v.properties["Restore/FromSnapshot"] = source;
    }
  }
  return rcs;
}

}  // namespace tandem::cluster
