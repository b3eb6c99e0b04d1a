#include "engine/daemon/metrics_listener.h"

#include <boost/asio.hpp>
#include <stdexcept>

#include "engine/metrics/exposition.h"

namespace tandem::engine {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A request head larger than this is not a scraper's: answer 431 and close.
constexpr std::size_t kMaxRequestHeadBytes = 8 * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(10);

std::string response(int status, const char* reason, const std::string& content_type,
                     const std::string& body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  out += "Content-Type: " + content_type + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += body;
  return out;
}

}  // namespace

std::string metrics_http_response(const std::string& request_head,
                                  const metrics_listener::render_function& render) {
  const auto line_end = request_head.find("\r\n");
  const std::string line = request_head.substr(0, line_end);
  const auto first_space = line.find(' ');
  const auto second_space =
      first_space == std::string::npos ? std::string::npos : line.find(' ', first_space + 1);
  if (second_space == std::string::npos || line.compare(second_space + 1, 5, "HTTP/") != 0) {
    return response(400, "Bad Request", "text/plain", "not an HTTP request line\n");
  }
  const std::string method = line.substr(0, first_space);
  std::string target = line.substr(first_space + 1, second_space - first_space - 1);
  if (const auto query = target.find('?'); query != std::string::npos) target.resize(query);
  if (method != "GET" && method != "HEAD") {
    return response(405, "Method Not Allowed", "text/plain", "only GET\n");
  }
  std::string result;
  if (target == "/metrics") {
    result = response(200, "OK", metrics::kContentType, render());
  } else if (target == "/") {
    result = response(200, "OK", "text/plain", "tandemd: Prometheus metrics at /metrics\n");
  } else {
    result = response(404, "Not Found", "text/plain", "no " + target + " here; try /metrics\n");
  }
  if (method == "HEAD") result.resize(result.find("\r\n\r\n") + 4);
  return result;
}

struct metrics_listener::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& io_, render_function render_) : io(io_), acceptor(io_), render(render_) {}

  struct connection {
    explicit connection(asio::io_context& io_, tcp::socket s) : socket(std::move(s)), timer(io_) {}
    tcp::socket socket;
    asio::steady_timer timer;
    asio::streambuf input{kMaxRequestHeadBytes};
    std::string output;
  };

  void accept() {
    acceptor.async_accept([self = shared_from_this()](boost::system::error_code ec,
                                                      tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) self->serve(std::make_shared<connection>(self->io, std::move(socket)));
      self->accept();
    });
  }

  void serve(const std::shared_ptr<connection>& c) {
    // A client that never finishes its request is hung up on.
    c->timer.expires_after(kRequestTimeout);
    c->timer.async_wait([c](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ignored;
        c->socket.close(ignored);
      }
    });
    asio::async_read_until(
        c->socket, c->input, "\r\n\r\n",
        [self = shared_from_this(), c](boost::system::error_code ec, std::size_t n) {
          if (ec == asio::error::not_found) {
            c->output = response(431, "Request Header Fields Too Large", "text/plain",
                                 "request head over 8 KiB\n");
          } else if (ec) {
            c->timer.cancel();
            return;
          } else {
            const std::string head(asio::buffers_begin(c->input.data()),
                                   asio::buffers_begin(c->input.data()) + static_cast<long>(n));
            c->output = metrics_http_response(head, self->render);
          }
          asio::async_write(c->socket, asio::buffer(c->output),
                            [c](boost::system::error_code, std::size_t) {
                              boost::system::error_code ignored;
                              c->socket.shutdown(tcp::socket::shutdown_both, ignored);
                              c->socket.close(ignored);
                              c->timer.cancel();
                            });
        });
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  render_function render;
};

metrics_listener::metrics_listener(asio::io_context& io, const std::string& address,
                                   std::uint16_t port, render_function render)
    : impl_(std::make_shared<impl>(io, std::move(render))) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) throw std::runtime_error("--metrics-listen: '" + address + "' is not an IP address");
  const tcp::endpoint endpoint(ip, port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen for metrics on " + address + ":" +
                             std::to_string(port) + ": " + ec.message());
  }
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept();
}

metrics_listener::~metrics_listener() { stop(); }

std::uint16_t metrics_listener::port() const { return port_; }

void metrics_listener::stop() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace tandem::engine
