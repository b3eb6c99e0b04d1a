#include "engine/controller/satellite_messages.h"

#include <stdexcept>

namespace tandem::controller {

namespace cl = tandem::cluster;
using nlohmann::json;

json hello_message(const std::string& node_name) {
  return {{"type", "hello"},
          {"protocol_version", kSatelliteProtocolVersion},
          {"role", "controller"},
          {"node_name", node_name},
          {"software", "tandem-controller 0.1.0"}};
}

namespace {

json pool_entry(const cl::desired_pool& p) {
  return {{"name", p.name},
          {"kind", std::string(cl::to_string(p.kind))},
          {"source", p.source},
          {"props", p.properties}};
}

json resource_entry(const cl::desired_resource& r) {
  json volumes = json::array();
  for (const cl::desired_volume& v : r.volumes) {
    volumes.push_back({{"number", v.number},
                       {"minor", v.minor},
                       {"size_kib", v.size_kib},
                       {"usable_kib", v.usable_kib},
                       {"allocated_kib", v.allocated_kib},
                       {"pool", v.pool},
                       {"kind", std::string(cl::to_string(v.kind))},
                       {"pool_source", v.pool_source},
                       {"restore_from_snapshot", v.restore_from_snapshot}});
  }
  json nodes = json::array();
  for (const cl::desired_peer& n : r.nodes) {
    nodes.push_back({{"node_name", n.node_name},
                     {"node_id", n.node_id},
                     {"address", n.address},
                     {"port", n.port},
                     {"diskless", n.diskless},
                     {"tie_breaker", n.tie_breaker}});
  }
  return {{"name", r.name},
          {"node_id", r.node_id},
          {"port", r.port},
          {"secret", r.secret},
          {"peer_slots", r.peer_slots},
          {"diskless", r.diskless},
          {"tie_breaker", r.tie_breaker},
          {"protocol", r.protocol},
          {"quorum", r.quorum},
          {"on_no_quorum", r.on_no_quorum},
          {"after_sb_0pri", r.after_sb_0pri},
          {"after_sb_1pri", r.after_sb_1pri},
          {"after_sb_2pri", r.after_sb_2pri},
          {"allow_two_primaries", r.allow_two_primaries},
          {"options", r.options},
          {"volumes", volumes},
          {"nodes", nodes},
          {"nbd",
           {{"enabled", r.nbd.enabled},
            {"address", r.nbd.address},
            {"port", r.nbd.port},
            {"export_name", r.nbd.export_name}}},
          {"snapshots", r.snapshots},
          {"day0_uuid", r.day0_uuid}};
}

template <typename Entry>
json entries(const std::vector<Entry>& list, json (*entry)(const Entry&)) {
  json out = json::array();
  for (const Entry& e : list) out.push_back(entry(e));
  return out;
}

json nbd_listen_entry(const std::string& address, std::uint16_t port) {
  return {{"address", address}, {"port", port}};
}

}  // namespace

json desired_state_message(const cl::node_desired_state& state, std::uint64_t generation) {
  return {{"type", "desired_state"},
          {"generation", generation},
          {"node_name", state.node_name},
          {"nbd", nbd_listen_entry(state.nbd_address, state.nbd_port)},
          {"pools", entries(state.pools, pool_entry)},
          {"resources", entries(state.resources, resource_entry)}};
}

json desired_state_delta_message(const cl::desired_state_delta& delta,
                                 std::uint64_t base_generation, std::uint64_t generation) {
  json message = {{"type", "desired_state_delta"},
                  {"base_generation", base_generation},
                  {"generation", generation}};
  // Only what changed: an empty list is left out like an unchanged nbd.
  if (delta.nbd) message["nbd"] = nbd_listen_entry(delta.nbd->address, delta.nbd->port);
  if (!delta.changed_pools.empty()) message["pools"] = entries(delta.changed_pools, pool_entry);
  if (!delta.removed_pools.empty()) message["removed_pools"] = delta.removed_pools;
  if (!delta.changed_resources.empty()) {
    message["resources"] = entries(delta.changed_resources, resource_entry);
  }
  if (!delta.removed_resources.empty()) message["removed_resources"] = delta.removed_resources;
  return message;
}

namespace {

template <typename T>
T field(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) {
    throw std::runtime_error(where + ": missing field '" + key + "'");
  }
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw std::runtime_error(where + ": field '" + key + "' has the wrong type");
  }
}

}  // namespace

