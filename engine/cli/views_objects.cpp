// Tables of the configuration objects: nodes, storage pools, groups, definitions, snapshots.
#include <algorithm>
#include <ctime>
#include <map>

#include "engine/cli/json_fields.h"
#include "engine/cli/size_units.h"
#include "engine/cli/views.h"

namespace tandem::cli {
namespace {

std::string node_addresses(const nlohmann::json& node) {
  std::vector<std::string> addresses;
  for (const auto& netif : field(node, "net_interfaces")) {
    std::string text = string_of(netif, "address");
    const auto port = unsigned_of(netif, "satellite_port");
    if (port) {
      text += ":" + std::to_string(*port);
      const std::string encryption = string_of(netif, "satellite_encryption_type");
      if (!encryption.empty()) text += " (" + encryption + ")";
    }
    addresses.push_back(text);
  }
  return join(addresses, ", ");
}

// The backing pool a provider uses (VG, VG/thinpool, zpool or directory).
std::string backing_pool_name(const nlohmann::json& pool) {
  for (const char* key : {"StorDriver/StorPoolName", "StorDriver/LvmVg", "StorDriver/ZPool",
                          "StorDriver/ZPoolThin", "StorDriver/FileDir"}) {
    std::string value = prop_of(pool, key);
    if (!value.empty()) return value;
  }
  return {};
}

std::string capacity_cell(const nlohmann::json& pool, const char* key) {
  const auto kib = unsigned_of(pool, key);
  return kib ? format_size_kib(*kib) : std::string();
}

std::string select_filter_text(const nlohmann::json& filter) {
  std::vector<std::string> parts;
  const auto& place_count = field(filter, "place_count");
  if (place_count.is_number_integer() || place_count.is_string()) {
    parts.push_back("PlaceCount: " + string_of(filter, "place_count"));
  }
  auto list = [&](const char* key, const char* label) {
    const auto values = strings_of(filter, key);
    if (!values.empty()) parts.push_back(std::string(label) + ": " + join(values, ", "));
  };
  list("storage_pool_list", "StoragePool(s)");
  if (parts.size() < 2 && !string_of(filter, "storage_pool").empty()) {
    parts.push_back("StoragePool(s): " + string_of(filter, "storage_pool"));
  }
  list("storage_pool_diskless_list", "DisklessStoragePool(s)");
  list("node_name_list", "Node(s)");
  list("replicas_on_same", "ReplicasOnSame");
  list("replicas_on_different", "ReplicasOnDifferent");
  list("not_place_with_rsc", "NotPlaceWithRsc");
  list("layer_stack", "LayerStack");
  list("provider_list", "ProviderList");
  const auto diskless_on_remaining = bool_of(filter, "diskless_on_remaining");
  if (diskless_on_remaining) {
    parts.push_back(std::string("DisklessOnRemaining: ") +
                    (*diskless_on_remaining ? "True" : "False"));
  }
  return join(parts, ", ");
}

std::string layers_of(const nlohmann::json& definition) {
  std::vector<std::string> layers;
  for (const auto& layer : field(definition, "layer_data")) {
    layers.push_back(string_of(layer, "type"));
  }
  return join(layers, ",");
}

std::string minor_of(const nlohmann::json& volume_definition) {
  for (const auto& layer : field(volume_definition, "layer_data")) {
    const auto minor = unsigned_of(field(layer, "data"), "minor_number");
    if (minor) return std::to_string(*minor);
  }
  return {};
}

table_cell snapshot_state(const nlohmann::json& snapshot) {
  if (has_flag(snapshot, "DELETE")) return {"DELETING", text_color::red};
  for (const auto& flag : strings_of(snapshot, "flags")) {
    if (flag.rfind("FAILED", 0) == 0) return {"Failed", text_color::red};
  }
  if (has_flag(snapshot, "SHIPPING")) return {"Shipping", text_color::yellow};
  if (has_flag(snapshot, "SUCCESSFUL")) return {"Successful", text_color::green};
  return {"Incomplete", text_color::yellow};
}

}  // namespace

table_cell node_state_cell(const nlohmann::json& node) {
  if (has_flag(node, "EVICTED")) return {"EVICTED", text_color::red};
  if (has_flag(node, "DELETE")) return {"DELETING", text_color::red};
  const std::string status = string_of(node, "connection_status");
  if (status == "ONLINE") {
    if (has_flag(node, "EVACUATE")) return {"Online, Evacuating", text_color::yellow};
    return {"Online", text_color::green};
  }
  if (status == "OFFLINE") return {"OFFLINE", text_color::red};
  if (status.empty()) return {"Unknown", text_color::yellow};
  return {status, text_color::yellow};
}

std::string format_timestamp_ms(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &utc);
  return text;
}

table node_table(const nlohmann::json& nodes) {
  table t;
  t.add_column("Node");
  t.add_column("NodeType");
  t.add_column("Addresses");
  t.add_column("State");
  for (const auto& node : nodes) {
    t.add_row({string_of(node, "name"), string_of(node, "type"), node_addresses(node),
               node_state_cell(node)});
  }
  return t;
}

