// Controller properties, nodes, net interfaces and storage pools.
#include <algorithm>
#include <set>

#include "core/cluster/ops_common.h"

namespace tandem::cluster {

using detail::quoted;

api_call_rcs modify_controller_props(cluster& c, const props_change& change) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kModify | rc::kControllerConfig;
  if (!detail::apply_props_change(c.controller_properties, change, obj, rcs)) return rcs;
  rcs.push_back(success_rc(obj | rc::kModified, "Successfully set property key(s)"));
  return rcs;
}

namespace {

std::string check_address(const std::string& address) {
  if (address.empty()) return "The address of a net interface must not be empty.";
  for (char ch : address) {
    const bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                    (ch >= 'A' && ch <= 'F') || ch == '.' || ch == ':';
    if (!ok) return "The address '" + address + "' is not an IPv4 or IPv6 address.";
  }
  return {};
}

}  // namespace

api_call_rcs create_node(cluster& c, const op_env& env, node n) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kNode;
  if (std::string why = check_name("node", n.name); !why.empty()) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidNodeName, why));
    return rcs;
  }
  if (c.find_node(n.name) != nullptr) {
    rcs.push_back(
        error_rc(obj | rc::kFailExistsNode, "Node " + quoted(n.name) + " already exists."));
    return rcs;
  }
  if (n.type == node_type::satellite || n.type == node_type::combined) {
    if (n.net_interfaces.empty()) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidNetAddress,
                             "Node " + quoted(n.name) + " needs a net interface with an address.",
                             {}, "Give net_interfaces: [{name, address, satellite_port}]"));
      return rcs;
    }
  }
  std::set<std::string> nic_names;
  for (net_interface& nic : n.net_interfaces) {
    if (nic.name.empty()) nic.name = "default";
    if (std::string why = check_name("net interface", nic.name); !why.empty()) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidNetName, why));
      return rcs;
    }
    if (!nic_names.insert(name_key(nic.name)).second) {
      rcs.push_back(error_rc(obj | rc::kFailExistsNetInterface,
                             "Net interface " + quoted(nic.name) + " given twice."));
      return rcs;
    }
    if (std::string why = check_address(nic.address); !why.empty()) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidNetAddress, why));
      return rcs;
    }
    if (nic.satellite_port == 0) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidNetPort,
                             "Net interface " + quoted(nic.name) + " has satellite port 0."));
      return rcs;
    }
  }
  if (!n.net_interfaces.empty() &&
      std::none_of(n.net_interfaces.begin(), n.net_interfaces.end(),
                   [](const net_interface& nic) { return nic.is_active; })) {
    n.net_interfaces.front().is_active = true;
  }
  for (const auto& [key, value] : n.properties) {
    if (std::string why = check_property(key, value); !why.empty()) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidProperty, why));
      return rcs;
    }
  }
  n.uuid = env.new_uuid();
  n.connection = connection_status::offline;
  const std::string name = n.name;
  const std::string key = name_key(name);
  c.nodes.emplace(key, std::move(n));
  // Every node gets the diskless pool, as in LINSTOR.
  storage_pool diskless;
  diskless.node_name = name;
  diskless.name = std::string(kDefaultDisklessPool);
  diskless.kind = pool_kind::diskless;
  diskless.uuid = env.new_uuid();
  c.pools.emplace(pair_key{key, name_key(diskless.name)}, std::move(diskless));
  api_call_rc ok = success_rc(obj | rc::kCreated, "New node " + quoted(name) + " registered.");
  ok.obj_refs["Node"] = name;
  rcs.push_back(ok);
  return rcs;
}

api_call_rcs modify_node(cluster& c, const std::string& name, const props_change& change) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kModify | rc::kNode;
  node* n = c.find_node(name);
  if (n == nullptr) {
    rcs.push_back(detail::not_found_node(obj, name));
    return rcs;
  }
  if (!detail::apply_props_change(n->properties, change, obj, rcs)) return rcs;
  rcs.push_back(success_rc(obj | rc::kModified, "Node " + quoted(n->name) + " modified."));
  return rcs;
}

