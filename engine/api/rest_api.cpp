// Routing and handlers of the REST API v1. Status codes follow LINSTOR's ApiCallRcRestUtils: the
// handler's success status (201 for creates) unless an entry is an error: FAIL_NOT_FOUND_*
// (300-399) -> 404, access denied (400-499) -> 403, anything else -> 500; unparsable JSON -> 400.
#include "engine/api/rest_api.h"

#include <algorithm>
#include <cctype>

#include "engine/api/json_views.h"
#include "engine/api/request_parse.h"

namespace tandem::api {

namespace cl = tandem::cluster;
using nlohmann::json;

namespace {

http_response json_response(int status, const json& body) {
  http_response r;
  r.status = status;
  r.body = body.dump();
  return r;
}

int status_for(const cl::api_call_rcs& rcs, int success) {
  for (const cl::api_call_rc& r : rcs) {
    if (!cl::rc::is_error(r.ret_code)) continue;
    const std::uint64_t code = r.ret_code & cl::rc::kCodeMask;
    if (code >= 300 && code <= 399) return 404;
    if (code >= 400 && code <= 499) return 403;
    return 500;
  }
  return success;
}

http_response rcs_response(const cl::api_call_rcs& rcs, int success = 200) {
  return json_response(status_for(rcs, success), to_json(rcs));
}

http_response not_found(std::uint64_t code, const std::string& message) {
  return rcs_response({cl::error_rc(code, message)});
}

// An unknown path or method: 404 with LINSTOR's UNKNOWN_API_CALL code.
http_response no_endpoint(const std::string& message) {
  return json_response(404, to_json({cl::error_rc(0x0FFFFFFFFFFFFFFFULL, message)}));
}

http_response parse_error(const std::string& message) {
  return json_response(400, to_json({cl::error_rc(cl::rc::kApiCallParseError, message)}));
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start < path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool in_filter(const std::vector<std::string>& wanted, const std::string& name) {
  if (wanted.empty()) return true;
  return std::any_of(wanted.begin(), wanted.end(),
                     [&](const std::string& w) { return cl::name_key(w) == cl::name_key(name); });
}

std::optional<std::uint32_t> parse_number(const std::string& text) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(std::stoul(text));
}

struct ctx {
  controller_backend& backend;
  const http_request& req;
  const std::vector<std::string>& p;  // path segments
  const cl::cluster& model() const { return backend.model(); }
};

// ------------------------------------------------------------------ controller

http_response controller_routes(ctx& c) {
  const auto& p = c.p;
  if (p.size() == 3 && p[2] == "version" && c.req.method == "GET") {
    return json_response(200, {{"version", kControllerVersion},
                               {"git_hash", "tandem"},
                               {"build_time", "unknown"},
                               {"rest_api_version", kRestApiVersion}});
  }
  if (p.size() == 3 && p[2] == "properties") {
    if (c.req.method == "GET") return json_response(200, c.model().controller_properties);
    if (c.req.method == "POST" || c.req.method == "PUT") {
      const cl::props_change change = get_props_change(parse_object(c.req.body));
      return rcs_response(c.backend.mutate([&](cl::cluster& m, const cl::op_env&) {
        return cl::modify_controller_props(m, change);
      }));
    }
  }
  return no_endpoint("No such controller endpoint.");
}

// ------------------------------------------------------------------ nodes and pools

cl::net_interface parse_nic(const json& j) {
  cl::net_interface nic;
  nic.name = get_string(j, "name").value_or("default");
  nic.address = get_string(j, "address").value_or("");
  if (auto port = get_u64(j, "satellite_port")) {
    if (*port == 0 || *port > 65535) throw bad_request("'satellite_port' outside 1..65535");
    nic.satellite_port = static_cast<std::uint16_t>(*port);
  }
  std::string enc = get_string(j, "satellite_encryption_type").value_or("PLAIN");
  for (char& ch : enc) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  nic.encryption_type = enc;
  nic.is_active = get_bool(j, "is_active").value_or(false);
  return nic;
}

http_response pool_routes(ctx& c, const std::string& node_name) {
  const auto& p = c.p;
  const auto& m = c.model();
  const cl::node* n = m.find_node(node_name);
  const std::uint64_t nf = cl::rc::kMaskError | cl::rc::kFailNotFoundNode;
  if (p.size() == 4) {
    if (c.req.method == "GET") {
      if (n == nullptr) return not_found(nf, "Node '" + node_name + "' not found.");
      json out = json::array();
      for (const cl::storage_pool* pool : m.pools_of(node_name)) out.push_back(pool_json(*pool));
      return json_response(200, out);
    }
    if (c.req.method == "POST") {
      const json body = parse_object(c.req.body);
      cl::storage_pool pool;
      pool.node_name = node_name;
      pool.name = get_string(body, "storage_pool_name").value_or("");
      const std::string kind_text = get_string(body, "provider_kind").value_or("");
      auto kind = cl::parse_pool_kind(kind_text);
      if (!kind) throw bad_request("unknown provider_kind '" + kind_text + "'");
      pool.kind = *kind;
      pool.properties = get_props(body, "props");
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::create_storage_pool(mm, env, pool);
      }),
                          201);
    }
  }
  if (p.size() == 5) {
    const std::string& pool_name = p[4];
    if (c.req.method == "GET") {
      const cl::storage_pool* pool = m.find_pool(node_name, pool_name);
      if (pool == nullptr) {
        return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundStoragePool,
                         "Storage pool '" + pool_name + "' not found on node '" + node_name + "'.");
      }
      return json_response(200, pool_json(*pool));
    }
    if (c.req.method == "PUT") {
      const cl::props_change change = get_props_change(parse_object(c.req.body));
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env&) {
        return cl::modify_storage_pool(mm, node_name, pool_name, change);
      }));
    }
    if (c.req.method == "DELETE") {
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env&) {
        return cl::delete_storage_pool(mm, node_name, pool_name);
      }));
    }
  }
  return no_endpoint("No such endpoint.");
}

