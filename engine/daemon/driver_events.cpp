#include "engine/daemon/driver_events.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace tandem::engine {
using json = nlohmann::json;

namespace {

const char* object_name(state_object object) {
  switch (object) {
    case state_object::resource: return "resource";
    case state_object::device: return "device";
    case state_object::connection: return "connection";
    case state_object::peer_device: return "peer-device";
  }
  return "?";
}

std::string name_of(const peer_names& names, node_id peer) {
  for (const auto& [id, name] : names) {
    if (id == peer) return name;
  }
  return std::to_string(peer);
}

json base(std::string_view type, std::string_view object, std::string_view resource) {
  return json{{"type", type}, {"object", object}, {"name", resource}};
}

void add_peer(json& j, const peer_names& names, node_id peer) {
  j["peer-node-id"] = peer;
  j["conn-name"] = name_of(names, peer);
}

}  // namespace

std::string change_event_json(std::string_view resource, const state_changed& change,
                              const peer_names& names) {
  json j = base("change", object_name(change.object), resource);
  if (change.object == state_object::connection || change.object == state_object::peer_device) {
    add_peer(j, names, change.peer);
  }
  if (change.object == state_object::device || change.object == state_object::peer_device) {
    j["volume"] = change.volume;
  }
  j[change.field] = change.to;
  j["old"] = {{change.field, change.from}};
  return j.dump();
}

std::string event_json(std::string_view resource, const event& e, const peer_names& names) {
  json j = base("event", e.name, resource);
  // Events about this node itself (new-current-uuid, io-error) name no peer.
  for (const auto& [id, name] : names) {
    if (id == e.peer) add_peer(j, names, e.peer);
  }
  j["volume"] = e.volume;
  if (e.blocks != 0) j["blocks"] = e.blocks;
  if (!e.detail.empty()) j["detail"] = e.detail;
  return j.dump();
}

std::vector<std::string> exists_events_json(std::string_view resource, const replica_view& view,
                                            const peer_names& names) {
  std::vector<std::string> lines;
  json r = base("exists", "resource", resource);
  r["role"] = to_string(view.local_role);
  lines.push_back(r.dump());
  for (const auto& vol : view.volumes) {
    json d = base("exists", "device", resource);
    d["volume"] = vol.number;
    d["disk"] = to_string(vol.disk);
    d["quorum"] = vol.quorum ? "yes" : "no";
    lines.push_back(d.dump());
  }
  for (const auto& c : view.connections) {
    json conn = base("exists", "connection", resource);
    add_peer(conn, names, c.peer);
    conn["connection"] = to_string(c.conn);
    conn["peer-role"] = to_string(c.peer_role);
    lines.push_back(conn.dump());
    for (std::size_t i = 0; i < c.volumes.size(); ++i) {
      json pd = base("exists", "peer-device", resource);
      add_peer(pd, names, c.peer);
      pd["volume"] = i < view.volumes.size() ? view.volumes[i].number : i;
      pd["replication"] = to_string(c.volumes[i].repl);
      pd["peer-disk"] = to_string(c.volumes[i].peer_disk);
      pd["out-of-sync-bytes"] = c.volumes[i].out_of_sync_blocks * kBlockBytes;
      lines.push_back(pd.dump());
    }
  }
  return lines;
}

std::string lifecycle_event_json(std::string_view type, std::string_view resource) {
  return base(type, "resource", resource).dump();
}

std::string event_text(const std::string& json_object) {
  json j;
  try {
    j = json::parse(json_object);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(std::string("event is not JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("type") || !j.contains("object")) {
    throw std::runtime_error("not an event object: " + json_object);
  }
  const auto text_of = [](const json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
  };
  std::string line = text_of(j["type"]) + " " + text_of(j["object"]);
  // Identity first, in events2's order; then the states.
  for (const char* key : {"name", "peer-node-id", "conn-name", "volume"}) {
    if (j.contains(key)) line += std::string(" ") + key + ":" + text_of(j[key]);
  }
  for (const auto& [key, value] : j.items()) {
    if (key == "type" || key == "object" || key == "name" || key == "peer-node-id" ||
        key == "conn-name" || key == "volume" || key == "old") {
      continue;
    }
    line += " " + key + ":" + text_of(value);
  }
  return line;
}

}  // namespace tandem::engine
