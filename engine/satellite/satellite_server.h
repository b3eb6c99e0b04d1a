// tandem-satellite's network side (docs/satellite-protocol.md): listens for the controller (one
// connection at a time; a new one replaces the old, so a restarted controller is never locked
// out), exchanges hellos, answers pings, and hands each desired state (a full one, or a delta
// patched onto the connection's copy: desired_state_tracker) to a worker thread that converges
// the node (converger) and reports `applied` and `status` back. The worker polls
// tandemd every 500 ms and sends a status when something changed, and at least every 10 s.
// Losing the controller changes nothing on the node.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/satellite/converger.h"

namespace boost::asio {
class io_context;
}

namespace tandem::satellite {

struct listen_config {
  std::string address = "0.0.0.0";
  std::uint16_t port = 3366;
};

class satellite_server {
 public:
  satellite_server(boost::asio::io_context& io, satellite_config config, listen_config listen,
                   storage::command_runner& runner);
  ~satellite_server();
  satellite_server(const satellite_server&) = delete;
  satellite_server& operator=(const satellite_server&) = delete;

  // Binds and starts the worker; throws std::runtime_error naming the address when it cannot.
  void start();
  void stop();

  class impl;

 private:
  std::unique_ptr<impl> impl_;
};

// "127.0.0.2:3366", "[::1]:3366" or a bare address (port 3366). Throws naming the problem.
listen_config parse_listen(const std::string& text);

}  // namespace tandem::satellite
