// The NBD server: fixed-newstyle handshake and transmission phase (docs/nbd.md) over TCP and/or a
// unix socket, on a caller-provided, single-threaded io_context. Many clients; many requests in
// flight per client, answered in completion order with the client's handle echoed.
//
// Usage (tandemd):
//   nbd::server_config config;  config.tcp_port = 10809;  config.unix_socket_path = "...";
//   nbd::nbd_server server(io, backend, config);
//   if (auto error = server.start(); !error.empty()) ...;
//   io.run();   ...   server.stop();
// The io_context must be run by one thread only; the backend is called on that thread. The
// server must outlive io.run() (or stop() and let the handlers drain before destroying it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/nbd/backend.h"
#include "engine/nbd/frontend.h"

namespace boost::asio {
class io_context;
}

namespace tandem::nbd {

enum class log_level : std::uint8_t { debug, info, warning, error };

// Receives one line per event ("nbd: client 127.0.0.1:40112: request magic 0x12345678 is not
// 0x25609513, disconnecting"). The default writes warnings and errors to stderr.
using log_sink = std::function<void(log_level level, std::string_view line)>;

struct server_config {
  // TCP listener; loopback unless configured (DESIGN.md §6). tcp_port 0 picks a free port (see
  // nbd_server::tcp_port()). Empty address = no TCP listener.
  std::string tcp_address = "127.0.0.1";
  std::uint16_t tcp_port = 10809;
  // Unix socket listener; empty = none. An existing socket file at that path is replaced.
  std::string unix_socket_path;

  std::size_t max_clients = 256;  // further connections are closed right after accept
  // Largest READ/WRITE a client may send (NBD_INFO_BLOCK_SIZE maximum). A WRITE above it is
  // treated as a denial-of-service attempt and disconnects; a READ above it gets EINVAL.
  std::uint32_t max_request_bytes = 32 * 1024 * 1024;
  // Per-client memory bound: payload bytes of requests in flight (write data waiting for the
  // backend, read data waiting to be sent). The server stops reading from a client that reached
  // it until completions bring it down. At least max_request_bytes.
  std::size_t max_inflight_bytes_per_client = 64 * 1024 * 1024;
  std::size_t max_inflight_requests_per_client = 256;
  // A client that has not entered transmission after this long is disconnected.
  std::uint32_t handshake_timeout_ms = 30'000;
  // stop() lets clients in transmission receive the replies of requests already in flight for
  // at most this long before it closes them.
  std::uint32_t stop_drain_timeout_ms = 5'000;
  // TCP keepalive on client connections: a client whose host died is noticed after about
  // idle + 3 x 10 s, so its session closes and a writer's node can demote (auto-promote).
  // 0 = off. Unix socket peers are local and need none.
  std::uint32_t tcp_keepalive_idle_s = 30;

  log_sink log;  // empty = warnings and errors to stderr
};

class nbd_server final : public block_frontend {
 public:
  // backend and io must outlive the server.
  nbd_server(boost::asio::io_context& io, block_backend& backend, server_config config);
  ~nbd_server() override;
  nbd_server(const nbd_server&) = delete;
  nbd_server& operator=(const nbd_server&) = delete;

  std::string start() override;
  void stop() override;
  std::string_view kind() const override { return "nbd"; }

  // The bound TCP port (useful with tcp_port = 0); 0 before start() or without TCP.
  std::uint16_t tcp_port() const;
  // Clients currently connected (handshake or transmission).
  std::size_t client_count() const;

 private:
  class impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace tandem::nbd