api_call_rcs delete_node(cluster& c, const std::string& name) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kDelete | rc::kNode;
  const node* n = c.find_node(name);
  if (n == nullptr) {
    rcs.push_back(detail::not_found_node(obj, name));
    return rcs;
  }
  auto resources = c.resources_on(name);
  if (!resources.empty()) {
    std::string list;
    for (const resource* rsc : resources) list += (list.empty() ? "" : ", ") + rsc->definition;
    rcs.push_back(error_rc(obj | rc::kFailInUse,
                           "Node " + quoted(n->name) + " still has resources: " + list + ".", {},
                           "Delete the resources first, or use 'node lost' if the node is gone "
                           "for good."));
    return rcs;
  }
  const std::string display = n->name;
  const std::string key = name_key(name);
  std::erase_if(c.pools, [&](const auto& entry) { return entry.first.first == key; });
  c.nodes.erase(key);
  rcs.push_back(success_rc(obj | rc::kDeleted, "Node " + quoted(display) + " deleted."));
  return rcs;
}

api_call_rcs lose_node(cluster& c, const op_env& env, const std::string& name) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kDelete | rc::kNode;
  const node* n = c.find_node(name);
  if (n == nullptr) {
    rcs.push_back(detail::not_found_node(obj, name));
    return rcs;
  }
  const std::string display = n->name;
  const std::string key = name_key(name);
  std::vector<std::string> affected;
  for (const resource* rsc : c.resources_on(name)) affected.push_back(rsc->definition);
  std::erase_if(c.resources, [&](const auto& entry) { return entry.first.second == key; });
  std::erase_if(c.pools, [&](const auto& entry) { return entry.first.first == key; });
  for (auto& [snap_key, snap] : c.snapshots) {
    std::erase_if(snap.nodes, [&](const std::string& s) { return name_key(s) == key; });
  }
  c.nodes.erase(key);
  rcs.push_back(success_rc(obj | rc::kDeleted, "Node " + quoted(display) + " deleted (lost)."));
  for (const std::string& definition : affected) {
    api_call_rcs more = run_automation(c, env, definition);
    rcs.insert(rcs.end(), more.begin(), more.end());
  }
  return rcs;
}

api_call_rcs create_net_interface(cluster& c, const std::string& node_name, net_interface nic) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kNetInterface;
  node* n = c.find_node(node_name);
  if (n == nullptr) {
    rcs.push_back(detail::not_found_node(obj, node_name));
    return rcs;
  }
  if (std::string why = check_name("net interface", nic.name); !why.empty()) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidNetName, why));
    return rcs;
  }
  for (const net_interface& existing : n->net_interfaces) {
    if (name_key(existing.name) == name_key(nic.name)) {
      rcs.push_back(error_rc(obj | rc::kFailExistsNetInterface,
                             "Net interface " + quoted(nic.name) + " already exists on node " +
                                 quoted(n->name) + "."));
      return rcs;
    }
  }
  if (std::string why = check_address(nic.address); !why.empty()) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidNetAddress, why));
    return rcs;
  }
  if (nic.is_active) {
    for (net_interface& existing : n->net_interfaces) existing.is_active = false;
  }
  const std::string display = nic.name;
  n->net_interfaces.push_back(std::move(nic));
  rcs.push_back(success_rc(obj | rc::kCreated, "Net interface " + quoted(display) +
                                                   " created on node " + quoted(n->name) + "."));
  return rcs;
}

api_call_rcs delete_net_interface(cluster& c, const std::string& node_name,
                                  const std::string& nic_name) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kDelete | rc::kNetInterface;
  node* n = c.find_node(node_name);
  if (n == nullptr) {
    rcs.push_back(detail::not_found_node(obj, node_name));
    return rcs;
  }
  auto it = std::find_if(
      n->net_interfaces.begin(), n->net_interfaces.end(),
      [&](const net_interface& nic) { return name_key(nic.name) == name_key(nic_name); });
  if (it == n->net_interfaces.end()) {
    rcs.push_back(error_rc(
        obj | rc::kFailNotFoundNetInterface,
        "Net interface " + quoted(nic_name) + " not found on node " + quoted(n->name) + "."));
    return rcs;
  }
  if (it->is_active) {
    rcs.push_back(error_rc(obj | rc::kFailInUse,
                           "Net interface " + quoted(it->name) +
                               " is the active one: the controller reaches the satellite "
                               "through it."));
    return rcs;
  }
  n->net_interfaces.erase(it);
  rcs.push_back(success_rc(obj | rc::kDeleted, "Net interface " + quoted(nic_name) + " deleted."));
  return rcs;
}

