// HTTP/1.1 server for the REST API (Boost.Beast inside the .cpp): keep-alive, bodies parsed
// regardless of Content-Type, one handler call per request on the io_context's thread.
// Private to the controller: include only from engine/controller.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "engine/api/http_types.h"

namespace tandem::api {

using request_handler = std::function<http_response(const http_request&)>;

class http_server {
 public:
  // Binds and listens on address:port (throws std::runtime_error naming the address on failure).
  http_server(boost::asio::io_context& io, const std::string& address, unsigned short port,
              request_handler handler);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;
  unsigned short port() const;  // the bound port (useful with port 0)

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace tandem::api
