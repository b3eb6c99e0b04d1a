// REST: /v1/controller, /v1/nodes (net interfaces, storage pools) and /v1/view.
#include <cctype>

#include "engine/api/resource_view.h"
#include "engine/api/rest_api.h"
#include "engine/api/rest_common.h"

namespace tandem::api::detail {

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

namespace {

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

}  // namespace

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
  if (p.size() >= 3) return node_item_routes(c);
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
  return no_endpoint("No such endpoint.");
}

// /v1/nodes/{node}, .../lost, .../net-interfaces[/{nic}], .../storage-pools[/{pool}]
http_response node_item_routes(ctx& c) {
  const auto& p = c.p;
  const auto& m = c.model();
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

http_response view_routes(ctx& c) {
  const auto& p = c.p;
  const auto& m = c.model();
  if (c.req.method != "GET" || p.size() != 3) {
    return no_endpoint("No such view.");
  }
  const auto nodes = query_all(c.req.query, "nodes");
  const auto resources = query_all(c.req.query, "resources");
  json_array_response out;
  if (p[2] == "storage-pools") {
    const auto pools = query_all(c.req.query, "storage_pools");
    for (const auto& [k, pool] : m.pools) {
      if (in_filter(nodes, pool.node_name) && in_filter(pools, pool.name)) {
        out.push_back(pool_json(pool));
      }
    }
    return std::move(out).finish();
  }
  if (p[2] == "resources") {
    for (const auto& [k, r] : m.resources) {
      if (in_filter(nodes, r.node_name) && in_filter(resources, r.definition)) {
        write_resource(out.writer(), m, r);
      }
    }
    return std::move(out).finish();
  }
  if (p[2] == "snapshots") {
    for (const auto& [k, s] : m.snapshots) {
      if (in_filter(resources, s.definition)) out.push_back(snapshot_json(m, s));
    }
    return std::move(out).finish();
  }
  return no_endpoint("No such view.");
}

}  // namespace tandem::api::detail
