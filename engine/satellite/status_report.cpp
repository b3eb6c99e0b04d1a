#include "engine/satellite/status_report.h"

namespace tandem::satellite {

namespace {

using nlohmann::json;

std::string text_of(const json& object, const char* key, const char* fallback) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

template <typename T>
T number_of(const json& object, const char* key, T fallback) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<T>() : fallback;
}

const json& array_of(const json& object, const char* key) {
  static const json empty = json::array();
  auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : empty;
}

json resource_entry(const storage_facts& storage, const json& replica) {
  const std::string name = text_of(replica, "name", "");
  json out;
  out["name"] = name;
  out["role"] = text_of(replica, "role", "Unknown");
  out["in_use"] = number_of<std::uint64_t>(replica, "writers", 0) > 0;
  json connections = json::object();
  // peer name -> volume number -> the peer device's state
  std::map<std::uint32_t, json> peers_by_volume;
  for (const json& c : array_of(replica, "connections")) {
    if (!c.is_object()) continue;
    const std::string peer =
        text_of(c, "name", ("node-" + std::to_string(number_of<int>(c, "peer-node-id", -1))).c_str());
    connections[peer] = text_of(c, "connection-state", "") == "Connected";
    for (const json& pd : array_of(c, "peer-devices")) {
      if (!pd.is_object()) continue;
      json p;
      p["replication_state"] = text_of(pd, "replication-state", "Off");
      p["done_percentage"] = number_of<double>(pd, "done-percent", 0.0);
      p["out_of_sync_bytes"] = number_of<std::uint64_t>(pd, "out-of-sync-bytes", 0);
      p["peer_disk_state"] = text_of(pd, "peer-disk-state", "DUnknown");
      peers_by_volume[number_of<std::uint32_t>(pd, "volume", 0)][peer] = p;
    }
  }
  out["connections"] = connections;
  json volumes = json::array();
  for (const json& d : array_of(replica, "devices")) {
    if (!d.is_object()) continue;
    const auto number = number_of<std::uint32_t>(d, "volume", 0);
    json v;
    v["number"] = number;
    v["disk_state"] = text_of(d, "disk-state", "DUnknown");
    v["quorum"] = d.contains("quorum") && d["quorum"].is_boolean() ? d["quorum"].get<bool>() : true;
    v["usable_kib"] = number_of<std::uint64_t>(d, "size-bytes", 0) / 1024;
    auto allocated = storage.allocated_kib.find({name, number});
    v["allocated_kib"] = allocated == storage.allocated_kib.end() ? 0 : allocated->second;
    auto peers = peers_by_volume.find(number);
    v["peers"] = peers == peers_by_volume.end() ? json::object() : peers->second;
    volumes.push_back(v);
  }
  out["volumes"] = volumes;
  json snapshots = json::array();
  if (auto it = storage.snapshots.find(name); it != storage.snapshots.end()) {
    for (const std::string& s : it->second) snapshots.push_back(s);
  }
  out["snapshots"] = snapshots;
  return out;
}

}  // namespace

json status_message(const storage_facts& storage, const json& tandemd_resources) {
  json pools = json::array();
  for (const pool_fact& p : storage.pools) {
    pools.push_back({{"name", p.name},
                     {"free_capacity_kib", p.free_kib},
                     {"total_capacity_kib", p.total_kib},
                     {"error", p.error}});
  }
  json resources = json::array();
  if (tandemd_resources.is_array()) {
    for (const json& replica : tandemd_resources) {
      if (replica.is_object() && !text_of(replica, "name", "").empty()) {
        resources.push_back(resource_entry(storage, replica));
      }
    }
  }
  return {{"type", "status"}, {"pools", pools}, {"resources", resources}};
}

}  // namespace tandem::satellite
