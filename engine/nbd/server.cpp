#include "engine/nbd/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>

#include "engine/nbd/connection.h"

namespace tandem::nbd {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using tcp = asio::ip::tcp;
using local_stream = asio::local::stream_protocol;

namespace {

void log_to_stderr(log_level level, std::string_view line) {
  if (level == log_level::warning || level == log_level::error) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  }
}

std::string check_config(const server_config& config) {
  if (config.tcp_address.empty() && config.unix_socket_path.empty()) {
    return "nbd: neither a TCP address nor a unix socket path is configured";
  }
  if (config.max_request_bytes < kPreferredBlockBytes ||
      config.max_request_bytes % kMinimumBlockBytes != 0) {
    return "nbd: max_request_bytes " + std::to_string(config.max_request_bytes) +
           " must be a multiple of 512 and at least 4096";
  }
  if (config.max_inflight_bytes_per_client < config.max_request_bytes) {
    return "nbd: max_inflight_bytes_per_client " +
           std::to_string(config.max_inflight_bytes_per_client) +
           " is smaller than max_request_bytes " + std::to_string(config.max_request_bytes);
  }
  if (config.max_inflight_requests_per_client == 0 || config.max_clients == 0) {
    return "nbd: max_inflight_requests_per_client and max_clients must be at least 1";
  }
  return {};
}

}  // namespace

class nbd_server::impl : public std::enable_shared_from_this<impl> {
 public:
  impl(asio::io_context& io, block_backend& backend, server_config config)
      : io_(io),
        backend_(backend),
        config_(std::make_shared<server_config>(std::move(config))),
        accept_retry_timer_(io) {
    if (!config_->log) config_->log = log_to_stderr;
  }

  std::string start();
  void stop();
  std::uint16_t tcp_port() const { return tcp_port_; }
  std::size_t client_count() const { return connections_.size(); }

 private:
  std::string listen_tcp();
  std::string listen_unix();
  void accept_tcp();
  void accept_unix();
  void adopt(stream_socket socket, std::string peer);
  void retry_later(std::function<void()> accept_again);
  void enable_keepalive(tcp::socket& peer);

  asio::io_context& io_;
  block_backend& backend_;
  std::shared_ptr<server_config> config_;
  // After a failed accept (EMFILE...) the next one waits a little instead of spinning.
  asio::steady_timer accept_retry_timer_;
  std::optional<tcp::acceptor> tcp_acceptor_;
  std::optional<local_stream::acceptor> unix_acceptor_;
  std::uint16_t tcp_port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  std::uint64_t next_unix_client_ = 1;
  std::map<connection*, std::shared_ptr<connection>> connections_;
};

std::string nbd_server::impl::start() {
  if (started_) return "nbd: server already started";
  if (auto problem = check_config(*config_); !problem.empty()) return problem;
  started_ = true;
  if (!config_->tcp_address.empty()) {
    if (auto problem = listen_tcp(); !problem.empty()) return problem;
  }
  if (!config_->unix_socket_path.empty()) {
    if (auto problem = listen_unix(); !problem.empty()) {
      stop();
      return problem;
    }
  }
  return {};
}

std::string nbd_server::impl::listen_tcp() {
  error_code ec;
  const auto address = asio::ip::make_address(config_->tcp_address, ec);
  const std::string where = config_->tcp_address + ":" + std::to_string(config_->tcp_port);
  if (ec) return "nbd: tcp address '" + config_->tcp_address + "' is not an IP address";
  const tcp::endpoint endpoint(address, config_->tcp_port);
  tcp::acceptor acceptor(io_);
  if (acceptor.open(endpoint.protocol(), ec); ec)
    return "nbd: socket " + where + ": " + ec.message();
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) return "nbd: bind " + where + ": " + ec.message();
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return "nbd: listen " + where + ": " + ec.message();
  }
  tcp_port_ = acceptor.local_endpoint().port();
  tcp_acceptor_.emplace(std::move(acceptor));
  config_->log(log_level::info,
               "nbd: listening on " + config_->tcp_address + ":" + std::to_string(tcp_port_));
  accept_tcp();
  return {};
}

std::string nbd_server::impl::listen_unix() {
  const std::string& path = config_->unix_socket_path;
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return "nbd: unix socket path '" + path + "' is longer than " +
           std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes";
  }
  // A socket file left behind by a previous run would make bind fail; anything else at that path
  // is somebody's file and stays untouched.
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return "nbd: unix socket path '" + path + "' exists and is not a socket";
    }
    if (::unlink(path.c_str()) != 0) {
      return "nbd: cannot remove old unix socket '" + path + "': " + std::strerror(errno);
    }
  }
  error_code ec;
  local_stream::acceptor acceptor(io_);
  const local_stream::endpoint endpoint(path);
  if (acceptor.open(endpoint.protocol(), ec); ec)
    return "nbd: socket " + path + ": " + ec.message();
  if (acceptor.bind(endpoint, ec); ec) return "nbd: bind " + path + ": " + ec.message();
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return "nbd: listen " + path + ": " + ec.message();
  }
  unix_acceptor_.emplace(std::move(acceptor));
  config_->log(log_level::info, "nbd: listening on unix:" + path);
  accept_unix();
  return {};
}

