// tandemd's Prometheus endpoint: a small HTTP/1.1 listener that answers GET /metrics with the
// text the daemon renders (and GET / with a pointer to it), one request per connection. Runs on
// the daemon's io_context thread, so rendering reads the resources without locks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace tandem::engine {

class metrics_listener {
 public:
  using render_function = std::function<std::string()>;
  // Binds address:port (port 0 = any free port); throws std::runtime_error naming the address.
  metrics_listener(boost::asio::io_context& io, const std::string& address, std::uint16_t port,
                   render_function render);
  ~metrics_listener();
  metrics_listener(const metrics_listener&) = delete;
  metrics_listener& operator=(const metrics_listener&) = delete;

  std::uint16_t port() const;
  void stop();

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
  std::uint16_t port_ = 0;
};

// The answer to one request head ("GET /metrics HTTP/1.1\r\n..."), as full HTTP response text.
// Public for the tests.
std::string metrics_http_response(const std::string& request_head,
                                  const metrics_listener::render_function& render);

}  // namespace tandem::engine
