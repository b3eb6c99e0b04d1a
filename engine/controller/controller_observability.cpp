#include "engine/controller/controller_observability.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "engine/api/rest_api.h"
#include "engine/metrics/exposition.h"

namespace tandem::controller {
namespace cl = tandem::cluster;
using nlohmann::json;
using metrics::metric_type;

namespace {

// linstor_volume_state's numbers (LINSTOR's Prometheus builder); -1 for what it has no number for.
int volume_state_number(const cl::resource& r, const cl::volume& v) {
  if (!v.reported) return -1;
  const std::string& disk = v.reported->disk_state;
  if (disk == "UpToDate") return 1;
  if (disk == "Diskless") return r.is_diskless() ? 4 : 90;
  if (disk == "Inconsistent") return 5;
  if (disk == "Failed") return 6;
  if (disk == "Attaching") return 9;
  return -1;
}

int resource_state_number(const cl::resource& r) {
  if (!r.reported) return -1;
  return r.reported->role == "Primary" ? 1 : 0;
}

void declare_families(metrics::exposition& out) {
  out.declare("linstor_info", metric_type::gauge, "Controller version, value 1.");
  out.declare("linstor_node_state", metric_type::gauge,
              "Satellite connection status (0 OFFLINE, 1 CONNECTED, 2 ONLINE, 3 "
              "VERSION_MISMATCH, 6 UNKNOWN, 7 HOSTNAME_MISMATCH).");
  out.declare("linstor_resource_definitions", metric_type::gauge, "Resource definitions.");
  out.declare("linstor_resource_definition_resources", metric_type::gauge,
              "Resources (replicas) of a resource definition.");
  out.declare("linstor_volume_definition_size_bytes", metric_type::gauge,
              "Net size of a volume definition.");
  out.declare("linstor_resource_state", metric_type::gauge,
              "Reported role: -1 unknown, 0 Secondary, 1 Primary.");
  out.declare("linstor_volume_state", metric_type::gauge,
              "Reported disk state: 1 UpToDate, 4 Diskless, 5 Inconsistent, 6 Failed, "
              "9 Attaching, 90 Diskless but should have a disk, -1 unknown.");
  out.declare("linstor_volume_allocated_size_bytes", metric_type::gauge,
              "Allocated size of the backing volume.");
  out.declare("linstor_storage_pool_capacity_free_bytes", metric_type::gauge,
              "Free capacity of a storage pool (last report).");
  out.declare("linstor_storage_pool_capacity_total_bytes", metric_type::gauge,
              "Total capacity of a storage pool (last report).");
  out.declare("linstor_error_reports", metric_type::gauge,
              "Errors the controller logged since it started.");
  out.declare("linstor_scrape_requests_total", metric_type::counter, "Scrapes of /metrics.");
  out.declare("linstor_scrape_duration_seconds", metric_type::gauge,
              "Time spent collecting this scrape's samples.");
  out.declare("tandem_api_request_duration_seconds", metric_type::histogram,
              "REST API request handling time by HTTP method.");
  out.declare("tandem_resource_diskless_primary", metric_type::gauge,
              "1 when a diskless resource is Primary (a VM running without a local replica).");
  out.declare("tandem_resource_peer_connected", metric_type::gauge,
              "Reported connection of a resource to a peer node (0/1).");
  out.declare("tandem_volume_replication_state", metric_type::gauge,
              "Reported replication state toward a peer (label replication_state), value 1.");
  out.declare("tandem_volume_outofsync_bytes", metric_type::gauge,
              "Reported out-of-sync bytes toward a peer.");
  out.declare("tandem_volume_resync_done_ratio", metric_type::gauge,
              "Reported resync progress toward a peer, 0..1.");
}

void write_resource(metrics::exposition& out, const cl::cluster& c, const cl::resource& r) {
  out.add("linstor_resource_state", {{"name", r.definition}, {"node", r.node_name}},
          resource_state_number(r));
  if (r.reported) {
    out.add("tandem_resource_diskless_primary", {{"name", r.definition}, {"node", r.node_name}},
            r.is_diskless() && r.reported->role == "Primary" ? 1 : 0);
    for (const auto& [peer, connected] : r.reported->connections) {
      out.add("tandem_resource_peer_connected",
              {{"name", r.definition}, {"node", r.node_name}, {"peer", peer}}, connected ? 1 : 0);
    }
  }
  const cl::resource_definition* rd = c.find_definition(r.definition);
  for (const cl::volume& v : r.volumes) {
    const std::string volume = std::to_string(v.number);
    std::string device_path;
    if (rd != nullptr) {
      if (const auto* vd = rd->find_volume(v.number)) {
        device_path = "/dev/drbd" + std::to_string(vd->minor);
      }
    }
    const metrics::label_list labels = {{"resource", r.definition},
                                        {"node", r.node_name},
                                        {"volume", volume},
                                        {"device_path", device_path},
                                        {"storage_pool", v.storage_pool}};
    out.add("linstor_volume_state", labels, volume_state_number(r, v));
    const std::uint64_t allocated_kib =
        v.reported && v.reported->allocated_kib ? *v.reported->allocated_kib : v.allocated_kib;
    out.add("linstor_volume_allocated_size_bytes", labels,
            static_cast<double>(allocated_kib) * 1024);
    if (!v.reported) continue;
    for (const auto& [peer, pr] : v.reported->peers) {
      const metrics::label_list peer_labels = {
          {"resource", r.definition}, {"node", r.node_name}, {"volume", volume}, {"peer", peer}};
      out.add("tandem_volume_replication_state",
              {{"resource", r.definition},
               {"node", r.node_name},
               {"volume", volume},
               {"peer", peer},
               {"replication_state", pr.replication_state}},
              1);
      out.add("tandem_volume_outofsync_bytes", peer_labels,
              static_cast<double>(pr.out_of_sync_bytes));
      out.add("tandem_volume_resync_done_ratio", peer_labels, pr.done_percentage / 100.0);
    }
  }
}

}  // namespace

std::string render_controller_metrics(const cl::cluster& c, const controller_stats& stats,
                                      std::uint64_t error_count) {
  const auto started = std::chrono::steady_clock::now();
  metrics::exposition out;
  declare_families(out);
  out.add("linstor_info", {{"version", api::kControllerVersion}}, 1);
  for (const auto& [key, n] : c.nodes) {
    const cl::net_interface* nic = n.active_interface();
    const std::string port = nic ? std::to_string(nic->satellite_port) : "";
    out.add("linstor_node_state",
            {{"node", n.name},
             {"nodetype", cl::to_string(n.type)},
             {"address", nic ? nic->address : ""},
             {"encryption", nic ? nic->encryption_type : ""},
             {"port", port}},
            static_cast<double>(n.connection));
  }
  out.add("linstor_resource_definitions", {}, static_cast<double>(c.definitions.size()));
  std::map<std::string, std::size_t> replicas;
  for (const auto& [key, r] : c.resources) ++replicas[key.first];
  for (const auto& [key, rd] : c.definitions) {
    out.add("linstor_resource_definition_resources",
            {{"name", rd.name}, {"resource_group", rd.resource_group}},
            static_cast<double>(replicas[key]));
    for (const cl::volume_definition& vd : rd.volumes) {
      out.add("linstor_volume_definition_size_bytes",
              {{"name", rd.name},
               {"volume_number", std::to_string(vd.number)},
               {"resource_group", rd.resource_group}},
              static_cast<double>(vd.size_kib) * 1024);
    }
  }
  for (const auto& [key, r] : c.resources) write_resource(out, c, r);
  for (const auto& [key, p] : c.pools) {
    // A named string: a label_list only views its values, and a temporary from source() would
    // be gone before the samples below are written.
    const std::string backing_pool = p.source();
    const metrics::label_list labels = {{"storage_pool", p.name},
                                        {"node", p.node_name},
                                        {"driver", cl::to_string(p.kind)},
                                        {"backing_pool", backing_pool}};
    // DISKLESS pools report 0, as LINSTOR does.
    out.add("linstor_storage_pool_capacity_free_bytes", labels,
            static_cast<double>(p.free_capacity_kib.value_or(0)) * 1024);
    out.add("linstor_storage_pool_capacity_total_bytes", labels,
            static_cast<double>(p.total_capacity_kib.value_or(0)) * 1024);
  }
  out.add("linstor_error_reports", {}, static_cast<double>(error_count));
  out.add("linstor_scrape_requests_total", {}, static_cast<double>(stats.scrapes));
  for (const auto& [method, h] : stats.request_duration) {
    out.add("tandem_api_request_duration_seconds", {{"method", method}}, h);
  }
  out.add("linstor_scrape_duration_seconds", {},
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return out.text();
}

// ------------------------------------------------------------------------------------ events

controller_events::flat_state controller_events::node_state(const cl::cluster& c,
                                                            const std::string& node_name) {
  flat_state state;
  for (const cl::resource* r : c.resources_on(node_name)) {
    const std::string base = r->definition + "\x1f";
    state[base + "role"] = {r->definition, r->reported ? r->reported->role : "Unknown"};
    for (const cl::volume& v : r->volumes) {
      const std::string vol = std::to_string(v.number);
      state[base + vol + "\x1f" + "disk"] = {r->definition + "/" + vol,
                                             v.reported ? v.reported->disk_state : "DUnknown"};
      if (!v.reported) continue;
      for (const auto& [peer, pr] : v.reported->peers) {
        state[base + vol + "\x1f" + peer + "\x1f" + "replication"] = {
            r->definition + "/" + vol + "/" + peer, pr.replication_state};
      }
    }
  }
  return state;
}

void controller_events::push(std::string event) {
  events_.emplace_back(next_sequence_++, std::move(event));
  while (events_.size() > kMaxEvents) events_.pop_front();
}

void controller_events::record_changes(const std::string& node_name, const flat_state& before,
                                       const flat_state& after, std::uint64_t now_ms) {
  // One report can change several fields; they are recorded like drbdsetup events2 orders its
  // objects (resource role, then device disk, then peer-device replication), not in key order,
  // so "beta Inconsistent" comes before "beta SyncTarget from alpha".
  for (const std::string_view kind : {"role", "disk", "replication"}) {
    record_changes_of(kind, node_name, before, after, now_ms);
  }
}

void controller_events::record_changes_of(std::string_view kind, const std::string& node_name,
                                          const flat_state& before, const flat_state& after,
                                          std::uint64_t now_ms) {
  for (const auto& [key, entry] : after) {
    const auto& [object, value] = entry;
    // object is "rsc", "rsc/vol" or "rsc/vol/peer"; the field is the key's last part.
    std::string field = key.substr(key.rfind('\x1f') + 1);
    if (field != kind) continue;
    auto old = before.find(key);
    const std::string old_value = old == before.end() ? "" : old->second.second;
    if (old_value == value) continue;
    json e{{"type", "change"}, {"node", node_name}, {"time_ms", now_ms}};
    const auto first = object.find('/');
    e["resource"] = object.substr(0, first);
    if (first != std::string::npos) {
      const auto second = object.find('/', first + 1);
      e["volume"] = std::stoul(object.substr(first + 1, second - first - 1));
      if (second != std::string::npos) e["peer"] = object.substr(second + 1);
    }
    e[field] = value;
    e["old"] = {{field, old_value}};
    push(e.dump());
  }
}

void controller_events::record_node(const std::string& node_name, std::string_view status,
                                    std::uint64_t now_ms) {
  push(json{{"type", "change"}, {"node", node_name}, {"connection", status}, {"time_ms", now_ms}}
           .dump());
}

std::string controller_events::json_since(std::uint64_t since, std::size_t limit) const {
  json list = json::array();
  std::uint64_t next = since;
  for (const auto& [sequence, text] : events_) {
    if (sequence <= since) continue;
    if (list.size() >= limit) break;
    json e = json::parse(text);
    e["seq"] = sequence;
    list.push_back(std::move(e));
    next = sequence;
  }
  return json{{"events", list}, {"next", next}}.dump();
}

std::optional<api::http_response> observability_route(const api::http_request& request,
                                                      const cl::cluster& c,
                                                      controller_stats& stats,
                                                      const controller_events& events,
                                                      std::uint64_t error_count) {
  if (request.path != "/metrics" && request.path != "/v1/events") return std::nullopt;
  api::http_response response;
  if (request.method != "GET") {
    response.status = 405;
    response.body = R"([{"ret_code":-4611686018427387904,"message":"only GET"}])";
    return response;
  }
  if (request.path == "/metrics") {
    ++stats.scrapes;
    response.content_type = metrics::kContentType;
    response.body = render_controller_metrics(c, stats, error_count);
    return response;
  }
  std::uint64_t since = 0;
  std::size_t limit = 1000;
  try {
    if (auto it = request.query.find("since"); it != request.query.end()) {
      since = std::stoull(it->second);
    }
    if (auto it = request.query.find("limit"); it != request.query.end()) {
      limit = std::stoul(it->second);
    }
  } catch (const std::exception&) {
    response.status = 400;
    response.body = R"([{"ret_code":-4611686018427387904,"message":"since and limit must be numbers"}])";
    return response;
  }
  response.body = events.json_since(since, limit);
  return response;
}

}  // namespace tandem::controller
