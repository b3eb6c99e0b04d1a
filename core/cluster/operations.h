// Every mutation of the control plane as a pure function over a cluster value: validate, change,
// run the automation (tie-breaker, auto-quorum) and answer with LINSTOR's ApiCallRc list. An
// answer with an error means the value may be half-changed and must be discarded: the
// controller applies each operation to a copy and commits the copy only when no error came back
// (one database transaction per API call).
//
// Randomness and time come in through op_env (core/cluster has no clock and no RNG).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/cluster/api_codes.h"
#include "core/cluster/model.h"

namespace tandem::cluster {

struct op_env {
  std::uint64_t now_ms = 0;
  std::function<std::string()> new_uuid;    // object UUIDs
  std::function<std::string()> new_secret;  // per-resource shared secrets
  bool allow_offline_nodes = false;         // autoplacer: see placement_request
};

struct props_change {
  props override_props;
  std::vector<std::string> delete_props;
  std::vector<std::string> delete_namespaces;
  bool empty() const {
    return override_props.empty() && delete_props.empty() && delete_namespaces.empty();
  }
};

// Checks a key against the accepted namespaces (Aux/, DrbdOptions/, StorDriver/, Nbd/,
// Autoplacer/ and a few plain keys) and values of the keys the control plane interprets.
// Empty when fine, else the message.
std::string check_property(const std::string& key, const std::string& value);

// ---- controller, nodes, net interfaces, storage pools
api_call_rcs modify_controller_props(cluster& c, const props_change& change);
api_call_rcs create_node(cluster& c, const op_env& env, node n);
api_call_rcs modify_node(cluster& c, const std::string& name, const props_change& change);
api_call_rcs delete_node(cluster& c, const std::string& name);
api_call_rcs lose_node(cluster& c, const op_env& env, const std::string& name);
api_call_rcs create_net_interface(cluster& c, const std::string& node_name, net_interface nic);
api_call_rcs delete_net_interface(cluster& c, const std::string& node_name,
                                  const std::string& nic_name);
api_call_rcs create_storage_pool(cluster& c, const op_env& env, storage_pool pool);
api_call_rcs modify_storage_pool(cluster& c, const std::string& node_name,
                                 const std::string& pool_name, const props_change& change);
api_call_rcs delete_storage_pool(cluster& c, const std::string& node_name,
                                 const std::string& pool_name);

// ---- resource groups, volume groups, spawn
api_call_rcs create_resource_group(cluster& c, const op_env& env, resource_group rg);
// A larger place_count reaches the group's definitions that already have resources (as LINSTOR's
// `rg modify --place-count`): each gets replicas up to the new count; where that fails the group
// change still stands and the answer carries a warning.
api_call_rcs modify_resource_group(cluster& c, const op_env& env, const std::string& name,
                                   const std::optional<std::string>& description,
                                   const std::optional<select_filter>& filter,
                                   const props_change& change);
api_call_rcs delete_resource_group(cluster& c, const std::string& name);
api_call_rcs create_volume_group(cluster& c, const op_env& env, const std::string& group,
                                 std::optional<std::uint32_t> number, props properties);
api_call_rcs modify_volume_group(cluster& c, const std::string& group, std::uint32_t number,
                                 const props_change& change);
api_call_rcs delete_volume_group(cluster& c, const std::string& group, std::uint32_t number);

struct spawn_request {
  std::string definition;
  std::vector<std::uint64_t> volume_sizes_kib;
  bool definitions_only = false;
  bool partial = false;
  select_filter filter;  // merged onto the group's filter
  props definition_props;
};
api_call_rcs spawn(cluster& c, const op_env& env, const std::string& group,
                   const spawn_request& request);

// ---- resource definitions, volume definitions
struct definition_request {
  std::string name;
  std::string resource_group;  // empty: DfltRscGrp
  props properties;
  std::optional<std::uint16_t> port;
  std::optional<std::string> secret;
  std::optional<std::uint32_t> peer_slots;
};
api_call_rcs create_resource_definition(cluster& c, const op_env& env,
                                        const definition_request& request);
api_call_rcs modify_resource_definition(cluster& c, const op_env& env, const std::string& name,
                                        const props_change& change,
                                        const std::optional<std::string>& new_group);
api_call_rcs delete_resource_definition(cluster& c, const std::string& name);

struct volume_definition_request {
  std::optional<std::uint32_t> number;
  std::uint64_t size_kib = 0;
  std::vector<std::string> flags;
  props properties;
  std::optional<std::uint32_t> minor;
};
api_call_rcs create_volume_definition(cluster& c, const op_env& env, const std::string& definition,
                                      const volume_definition_request& request);
api_call_rcs modify_volume_definition(cluster& c, const op_env& env, const std::string& definition,
                                      std::uint32_t number, std::optional<std::uint64_t> size_kib,
                                      const props_change& change);
api_call_rcs delete_volume_definition(cluster& c, const op_env& env, const std::string& definition,
                                      std::uint32_t number);

// ---- resources
struct resource_request {
  std::string node_name;
  std::uint64_t flags = 0;  // resource_flag bits (DRBD_DISKLESS for a diskless client)
  props properties;         // StorPoolName chooses the pool
  std::optional<std::uint32_t> node_id;
};
api_call_rcs create_resources(cluster& c, const op_env& env, const std::string& definition,
                              const std::vector<resource_request>& requests);
api_call_rcs modify_resource(cluster& c, const op_env& env, const std::string& definition,
                             const std::string& node_name, const props_change& change);
api_call_rcs delete_resource(cluster& c, const op_env& env, const std::string& definition,
                             const std::string& node_name, bool keep_tiebreaker);
api_call_rcs toggle_disk(cluster& c, const op_env& env, const std::string& definition,
                         const std::string& node_name, bool to_diskful,
                         const std::optional<std::string>& pool);
api_call_rcs make_available(cluster& c, const op_env& env, const std::string& definition,
                            const std::string& node_name, bool diskful);
// Places replicas until the merged filter's place_count diskful replicas exist (status 201).
api_call_rcs autoplace_definition(cluster& c, const op_env& env, const std::string& definition,
                                  const select_filter& over);
// Tie-breaker and auto-quorum for one definition (run by every resource operation above).
api_call_rcs run_automation(cluster& c, const op_env& env, const std::string& definition);
// Auto-diskful: toggles every due diskless resource to diskful, and removes the replicas that
// auto_diskful_cleanup (automation.h) finds in excess once the new ones are UpToDate.
api_call_rcs run_auto_diskful(cluster& c, const op_env& env);

// ---- snapshots
api_call_rcs create_snapshot(cluster& c, const op_env& env, const std::string& definition,
                             const std::string& name, const std::vector<std::string>& nodes);
api_call_rcs delete_snapshot(cluster& c, const std::string& definition, const std::string& name);
// Creates the volume definitions of `to_definition` (which must exist and have none) with the
// snapshot's sizes.
api_call_rcs restore_snapshot_volume_definitions(cluster& c, const op_env& env,
                                                 const std::string& definition,
                                                 const std::string& name,
                                                 const std::string& to_definition);
// Creates resources of `to_definition` on the snapshot's nodes (or the given ones), each marked
// with the snapshot to restore from (property Restore/FromSnapshot = "<rd>/<snapshot>").
api_call_rcs restore_snapshot_resources(cluster& c, const op_env& env,
                                        const std::string& definition, const std::string& name,
                                        const std::string& to_definition,
                                        const std::vector<std::string>& nodes);

}  // namespace tandem::cluster