http_response node_routes(ctx& c) {
  const auto& p = c.p;
  const auto& m = c.model();
  if (p.size() == 2) {
    if (c.req.method == "GET") {
      const auto wanted = query_all(c.req.query, "nodes");
      json out = json::array();
      for (const auto& [k, n] : m.nodes) {
        if (in_filter(wanted, n.name)) out.push_back(node_json(n));
      }
      return json_response(200, out);
    }
    if (c.req.method == "POST") {
      const json body = parse_object(c.req.body);
      cl::node n;
      n.name = get_string(body, "name").value_or("");
      const std::string type_text = get_string(body, "type").value_or("SATELLITE");
      auto type = cl::parse_node_type(type_text);
      if (!type) throw bad_request("unknown node type '" + type_text + "'");
      n.type = *type;
      n.properties = get_props(body, "props");
      if (body.contains("net_interfaces")) {
        if (!body["net_interfaces"].is_array())
          throw bad_request("'net_interfaces' must be a list");
        for (const json& nic : body["net_interfaces"]) n.net_interfaces.push_back(parse_nic(nic));
      }
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::create_node(mm, env, n);
      }),
                          201);
    }
  }
  if (p.size() < 3) return no_endpoint("No such endpoint.");
  const std::string node_name = p[2];
  if (p.size() == 3) {
    if (c.req.method == "GET") {
      const cl::node* n = m.find_node(node_name);
      if (n == nullptr) {
        return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundNode,
                         "Node '" + node_name + "' not found.");
      }
      return json_response(200, node_json(*n));
    }
    if (c.req.method == "PUT") {
      const cl::props_change change = get_props_change(parse_object(c.req.body));
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env&) {
        return cl::modify_node(mm, node_name, change);
      }));
    }
    if (c.req.method == "DELETE") {
      return rcs_response(c.backend.mutate(
          [&](cl::cluster& mm, const cl::op_env&) { return cl::delete_node(mm, node_name); }));
    }
  }
  if (p.size() == 4 && p[3] == "lost" && c.req.method == "DELETE") {
    return rcs_response(c.backend.mutate(
        [&](cl::cluster& mm, const cl::op_env& env) { return cl::lose_node(mm, env, node_name); }));
  }
  if (p.size() >= 4 && p[3] == "net-interfaces") {
    const cl::node* n = m.find_node(node_name);
    if (p.size() == 4 && c.req.method == "GET") {
      if (n == nullptr) {
        return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundNode,
                         "Node '" + node_name + "' not found.");
      }
      return json_response(200, node_json(*n)["net_interfaces"]);
    }
    if (p.size() == 4 && c.req.method == "POST") {
      const cl::net_interface nic = parse_nic(parse_object(c.req.body));
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env&) {
        return cl::create_net_interface(mm, node_name, nic);
      }),
                          201);
    }
    if (p.size() == 5 && c.req.method == "DELETE") {
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env&) {
        return cl::delete_net_interface(mm, node_name, p[4]);
      }));
    }
  }
  if (p.size() >= 4 && p[3] == "storage-pools") return pool_routes(c, node_name);
  return no_endpoint("No such endpoint.");
}

