#include "engine/api/json_views.h"

namespace tandem::api {

namespace cl = tandem::cluster;
using nlohmann::json;

json to_json(const cl::api_call_rcs& rcs) {
  json out = json::array();
  for (const cl::api_call_rc& r : rcs) {
    json j = {{"ret_code", static_cast<std::int64_t>(r.ret_code)}, {"message", r.message}};
    if (!r.cause.empty()) j["cause"] = r.cause;
    if (!r.correction.empty()) j["correction"] = r.correction;
    if (!r.details.empty()) j["details"] = r.details;
    if (!r.obj_refs.empty()) j["obj_refs"] = r.obj_refs;
    out.push_back(std::move(j));
  }
  return out;
}

cl::api_call_rcs volume_reports(const cl::resource& r, const cl::volume& v) {
  cl::api_call_rcs rcs;
  for (const std::string& message : v.apply_errors) {
    cl::api_call_rc rc = cl::error_rc(cl::rc::kMaskError | cl::rc::kVolume, message);
    rc.obj_refs["RscDfn"] = r.definition;
    rc.obj_refs["Node"] = r.node_name;
    rc.obj_refs["VlmNr"] = std::to_string(v.number);
    rcs.push_back(std::move(rc));
  }
  return rcs;
}

json node_json(const cl::node& n) {
  json nics = json::array();
  for (const cl::net_interface& nic : n.net_interfaces) {
    nics.push_back({{"name", nic.name},
                    {"address", nic.address},
                    {"satellite_port", nic.satellite_port},
                    {"satellite_encryption_type", nic.encryption_type},
                    {"is_active", nic.is_active},
                    {"uuid", n.uuid + "-" + nic.name}});
  }
  return {{"name", n.name},
          {"type", std::string(cl::to_string(n.type))},
          {"flags", json::array()},
          {"props", n.properties},
          {"net_interfaces", nics},
          {"connection_status", std::string(cl::to_string(n.connection))},
          {"uuid", n.uuid},
          {"storage_providers",
           {"DISKLESS", "LVM", "LVM_THIN", "ZFS", "ZFS_THIN", "FILE", "FILE_THIN"}},
          {"resource_layers", {"DRBD", "STORAGE"}},
          {"unsupported_providers", json::object()},
          {"unsupported_layers", json::object()}};
}

json pool_json(const cl::storage_pool& p) {
  json j = {{"storage_pool_name", p.name},
            {"node_name", p.node_name},
            {"provider_kind", std::string(cl::to_string(p.kind))},
            {"props", p.properties},
            {"static_traits",
             {{"Provisioning", cl::is_thin(p.kind) ? "Thin" : "Fat"},
              {"SupportsSnapshots", cl::supports_snapshots(p.kind) ? "true" : "false"}}},
            {"free_space_mgr_name", p.node_name + ";" + p.name},
            {"uuid", p.uuid},
            {"reports", json::array()},
            {"supports_snapshots", cl::supports_snapshots(p.kind)},
            {"external_locking", false}};
  if (cl::has_backing_device(p.kind)) {
    if (p.free_capacity_kib) j["free_capacity"] = *p.free_capacity_kib;
    if (p.total_capacity_kib) j["total_capacity"] = *p.total_capacity_kib;
  }
  return j;
}

json filter_json(const cl::select_filter& f) {
  json j = json::object();
  if (f.place_count) j["place_count"] = *f.place_count;
  if (f.additional_place_count) j["additional_place_count"] = *f.additional_place_count;
  if (!f.node_name_list.empty()) j["node_name_list"] = f.node_name_list;
  if (!f.storage_pool_list.empty()) {
    j["storage_pool_list"] = f.storage_pool_list;
    j["storage_pool"] = f.storage_pool_list.front();
  }
  if (!f.storage_pool_diskless_list.empty()) {
    j["storage_pool_diskless_list"] = f.storage_pool_diskless_list;
  }
  if (!f.not_place_with_rsc.empty()) j["not_place_with_rsc"] = f.not_place_with_rsc;
  if (!f.replicas_on_same.empty()) j["replicas_on_same"] = f.replicas_on_same;
  if (!f.replicas_on_different.empty()) j["replicas_on_different"] = f.replicas_on_different;
  if (!f.x_replicas_on_different.empty()) {
    j["x_replicas_on_different_map"] = f.x_replicas_on_different;
  }
  if (!f.provider_list.empty()) {
    json kinds = json::array();
    for (cl::pool_kind k : f.provider_list) kinds.push_back(std::string(cl::to_string(k)));
    j["provider_list"] = kinds;
  }
  if (!f.layer_stack.empty()) j["layer_stack"] = f.layer_stack;
  if (f.diskless_on_remaining) j["diskless_on_remaining"] = *f.diskless_on_remaining;
  return j;
}

json group_json(const cl::resource_group& g) {
  return {{"name", g.name},
          {"description", g.description},
          {"props", g.properties},
          {"select_filter", filter_json(g.filter)},
          {"uuid", g.uuid}};
}

json volume_group_json(const cl::volume_group& vg) {
  return {{"volume_number", vg.number},
          {"props", vg.properties},
          {"flags", json::array()},
          {"uuid", vg.uuid}};
}

json volume_definition_json(const cl::volume_definition& vd) {
  return {
      {"volume_number", vd.number},
      {"size_kib", vd.size_kib},
      {"props", vd.properties},
      {"flags", vd.flags},
      {"layer_data",
       {{{"type", "DRBD"}, {"data", {{"volume_number", vd.number}, {"minor_number", vd.minor}}}},
        {{"type", "STORAGE"}}}},
      {"uuid", vd.uuid}};
}

json definition_json(const cl::resource_definition& rd, bool with_volumes) {
  json j = {{"name", rd.name},
            {"external_name", rd.name},
            {"props", rd.properties},
            {"flags", rd.flags},
            {"layer_data",
             {{{"type", "DRBD"},
               {"data",
                {{"peer_slots", rd.peer_slots},
                 {"al_stripes", 1},
                 {"al_stripe_size_kib", 32},
                 {"port", rd.port},
                 {"transport_type", "IP"},
                 {"secret", rd.secret},
                 {"down", false}}}},
              {{"type", "STORAGE"}}}},
            {"uuid", rd.uuid},
            {"resource_group_name", rd.resource_group}};
  if (with_volumes) {
    json vds = json::array();
    for (const cl::volume_definition& vd : rd.volumes) vds.push_back(volume_definition_json(vd));
    j["volume_definitions"] = vds;
  }
  return j;
}

json snapshot_json(const cl::cluster& c, const cl::snapshot& s) {
  // SUCCESSFUL once every node's satellite reports the snapshot (docs/satellite-protocol.md).
  json flags = s.flags;
  if (cl::snapshot_complete(c, s)) flags.push_back("SUCCESSFUL");
  json vds = json::array();
  for (const auto& [number, size] : s.volume_sizes_kib) {
    vds.push_back({{"volume_number", number}, {"size_kib", size}});
  }
  json per_node = json::array();
  for (const std::string& node : s.nodes) {
    per_node.push_back({{"snapshot_name", s.name},
                        {"node_name", node},
                        {"create_timestamp", s.created_ms},
                        {"flags", flags},
                        {"uuid", s.uuid + "-" + node}});
  }
  return {{"name", s.name},   {"resource_name", s.definition},
          {"nodes", s.nodes}, {"props", s.properties},
          {"flags", flags},   {"volume_definitions", vds},
          {"uuid", s.uuid},   {"snapshots", per_node}};
}

std::string response_text(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tandem::api
