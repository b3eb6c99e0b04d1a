// Transport-neutral HTTP request/response values: the REST handlers see only these, so they are
// testable without sockets and Boost.Beast stays inside http_server.cpp.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tandem::api {

struct http_request {
  std::string method;                             // "GET", "POST", ...
  std::string path;                               // without the query, percent-decoded
  std::multimap<std::string, std::string> query;  // repeated keys kept (?nodes=a&nodes=b)
  std::string body;
};

struct http_response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// Splits "/v1/nodes?nodes=a&nodes=b" into path and query, percent-decoding both.
void split_target(const std::string& target, std::string& path,
                  std::multimap<std::string, std::string>& query);

}  // namespace tandem::api
