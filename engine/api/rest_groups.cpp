// REST: /v1/resource-groups, spawn and volume groups.
#include "engine/api/rest_common.h"

namespace tandem::api::detail {

http_response group_routes(ctx& c) {
  const auto& p = c.p;
  const auto& m = c.model();
  if (p.size() >= 3) return group_item_routes(c);
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
  return no_endpoint("No such endpoint.");
}

// /v1/resource-groups/{rg}, .../spawn
http_response group_item_routes(ctx& c) {
  const auto& p = c.p;
  const auto& m = c.model();
  const std::uint64_t nf = cl::rc::kMaskError | cl::rc::kFailNotFoundResourceGroup;
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
      return rcs_response(c.backend.mutate([&](cl::cluster& mm, const cl::op_env& env) {
        return cl::modify_resource_group(mm, env, group, description, filter, change);
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
  if (p.size() >= 4 && p[3] == "volume-groups") return volume_group_routes(c, group);
  return no_endpoint("No such endpoint.");
}

// /v1/resource-groups/{rg}/volume-groups[/{nr}]
http_response volume_group_routes(ctx& c, const std::string& group) {
  const auto& p = c.p;
  const std::uint64_t nf = cl::rc::kMaskError | cl::rc::kFailNotFoundResourceGroup;
  const cl::resource_group* g = c.model().find_group(group);
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
  return no_endpoint("No such endpoint.");
}

}  // namespace tandem::api::detail
