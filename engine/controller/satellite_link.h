// One controller -> satellite connection (docs/satellite-protocol.md): connect to the node's
// address, hello, push the desired state whenever it changes (whole after the hello, deltas
// after that: desired_state_sender), read hello/applied/status/resync_request lines, reconnect
// with backoff (0.5 s doubling to 10 s) when anything fails.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/cluster/desired_state.h"
#include "core/cluster/model.h"
#include "engine/controller/desired_state_sender.h"

namespace tandem::controller {

class controller;

class satellite_link : public std::enable_shared_from_this<satellite_link> {
 public:
  satellite_link(boost::asio::io_context& io, controller& owner, std::string node_name,
                 std::string address, std::uint16_t port);
  void start();
  void stop();
  // The node's desired state as of now: what changed is sent now if the satellite is online,
  // the whole state right after its next hello otherwise. An unchanged state sends nothing.
  void push_state(cluster::node_desired_state state);
  const std::string& address() const { return address_; }
  std::uint16_t port() const { return port_; }

 private:
  void connect();
  void on_connected();
  void read_line();
  void handle_line(const std::string& line);
  void send(std::string line);
  void write_next();
  // Closes the connection, shows the node as `status` and reconnects after the backoff.
  void fail(const std::string& why,
            cluster::connection_status status = cluster::connection_status::offline);
  void send_error_now(const std::string& code, const std::string& message);
  void send_if_any(std::string line);
  void schedule_ping();  // ping every 5 s; no line for 20 s -> reconnect

  boost::asio::io_context& io_;
  controller& owner_;
  std::string node_name_;
  std::string address_;
  std::uint16_t port_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer retry_;
  boost::asio::steady_timer ping_;
  std::chrono::steady_clock::time_point last_rx_;
  std::uint64_t ping_seq_ = 0;
  boost::asio::streambuf input_;
  std::deque<std::string> output_;
  desired_state_sender states_;
  std::uint32_t backoff_ms_ = 500;
  std::uint64_t epoch_ = 0;  // bumps on every (re)connect; stale callbacks compare it
  bool connected_ = false;
  bool hello_received_ = false;
  bool stopped_ = false;
};

}  // namespace tandem::controller