// ------------------------------------------------------------------ views

http_response view_routes(ctx& c) {
  const auto& p = c.p;
  const auto& m = c.model();
  if (c.req.method != "GET" || p.size() != 3) {
    return no_endpoint("No such view.");
  }
  const auto nodes = query_all(c.req.query, "nodes");
  const auto resources = query_all(c.req.query, "resources");
  json out = json::array();
  if (p[2] == "storage-pools") {
    const auto pools = query_all(c.req.query, "storage_pools");
    for (const auto& [k, pool] : m.pools) {
      if (in_filter(nodes, pool.node_name) && in_filter(pools, pool.name)) {
        out.push_back(pool_json(pool));
      }
    }
    return json_response(200, out);
  }
  if (p[2] == "resources") {
    for (const auto& [k, r] : m.resources) {
      if (in_filter(nodes, r.node_name) && in_filter(resources, r.definition)) {
        out.push_back(resource_json(m, r));
      }
    }
    return json_response(200, out);
  }
  if (p[2] == "snapshots") {
    for (const auto& [k, s] : m.snapshots) {
      if (in_filter(resources, s.definition)) out.push_back(snapshot_json(m, s));
    }
    return json_response(200, out);
  }
  return no_endpoint("No such view.");
}

// ------------------------------------------------------------------ resource groups

