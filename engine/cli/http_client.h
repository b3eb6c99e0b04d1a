// A small synchronous HTTP/1.1 client for the controller's REST API: one connection kept alive
// across requests, a connect timeout per controller address, a timeout for each whole request.
// With several controllers (--controllers a,b) it uses the first one that accepts a connection.
// The only file that includes Boost.Beast is http_client.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cli/controller_address.h"

namespace tandem::cli {

struct http_response {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

enum class http_error_kind { none, unreachable, timeout, protocol };

struct http_result {
  http_error_kind error = http_error_kind::none;
  // "cannot reach controller at 127.0.0.1:3370: connection refused" etc.; empty on success.
  std::string error_message;
  http_response response;

  bool ok() const { return error == http_error_kind::none; }
};

struct http_timeouts {
  std::chrono::milliseconds connect_ms{5000};
  std::chrono::milliseconds request_ms{300000};  // LINSTOR's client default: 300 s
};

class http_client {
 public:
  http_client(std::vector<controller_address> controllers, http_timeouts timeouts);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // method: "GET", "POST", "PUT", "DELETE"; target: "/v1/nodes?nodes=a"; body sent as JSON when
  // non-empty. Never throws.
  http_result request(std::string_view method, std::string_view target, const std::string& body);

  // The controller of the current (or last) connection, for messages.
  std::string current_controller() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tandem::cli