table storage_pool_table(const nlohmann::json& pools) {
  table t;
  for (const char* header : {"StoragePool", "Node", "Driver", "PoolName"}) t.add_column(header);
  t.add_column("FreeCapacity", alignment::right);
  t.add_column("TotalCapacity", alignment::right);
  for (const char* header : {"CanSnapshots", "State", "SharedName"}) t.add_column(header);
  for (const auto& pool : pools) {
    bool has_errors = false;
    for (const auto& report : field(pool, "reports")) {
      const auto& code = field(report, "ret_code");
      has_errors = has_errors || (code.is_number_integer() && code.get<std::int64_t>() < 0);
    }
    const auto snapshots = bool_of(pool, "supports_snapshots");
    t.add_row(
        {string_of(pool, "storage_pool_name"), string_of(pool, "node_name"),
         string_of(pool, "provider_kind"), backing_pool_name(pool),
         capacity_cell(pool, "free_capacity"), capacity_cell(pool, "total_capacity"),
         snapshots ? (*snapshots ? "True" : "False") : "",
         has_errors ? table_cell{"Error", text_color::red} : table_cell{"Ok", text_color::green},
         string_of(pool, "free_space_mgr_name")});
  }
  return t;
}

table resource_group_table(const nlohmann::json& groups,
                           const std::vector<nlohmann::json>& volume_groups_per_group) {
  table t;
  for (const char* header : {"ResourceGroup", "SelectFilter", "VlmNrs", "Description"}) {
    t.add_column(header);
  }
  std::size_t index = 0;
  for (const auto& group : groups) {
    std::vector<std::string> numbers;
    if (index < volume_groups_per_group.size()) {
      for (const auto& volume_group : volume_groups_per_group[index]) {
        numbers.push_back(string_of(volume_group, "volume_number"));
      }
    }
    t.add_row({string_of(group, "name"), select_filter_text(field(group, "select_filter")),
               join(numbers, ","), string_of(group, "description")});
    ++index;
  }
  return t;
}

table volume_group_table(const nlohmann::json& volume_groups) {
  table t;
  t.add_column("VolumeNr", alignment::right);
  t.add_column("Flags");
  for (const auto& volume_group : volume_groups) {
    t.add_row(
        {string_of(volume_group, "volume_number"), join(strings_of(volume_group, "flags"), ", ")});
  }
  return t;
}

table resource_definition_table(const nlohmann::json& definitions) {
  table t;
  for (const char* header : {"ResourceName", "ResourceGroup", "Layers", "State"}) {
    t.add_column(header);
  }
  for (const auto& definition : definitions) {
    t.add_row({string_of(definition, "name"), string_of(definition, "resource_group_name"),
               layers_of(definition),
               has_flag(definition, "DELETE") ? table_cell{"DELETING", text_color::red}
                                              : table_cell{"ok", text_color::green}});
  }
  return t;
}

table volume_definition_table(const nlohmann::json& definitions) {
  table t;
  t.add_column("ResourceName");
  t.add_column("VolumeNr", alignment::right);
  t.add_column("VolumeMinor", alignment::right);
  t.add_column("Size", alignment::right);
  t.add_column("Gross");
  t.add_column("State");
  for (const auto& definition : definitions) {
    for (const auto& volume : field(definition, "volume_definitions")) {
      const auto size_kib = unsigned_of(volume, "size_kib");
      table_cell state{"ok", text_color::green};
      if (has_flag(definition, "DELETE") || has_flag(volume, "DELETE")) {
        state = {"DELETING", text_color::red};
      } else if (has_flag(volume, "RESIZE")) {
        state = {"resizing", text_color::yellow};
      }
      t.add_row({string_of(definition, "name"), string_of(volume, "volume_number"),
                 minor_of(volume), size_kib ? format_size_kib(*size_kib) : "",
                 has_flag(volume, "GROSS_SIZE") ? "+" : "", state});
    }
  }
  return t;
}

table properties_table(const nlohmann::json& props) {
  table t;
  t.add_column("Key");
  t.add_column("Value");
  if (!props.is_object()) return t;
  std::map<std::string, std::string> sorted;
  for (const auto& [key, value] : props.items()) {
    sorted[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  for (const auto& [key, value] : sorted) t.add_row({key, value});
  return t;
}

table snapshot_table(const nlohmann::json& snapshots) {
  table t;
  for (const char* header :
       {"ResourceName", "SnapshotName", "NodeNames", "Volumes", "CreatedOn", "State"}) {
    t.add_column(header);
  }
  for (const auto& snapshot : snapshots) {
    std::vector<std::string> volumes;
    for (const auto& volume : field(snapshot, "volume_definitions")) {
      const auto size_kib = unsigned_of(volume, "size_kib");
      volumes.push_back(string_of(volume, "volume_number") + ": " +
                        (size_kib ? format_size_kib(*size_kib) : "?"));
    }
    std::string created;
    for (const auto& per_node : field(snapshot, "snapshots")) {
      const auto& stamp = field(per_node, "create_timestamp");
      if (stamp.is_number_integer()) {
        created = format_timestamp_ms(stamp.get<std::int64_t>());
        break;
      }
    }
    t.add_row({string_of(snapshot, "resource_name"), string_of(snapshot, "name"),
               join(strings_of(snapshot, "nodes"), ", "), join(volumes, ", "), created,
               snapshot_state(snapshot)});
  }
  return t;
}

}  // namespace tandem::cli
