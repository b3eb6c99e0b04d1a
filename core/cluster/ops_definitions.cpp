// Resource definitions and volume definitions.
#include <algorithm>

#include "core/cluster/allocation.h"
#include "core/cluster/ops_common.h"
#include "core/cluster/sizes.h"

namespace tandem::cluster {

using detail::quoted;

namespace {

// A user setting quorum on the RD takes it over from auto-quorum (Internal/Drbd/QuorumSetBy).
void note_quorum_owner(resource_definition& rd, const props_change& change) {
  const std::string key = "DrbdOptions/Resource/quorum";
  if (change.override_props.contains(key)) rd.properties["Internal/Drbd/QuorumSetBy"] = "user";
  if (std::find(change.delete_props.begin(), change.delete_props.end(), key) !=
      change.delete_props.end()) {
    rd.properties.erase("Internal/Drbd/QuorumSetBy");
  }
}

}  // namespace

api_call_rcs create_resource_definition(cluster& c, const op_env& env,
                                        const definition_request& request) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kResourceDefinition;
  if (std::string why = check_name("resource", request.name); !why.empty()) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidResourceName, why));
    return rcs;
  }
  if (c.find_definition(request.name) != nullptr) {
    rcs.push_back(error_rc(obj | rc::kFailExistsResourceDefinition,
                           "Resource definition " + quoted(request.name) + " already exists."));
    return rcs;
  }
  const std::string group_name =
      request.resource_group.empty() ? std::string(kDefaultResourceGroup) : request.resource_group;
  const resource_group* rg = c.find_group(group_name);
  if (rg == nullptr) {
    rcs.push_back(detail::not_found_group(obj, group_name));
    return rcs;
  }
  for (const auto& [key, value] : request.properties) {
    if (std::string why = check_property(key, value); !why.empty()) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidProperty, why));
      return rcs;
    }
  }
  resource_definition rd;
  rd.name = request.name;
  rd.resource_group = rg->name;
  rd.properties = request.properties;
  if (request.properties.contains("DrbdOptions/Resource/quorum")) {
    rd.properties["Internal/Drbd/QuorumSetBy"] = "user";
  }
  if (request.peer_slots) {
    if (*request.peer_slots < 1 || *request.peer_slots > 31) {
      rcs.push_back(
          error_rc(obj | rc::kFailInvalidConfiguration,
                   "peer slots " + std::to_string(*request.peer_slots) + " outside 1..31."));
      return rcs;
    }
    rd.peer_slots = *request.peer_slots;
  }
  const port_range ports = replication_port_range(c);
  if (request.port) {
    if (*request.port < ports.first || *request.port > ports.last) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidNetPort,
                             "Port " + std::to_string(*request.port) + " outside " +
                                 std::to_string(ports.first) + ".." +
                                 std::to_string(ports.last) + " (TcpPortAutoRange)."));
      return rcs;
    }
    for (const auto& [key, other] : c.definitions) {
      if (other.port == *request.port) {
        rcs.push_back(error_rc(
            obj | rc::kFailInvalidNetPort,
            "Port " + std::to_string(*request.port) + " is used by " + quoted(other.name) + "."));
        return rcs;
      }
    }
    rd.port = *request.port;
  } else {
    auto port = allocate_port(c);
    if (!port) {
      rcs.push_back(error_rc(obj | rc::kFailPoolExhaustedTcpPort,
                             "All replication ports " + std::to_string(ports.first) + ".." +
                                 std::to_string(ports.last) +
                                 " are in use; the controller property TcpPortAutoRange "
                                 "widens the range."));
      return rcs;
    }
    rd.port = *port;
  }
  rd.secret = request.secret.value_or(env.new_secret());
  rd.uuid = env.new_uuid();
  const std::string display = rd.name;
  c.definitions.emplace(name_key(rd.name), std::move(rd));
  api_call_rc ok =
      success_rc(obj | rc::kCreated, "New resource definition " + quoted(display) + " created.");
  ok.obj_refs["RscDfn"] = display;
  rcs.push_back(ok);
  return rcs;
}

