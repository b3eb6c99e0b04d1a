#include "engine/db/model_codec.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/cluster/assign_changed.h"

namespace tandem::db {

namespace cl = tandem::cluster;
using nlohmann::json;

namespace {

json encode_filter(const cl::select_filter& f) {
  json j = json::object();
  if (f.place_count) j["place_count"] = *f.place_count;
  if (f.additional_place_count) j["additional_place_count"] = *f.additional_place_count;
  j["node_name_list"] = f.node_name_list;
  j["storage_pool_list"] = f.storage_pool_list;
  j["storage_pool_diskless_list"] = f.storage_pool_diskless_list;
  j["not_place_with_rsc"] = f.not_place_with_rsc;
  j["replicas_on_same"] = f.replicas_on_same;
  j["replicas_on_different"] = f.replicas_on_different;
  j["x_replicas_on_different_map"] = f.x_replicas_on_different;
  json providers = json::array();
  for (cl::pool_kind k : f.provider_list) providers.push_back(std::string(cl::to_string(k)));
  j["provider_list"] = providers;
  j["layer_stack"] = f.layer_stack;
  if (f.diskless_on_remaining) j["diskless_on_remaining"] = *f.diskless_on_remaining;
  return j;
}

cl::select_filter decode_filter(const json& j) {
  cl::select_filter f;
  if (j.contains("place_count")) f.place_count = j["place_count"].get<std::uint32_t>();
  if (j.contains("additional_place_count")) {
    f.additional_place_count = j["additional_place_count"].get<std::uint32_t>();
  }
  f.node_name_list = j.value("node_name_list", std::vector<std::string>{});
  f.storage_pool_list = j.value("storage_pool_list", std::vector<std::string>{});
  f.storage_pool_diskless_list = j.value("storage_pool_diskless_list", std::vector<std::string>{});
  f.not_place_with_rsc = j.value("not_place_with_rsc", std::vector<std::string>{});
  f.replicas_on_same = j.value("replicas_on_same", std::vector<std::string>{});
  f.replicas_on_different = j.value("replicas_on_different", std::vector<std::string>{});
  f.x_replicas_on_different =
      j.value("x_replicas_on_different_map", std::map<std::string, std::uint32_t>{});
  for (const auto& p : j.value("provider_list", std::vector<std::string>{})) {
    auto kind = cl::parse_pool_kind(p);
    if (!kind) throw std::runtime_error("unknown provider kind '" + p + "'");
    f.provider_list.push_back(*kind);
  }
  f.layer_stack = j.value("layer_stack", std::vector<std::string>{});
  if (j.contains("diskless_on_remaining")) {
    f.diskless_on_remaining = j["diskless_on_remaining"].get<bool>();
  }
  return f;
}

json encode_node(const cl::node& n) {
  json nics = json::array();
  for (const cl::net_interface& nic : n.net_interfaces) {
    nics.push_back({{"name", nic.name},
                    {"address", nic.address},
                    {"satellite_port", nic.satellite_port},
                    {"encryption_type", nic.encryption_type},
                    {"is_active", nic.is_active}});
  }
  return {{"name", n.name},
          {"type", std::string(cl::to_string(n.type))},
          {"net_interfaces", nics},
          {"props", n.properties},
          {"uuid", n.uuid}};
}

cl::node decode_node(const json& j) {
  cl::node n;
  n.name = j.at("name").get<std::string>();
  auto type = cl::parse_node_type(j.at("type").get<std::string>());
  if (!type) throw std::runtime_error("unknown node type");
  n.type = *type;
  for (const json& nic : j.at("net_interfaces")) {
    n.net_interfaces.push_back(
        {nic.at("name").get<std::string>(), nic.at("address").get<std::string>(),
         nic.at("satellite_port").get<std::uint16_t>(),
         nic.at("encryption_type").get<std::string>(), nic.at("is_active").get<bool>()});
  }
  n.properties = j.at("props").get<cl::props>();
  n.uuid = j.at("uuid").get<std::string>();
  return n;
}

json encode_pool(const cl::storage_pool& p) {
  json j = {{"node_name", p.node_name},
            {"name", p.name},
            {"kind", std::string(cl::to_string(p.kind))},
            {"props", p.properties},
            {"uuid", p.uuid}};
  if (p.free_capacity_kib) j["free_capacity_kib"] = *p.free_capacity_kib;
  if (p.total_capacity_kib) j["total_capacity_kib"] = *p.total_capacity_kib;
  return j;
}

cl::storage_pool decode_pool(const json& j) {
  cl::storage_pool p;
  p.node_name = j.at("node_name").get<std::string>();
  p.name = j.at("name").get<std::string>();
  auto kind = cl::parse_pool_kind(j.at("kind").get<std::string>());
  if (!kind) throw std::runtime_error("unknown pool kind");
  p.kind = *kind;
  p.properties = j.at("props").get<cl::props>();
  p.uuid = j.at("uuid").get<std::string>();
  if (j.contains("free_capacity_kib"))
    p.free_capacity_kib = j["free_capacity_kib"].get<std::uint64_t>();
  if (j.contains("total_capacity_kib")) {
    p.total_capacity_kib = j["total_capacity_kib"].get<std::uint64_t>();
  }
  return p;
}

json encode_group(const cl::resource_group& g) {
  json vgs = json::array();
  for (const cl::volume_group& vg : g.volume_groups) {
    vgs.push_back({{"number", vg.number}, {"props", vg.properties}, {"uuid", vg.uuid}});
  }
  return {{"name", g.name},        {"description", g.description},
          {"props", g.properties}, {"select_filter", encode_filter(g.filter)},
          {"volume_groups", vgs},  {"uuid", g.uuid}};
}

cl::resource_group decode_group(const json& j) {
  cl::resource_group g;
  g.name = j.at("name").get<std::string>();
  g.description = j.at("description").get<std::string>();
  g.properties = j.at("props").get<cl::props>();
  g.filter = decode_filter(j.at("select_filter"));
  for (const json& vg : j.at("volume_groups")) {
    g.volume_groups.push_back({vg.at("number").get<std::uint32_t>(),
                               vg.at("props").get<cl::props>(), vg.at("uuid").get<std::string>()});
  }
  g.uuid = j.at("uuid").get<std::string>();
  return g;
}

json encode_definition(const cl::resource_definition& d) {
  json vds = json::array();
  for (const cl::volume_definition& vd : d.volumes) {
    vds.push_back({{"number", vd.number},
                   {"size_kib", vd.size_kib},
                   {"minor", vd.minor},
                   {"props", vd.properties},
                   {"flags", vd.flags},
                   {"uuid", vd.uuid}});
  }
  return {{"name", d.name},        {"resource_group", d.resource_group},
          {"props", d.properties}, {"flags", d.flags},
          {"volumes", vds},        {"port", d.port},
          {"secret", d.secret},    {"peer_slots", d.peer_slots},
          {"uuid", d.uuid}};
}

cl::resource_definition decode_definition(const json& j) {
  cl::resource_definition d;
  d.name = j.at("name").get<std::string>();
  d.resource_group = j.at("resource_group").get<std::string>();
  d.properties = j.at("props").get<cl::props>();
  d.flags = j.at("flags").get<std::vector<std::string>>();
  for (const json& vd : j.at("volumes")) {
    cl::volume_definition v;
    v.number = vd.at("number").get<std::uint32_t>();
    v.size_kib = vd.at("size_kib").get<std::uint64_t>();
    v.minor = vd.at("minor").get<std::uint32_t>();
    v.properties = vd.at("props").get<cl::props>();
    v.flags = vd.at("flags").get<std::vector<std::string>>();
    v.uuid = vd.at("uuid").get<std::string>();
    d.volumes.push_back(std::move(v));
  }
  d.port = j.at("port").get<std::uint16_t>();
  d.secret = j.at("secret").get<std::string>();
  d.peer_slots = j.at("peer_slots").get<std::uint32_t>();
  d.uuid = j.at("uuid").get<std::string>();
  return d;
}

json encode_resource(const cl::resource& r) {
  json vols = json::array();
  for (const cl::volume& v : r.volumes) {
    vols.push_back({{"number", v.number},
                    {"storage_pool", v.storage_pool},
                    {"allocated_kib", v.allocated_kib},
                    {"usable_kib", v.usable_kib},
                    {"props", v.properties}});
  }
  return {{"definition", r.definition}, {"node_name", r.node_name},
          {"flags", r.flags},           {"props", r.properties},
          {"node_id", r.node_id},       {"volumes", vols},
          {"created_ms", r.created_ms}, {"uuid", r.uuid}};
}

cl::resource decode_resource(const json& j) {
  cl::resource r;
  r.definition = j.at("definition").get<std::string>();
  r.node_name = j.at("node_name").get<std::string>();
  r.flags = j.at("flags").get<std::uint64_t>();
  r.properties = j.at("props").get<cl::props>();
  r.node_id = j.at("node_id").get<std::uint32_t>();
  for (const json& v : j.at("volumes")) {
    cl::volume vol;
    vol.number = v.at("number").get<std::uint32_t>();
    vol.storage_pool = v.at("storage_pool").get<std::string>();
    vol.allocated_kib = v.at("allocated_kib").get<std::uint64_t>();
    vol.usable_kib = v.at("usable_kib").get<std::uint64_t>();
    vol.properties = v.at("props").get<cl::props>();
    r.volumes.push_back(std::move(vol));
  }
  r.created_ms = j.at("created_ms").get<std::uint64_t>();
  r.uuid = j.at("uuid").get<std::string>();
  return r;
}

json encode_snapshot(const cl::snapshot& s) {
  return {{"definition", s.definition}, {"name", s.name},
          {"nodes", s.nodes},           {"volume_sizes_kib", s.volume_sizes_kib},
          {"flags", s.flags},           {"props", s.properties},
          {"created_ms", s.created_ms}, {"uuid", s.uuid}};
}

cl::snapshot decode_snapshot(const json& j) {
  cl::snapshot s;
  s.definition = j.at("definition").get<std::string>();
  s.name = j.at("name").get<std::string>();
  s.nodes = j.at("nodes").get<std::vector<std::string>>();
  s.volume_sizes_kib =
      j.at("volume_sizes_kib").get<std::vector<std::pair<std::uint32_t, std::uint64_t>>>();
  s.flags = j.at("flags").get<std::vector<std::string>>();
  s.properties = j.at("props").get<cl::props>();
  s.created_ms = j.at("created_ms").get<std::uint64_t>();
  s.uuid = j.at("uuid").get<std::string>();
  return s;
}

std::string join(const cl::pair_key& key) {
  return key.first + "/" + key.second;
}

}  // namespace

object_rows encode_cluster(const cl::cluster& c) {
  object_rows rows;
  rows[{"controller", "props"}] = json(c.controller_properties).dump();
  for (const auto& [k, n] : c.nodes) rows[{"node", k}] = encode_node(n).dump();
  for (const auto& [k, p] : c.pools) rows[{"pool", join(k)}] = encode_pool(p).dump();
  for (const auto& [k, g] : c.groups) rows[{"group", k}] = encode_group(g).dump();
  for (const auto& [k, d] : c.definitions) rows[{"definition", k}] = encode_definition(d).dump();
  for (const auto& [k, r] : c.resources) rows[{"resource", join(k)}] = encode_resource(r).dump();
  for (const auto& [k, s] : c.snapshots) rows[{"snapshot", join(k)}] = encode_snapshot(s).dump();
  return rows;
}

namespace {

// assign_changed's listener: the row of each object it changes, or its (kind, key) when erased.
struct row_collector {
  object_rows& changed;
  std::vector<std::pair<std::string, std::string>>& removed;