http_response group_routes(ctx& c) {
  const auto& p = c.p;
  const auto& m = c.model();
  const std::uint64_t nf = cl::rc::kMaskError | cl::rc::kFailNotFoundResourceGroup;
  if (p.size() == 2) {
    if (c.req.method == "GET") {
      const auto wanted = query_all(c.req.query, "resource_groups");
      json out = json::array();
      for (const auto& [k, g] : m.groups) {
        if (in_filter(wanted, g.name)) out.push_back(group_json(g));
      }
      return json_response(200, out);
    }
    if (c.req.method == "POST") {
      const json body = parse_object(c.req.body);
      cl::resource_group g;
      g.name = get_string(body, "name").value_or("");
      g.description = get_string(body, "description").value_or("");
      g.properties = get_props(body, "props");
      if (body.contains("select_filter")) g.filter = get_filter(body["select_filter"]);
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::create_resource_group(mm, env, g);
      }),
                          201);
    }
  }
  if (p.size() < 3) return not_found(nf, "No such endpoint.");
  const std::string group = p[2];
  if (p.size() == 3) {
    if (c.req.method == "GET") {
      const cl::resource_group* g = m.find_group(group);
      if (g == nullptr) return not_found(nf, "Resource group '" + group + "' not found.");
      return json_response(200, group_json(*g));
    }
    if (c.req.method == "PUT") {
      const json body = parse_object(c.req.body);
      const cl::props_change change = get_props_change(body);
      const auto description = get_string(body, "description");
      std::optional<cl::select_filter> filter;
      if (body.contains("select_filter")) filter = get_filter(body["select_filter"]);
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env&) {
        return cl::modify_resource_group(mm, group, description, filter, change);
      }));
    }
    if (c.req.method == "DELETE") {
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env&) {
        return cl::delete_resource_group(mm, group);
      }));
    }
  }
  if (p.size() == 4 && p[3] == "spawn" && c.req.method == "POST") {
    const json body = parse_object(c.req.body);
    cl::spawn_request spawn;
    spawn.definition = get_string(body, "resource_definition_name").value_or("");
    if (body.contains("volume_sizes")) {
      if (!body["volume_sizes"].is_array()) throw bad_request("'volume_sizes' must be a list");
      for (const json& size : body["volume_sizes"]) {
        json wrapper = {{"volume_sizes", size}};
        spawn.volume_sizes_kib.push_back(get_u64(wrapper, "volume_sizes").value_or(0));
      }
    }
    spawn.definitions_only = get_bool(body, "definitions_only").value_or(false);
    spawn.partial = get_bool(body, "partial").value_or(false);
    if (body.contains("select_filter")) spawn.filter = get_filter(body["select_filter"]);
    spawn.definition_props = get_props(body, "resource_definition_props");
    return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
      return cl::spawn(mm, env, group, spawn);
    }),
                        201);
  }
  if (p.size() >= 4 && p[3] == "volume-groups") {
    const cl::resource_group* g = m.find_group(group);
    if (p.size() == 4 && c.req.method == "GET") {
      if (g == nullptr) return not_found(nf, "Resource group '" + group + "' not found.");
      json out = json::array();
      for (const cl::volume_group& vg : g->volume_groups) out.push_back(volume_group_json(vg));
      return json_response(200, out);
    }
    if (p.size() == 4 && c.req.method == "POST") {
      const json body = parse_object(c.req.body);
      std::optional<std::uint32_t> number;
      if (auto n = get_u64(body, "volume_number")) number = static_cast<std::uint32_t>(*n);
      const cl::props props = get_props(body, "props");
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::create_volume_group(mm, env, group, number, props);
      }),
                          201);
    }
    if (p.size() == 5) {
      auto number = parse_number(p[4]);
      if (!number) throw bad_request("volume group number '" + p[4] + "' is not a number");
      if (c.req.method == "GET") {
        if (g == nullptr) return not_found(nf, "Resource group '" + group + "' not found.");
        for (const cl::volume_group& vg : g->volume_groups) {
          if (vg.number == *number) return json_response(200, volume_group_json(vg));
        }
        return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundVolumeGroup,
                         "Volume group " + p[4] + " not found.");
      }
      if (c.req.method == "PUT") {
        const cl::props_change change = get_props_change(parse_object(c.req.body));
        return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env&) {
          return cl::modify_volume_group(mm, group, *number, change);
        }));
      }
      if (c.req.method == "DELETE") {
        return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env&) {
          return cl::delete_volume_group(mm, group, *number);
        }));
      }
    }
  }
  return no_endpoint("No such endpoint.");
}

// ------------------------------------------------------------------ resource definitions

