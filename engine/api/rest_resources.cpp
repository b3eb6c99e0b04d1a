// REST: /v1/resource-definitions/{rd}/resources and their actions.
#include "engine/api/resource_view.h"
#include "engine/api/rest_common.h"

namespace tandem::api::detail {

http_response resource_routes(ctx& c, const std::string& rd) {
  const auto& p = c.p;
  const auto& m = c.model();
  if (p.size() >= 5) return resource_item_routes(c, rd);
  if (p.size() == 4) {
    if (c.req.method == "GET") {
      if (m.find_definition(rd) == nullptr) {
        return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundResourceDefinition,
                         "Resource definition '" + rd + "' not found.");
      }
      json_array_response out;
      for (const cl::resource* r : m.resources_of(rd)) write_resource(out.writer(), m, *r);
      return std::move(out).finish();
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
  return no_endpoint("No such endpoint.");
}

// /v1/resource-definitions/{rd}/resources/{node}
http_response resource_item_routes(ctx& c, const std::string& rd) {
  const auto& p = c.p;
  const auto& m = c.model();
  const std::string node_name = p[4];
  if (p.size() == 5) {
    if (c.req.method == "GET") {
      const cl::resource* r = m.find_resource(rd, node_name);
      if (r == nullptr) {
        return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundResource,
                         "Resource '" + rd + "' not found on node '" + node_name + "'.");
      }
      std::string body;
      json_writer out(body);
      write_resource(out, m, *r);
      return json_text_response(200, std::move(body));
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
  return resource_action_routes(c, rd, node_name);
}

// .../resources/{node}/toggle-disk/..., .../make-available, .../volumes[/{nr}]
http_response resource_action_routes(ctx& c, const std::string& rd, const std::string& node_name) {
  const auto& p = c.p;
  const auto& m = c.model();
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
    if (p.size() == 7) {
      auto number = parse_number(p[6]);
      for (const cl::volume& v : r->volumes) {
        if (!number || v.number != *number) continue;
        std::string body;
        json_writer out(body);
        write_volume(out, m, *r, v);
        return json_text_response(200, std::move(body));
      }
      return not_found(cl::rc::kMaskError | 304, "Volume " + p[6] + " not found.");
    }
    json_array_response out;
    for (const cl::volume& v : r->volumes) write_volume(out.writer(), m, *r, v);
    return std::move(out).finish();
  }
  return no_endpoint("No such endpoint.");
}

}  // namespace tandem::api::detail
