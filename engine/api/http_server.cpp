#include "engine/api/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <iostream>
#include <optional>
#include <utility>

#include "engine/api/json_views.h"

namespace tandem::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Requests larger than this are refused (the biggest legitimate body is a resource list).
constexpr std::uint64_t kMaxBodyBytes = 8ULL << 20;

std::string percent_decode(const std::string& in, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (in[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return out;
}

// Open connections beyond this are closed right away: clients are a CLI, a few plugins and
// dashboards, and every session holds a buffer.
constexpr std::size_t kMaxSessions = 1024;

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, request_handler& handler, std::shared_ptr<std::size_t> open)
      : stream_(std::move(socket)), handler_(handler), open_(std::move(open)) {
    ++*open_;
  }
  ~session() { --*open_; }

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(std::chrono::seconds(300));  // idle keep-alive connections close
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
          ec != asio::error::connection_reset && ec != asio::error::eof) {
        // A malformed request gets an answer before the connection closes.
        http_response bad;
        bad.status = 400;
        bad.body = to_json({cluster::error_rc(cluster::rc::kApiCallParseError,
                                              "Malformed HTTP request: " + ec.message())})
                       .dump();
        respond(std::move(bad), false);
        return;
      }
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    auto& req = parser_->get();
    http_request request;
    request.method = std::string(req.method_string());
    split_target(std::string(req.target()), request.path, request.query);
    request.body = req.body();
    http_response response;
    try {
      response = handler_(request);
    } catch (const std::exception& e) {
      response.status = 500;
      response.body = response_text(to_json({cluster::error_rc(
          cluster::rc::kFailUnknownError, std::string("Internal error: ") + e.what())}));
      std::cerr << "tandem-controller: request " << request.method << " " << request.path
                << " failed: " << e.what() << "\n";
    }
    respond(std::move(response), req.keep_alive());
  }

  // By value: a large body (a view of thousands of resources) is moved, not copied, into Beast's.
  void respond(http_response response, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(response.status));
    res->set(http::field::server, "tandem-controller");
    if (!response.body.empty() || response.content_type == "application/json") {
      res->set(http::field::content_type, response.content_type);
    }
    for (const auto& [k, v] : response.headers) res->set(k, v);
    res->keep_alive(keep_alive);
    res->body() = std::move(response.body);
    res->prepare_payload();
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) {
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            return;
          }
          self->read();
        });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  request_handler& handler_;
  std::shared_ptr<std::size_t> open_;  // sessions alive, shared with the acceptor
};

}  // namespace

void split_target(const std::string& target, std::string& path,
                  std::multimap<std::string, std::string>& query) {
  const auto q = target.find('?');
  path = percent_decode(target.substr(0, q), false);
  query.clear();
  if (q == std::string::npos) return;
  const std::string rest = target.substr(q + 1);
  std::size_t start = 0;
  while (start <= rest.size()) {
    const std::size_t amp = rest.find('&', start);
    const std::string pair =
        rest.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      query.emplace(percent_decode(pair.substr(0, eq), true),
                    eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1), true));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
}

struct http_server::impl : std::enable_shared_from_this<http_server::impl> {
  impl(asio::io_context& io, request_handler h) : acceptor(io), handler(std::move(h)) {}
  tcp::acceptor acceptor;
  request_handler handler;
  std::shared_ptr<std::size_t> open_sessions = std::make_shared<std::size_t>(0);

  void accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec && *self->open_sessions >= kMaxSessions) {
        beast::error_code ignored;
        socket.close(ignored);
      } else if (!ec) {
        std::make_shared<session>(std::move(socket), self->handler, self->open_sessions)->start();
      }
      self->accept();
    });
  }
};

http_server::http_server(asio::io_context& io, const std::string& address, unsigned short port,
                         request_handler handler)
    : impl_(std::make_shared<impl>(io, std::move(handler))) {
  beast::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) throw std::runtime_error("REST listen address '" + address + "' is not an IP address");
  const tcp::endpoint endpoint(ip, port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) + ": " +
                             ec.message());
  }
  impl_->accept();
}

http_server::~http_server() {
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

unsigned short http_server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

}  // namespace tandem::api
