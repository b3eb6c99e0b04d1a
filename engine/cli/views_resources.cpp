// Tables of deployed replicas (`resource list`, `volume list`) and the `node describe` tree.
// The State column is where an operator looks for trouble, so it carries the resync progress
// ("SyncTarget(34.5%)") and marks a Primary that has no local disk: a VM that runs disklessly
// sends every read over the network, usually without anyone noticing.
#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <map>

#include "engine/cli/json_fields.h"
#include "engine/cli/size_units.h"
#include "engine/cli/views.h"

namespace tandem::cli {
namespace {

bool is_diskless(const nlohmann::json& resource) {
  return has_flag(resource, "DISKLESS") || has_flag(resource, "DRBD_DISKLESS") ||
         has_flag(resource, "TIE_BREAKER");
}

std::optional<bool> in_use_of(const nlohmann::json& resource) {
  return bool_of(field(resource, "state"), "in_use");
}

bool is_sync_target_state(const std::string& state) {
  return state == "SyncTarget" || state == "PausedSyncT" || state == "StartingSyncT" ||
         state == "WFBitMapT" || state == "VerifyT";
}

std::string percent_text(const nlohmann::json& replication) {
  const auto& done = field(replication, "done_percentage");
  if (!done.is_number()) return {};
  char text[32];
  std::snprintf(text, sizeof text, "(%.1f%%)", done.get<double>());
  return text;
}

// "SyncTarget(34.5%)" when this replica is being resynced from a peer, else empty.
std::string sync_target_text(const nlohmann::json& volume) {
  for (const auto& [peer, replication] :
       field(field(volume, "state"), "replication_states").items()) {
    (void)peer;
    const std::string state = string_of(replication, "replication_state");
    if (is_sync_target_state(state)) return state + percent_text(replication);
  }
  return {};
}

// LINSTOR's volume_state_cell, plus resync progress.
table_cell volume_state(const nlohmann::json& volume, const nlohmann::json& resource) {
  const std::string prefix = has_flag(volume, "RESIZE") ? "Resizing, " : "";
  const std::string sync = sync_target_text(volume);
  if (!sync.empty()) return {prefix + sync, text_color::yellow};
  const std::string disk_state = string_of(field(volume, "state"), "disk_state");
  if (disk_state.empty()) return {prefix + "Unknown", text_color::yellow};
  if (disk_state == "DUnknown") return {prefix + "Unknown", text_color::yellow};
  if (disk_state == "Diskless") {
    if (!is_diskless(resource)) return {prefix + "Diskless", text_color::red};  // lost its disk
    if (has_flag(resource, "TIE_BREAKER")) return {"TieBreaker", text_color::none};
    return {prefix + disk_state, text_color::green};
  }
  if (disk_state == "Inconsistent" || disk_state == "Failed" || disk_state.rfind("To: ", 0) == 0) {
    return {prefix + disk_state, text_color::red};
  }
  if (disk_state == "UpToDate" || disk_state == "Created" || disk_state == "Attached") {
    return {prefix + disk_state, text_color::green};
  }
  return {prefix + disk_state, text_color::yellow};
}

table_cell resource_state(const nlohmann::json& resource) {
  if (has_flag(resource, "DELETE") || has_flag(resource, "DRBD_DELETE")) {
    return {"DELETING", text_color::red};
  }
  if (has_flag(resource, "INACTIVE")) return {"INACTIVE", text_color::yellow};
  table_cell state{"Unknown", text_color::yellow};
  // As LINSTOR: until the satellite has reported the resource (state.in_use), volume states
  // are the controller's guesses, not DRBD's.
  if (!in_use_of(resource)) return state;
  for (const auto& volume : field(resource, "volumes")) {
    state = volume_state(volume, resource);
    if (state.color != text_color::green && state.color != text_color::none) break;
  }
  if (has_flag(resource, "EVACUATE")) state.text += ", Evacuating";
  return state;
}

const nlohmann::json& drbd_layer(const nlohmann::json& resource) {
  return field(field(resource, "layer_object"), "drbd");
}

// Peers whose connection is down, grouped by the message: "Connecting(beta,gamma)"; "Ok".
table_cell connections_cell(const nlohmann::json& resource) {
  std::map<std::string, std::vector<std::string>> failed;
  for (const auto& [peer, connection] : field(drbd_layer(resource), "connections").items()) {
    if (bool_of(connection, "connected").value_or(false)) continue;
    std::string message = string_of(connection, "message");
    failed[message.empty() ? "Disconnected" : message].push_back(peer);
  }
  if (failed.empty()) return {"Ok"};
  std::vector<std::string> parts;
  for (const auto& [message, peers] : failed)
    parts.push_back(message + "(" + join(peers, ",") + ")");
  return {join(parts, ","), text_color::red};
}

std::string port_of(const nlohmann::json& resource,
                    const std::map<std::string, std::string>& definition_ports) {
  const auto& ports = field(drbd_layer(resource), "tcp_ports");
  if (ports.is_array() && !ports.empty() && ports[0].is_number_integer()) {
    return std::to_string(ports[0].get<std::int64_t>());
  }
  const auto it = definition_ports.find(string_of(resource, "name"));
  return it == definition_ports.end() ? std::string() : it->second;
}

std::map<std::string, std::string> ports_by_definition(const nlohmann::json& definitions) {
  std::map<std::string, std::string> ports;
  if (!definitions.is_array()) return ports;
  for (const auto& definition : definitions) {
    for (const auto& layer : field(definition, "layer_data")) {
      const std::string port = string_of(field(layer, "data"), "port");
      if (!port.empty()) ports[string_of(definition, "name")] = port;
    }
  }
  return ports;
}

table_cell usage_cell(const nlohmann::json& resource, const view_options& options,
                      std::vector<std::string>& warnings) {
  const auto in_use = in_use_of(resource);
  if (!in_use) return {""};
  if (!*in_use) return {"Unused"};
  if (!is_diskless(resource)) return {"InUse", text_color::green};
  warnings.push_back("resource '" + string_of(resource, "name") +
                     "' is in use (Primary) on node '" + string_of(resource, "node_name") +
                     "' without a local disk: every read and write goes over the network. "
                     "Make it diskful with: tandem resource toggle-disk " +
                     string_of(resource, "node_name") + " " + string_of(resource, "name"));
  return {std::string(options.utf8 ? "⚠ " : "! ") + "InUse", text_color::yellow};
}

std::string created_on(const nlohmann::json& resource) {
  const auto& stamp = field(resource, "create_timestamp");
  return stamp.is_number_integer() ? format_timestamp_ms(stamp.get<std::int64_t>()) : "";
}

// "Established(2)", "SyncSource(34.5%), Established(1)": per-peer replication, grouped.
std::string replication_cell(const nlohmann::json& volume) {
  std::map<std::string, int> counts;
  std::vector<std::string> parts;
  for (const auto& [peer, replication] :
       field(field(volume, "state"), "replication_states").items()) {
    (void)peer;
    const std::string state = string_of(replication, "replication_state");
    const std::string percent = percent_text(replication);
    if (!percent.empty() && state.rfind("Established", 0) != 0) {
      parts.push_back(state + percent);
    } else {
      ++counts[state.empty() ? "Unknown" : state];
    }
  }
  for (const auto& [state, count] : counts)
    parts.push_back(state + "(" + std::to_string(count) + ")");
  return join(parts, ", ");
}

std::string minor_of_volume(const nlohmann::json& volume) {
  for (const auto& layer : field(volume, "layer_data_list")) {
    const auto& data = field(layer, "data");
    const auto minor = unsigned_of(field(data, "drbd_volume_definition"), "minor_number");
    if (minor) return std::to_string(*minor);
  }
  return {};
}

}  // namespace

resource_view resource_table(const nlohmann::json& resources, const nlohmann::json& definitions,
                             const view_options& options) {
  resource_view view;
  for (const char* header :
       {"ResourceName", "Node", "Port", "Usage", "Conns", "State", "CreatedOn"}) {
    view.rows.add_column(header);
  }
  const auto ports = ports_by_definition(definitions);
  for (const auto& resource : resources) {
    table_cell state = resource_state(resource);
    // As LINSTOR: without a reported state (no satellite yet) the connections are unknown
    // too, and a column of "Unknown(...)" peers would only hide the real problems.
    const table_cell connections =
        state.text == "Unknown" ? table_cell{""} : connections_cell(resource);
    if (connections.color == text_color::red) state.color = text_color::red;
    const table_cell usage = usage_cell(resource, options, view.warnings);
    const bool healthy = (state.color == text_color::green || state.color == text_color::none) &&
                         usage.color != text_color::yellow;
    if (options.faulty_only && healthy) continue;
    view.rows.add_row({string_of(resource, "name"), string_of(resource, "node_name"),
                       port_of(resource, ports), usage, connections, state, created_on(resource)});
  }
  return view;
}

bool needs_definition_ports(const nlohmann::json& resources) {
  for (const auto& resource : resources) {
    const auto& ports = field(drbd_layer(resource), "tcp_ports");
    if (!ports.is_array() || ports.empty() || !ports[0].is_number_integer()) return true;
  }
  return false;
}

bool resource_table_fields(int depth, std::string_view key) {
  // By the depth of the object that holds them (the answer's array is 0): a resource's members
  // at 1; its layer_object's and state's at 2; the DRBD layer's and a volume's at 3. Deeper
  // objects are kept whole: they are maps keyed by peer names (connections, replication_states)
  // and a volume's state. A member that resource_table starts to read must be added here.
  const auto one_of = [key](std::initializer_list<std::string_view> kept) {
    return std::find(kept.begin(), kept.end(), key) != kept.end();
  };
  switch (depth) {
    case 1:
      return one_of(
          {"name", "node_name", "flags", "state", "volumes", "layer_object", "create_timestamp"});
    case 2: return one_of({"drbd", "in_use"});
    case 3: return one_of({"connections", "tcp_ports", "flags", "state"});
    default: return true;
  }
}

resource_view volume_table(const nlohmann::json& resources, const view_options& options) {
  resource_view view;
  for (const char* header : {"Node", "Resource", "StoragePool"}) view.rows.add_column(header);
  view.rows.add_column("VolNr", alignment::right);
  view.rows.add_column("MinorNr", alignment::right);
  view.rows.add_column("DeviceName");
  view.rows.add_column("Allocated", alignment::right);
  for (const char* header : {"InUse", "State", "Repl"}) view.rows.add_column(header);
  for (const auto& resource : resources) {
    if (has_flag(resource, "INACTIVE") && !has_flag(resource, "EVICTED")) continue;
    const table_cell usage = usage_cell(resource, options, view.warnings);
    for (const auto& volume : field(resource, "volumes")) {
      const auto allocated = unsigned_of(volume, "allocated_size_kib");
      view.rows.add_row({string_of(resource, "node_name"), string_of(resource, "name"),
                         string_of(volume, "storage_pool_name"), string_of(volume, "volume_number"),
                         minor_of_volume(volume), string_of(volume, "device_path"),
                         allocated.value_or(0) != 0 ? format_size_kib(*allocated) : "", usage,
                         volume_state(volume, resource), replication_cell(volume)});
    }
  }
  return view;
}

std::string node_tree(const nlohmann::json& node, const nlohmann::json& pools,
                      const nlohmann::json& resources, const view_options& options) {
  const std::string branch = options.utf8 ? "├── " : "|-- ";
  const std::string last = options.utf8 ? "└── " : "+-- ";
  const std::string through = options.utf8 ? "│   " : "|   ";
  std::string out = string_of(node, "name") + " (" + string_of(node, "type") + ", " +
                    node_state_cell(node).text + ")\n";
  struct item {
    std::string text;
    std::vector<std::string> children;
  };
  std::vector<item> items;
  for (const auto& pool : pools) {
    const auto free_kib = unsigned_of(pool, "free_capacity");
    const auto total_kib = unsigned_of(pool, "total_capacity");
    std::string text = "StoragePool " + string_of(pool, "storage_pool_name") + " (" +
                       string_of(pool, "provider_kind");
    if (free_kib && total_kib) {
      text += ", " + format_size_kib(*free_kib) + " free of " + format_size_kib(*total_kib);
    }
    items.push_back({text + ")", {}});
  }
  std::vector<std::string> ignored;
  for (const auto& resource : resources) {
    item entry{"Resource " + string_of(resource, "name") + " (" + resource_state(resource).text +
                   ", " +
                   [&] {
                     const auto usage = usage_cell(resource, options, ignored).text;
                     return usage.empty() ? std::string("usage unknown") : usage;
                   }() +
                   ")",
               {}};
    for (const auto& volume : field(resource, "volumes")) {
      const auto allocated = unsigned_of(volume, "allocated_size_kib");
      entry.children.push_back("Volume " + string_of(volume, "volume_number") + " " +
                               volume_state(volume, resource).text +
                               (allocated ? ", " + format_size_kib(*allocated) : "") +
                               (string_of(volume, "device_path").empty()
                                    ? ""
                                    : ", " + string_of(volume, "device_path")));
    }
    items.push_back(std::move(entry));
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    const bool is_last = i + 1 == items.size();
    out += (is_last ? last : branch) + items[i].text + "\n";
    for (std::size_t c = 0; c < items[i].children.size(); ++c) {
      const bool child_last = c + 1 == items[i].children.size();
      out +=
          (is_last ? "    " : through) + (child_last ? last : branch) + items[i].children[c] + "\n";
    }
  }
  return out;
}

}  // namespace tandem::cli
