#include "engine/cli/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <optional>

namespace tandem::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Boost's messages start upper case ("Connection refused"); ours continue a sentence.
std::string lower_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

bool is_timeout(const beast::error_code& ec) {
  return ec == beast::error::timeout;
}

std::optional<http::verb> verb_of(std::string_view method) {
  if (method == "GET") return http::verb::get;
  if (method == "POST") return http::verb::post;
  if (method == "PUT") return http::verb::put;
  if (method == "DELETE") return http::verb::delete_;
  if (method == "PATCH") return http::verb::patch;
  return std::nullopt;
}

}  // namespace

struct http_client::impl {
  std::vector<controller_address> controllers;
  http_timeouts timeouts;
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::size_t connected_index = 0;
  std::size_t last_tried_index = 0;

  // Runs the io_context until the started operation completes. The tcp_stream's own timer
  // (expires_after) bounds every operation, so this always returns.
  void run() {
    io.restart();
    io.run();
  }

  // Connects to the first reachable controller; on failure returns the combined reason.
  http_result connect() {
    std::string reasons;
    http_error_kind kind = http_error_kind::unreachable;
    bool all_timeouts = true;
    for (std::size_t i = 0; i < controllers.size(); ++i) {
      const auto& address = controllers[i];
      last_tried_index = i;
      beast::error_code ec;
      tcp::resolver resolver(io);
      const auto endpoints = resolver.resolve(address.host, std::to_string(address.port), ec);
      if (!ec) {
        stream.emplace(io);
        stream->expires_after(timeouts.connect_ms);
        stream->async_connect(endpoints,
                              [&](const beast::error_code& e, const tcp::endpoint&) { ec = e; });
        run();
        if (!ec) {
          connected_index = i;
          buffer.clear();
          return {};
        }
        stream.reset();
      }
      std::string reason =
          is_timeout(ec) ? "no answer within " + std::to_string(timeouts.connect_ms.count()) + " ms"
                         : lower_first(ec.message());
      all_timeouts = all_timeouts && is_timeout(ec);
      if (!reasons.empty()) reasons += "; ";
      reasons += controllers.size() == 1 ? reason : address.display() + ": " + reason;
    }
    if (all_timeouts) kind = http_error_kind::timeout;
    http_result result;
    result.error = kind;
    result.error_message =
        controllers.size() == 1
            ? "cannot reach controller at " + controllers[0].display() + ": " + reasons
            : "cannot reach any controller (" + reasons + ")";
    return result;
  }

  // True when the peer has closed the open connection (a zero-byte peek that does not block).
  bool peer_closed() {
    auto& socket = stream->socket();
    beast::error_code ec;
    socket.non_blocking(true, ec);
    if (ec) return true;
    char byte = 0;
    const std::size_t n = socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    beast::error_code ignored;
    socket.non_blocking(false, ignored);
    if (ec == asio::error::would_block) return false;
    // Data before a request is a protocol error too; start over on a fresh connection.
    return ec || n > 0;
  }

  // One exchange on the open stream. received_any tells the caller whether the controller
  // answered at all (a kept-alive connection the controller closed answers nothing).
  beast::error_code exchange(const http::request<http::string_body>& request,
                             http::response<http::string_body>& response, bool& received_any) {
    beast::error_code ec;
    received_any = false;
    stream->expires_after(timeouts.request_ms);
    http::async_write(*stream, request, [&](const beast::error_code& e, std::size_t) { ec = e; });
    run();
    if (ec) return ec;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256ull * 1024 * 1024);  // a big cluster's resource view, still bounded
    http::async_read(*stream, buffer, parser, [&](const beast::error_code& e, std::size_t n) {
      ec = e;
      received_any = n > 0;
    });
    run();
    if (!ec) response = parser.release();
    return ec;
  }
};

http_client::http_client(std::vector<controller_address> controllers, http_timeouts timeouts)
    : impl_(std::make_unique<impl>()) {
  impl_->controllers = std::move(controllers);
  impl_->timeouts = timeouts;
}

http_client::~http_client() {
  if (impl_->stream) {
    beast::error_code ignored;
    impl_->stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
}

std::string http_client::current_controller() const {
  const std::size_t index = impl_->stream ? impl_->connected_index : impl_->last_tried_index;
  return impl_->controllers.at(index).display();
}

http_result http_client::request(std::string_view method, std::string_view target,
                                 const std::string& body) {
  const auto verb = verb_of(method);
  if (!verb) {
    return {http_error_kind::protocol, "unsupported HTTP method '" + std::string(method) + "'", {}};
  }
  // A kept-alive connection the controller has closed meanwhile is replaced before sending.
  if (impl_->stream && impl_->peer_closed()) impl_->stream.reset();
  // Two attempts at most: the second only for idempotent methods, when a kept-alive
  // connection failed before the controller answered anything (closed in a race with the
  // check above). A POST is never sent twice: it may have been applied.
  const bool idempotent = *verb != http::verb::post && *verb != http::verb::patch;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = impl_->stream.has_value();
    if (!reused) {
      auto connected = impl_->connect();
      if (!connected.ok()) return connected;
    }
    const auto& address = impl_->controllers[impl_->connected_index];
    http::request<http::string_body> request{*verb, std::string(target), 11};
    request.set(http::field::host, address.display());
    request.set(http::field::user_agent, "tandem-cli/0.1");
    request.set(http::field::accept, "application/json");
    request.keep_alive(true);
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
    }
    request.prepare_payload();

    http::response<http::string_body> response;
    bool received_any = false;
    const beast::error_code ec = impl_->exchange(request, response, received_any);
    if (ec) {
      impl_->stream.reset();
      if (idempotent && reused && !received_any && !is_timeout(ec)) continue;
      http_result failed;
      failed.error = is_timeout(ec) ? http_error_kind::timeout : http_error_kind::protocol;
      failed.error_message =
          is_timeout(ec) ? "controller at " + address.display() + " did not answer " +
                               std::string(method) + " " + std::string(target) + " within " +
                               std::to_string(impl_->timeouts.request_ms.count()) + " ms"
                         : "lost connection to controller at " + address.display() + " during " +
                               std::string(method) + " " + std::string(target) + ": " +
                               lower_first(ec.message()) +
                               (idempotent ? "" : " (the change may or may not have been applied)");
      return failed;
    }
    http_result result;
    result.response.status = response.result_int();
    result.response.content_type = std::string(response[http::field::content_type]);
    result.response.body = std::move(response.body());
    if (!response.keep_alive()) impl_->stream.reset();
    return result;
  }
  return {http_error_kind::protocol,
          "controller at " + current_controller() + " closed the connection twice",
          {}};
}

}  // namespace tandem::cli