void nbd_server::impl::accept_tcp() {
  tcp_acceptor_->async_accept([self = shared_from_this()](const error_code& ec, tcp::socket peer) {
    if (self->stopped_) return;
    if (ec) {
      // Out of descriptors and the like: log and keep accepting; the listener itself is fine.
      self->config_->log(log_level::warning, "nbd: accept failed: " + ec.message());
      return self->retry_later([self] { self->accept_tcp(); });
    }
    error_code ignored;
    peer.set_option(tcp::no_delay(true), ignored);  // replies are small and latency-bound
    self->enable_keepalive(peer);
    const auto remote = peer.remote_endpoint(ignored);
    std::string name = remote.address().to_string() + ":" + std::to_string(remote.port());
    self->adopt(stream_socket(std::move(peer)), std::move(name));
    self->accept_tcp();
  });
}

void nbd_server::impl::accept_unix() {
  unix_acceptor_->async_accept(
      [self = shared_from_this()](const error_code& ec, local_stream::socket peer) {
        if (self->stopped_) return;
        if (ec) {
          self->config_->log(log_level::warning, "nbd: accept failed: " + ec.message());
          return self->retry_later([self] { self->accept_unix(); });
        }
        std::string name = "unix#" + std::to_string(self->next_unix_client_++);
        self->adopt(stream_socket(std::move(peer)), std::move(name));
        self->accept_unix();
      });
}

void nbd_server::impl::enable_keepalive(tcp::socket& peer) {
  const int idle_s = static_cast<int>(config_->tcp_keepalive_idle_s);
  if (idle_s == 0) return;
  constexpr int kProbeInterval_s = 10;
  constexpr int kProbes = 3;
  error_code ignored;
  peer.set_option(asio::socket_base::keep_alive(true), ignored);
  const int fd = peer.native_handle();
  // Best effort: without them the kernel's defaults (2 hours) apply, which is still correct.
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kProbeInterval_s, sizeof kProbeInterval_s);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kProbes, sizeof kProbes);
}

void nbd_server::impl::retry_later(std::function<void()> accept_again) {
  accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
  accept_retry_timer_.async_wait(
      [self = shared_from_this(), accept_again = std::move(accept_again)](const error_code& ec) {
        if (!ec && !self->stopped_) accept_again();
      });
}

void nbd_server::impl::adopt(stream_socket socket, std::string peer) {
  if (connections_.size() >= config_->max_clients) {
    config_->log(log_level::warning, "nbd: client " + peer + ": refused, already " +
                                         std::to_string(connections_.size()) + " clients");
    error_code ignored;
    socket.close(ignored);
    return;
  }
  connection::context ctx{backend_, config_, config_->log,
                          [weak = weak_from_this()](connection* finished) {
                            if (auto self = weak.lock()) self->connections_.erase(finished);
                          }};
  auto client = std::make_shared<connection>(std::move(socket), std::move(peer), std::move(ctx));
  connections_.emplace(client.get(), client);
  client->start();
}

void nbd_server::impl::stop() {
  if (stopped_) return;
  stopped_ = true;
  error_code ignored;
  accept_retry_timer_.cancel();
  if (tcp_acceptor_) tcp_acceptor_->close(ignored);
  if (unix_acceptor_) {
    unix_acceptor_->close(ignored);
    ::unlink(config_->unix_socket_path.c_str());
  }
  // shutdown() may finish a connection at once, which erases it from connections_.
  auto clients = connections_;
  for (auto& [key, client] : clients) client->shutdown("server stopping");
  config_->log(log_level::info, "nbd: stopped");
}

nbd_server::nbd_server(asio::io_context& io, block_backend& backend, server_config config)
    : impl_(std::make_shared<impl>(io, backend, std::move(config))) {}

nbd_server::~nbd_server() {
  impl_->stop();
}

std::string nbd_server::start() {
  return impl_->start();
}
void nbd_server::stop() {
  impl_->stop();
}
std::uint16_t nbd_server::tcp_port() const {
  return impl_->tcp_port();
}
std::size_t nbd_server::client_count() const {
  return impl_->client_count();
}

}  // namespace tandem::nbd
