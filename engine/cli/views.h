// The controller's JSON -> the tables `tandem ... list` prints. Pure functions: no I/O, so the
// unit tests feed them recorded JSON. Column sets follow LINSTOR's client (research notes §3).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cli/table.h"

namespace tandem::cli {

struct view_options {
  bool utf8 = false;  // the diskless-Primary mark is "⚠" on a UTF-8 terminal, "!" otherwise
  // `resource list --faulty`: only replicas whose state, connections or usage need attention.
  bool faulty_only = false;
};

// GET /v1/nodes -> Node | NodeType | Addresses | State
table node_table(const nlohmann::json& nodes);
// "Online" (green), "OFFLINE" (red), "EVICTED", "DELETING", other connection states (yellow).
table_cell node_state_cell(const nlohmann::json& node);
// GET /v1/view/storage-pools -> StoragePool | Node | Driver | PoolName | FreeCapacity | ...
table storage_pool_table(const nlohmann::json& pools);
// GET /v1/resource-groups, plus each group's volume groups (same order; may be shorter).
table resource_group_table(const nlohmann::json& groups,
                           const std::vector<nlohmann::json>& volume_groups_per_group);
// GET /v1/resource-groups/{rg}/volume-groups -> VolumeNr | Flags
table volume_group_table(const nlohmann::json& volume_groups);
// GET /v1/resource-definitions -> ResourceName | ResourceGroup | Layers | State
table resource_definition_table(const nlohmann::json& definitions);
// GET /v1/resource-definitions?with_volume_definitions=true -> one row per volume definition
table volume_definition_table(const nlohmann::json& definitions);
// Key | Value, sorted by key, of a JSON object of strings.
table properties_table(const nlohmann::json& props);
// GET /v1/view/snapshots -> ResourceName | SnapshotName | NodeNames | Volumes | CreatedOn | State
table snapshot_table(const nlohmann::json& snapshots);

struct resource_view {
  table rows;
  // One sentence per replica that is Primary (in use) without a local disk.
  std::vector<std::string> warnings;
};

// GET /v1/view/resources (+ GET /v1/resource-definitions for the port when the resource's own
// DRBD layer does not carry tcp_ports) -> ResourceName | Node | Port | Usage | Conns | State |
// CreatedOn.
resource_view resource_table(const nlohmann::json& resources, const nlohmann::json& definitions,
                             const view_options& options);
// True when a resource's DRBD layer carries no port, so resource_table needs the definitions.
bool needs_definition_ports(const nlohmann::json& resources);
// The members of GET /v1/view/resources that resource_table reads (a member_filter); the rest
// (properties, effective properties, every volume's layer data and reports, UUIDs) is most of
// the ~2 KB per resource.
bool resource_table_fields(int depth, std::string_view key);
// GET /v1/view/resources -> Node | Resource | StoragePool | VolNr | MinorNr | DeviceName |
// Allocated | InUse | State | Repl
resource_view volume_table(const nlohmann::json& resources, const view_options& options);

// `node describe`: the node, its storage pools, its resources and their volumes as a tree.
std::string node_tree(const nlohmann::json& node, const nlohmann::json& pools,
                      const nlohmann::json& resources, const view_options& options);

// ms since the epoch -> "2026-11-26 06:31:15" (UTC, so output does not depend on the host).
std::string format_timestamp_ms(std::int64_t ms);

}  // namespace tandem::cli
