// tandemd's daemon object: the resources that are up, the NBD frontend, and the admin socket that
// tandemadm (and the satellite) talk to.
//
// Admin protocol: a unix stream socket; one JSON object per line in each direction. A request is
// {"command": "...", "resource": "...", ...}; every reply is {"ok": true|false, "message": "...",
// ...}. Commands: up, down, adjust, primary (force), secondary, connect (peer), disconnect (peer),
// status (json), list, inject-fault (volume, fail), events (the connection then streams one
// event object per line). docs/tandemd.md lists them with examples.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace tandem::engine {

struct daemon_config {
  std::string node_name;
  std::string resource_dir = "/etc/tandem/resources.d";
  std::string admin_socket = "/run/tandem/tandemd.sock";
  std::string nbd_tcp_address = "127.0.0.1";  // empty = no TCP listener
  std::uint16_t nbd_tcp_port = 10809;
  std::string nbd_unix_socket;  // empty = none
  bool up_all = false;          // bring up every *.toml of resource_dir at start
  std::string metrics_address;  // Prometheus GET /metrics; empty = off
  std::uint16_t metrics_port = 9942;
};

class daemon {
 public:
  daemon(boost::asio::io_context& io, daemon_config config);
  ~daemon();
  daemon(const daemon&) = delete;
  daemon& operator=(const daemon&) = delete;

  // Binds the admin socket and the NBD listeners, brings resources up (up_all); throws
  // std::runtime_error with a clear message when it cannot.
  void start();
  // Takes every resource down (demoting where possible) and stops listening.
  void stop();

  class impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace tandem::engine