bool apply_status(cl::cluster& c, const std::string& node_name, const json& status,
                  std::uint64_t now_ms) {
  bool persisted_change = false;
  const std::string node_key = cl::name_key(node_name);
  if (status.contains("pools")) {
    for (const json& p : status.at("pools")) {
      const std::string name = field<std::string>(p, "name", "status.pools[]");
      cl::storage_pool* pool = c.find_pool(node_name, name);
      if (pool == nullptr) continue;  // a pool the controller does not know (yet)
      const auto free = field<std::uint64_t>(p, "free_capacity_kib", "status.pools[" + name + "]");
      const auto total =
          field<std::uint64_t>(p, "total_capacity_kib", "status.pools[" + name + "]");
      if (pool->free_capacity_kib != free || pool->total_capacity_kib != total) {
        pool->free_capacity_kib = free;
        pool->total_capacity_kib = total;
        persisted_change = true;
      }
    }
  }
  // Every resource on the node: reported ones get their report, the rest lose the old one.
  std::map<std::string, const json*> reported;
  if (status.contains("resources")) {
    for (const json& r : status.at("resources")) {
      reported[cl::name_key(field<std::string>(r, "name", "status.resources[]"))] = &r;
    }
  }
  for (auto& [key, rsc] : c.resources) {
    if (key.second != node_key) continue;
    auto it = reported.find(key.first);
    if (it == reported.end()) {
      rsc.reported.reset();
      for (cl::volume& v : rsc.volumes) v.reported.reset();
      continue;
    }
    const json& r = *it->second;
    const std::string where = "status.resources[" + rsc.definition + "]";
    cl::resource_report report;
    report.role = r.value("role", std::string("Unknown"));
    report.in_use = r.value("in_use", false);
    if (r.contains("snapshots")) {
      report.snapshots = field<std::vector<std::string>>(r, "snapshots", where);
    }
    if (r.contains("connections")) {
      report.connections = field<std::map<std::string, bool>>(r, "connections", where);
    }
    // Primary since: kept from the previous report while the node stays Primary.
    if (report.role == "Primary") {
      report.primary_since_ms = rsc.reported && rsc.reported->primary_since_ms
                                    ? rsc.reported->primary_since_ms
                                    : std::optional<std::uint64_t>(now_ms);
    }
    rsc.reported = report;
    // Up once: later replicas of the definition no longer start on day 0 (a write may follow).
    if (rsc.properties.erase(std::string(cl::kDay0Property)) > 0) persisted_change = true;
    for (cl::volume& v : rsc.volumes) v.reported.reset();
    if (r.contains("volumes")) {
      for (const json& jv : r.at("volumes")) {
        const auto number = field<std::uint32_t>(jv, "number", where + ".volumes[]");
        for (cl::volume& v : rsc.volumes) {
          if (v.number != number) continue;
          cl::volume_report vr;
          vr.disk_state = jv.value("disk_state", std::string("DUnknown"));
          if (jv.contains("allocated_kib"))
            vr.allocated_kib = jv["allocated_kib"].get<std::uint64_t>();
          if (jv.contains("usable_kib")) vr.usable_kib = jv["usable_kib"].get<std::uint64_t>();
          if (jv.contains("peers")) {
            for (const auto& [peer, state] : jv["peers"].items()) {
              cl::peer_replication pr;
              pr.replication_state = state.value("replication_state", std::string("Off"));
              pr.done_percentage = state.value("done_percentage", 0.0);
              pr.out_of_sync_bytes = state.value("out_of_sync_bytes", std::uint64_t{0});
              vr.peers[peer] = pr;
            }
          }
          v.reported = vr;
        }
      }
    }
  }
  return persisted_change;
}

void apply_applied(cl::cluster& c, const std::string& node_name, const json& applied) {
  const std::string node_key = cl::name_key(node_name);
  for (auto& [key, rsc] : c.resources) {
    if (key.second != node_key) continue;
    for (cl::volume& v : rsc.volumes) v.apply_errors.clear();
  }
  auto errors = applied.find("errors");
  if (errors == applied.end() || !errors->is_array()) return;
  for (const json& e : *errors) {
    if (!e.is_object()) continue;
    const std::string resource = e.value("resource", std::string());
    const std::string message = e.value("message", std::string());
    if (resource.empty() || message.empty()) continue;
    cl::resource* rsc = c.find_resource(resource, node_name);
    if (rsc == nullptr) continue;
    const auto volume = e.find("volume");
    const bool one_volume = volume != e.end() && volume->is_number_unsigned();
    for (cl::volume& v : rsc->volumes) {
      if (!one_volume || v.number == volume->get<std::uint32_t>()) v.apply_errors.push_back(message);
    }
  }
}

void clear_reports(cl::cluster& c, const std::string& node_name) {
  const std::string node_key = cl::name_key(node_name);
  for (auto& [key, rsc] : c.resources) {
    if (key.second != node_key) continue;
    rsc.reported.reset();
    for (cl::volume& v : rsc.volumes) v.reported.reset();
  }
}

}  // namespace tandem::controller