  template <typename Object, typename Encode>
  void record(const char* kind, std::string key, const Object* now, Encode encode) {
    if (now == nullptr) {
      removed.emplace_back(kind, std::move(key));
    } else {
      changed[{kind, std::move(key)}] = encode(*now).dump();
    }
  }
  void operator()(const std::string&, const cl::props* now) {
    record("controller", "props", now, [](const cl::props& p) { return json(p); });
  }
  void operator()(const std::string& k, const cl::node* now) {
    record("node", k, now, encode_node);
  }
  void operator()(const cl::pair_key& k, const cl::storage_pool* now) {
    record("pool", join(k), now, encode_pool);
  }
  void operator()(const std::string& k, const cl::resource_group* now) {
    record("group", k, now, encode_group);
  }
  void operator()(const std::string& k, const cl::resource_definition* now) {
    record("definition", k, now, encode_definition);
  }
  void operator()(const cl::pair_key& k, const cl::resource* now) {
    record("resource", join(k), now, encode_resource);
  }
  void operator()(const cl::pair_key& k, const cl::snapshot* now) {
    record("snapshot", join(k), now, encode_snapshot);
  }
};

}  // namespace

void catch_up(cl::cluster& last, const cl::cluster& next, object_rows& changed,
              std::vector<std::pair<std::string, std::string>>& removed) {
  // An empty database gets the controller's row even when its properties are empty, so that
  // the next start does not take it for a fresh one.
  if (last.nodes.empty() && last.groups.empty()) {
    changed[{"controller", "props"}] = json(next.controller_properties).dump();
  }
  cl::assign_changed(last, next, row_collector{changed, removed});
}

cl::cluster decode_cluster(const object_rows& rows) {
  cl::cluster c;
  for (const auto& [id, text] : rows) {
    const auto& [kind, key] = id;
    try {
      const json j = json::parse(text);
      if (kind == "controller") {
        c.controller_properties = j.get<cl::props>();
      } else if (kind == "node") {
        cl::node n = decode_node(j);
        c.nodes.emplace(cl::name_key(n.name), std::move(n));
      } else if (kind == "pool") {
        cl::storage_pool p = decode_pool(j);
        c.pools.emplace(cl::pair_key{cl::name_key(p.node_name), cl::name_key(p.name)},
                        std::move(p));
      } else if (kind == "group") {
        cl::resource_group g = decode_group(j);
        c.groups.emplace(cl::name_key(g.name), std::move(g));
      } else if (kind == "definition") {
        cl::resource_definition d = decode_definition(j);
        c.definitions.emplace(cl::name_key(d.name), std::move(d));
      } else if (kind == "resource") {
        cl::resource r = decode_resource(j);
        c.resources.emplace(cl::pair_key{cl::name_key(r.definition), cl::name_key(r.node_name)},
                            std::move(r));
      } else if (kind == "snapshot") {
        cl::snapshot s = decode_snapshot(j);
        c.snapshots.emplace(cl::pair_key{cl::name_key(s.definition), cl::name_key(s.name)},
                            std::move(s));
      } else {
        throw std::runtime_error("unknown object kind");
      }
    } catch (const std::exception& e) {
      throw std::runtime_error("database row (" + kind + ", " + key +
                               ") does not decode: " + e.what());
    }
  }
  return c;
}

}  // namespace tandem::db
