// Routing and handlers of the REST API v1. Status codes follow LINSTOR's ApiCallRcRestUtils: the
// handler's success status (201 for creates) unless an entry is an error: FAIL_NOT_FOUND_*
// (300-399) -> 404, access denied (400-499) -> 403, anything else -> 500; unparsable JSON -> 400.
#include "engine/api/rest_api.h"

#include "engine/api/rest_common.h"

namespace tandem::api {

using namespace detail;

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