http_response resource_routes(ctx& c, const std::string& rd) {
  const auto& p = c.p;
  const auto& m = c.model();
  if (p.size() == 4) {
    if (c.req.method == "GET") {
      if (m.find_definition(rd) == nullptr) {
        return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundResourceDefinition,
                         "Resource definition '" + rd + "' not found.");
      }
      json out = json::array();
      for (const cl::resource* r : m.resources_of(rd)) out.push_back(resource_json(m, *r));
      return json_response(200, out);
    }
    if (c.req.method == "POST") {
      const json body = parse_body(c.req.body);
      const json list = body.is_array() ? body : json::array({body});
      std::vector<cl::resource_request> requests;
      for (const json& item : list) {
        if (!item.is_object()) throw bad_request("each resource must be a JSON object");
        const json rsc = item.contains("resource") ? item["resource"] : item;
        if (!rsc.is_object()) throw bad_request("'resource' must be a JSON object");
        cl::resource_request r;
        r.node_name = get_string(rsc, "node_name").value_or("");
        r.properties = get_props(rsc, "props");
        for (const std::string& flag : get_strings(rsc, "flags")) {
          auto bits = cl::parse_resource_flag(flag);
          if (!bits) throw bad_request("unknown resource flag '" + flag + "'");
          r.flags |= *bits;
        }
        if (get_bool(item, "drbd_diskless").value_or(false))
          r.flags |= cl::resource_flag::kDrbdDiskless;
        if (auto id = get_u64(item, "drbd_node_id")) r.node_id = static_cast<std::uint32_t>(*id);
        requests.push_back(std::move(r));
      }
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::create_resources(mm, env, rd, requests);
      }),
                          201);
    }
  }
  if (p.size() < 5) return no_endpoint("No such endpoint.");
  const std::string node_name = p[4];
  if (p.size() == 5) {
    if (c.req.method == "GET") {
      const cl::resource* r = m.find_resource(rd, node_name);
      if (r == nullptr) {
        return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundResource,
                         "Resource '" + rd + "' not found on node '" + node_name + "'.");
      }
      return json_response(200, resource_json(m, *r));
    }
    if (c.req.method == "PUT") {
      const cl::props_change change = get_props_change(parse_object(c.req.body));
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::modify_resource(mm, env, rd, node_name, change);
      }));
    }
    if (c.req.method == "DELETE") {
      const bool keep = query_bool(c.req.query, "keep_tiebreaker", false);
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::delete_resource(mm, env, rd, node_name, keep);
      }));
    }
  }
  if (p.size() >= 6 && p[5] == "toggle-disk" && c.req.method == "PUT") {
    std::optional<bool> to_diskful;
    std::optional<std::string> pool;
    if (p.size() >= 7) {
      if (p[6] == "diskful") to_diskful = true;
      if (p[6] == "diskless") to_diskful = false;
      if (p.size() == 8) pool = p[7];
    } else {
      const json body = parse_object(c.req.body);
      to_diskful = get_bool(body, "diskful");
      pool = get_string(body, "storage_pool");
    }
    if (!to_diskful) throw bad_request("toggle-disk needs /diskful or /diskless");
    return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
      return cl::toggle_disk(mm, env, rd, node_name, *to_diskful, pool);
    }));
  }
  if (p.size() == 6 && p[5] == "make-available" && c.req.method == "POST") {
    const bool diskful = get_bool(parse_object(c.req.body), "diskful").value_or(false);
    return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
      return cl::make_available(mm, env, rd, node_name, diskful);
    }));
  }
  if (p.size() >= 6 && p[5] == "volumes" && c.req.method == "GET") {
    const cl::resource* r = m.find_resource(rd, node_name);
    if (r == nullptr) {
      return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundResource,
                       "Resource '" + rd + "' not found on node '" + node_name + "'.");
    }
    json out = json::array();
    for (const cl::volume& v : r->volumes) out.push_back(volume_json(m, *r, v));
    if (p.size() == 7) {
      auto number = parse_number(p[6]);
      for (const json& v : out) {
        if (number && v["volume_number"] == *number) return json_response(200, v);
      }
      return not_found(cl::rc::kMaskError | 304, "Volume " + p[6] + " not found.");
    }
    return json_response(200, out);
  }
  return no_endpoint("No such endpoint.");
}

