// REST: snapshots of a resource definition and restoring them.
#include "engine/api/rest_common.h"

namespace tandem::api::detail {

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

}  // namespace tandem::api::detail
