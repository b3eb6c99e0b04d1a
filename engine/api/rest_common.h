// Private to engine/api: the helpers and route functions of the REST handlers, split by object
// family over rest_*.cpp. rest_api.cpp dispatches on the first path segments.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/api/backend.h"
#include "engine/api/http_types.h"
#include "engine/api/json_views.h"
#include "engine/api/json_writer.h"
#include "engine/api/request_parse.h"

namespace tandem::api::detail {

namespace cl = tandem::cluster;
using nlohmann::json;

// One request being handled: the backend, the request and its path split into segments.
struct ctx {
  controller_backend& backend;
  const http_request& req;
  const std::vector<std::string>& p;
  const cl::cluster& model() const { return backend.model(); }
};

http_response json_response(int status, const json& body);
// A body already written as JSON text (json_writer).
http_response json_text_response(int status, std::string body);

// A JSON array response written one element at a time, so that a large view (10 000 resources)
// exists as its text only, never also as one JSON tree several times that size. Elements come
// as trees (push_back) or are written straight into the text (writer()).
class json_array_response {
 public:
  json_array_response() { writer_.begin_array(); }
  json_array_response(const json_array_response&) = delete;  // writer_ refers to body_
  json_array_response& operator=(const json_array_response&) = delete;
  void push_back(const json& element);
  json_writer& writer() { return writer_; }
  http_response finish(int status = 200) &&;

 private:
  std::string body_;
  json_writer writer_{body_};
};
// LINSTOR's status for an answer: `success` unless an entry is an error (404 for
// FAIL_NOT_FOUND_*, 403 for access denied, else 500).
int status_for(const cl::api_call_rcs& rcs, int success);
http_response rcs_response(const cl::api_call_rcs& rcs, int success = 200);
http_response not_found(std::uint64_t code, const std::string& message);
// An unknown path or method: 404 with LINSTOR's UNKNOWN_API_CALL code.
http_response no_endpoint(const std::string& message);
http_response parse_error(const std::string& message);
std::vector<std::string> split_path(const std::string& path);
bool in_filter(const std::vector<std::string>& wanted, const std::string& name);
std::optional<std::uint32_t> parse_number(const std::string& text);

// rest_nodes.cpp
http_response controller_routes(ctx& c);
http_response node_routes(ctx& c);
http_response node_item_routes(ctx& c);
http_response pool_routes(ctx& c, const std::string& node_name);
http_response view_routes(ctx& c);
// rest_groups.cpp
http_response group_routes(ctx& c);
http_response group_item_routes(ctx& c);
http_response volume_group_routes(ctx& c, const std::string& group);
// rest_definitions.cpp
http_response definition_routes(ctx& c);
http_response volume_definition_routes(ctx& c, const std::string& rd);
http_response definition_action_routes(ctx& c, const std::string& rd);
// rest_resources.cpp
http_response resource_routes(ctx& c, const std::string& rd);
http_response resource_item_routes(ctx& c, const std::string& rd);
http_response resource_action_routes(ctx& c, const std::string& rd, const std::string& node_name);
// rest_snapshots.cpp
http_response snapshot_routes(ctx& c, const std::string& rd);

}  // namespace tandem::api::detail