http_response volume_definition_routes(ctx& c, const std::string& rd) {
  const auto& p = c.p;
  const cl::resource_definition* def = c.model().find_definition(rd);
  const std::uint64_t nf = cl::rc::kMaskError | cl::rc::kFailNotFoundResourceDefinition;
  if (p.size() == 4) {
    if (c.req.method == "GET") {
      if (def == nullptr) return not_found(nf, "Resource definition '" + rd + "' not found.");
      json out = json::array();
      for (const cl::volume_definition& vd : def->volumes)
        out.push_back(volume_definition_json(vd));
      return json_response(200, out);
    }
    if (c.req.method == "POST") {
      const json body = parse_object(c.req.body);
      const json vd = body.contains("volume_definition") ? body["volume_definition"] : body;
      cl::volume_definition_request request;
      if (auto n = get_u64(vd, "volume_number")) request.number = static_cast<std::uint32_t>(*n);
      request.size_kib = get_u64(vd, "size_kib").value_or(0);
      request.flags = get_strings(vd, "flags");
      request.properties = get_props(vd, "props");
      if (auto minor = get_u64(body, "drbd_minor_number")) {
        request.minor = static_cast<std::uint32_t>(*minor);
      }
      // LINSTOR answers a volume definition create with 200, not 201.
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::create_volume_definition(mm, env, rd, request);
      }));
    }
  }
  if (p.size() == 5) {
    auto number = parse_number(p[4]);
    if (!number) throw bad_request("volume number '" + p[4] + "' is not a number");
    if (c.req.method == "GET") {
      if (def == nullptr) return not_found(nf, "Resource definition '" + rd + "' not found.");
      const cl::volume_definition* vd = def->find_volume(*number);
      if (vd == nullptr) {
        return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundVolumeDefinition,
                         "Volume definition " + p[4] + " of '" + rd + "' not found.");
      }
      return json_response(200, volume_definition_json(*vd));
    }
    if (c.req.method == "PUT") {
      const json body = parse_object(c.req.body);
      const cl::props_change change = get_props_change(body);
      const auto size = get_u64(body, "size_kib");
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::modify_volume_definition(mm, env, rd, *number, size, change);
      }));
    }
    if (c.req.method == "DELETE") {
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::delete_volume_definition(mm, env, rd, *number);
      }));
    }
  }
  return no_endpoint("No such endpoint.");
}

http_response snapshot_routes(ctx& c, const std::string& rd) {
  const auto& p = c.p;
  const auto& m = c.model();
  if (p[3] == "snapshots") {
    if (p.size() == 4 && c.req.method == "GET") {
      json out = json::array();
      for (const auto& [k, s] : m.snapshots) {
        if (k.first == cl::name_key(rd)) out.push_back(snapshot_json(m, s));
      }
      return json_response(200, out);
    }
    if (p.size() == 4 && c.req.method == "POST") {
      const json body = parse_object(c.req.body);
      const std::string name = get_string(body, "name").value_or("");
      const auto nodes = get_strings(body, "nodes");
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::create_snapshot(mm, env, rd, name, nodes);
      }),
                          201);
    }
    if (p.size() == 5 && c.req.method == "GET") {
      auto it = m.snapshots.find({cl::name_key(rd), cl::name_key(p[4])});
      if (it == m.snapshots.end()) {
        return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundSnapshot,
                         "Snapshot '" + p[4] + "' of '" + rd + "' not found.");
      }
      return json_response(200, snapshot_json(m, it->second));
    }
    if (p.size() == 5 && c.req.method == "DELETE") {
      return rcs_response(c.backend.mutate(
          [&](cl::cluster& mm, const cl::op_env&) { return cl::delete_snapshot(mm, rd, p[4]); }));
    }
  }
  if (p.size() == 5 && c.req.method == "POST") {
    const json body = parse_object(c.req.body);
    const std::string to = get_string(body, "to_resource").value_or("");
    if (to.empty()) throw bad_request("'to_resource' is required");
    if (p[3] == "snapshot-restore-volume-definition") {
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::restore_snapshot_volume_definitions(mm, env, rd, p[4], to);
      }));
    }
    if (p[3] == "snapshot-restore-resource") {
      const auto nodes = get_strings(body, "nodes");
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::restore_snapshot_resources(mm, env, rd, p[4], to, nodes);
      }));
    }
  }
  return no_endpoint("No such endpoint.");
}

