// REST: /v1/resource-definitions, volume definitions and autoplace.
#include "engine/api/rest_common.h"

namespace tandem::api::detail {

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
    return no_endpoint("No endpoint " + c.req.method + " " + c.req.path + ".");
  }
  if (p[3] == "resources") return resource_routes(c, rd);
  if (p[3] == "volume-definitions") return volume_definition_routes(c, rd);
  if (p[3].starts_with("snapshot")) return snapshot_routes(c, rd);
  return definition_action_routes(c, rd);
}

// /v1/resource-definitions/{rd}/sync-status, .../autoplace
http_response definition_action_routes(ctx& c, const std::string& rd) {
  const auto& p = c.p;
  const auto& m = c.model();
  if (p[3] == "sync-status" && p.size() == 4 && c.req.method == "GET") {
    if (m.find_definition(rd) == nullptr) {
      return not_found(cl::rc::kMaskError | cl::rc::kFailNotFoundResourceDefinition,
                       "Resource definition '" + rd + "' not found.");
    }
    return json_response(200, {{"synced_on_all", cl::definition_synced(m, rd)}});
  }
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
  return no_endpoint("No such endpoint.");
}

}  // namespace tandem::api::detail