api_call_rcs modify_resource_definition(cluster& c, const op_env& env, const std::string& name,
                                        const props_change& change,
                                        const std::optional<std::string>& new_group) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kModify | rc::kResourceDefinition;
  resource_definition* rd = c.find_definition(name);
  if (rd == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, name));
    return rcs;
  }
  if (new_group) {
    const resource_group* rg = c.find_group(*new_group);
    if (rg == nullptr) {
      rcs.push_back(detail::not_found_group(obj, *new_group));
      return rcs;
    }
    rd->resource_group = rg->name;
  }
  if (!detail::apply_props_change(rd->properties, change, obj, rcs)) return rcs;
  note_quorum_owner(*rd, change);
  rcs.push_back(
      success_rc(obj | rc::kModified, "Resource definition " + quoted(rd->name) + " modified."));
  const std::string display = rd->name;
  api_call_rcs more = run_automation(c, env, display);
  rcs.insert(rcs.end(), more.begin(), more.end());
  return rcs;
}

api_call_rcs delete_resource_definition(cluster& c, const std::string& name) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kDelete | rc::kResourceDefinition;
  const resource_definition* rd = c.find_definition(name);
  if (rd == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, name));
    return rcs;
  }
  const std::string key = name_key(name);
  for (const auto& [snap_key, snap] : c.snapshots) {
    if (snap_key.first == key) {
      rcs.push_back(error_rc(obj | rc::kFailInUse,
                             "Resource definition " + quoted(rd->name) + " still has snapshot " +
                                 quoted(snap.name) + ".",
                             {}, "Delete its snapshots first."));
      return rcs;
    }
  }
  const std::string display = rd->name;
  std::erase_if(c.resources, [&](const auto& entry) { return entry.first.first == key; });
  c.definitions.erase(key);
  rcs.push_back(
      success_rc(obj | rc::kDeleted, "Resource definition " + quoted(display) + " deleted."));
  return rcs;
}

api_call_rcs create_volume_definition(cluster& c, const op_env& env, const std::string& definition,
                                      const volume_definition_request& request) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kVolumeDefinition;
  resource_definition* rd = c.find_definition(definition);
  if (rd == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, definition));
    return rcs;
  }
  std::uint32_t next = 0;
  for (const volume_definition& vd : rd->volumes) next = std::max(next, vd.number + 1);
  volume_definition vd;
  vd.number = request.number.value_or(next);
  if (vd.number > 4095) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidVolumeNumber,
                           "Volume number " + std::to_string(vd.number) + " outside 0..4095."));
    return rcs;
  }
  if (rd->find_volume(vd.number) != nullptr) {
    rcs.push_back(error_rc(obj | rc::kFailExistsVolumeDefinition,
                           "Volume definition " + std::to_string(vd.number) + " of " +
                               quoted(rd->name) + " already exists."));
    return rcs;
  }
  if (request.size_kib < kMinVolumeSizeKib || request.size_kib > kMaxVolumeSizeKib) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidVolumeSize,
                           "Volume size " + std::to_string(request.size_kib) + " KiB outside " +
                               std::to_string(kMinVolumeSizeKib) + ".." +
                               std::to_string(kMaxVolumeSizeKib) + " KiB."));
    return rcs;
  }
  vd.size_kib = request.size_kib;
  vd.flags = request.flags;
  for (const std::string& flag : vd.flags) {
    if (flag != "GROSS_SIZE" && flag != "ENCRYPTED") {
      rcs.push_back(error_rc(obj | rc::kFailInvalidConfiguration,
                             "Unknown volume definition flag " + quoted(flag) + "."));
      return rcs;
    }
  }
  for (const auto& [key, value] : request.properties) {
    if (std::string why = check_property(key, value); !why.empty()) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidProperty, why));
      return rcs;
    }
  }
  vd.properties = request.properties;
  if (request.minor) {
    vd.minor = *request.minor;
  } else {
    auto minor = allocate_minor(c);
    if (!minor) {
      rcs.push_back(error_rc(obj | rc::kFailPoolExhaustedMinor, "All device minors are in use."));
      return rcs;
    }
    vd.minor = *minor;
  }
  vd.uuid = env.new_uuid();
  const std::uint32_t number = vd.number;
  rd->volumes.push_back(std::move(vd));
  std::sort(
      rd->volumes.begin(), rd->volumes.end(),
      [](const volume_definition& a, const volume_definition& b) { return a.number < b.number; });
  // Existing resources get the new volume (this also validates the size per pool).
  const std::string key = name_key(definition);
  for (auto it = c.resources.lower_bound({key, std::string()});
       it != c.resources.end() && it->first.first == key; ++it) {
    if (!detail::build_volumes(c, *rd, it->second, obj, rcs)) return rcs;
  }
  api_call_rc ok =
      success_rc(obj | rc::kCreated, "New volume definition " + std::to_string(number) + " of " +
                                         quoted(rd->name) + " created.");
  ok.obj_refs["VlmNr"] = std::to_string(number);
  rcs.push_back(ok);
  return rcs;
}