http_response definition_routes(ctx& c) {
  const auto& p = c.p;
  const auto& m = c.model();
  const std::uint64_t nf = cl::rc::kMaskError | cl::rc::kFailNotFoundResourceDefinition;
  if (p.size() == 2) {
    if (c.req.method == "GET") {
      const auto wanted = query_all(c.req.query, "resource_definitions");
      const bool with_volumes = query_bool(c.req.query, "with_volume_definitions", false);
      json out = json::array();
      for (const auto& [k, rd] : m.definitions) {
        if (in_filter(wanted, rd.name)) out.push_back(definition_json(rd, with_volumes));
      }
      return json_response(200, out);
    }
    if (c.req.method == "POST") {
      const json body = parse_object(c.req.body);
      const json rd = body.contains("resource_definition") ? body["resource_definition"] : body;
      cl::definition_request request;
      request.name = get_string(rd, "name").value_or("");
      request.resource_group = get_string(rd, "resource_group_name").value_or("");
      request.properties = get_props(rd, "props");
      if (auto port = get_u64(body, "drbd_port")) {
        if (*port > 65535) throw bad_request("'drbd_port' outside 0..65535");
        request.port = static_cast<std::uint16_t>(*port);
      }
      request.secret = get_string(body, "drbd_secret");
      if (auto slots = get_u64(body, "drbd_peer_slots")) {
        request.peer_slots = static_cast<std::uint32_t>(*slots);
      }
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::create_resource_definition(mm, env, request);
      }),
                          201);
    }
  }
  if (p.size() < 3) return not_found(nf, "No such endpoint.");
  const std::string rd = p[2];
  if (p.size() == 3) {
    if (c.req.method == "GET") {
      const cl::resource_definition* def = m.find_definition(rd);
      if (def == nullptr) return not_found(nf, "Resource definition '" + rd + "' not found.");
      return json_response(200, definition_json(*def, true));
    }
    if (c.req.method == "PUT") {
      const json body = parse_object(c.req.body);
      const cl::props_change change = get_props_change(body);
      const auto group = get_string(body, "resource_group");
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::modify_resource_definition(mm, env, rd, change, group);
      }));
    }
    if (c.req.method == "DELETE") {
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env&) {
        return cl::delete_resource_definition(mm, rd);
      }));
    }
  }
  if (p[3] == "resources") return resource_routes(c, rd);
  if (p[3] == "volume-definitions") return volume_definition_routes(c, rd);
  if (p[3] == "autoplace" && p.size() == 4 && c.req.method == "POST") {
    const json body = parse_object(c.req.body);
    cl::select_filter filter;
    if (body.contains("select_filter")) filter = get_filter(body["select_filter"]);
    if (auto dor = get_bool(body, "diskless_on_remaining")) filter.diskless_on_remaining = dor;
    return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
      return cl::autoplace_definition(mm, env, rd, filter);
    }),
                        201);
  }
  if (p[3].starts_with("snapshot")) return snapshot_routes(c, rd);
  return no_endpoint("No such endpoint.");
}

}  // namespace

http_response handle_request(controller_backend& backend, const http_request& request) {
  if (request.path == "/health") {
    http_response r;
    r.status = 200;
    r.content_type = "text/plain";
    return r;
  }
  const std::vector<std::string> p = split_path(request.path);
  ctx c{backend, request, p};
  try {
    if (p.size() >= 2 && p[0] == "v1") {
      if (p[1] == "controller") return controller_routes(c);
      if (p[1] == "nodes") return node_routes(c);
      if (p[1] == "view") return view_routes(c);
      if (p[1] == "resource-groups") return group_routes(c);
      if (p[1] == "resource-definitions") return definition_routes(c);
    }
  } catch (const bad_request& e) {
    return parse_error(e.what());
  } catch (const nlohmann::json::exception& e) {
    return parse_error(std::string("Unable to parse input json: ") + e.what());
  }
  return no_endpoint("No endpoint " + request.method + " " + request.path + ".");
}

}  // namespace tandem::api
