#include "core/cluster/ops_common.h"

#include <algorithm>

#include "core/cluster/allocation.h"
#include "core/cluster/props.h"
#include "core/cluster/sizes.h"

namespace tandem::cluster {

namespace {

constexpr const char* kAllowedPrefixes[] = {"Aux/", "DrbdOptions/", "StorDriver/", "Nbd/",
                                            "Autoplacer/"};
constexpr const char* kAllowedKeys[] = {
    "StorPoolName",         "PrefNic",  "AutoplaceTarget", "MaxOversubscriptionRatio", "NodeUname",
    "PeerSlotsNewResource", "DiskfulBy", "TcpPortAutoRange"};

bool is_number(const std::string& value, bool allow_fraction) {
  if (value.empty()) return false;
  bool dot = false;
  for (char ch : value) {
    if (ch == '.' && allow_fraction && !dot) {
      dot = true;
      continue;
    }
    if (ch < '0' || ch > '9') return false;
  }
  return true;
}

}  // namespace

std::string check_property(const std::string& key, const std::string& value) {
  if (key.empty()) return "A property key must not be empty.";
  if (key.front() == '/' || key.back() == '/' || key.find("//") != std::string::npos) {
    return "The key '" + key + "' is not a valid property path.";
  }
  bool allowed = std::any_of(std::begin(kAllowedKeys), std::end(kAllowedKeys),
                             [&](const char* k) { return key == k; });
  for (const char* prefix : kAllowedPrefixes) {
    if (key.starts_with(prefix) && key.size() > std::string(prefix).size()) allowed = true;
  }
  if (!allowed) return "The key '" + key + "' is not whitelisted.";
  if (key == "DrbdOptions/Resource/quorum") {
    if (value != "off" && value != "majority" && value != "all" && !is_number(value, false)) {
      return "The value '" + value + "' of " + key + " is not off, majority, all or a number.";
    }
  }
  if (key == "DrbdOptions/Resource/on-no-quorum" && value != "io-error" && value != "suspend-io") {
    return "The value '" + value + "' of " + key + " is not io-error or suspend-io.";
  }
  if (key == "DrbdOptions/Net/protocol" && value != "A" && value != "B" && value != "C") {
    return "The value '" + value + "' of " + key + " is not A, B or C.";
  }
  if ((key == "DrbdOptions/auto-diskful" || key == "Nbd/Port") && !is_number(value, false)) {
    return "The value '" + value + "' of " + key + " is not a whole number.";
  }
  if (key == kTcpPortAutoRangeKey && !parse_port_range(value)) {
    return "The value '" + value + "' of " + key + " is not a port range MIN-MAX (1..65535).";
  }
  if (key == "MaxOversubscriptionRatio" && !is_number(value, true)) {
    return "The value '" + value + "' of " + key + " is not a number.";
  }
  if ((key == "AutoplaceTarget" || key == "DrbdOptions/auto-add-quorum-tiebreaker") &&
      !parse_bool(value)) {
    return "The value '" + value + "' of " + key + " is not true or false.";
  }
  return {};
}

namespace detail {

bool apply_props_change(props& target, const props_change& change, std::uint64_t op_object,
                        api_call_rcs& rcs) {
  for (const auto& [key, value] : change.override_props) {
    std::string problem = check_property(key, value);
    if (!problem.empty()) {
      rcs.push_back(error_rc(op_object | rc::kFailInvalidProperty, problem));
      return false;
    }
  }
  for (const auto& [key, value] : change.override_props) target[key] = value;
  for (const std::string& key : change.delete_props) target.erase(key);
  for (const std::string& ns : change.delete_namespaces) {
    const std::string prefix = ns.ends_with("/") ? ns : ns + "/";
    for (auto it = target.begin(); it != target.end();) {
      it = it->first.starts_with(prefix) ? target.erase(it) : std::next(it);
    }
  }
  return true;
}

api_call_rc not_found_node(std::uint64_t op_object, const std::string& name) {
  return error_rc(op_object | rc::kFailNotFoundNode, "Node " + quoted(name) + " not found.");
}

api_call_rc not_found_definition(std::uint64_t op_object, const std::string& name) {
  return error_rc(op_object | rc::kFailNotFoundResourceDefinition,
                  "Resource definition " + quoted(name) + " not found.");
}

api_call_rc not_found_group(std::uint64_t op_object, const std::string& name) {
  return error_rc(op_object | rc::kFailNotFoundResourceGroup,
                  "Resource group " + quoted(name) + " not found.");
}

api_call_rc not_found_resource(std::uint64_t op_object, const std::string& definition,
                               const std::string& node_name) {
  return error_rc(
      op_object | rc::kFailNotFoundResource,
      "Resource " + quoted(definition) + " not found on node " + quoted(node_name) + ".");
}

bool build_volumes(const cluster& c, const resource_definition& rd, resource& rsc,
                   std::uint64_t op_object, api_call_rcs& rcs) {
  std::string pool_name;
  if (rsc.is_diskless()) {
    pool_name = std::string(kDefaultDisklessPool);
  } else {
    const resource_group* rg = c.find_group(rd.resource_group);
    pool_name =
        first_hit({&rsc.properties, &rd.properties, rg == nullptr ? nullptr : &rg->properties},
                  "StorPoolName")
            .value_or(std::string(kDefaultPool));
  }
  const storage_pool* pool = c.find_pool(rsc.node_name, pool_name);
  if (pool == nullptr) {
    rcs.push_back(error_rc(
        op_object | rc::kFailNotFoundStoragePool,
        "Storage pool " + quoted(pool_name) + " not found on node " + quoted(rsc.node_name) + ".",
        {}, "Create the storage pool or choose another one (StorPoolName)."));
    return false;
  }
  if (rsc.is_diskless() == has_backing_device(pool->kind)) {
    rcs.push_back(error_rc(op_object | rc::kFailInvalidStoragePoolName,
                           "Storage pool " + quoted(pool_name) + " on node " +
                               quoted(rsc.node_name) + " is " + std::string(to_string(pool->kind)) +
                               ", which cannot hold a " +
                               (rsc.is_diskless() ? "diskless" : "diskful") + " resource."));
    return false;
  }
  std::vector<volume> volumes;
  for (const volume_definition& vd : rd.volumes) {
    const bool gross = std::find(vd.flags.begin(), vd.flags.end(), "GROSS_SIZE") != vd.flags.end();
    auto plan = plan_volume_size(vd.size_kib, *pool, rd.peer_slots, gross);
    if (!plan.ok()) {
      rcs.push_back(error_rc(op_object | rc::kFailInvalidVolumeSize,
                             "Volume " + std::to_string(vd.number) + " of " + quoted(rd.name) +
                                 " does not fit pool " + quoted(pool_name) + ": " +
                                 plan.message()));
      return false;
    }
    volume v;
    v.number = vd.number;
    v.storage_pool = pool->name;
    v.allocated_kib = plan.value().allocated_kib;
    v.usable_kib = plan.value().usable_kib;
    // Keep what the satellite reported and the volume's own props across rebuilds.
    for (const volume& old : rsc.volumes) {
      if (old.number == vd.number) {
        v.properties = old.properties;
        v.reported = old.reported;
      }
    }
    volumes.push_back(std::move(v));
  }
  rsc.volumes = std::move(volumes);
  return true;
}

}  // namespace detail
}  // namespace tandem::cluster