api_call_rcs modify_volume_definition(cluster& c, const op_env& env, const std::string& definition,
                                      std::uint32_t number, std::optional<std::uint64_t> size_kib,
                                      const props_change& change) {
  (void)env;
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kModify | rc::kVolumeDefinition;
  resource_definition* rd = c.find_definition(definition);
  if (rd == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, definition));
    return rcs;
  }
  volume_definition* vd = nullptr;
  for (volume_definition& candidate : rd->volumes) {
    if (candidate.number == number) vd = &candidate;
  }
  if (vd == nullptr) {
    rcs.push_back(error_rc(
        obj | rc::kFailNotFoundVolumeDefinition,
        "Volume definition " + std::to_string(number) + " of " + quoted(rd->name) + " not found."));
    return rcs;
  }
  if (!detail::apply_props_change(vd->properties, change, obj, rcs)) return rcs;
  if (size_kib) {
    if (*size_kib < vd->size_kib) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidVolumeSize,
                             "Shrinking volume " + std::to_string(number) + " of " +
                                 quoted(rd->name) + " from " + std::to_string(vd->size_kib) +
                                 " KiB to " + std::to_string(*size_kib) +
                                 " KiB is not supported."));
      return rcs;
    }
    if (*size_kib > kMaxVolumeSizeKib) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidVolumeSize,
                             "Volume size " + std::to_string(*size_kib) + " KiB is too large."));
      return rcs;
    }
    vd->size_kib = *size_kib;
    const std::string key = name_key(definition);
    for (auto it = c.resources.lower_bound({key, std::string()});
         it != c.resources.end() && it->first.first == key; ++it) {
      if (!detail::build_volumes(c, *rd, it->second, obj, rcs)) return rcs;
    }
  }
  rcs.push_back(success_rc(obj | rc::kModified, "Volume definition " + std::to_string(number) +
                                                    " of " + quoted(rd->name) + " modified."));
  return rcs;
}

api_call_rcs delete_volume_definition(cluster& c, const op_env& env, const std::string& definition,
                                      std::uint32_t number) {
  (void)env;
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kDelete | rc::kVolumeDefinition;
  resource_definition* rd = c.find_definition(definition);
  if (rd == nullptr) {
    rcs.push_back(detail::not_found_definition(obj, definition));
    return rcs;
  }
  if (rd->find_volume(number) == nullptr) {
    rcs.push_back(error_rc(
        obj | rc::kFailNotFoundVolumeDefinition,
        "Volume definition " + std::to_string(number) + " of " + quoted(rd->name) + " not found."));
    return rcs;
  }
  std::erase_if(rd->volumes, [&](const volume_definition& vd) { return vd.number == number; });
  const std::string key = name_key(definition);
  for (auto it = c.resources.lower_bound({key, std::string()});
       it != c.resources.end() && it->first.first == key; ++it) {
    std::erase_if(it->second.volumes, [&](const volume& v) { return v.number == number; });
  }
  rcs.push_back(success_rc(obj | rc::kDeleted, "Volume definition " + std::to_string(number) +
                                                   " of " + quoted(rd->name) + " deleted."));
  return rcs;
}

}  // namespace tandem::cluster