api_call_rcs create_storage_pool(cluster& c, const op_env& env, storage_pool pool) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kStoragePool;
  const node* n = c.find_node(pool.node_name);
  if (n == nullptr) {
    rcs.push_back(detail::not_found_node(obj, pool.node_name));
    return rcs;
  }
  if (std::string why = check_name("storage pool", pool.name); !why.empty()) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidStoragePoolName, why));
    return rcs;
  }
  if (c.find_pool(pool.node_name, pool.name) != nullptr) {
    rcs.push_back(error_rc(
        obj | rc::kFailExistsStoragePool,
        "Storage pool " + quoted(pool.name) + " already exists on node " + quoted(n->name) + "."));
    return rcs;
  }
  for (const auto& [key, value] : pool.properties) {
    if (std::string why = check_property(key, value); !why.empty()) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidProperty, why));
      return rcs;
    }
  }
  if (has_backing_device(pool.kind) && pool.source().empty()) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidStorageDriver,
                           "Storage pool " + quoted(pool.name) + " of kind " +
                               std::string(to_string(pool.kind)) +
                               " needs StorDriver/StorPoolName (volume group, thin pool, zpool "
                               "or directory)."));
    return rcs;
  }
  pool.node_name = n->name;
  pool.uuid = env.new_uuid();
  const std::string display = pool.name;
  c.pools.emplace(pair_key{name_key(n->name), name_key(pool.name)}, std::move(pool));
  rcs.push_back(success_rc(obj | rc::kCreated, "Storage pool " + quoted(display) +
                                                   " created on node " + quoted(n->name) + "."));
  return rcs;
}

api_call_rcs modify_storage_pool(cluster& c, const std::string& node_name,
                                 const std::string& pool_name, const props_change& change) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kModify | rc::kStoragePool;
  storage_pool* pool = c.find_pool(node_name, pool_name);
  if (pool == nullptr) {
    rcs.push_back(error_rc(
        obj | rc::kFailNotFoundStoragePool,
        "Storage pool " + quoted(pool_name) + " not found on node " + quoted(node_name) + "."));
    return rcs;
  }
  if (!detail::apply_props_change(pool->properties, change, obj, rcs)) return rcs;
  rcs.push_back(
      success_rc(obj | rc::kModified, "Storage pool " + quoted(pool->name) + " modified."));
  return rcs;
}

api_call_rcs delete_storage_pool(cluster& c, const std::string& node_name,
                                 const std::string& pool_name) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kDelete | rc::kStoragePool;
  const storage_pool* pool = c.find_pool(node_name, pool_name);
  if (pool == nullptr) {
    rcs.push_back(error_rc(
        obj | rc::kFailNotFoundStoragePool,
        "Storage pool " + quoted(pool_name) + " not found on node " + quoted(node_name) + "."));
    return rcs;
  }
  for (const resource* rsc : c.resources_on(node_name)) {
    for (const volume& v : rsc->volumes) {
      if (name_key(v.storage_pool) == name_key(pool_name)) {
        rcs.push_back(error_rc(obj | rc::kFailInUse, "Storage pool " + quoted(pool->name) +
                                                         " on node " + quoted(node_name) +
                                                         " still holds volumes of " +
                                                         quoted(rsc->definition) + "."));
        return rcs;
      }
    }
  }
  const std::string display = pool->name;
  c.pools.erase({name_key(node_name), name_key(pool_name)});
  rcs.push_back(success_rc(obj | rc::kDeleted, "Storage pool " + quoted(display) + " deleted."));
  return rcs;
}

}  // namespace tandem::cluster
