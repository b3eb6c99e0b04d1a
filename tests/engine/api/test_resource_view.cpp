// The streamed resource view (engine/api/resource_view) against the tree-built JSON it replaced:
// the same text, byte for byte, for resources of every kind (reported or not, tie-breaker,
// several volumes, peers syncing, properties on every level, names that need escaping, apply
// errors). The reference below is the previous implementation, kept unchanged as the shape
// LINSTOR clients were served; a field added to one and not the other fails here.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/cluster/props.h"
#include "engine/api/json_views.h"
#include "engine/api/json_writer.h"
#include "engine/api/resource_view.h"
#include "engine/api/rest_api.h"

using namespace tandem;
using nlohmann::json;
namespace cl = tandem::cluster;

namespace {

// ------------------------------------------------------------------ the reference (tree-built)

// Controller < RG < RD < resource, as maps copied over one another.
cl::props reference_effective_props(const cl::cluster& c, const cl::resource& r) {
  cl::props out = c.controller_properties;
  const cl::resource_definition* rd = c.find_definition(r.definition);
  if (rd != nullptr) {
    if (const cl::resource_group* rg = c.find_group(rd->resource_group)) {
      for (const auto& [k, v] : rg->properties) out[k] = v;
    }
    for (const auto& [k, v] : rd->properties) out[k] = v;
  }
  for (const auto& [k, v] : r.properties) out[k] = v;
  return out;
}

std::string disk_state_of(const cl::resource& r, const cl::volume& v) {
  if (v.reported && !v.reported->disk_state.empty()) return v.reported->disk_state;
  if (r.is_tie_breaker()) return "TieBreaker";  // as the LINSTOR CLI decorates it
  return r.reported ? "Unknown" : "DUnknown";
}

json apply_reports(const cl::resource& r, const cl::volume& v) {
  return api::to_json(api::volume_reports(r, v));
}

json volume_json(const cl::cluster& c, const cl::resource& r, const cl::volume& v) {
  const cl::storage_pool* pool = c.find_pool(r.node_name, v.storage_pool);
  const cl::resource_definition* rd = c.find_definition(r.definition);
  const cl::volume_definition* vd = rd == nullptr ? nullptr : rd->find_volume(v.number);
  json repl = json::object();
  if (v.reported) {
    for (const auto& [peer, state] : v.reported->peers) {
      repl[peer] = {{"replication_state", state.replication_state},
                    {"done_percentage", state.done_percentage},
                    {"out_of_sync_bytes", state.out_of_sync_bytes}};
    }
  }
  const std::uint64_t allocated =
      v.reported && v.reported->allocated_kib ? *v.reported->allocated_kib : v.allocated_kib;
  const std::uint64_t usable =
      v.reported && v.reported->usable_kib ? *v.reported->usable_kib : v.usable_kib;
  const std::string disk_state = disk_state_of(r, v);
  // Locals go in with std::move: nlohmann's initializer lists copy an lvalue element (a deep
  // copy), and `r l` builds this for every volume of every resource.
  return {{"volume_number", v.number},
          {"storage_pool_name", v.storage_pool},
          {"provider_kind", pool ? std::string(cl::to_string(pool->kind)) : "DISKLESS"},
          {"device_path", ""},
          {"allocated_size_kib", allocated},
          {"usable_size_kib", usable},
          {"props", v.properties},
          {"flags", json::array()},
          {"state", {{"disk_state", disk_state}, {"replication_states", std::move(repl)}}},
          {"layer_data_list",
           {{{"type", "DRBD"},
             {"data",
              {{"drbd_volume_definition",
                {{"volume_number", v.number}, {"minor_number", vd ? vd->minor : 0}}},
               {"allocated_size_kib", allocated},
               {"usable_size_kib", usable},
               {"disk_state", disk_state}}}},
            {{"type", "STORAGE"}, {"data", {{"storage_pool_name", v.storage_pool}}}}}},
          {"uuid", r.uuid + "-" + std::to_string(v.number)},
          {"reports", apply_reports(r, v)}};
}

json resource_json(const cl::cluster& c, const cl::resource& r) {
  const cl::resource_definition* rd = c.find_definition(r.definition);
  json volumes = json::array();
  json drbd_volumes = json::array();
  for (const cl::volume& v : r.volumes) {
    volumes.push_back(volume_json(c, r, v));
    drbd_volumes.push_back(volumes.back()["layer_data_list"][0]["data"]);
  }
  // Locals go in with std::move below (see volume_json).
  json connections = json::object();
  for (const cl::resource* peer : c.resources_of(r.definition)) {
    if (peer == &r) continue;
    bool connected = false;
    if (r.reported) {
      auto it = r.reported->connections.find(peer->node_name);
      connected = it != r.reported->connections.end() && it->second;
    }
    connections[peer->node_name] = {{"connected", connected},
                                    {"message", connected ? "Connected" : "Unknown"}};
  }
  json effective = json::object();
  for (const auto& [k, v] : reference_effective_props(c, r)) {
    effective[k] = {{"value", v}, {"type", "PROPERTY"}};
  }
  return {{"name", r.definition},
          {"node_name", r.node_name},
          {"props", r.properties},
          {"effective_props", std::move(effective)},
          {"flags", cl::resource_flag_names(r.flags)},
          {"layer_object",
           {{"type", "DRBD"},
            {"resource_name_suffix", ""},
            {"children", {{{"type", "STORAGE"}, {"resource_name_suffix", ""}}}},
            {"drbd",
             {{"node_id", r.node_id},
              {"tcp_ports", {rd ? rd->port : 0}},
              {"peer_slots", rd ? rd->peer_slots : cl::kDefaultPeerSlots},
              {"al_stripes", 1},
              {"al_size", 32},
              {"flags", json::array()},
              {"drbd_volumes", std::move(drbd_volumes)},
              {"connections", std::move(connections)},
              {"promotion_score", 0},
              {"may_promote", false}}}}},
          {"state",
           {{"in_use", r.reported ? json(r.reported->in_use) : json(nullptr)},
            {"role", r.reported ? r.reported->role : "Unknown"}}},
          {"uuid", r.uuid},
          {"create_timestamp", r.created_ms},
          {"volumes", std::move(volumes)}};
}

// ------------------------------------------------------------------ a model of every case

cl::volume_report volume_state(std::string disk_state,
                               std::map<std::string, cl::peer_replication> peers) {
  cl::volume_report report;
  report.disk_state = std::move(disk_state);
  report.peers = std::move(peers);
  return report;
}

cl::resource make_resource(std::string definition, std::string node, std::uint32_t node_id) {
  cl::resource r;
  r.definition = std::move(definition);
  r.node_name = std::move(node);
  r.node_id = node_id;
  r.created_ms = 1764000000000 + node_id;
  r.uuid = "uuid-" + r.definition + "-" + r.node_name;
  return r;
}

cl::volume make_volume(std::uint32_t number, std::string pool) {
  cl::volume v;
  v.number = number;
  v.storage_pool = std::move(pool);
  v.allocated_kib = 1052672;
  v.usable_kib = 1052408;
  return v;
}

void add(cl::cluster& c, cl::resource r) {
  c.resources[{cl::name_key(r.definition), cl::name_key(r.node_name)}] = std::move(r);
}

// Three nodes ("Beta" sorts before "alpha" as bytes, after it as a name key), two definitions.
cl::cluster every_case() {
  cl::cluster c = cl::initial_cluster();
  c.controller_properties["Aux/level"] = "controller";
  c.controller_properties["Aux/only-ctrl"] = "yes";
  for (const std::string name : {"alpha", "Beta", "gamma"}) {
    cl::node n;
    n.name = name;
    n.uuid = "uuid-node-" + name;
    c.nodes[cl::name_key(name)] = n;
    cl::storage_pool pool;
    pool.node_name = name;
    pool.name = name == "gamma" ? std::string(cl::kDefaultDisklessPool) : "pool1";
    pool.kind = name == "alpha"  ? cl::pool_kind::file_thin
                : name == "Beta" ? cl::pool_kind::lvm
                                 : cl::pool_kind::diskless;
    c.pools[{cl::name_key(name), cl::name_key(pool.name)}] = pool;
  }
  cl::resource_group rg;
  rg.name = "rg1";
  rg.properties = {{"Aux/level", "group"}, {"Aux/quote", "say \"hi\"\n\\ back"}};
  c.groups["rg1"] = rg;

  cl::resource_definition res1;
  res1.name = "res1";
  res1.resource_group = "rg1";
  res1.properties = {{"Aux/level", "definition"}, {"Aux/utf8", "d\xc3\xa9j\xc3\xa0 vu"}};
  res1.port = 7001;
  res1.uuid = "uuid-res1";
  for (std::uint32_t number : {0u, 1u}) {
    cl::volume_definition vd;
    vd.number = number;
    vd.size_kib = 1048576;
    vd.minor = 1000 + number;
    res1.volumes.push_back(vd);
  }
  c.definitions["res1"] = res1;
  cl::resource_definition res2;
  res2.name = "Res2";
  res2.port = 7002;
  res2.peer_slots = 3;
  res2.volumes.push_back({});
  res2.volumes.back().minor = 1002;
  c.definitions["res2"] = res2;

  // Reported Primary, resyncing Beta, a peer down, an apply error, odd property names.
  cl::resource primary = make_resource("res1", "alpha", 0);
  primary.properties = {{"Aux/level", "resource"},
                        {"Aux/\x01"
                         "ctl",
                         "tab\there"}};
  primary.reported =
      cl::resource_report{"Primary", true, {{"Beta", true}, {"gamma", false}}, std::nullopt, {}};
  for (std::uint32_t number : {0u, 1u}) {
    cl::volume v = make_volume(number, "pool1");
    v.properties = {{"Aux/volume", std::to_string(number)}};
    v.reported = volume_state("UpToDate", {{"Beta", {"SyncSource", 34.5, 123456789}},
                                           {"gamma", {"Established", 100, 0}}});
    v.reported->allocated_kib = 4096 + number;
    if (number == 1) v.apply_errors = {"lvcreate failed: \"vg0\" is full", "second"};
    primary.volumes.push_back(v);
  }
  add(c, primary);
  cl::resource target = make_resource("res1", "Beta", 1);
  target.reported = cl::resource_report{"Secondary", false, {{"alpha", true}}, std::nullopt, {}};
  for (std::uint32_t number : {0u, 1u}) {
    cl::volume v = make_volume(number, "pool1");
    v.reported = volume_state("Inconsistent", {{"alpha", {"SyncTarget", 1.0 / 3, 7}}});
    v.reported->usable_kib = 999;
    target.volumes.push_back(v);
  }
  add(c, target);
  cl::resource tie_breaker = make_resource("res1", "gamma", 2);  // never reported
  tie_breaker.flags = cl::resource_flag::kTieBreaker;
  for (std::uint32_t number : {0u, 1u}) tie_breaker.volumes.push_back(make_volume(number, ""));
  add(c, tie_breaker);

  // A definition whose resources report nothing useful yet: no volume state, a deleting one.
  cl::resource reported_empty = make_resource("Res2", "alpha", 0);
  reported_empty.reported = cl::resource_report{};
  reported_empty.volumes.push_back(make_volume(0, "pool1"));
  reported_empty.volumes.back().reported = volume_state("", {});
  add(c, reported_empty);
  cl::resource deleting = make_resource("Res2", "Beta", 1);
  deleting.flags = cl::resource_flag::kDelete | cl::resource_flag::kDrbdDiskless;
  deleting.volumes.push_back(make_volume(0, "missing-pool"));
  add(c, deleting);
  return c;
}

std::string streamed_resource(const cl::cluster& c, const cl::resource& r) {
  std::string text;
  api::json_writer out(text);
  api::write_resource(out, c, r);
  return text;
}

std::string streamed_volume(const cl::cluster& c, const cl::resource& r, const cl::volume& v) {
  std::string text;
  api::json_writer out(text);
  api::write_volume(out, c, r, v);
  return text;
}

// Serves one fixed model; the views never mutate.
class fixed_backend final : public api::controller_backend {
 public:
  explicit fixed_backend(cl::cluster model) : model_(std::move(model)) {}
  const cl::cluster& model() const override { return model_; }
  cl::api_call_rcs mutate(const api::mutation&) override { return {}; }

