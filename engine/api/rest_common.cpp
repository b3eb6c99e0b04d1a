// Helpers of the REST handlers: responses, status codes, path and filter parsing.
#include "engine/api/rest_common.h"

#include <algorithm>
#include <utility>

namespace tandem::api::detail {

http_response json_response(int status, const json& body) {
  http_response r;
  r.status = status;
  r.body = response_text(body);
  return r;
}

http_response json_text_response(int status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

void json_array_response::push_back(const json& element) {
  writer_.raw(response_text(element));
}

http_response json_array_response::finish(int status) && {
  writer_.end_array();
  return json_text_response(status, std::move(body_));
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

http_response rcs_response(const cl::api_call_rcs& rcs, int success) {
  return json_response(status_for(rcs, success), to_json(rcs));
}

http_response not_found(std::uint64_t code, const std::string& message) {
  return rcs_response({cl::error_rc(code, message)});
}

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

}  // namespace tandem::api::detail