 private:
  cl::cluster model_;
};

std::string get(fixed_backend& backend, const std::string& target) {
  api::http_request request;
  request.method = "GET";
  api::split_target(target, request.path, request.query);
  return api::handle_request(backend, request).body;
}

}  // namespace

TEST_CASE("every resource and volume streams as the text of its tree") {
  const cl::cluster c = every_case();
  REQUIRE(c.resources.size() == 5);
  for (const auto& [key, r] : c.resources) {
    CAPTURE(r.definition);
    CAPTURE(r.node_name);
    CHECK(streamed_resource(c, r) == resource_json(c, r).dump());
    for (const cl::volume& v : r.volumes) {
      CHECK(streamed_volume(c, r, v) == volume_json(c, r, v).dump());
    }
  }
}

TEST_CASE("the resource listings serve the text of the tree arrays") {
  fixed_backend backend(every_case());
  const cl::cluster& c = backend.model();
  json all = json::array();
  json res1 = json::array();
  for (const auto& [key, r] : c.resources) {
    all.push_back(resource_json(c, r));
    if (r.definition == "res1") res1.push_back(resource_json(c, r));
  }
  CHECK(get(backend, "/v1/view/resources") == all.dump());
  CHECK(get(backend, "/v1/view/resources?nodes=beta") == json({all[1], all[4]}).dump());
  CHECK(get(backend, "/v1/view/resources?nodes=nowhere") == "[]");
  CHECK(get(backend, "/v1/resource-definitions/res1/resources") == res1.dump());
  const cl::resource& primary = *c.find_resource("res1", "alpha");
  CHECK(get(backend, "/v1/resource-definitions/res1/resources/alpha") ==
        resource_json(c, primary).dump());
  json volumes = json::array();
  for (const cl::volume& v : primary.volumes) volumes.push_back(volume_json(c, primary, v));
  CHECK(get(backend, "/v1/resource-definitions/res1/resources/alpha/volumes") == volumes.dump());
  CHECK(get(backend, "/v1/resource-definitions/res1/resources/alpha/volumes/1") ==
        volumes[1].dump());
  CHECK(json::parse(get(backend,
                        "/v1/resource-definitions/res1/resources/alpha/volumes/7"))[0]["message"] ==
        "Volume 7 not found.");
}

TEST_CASE("json_writer writes numbers and strings as nlohmann's dump does") {
  for (double value :
       {0.0, -0.0, 1.0, 100.0, -3.0, 34.5, 1.0 / 3, 1e-7, 1e15, 1e20, 123456789.25, 1e300}) {
    CAPTURE(value);
    std::string text;
    api::json_writer(text).real(value);
    CHECK(text == json(value).dump());
  }
  std::string every_ascii;
  for (int byte = 1; byte < 128; ++byte) every_ascii += static_cast<char>(byte);
  for (const std::string& s : {every_ascii, std::string("\xc3\xa9t\xc3\xa9 \xe2\x82\xac"),
                               std::string(), std::string("plain")}) {
    std::string text;
    api::json_writer(text).string(s);
    CHECK(text == json(s).dump());
  }
  std::string text;
  api::json_writer out(text);
  out.begin_object().key("a").begin_array().unsigned_number(18446744073709551615ULL).null();
  out.boolean(false).string_map({{"k", "v"}}).empty_array().end_array();
  out.key("b").boolean(true).end_object();
  CHECK(text == R"({"a":[18446744073709551615,null,false,{"k":"v"},[]],"b":true})");
}
