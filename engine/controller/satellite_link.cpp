#include "engine/controller/satellite_link.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "core/cluster/model.h"
#include "engine/controller/controller.h"
#include "engine/controller/satellite_messages.h"

namespace tandem::controller {

namespace asio = boost::asio;
using asio::ip::tcp;
using nlohmann::json;

namespace {
constexpr std::uint32_t kMaxBackoffMs = 10'000;
constexpr std::size_t kMaxLineBytes = 16u << 20;
constexpr auto kPingInterval = std::chrono::seconds(5);
constexpr auto kSilenceLimit = std::chrono::seconds(20);
}  // namespace

satellite_link::satellite_link(asio::io_context& io, controller& owner, std::string node_name,
                               std::string address, std::uint16_t port)
    : io_(io),
      owner_(owner),
      node_name_(std::move(node_name)),
      address_(std::move(address)),
      port_(port),
      socket_(io),
      retry_(io),
      ping_(io),
      input_(kMaxLineBytes) {}

void satellite_link::start() {
  connect();
}

void satellite_link::stop() {
  stopped_ = true;
  ++epoch_;
  retry_.cancel();
  ping_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void satellite_link::connect() {
  if (stopped_) return;
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address_, ec);
  if (ec) {
    fail("address '" + address_ + "' is not an IP address");
    return;
  }
  const std::uint64_t epoch = ++epoch_;
  socket_ = tcp::socket(io_);
  socket_.async_connect(tcp::endpoint(ip, port_),
                        [self = shared_from_this(), epoch](boost::system::error_code error) {
                          if (epoch != self->epoch_) return;
                          if (error) {
                            self->fail("connect to " + self->address_ + ":" +
                                       std::to_string(self->port_) + ": " + error.message());
                            return;
                          }
                          self->on_connected();
                        });
}

void satellite_link::on_connected() {
  connected_ = true;
  hello_received_ = false;
  states_.on_offline();
  output_.clear();
  input_.consume(input_.size());
  owner_.on_satellite_status(node_name_, cluster::connection_status::connected);
  last_rx_ = std::chrono::steady_clock::now();
  send(hello_message(node_name_).dump());
  // The desired state (with the resources' secrets) waits for the satellite's hello: a process
  // that is not this node's satellite never gets it.
  read_line();
  schedule_ping();
}

void satellite_link::schedule_ping() {
  const std::uint64_t epoch = epoch_;
  ping_.expires_after(kPingInterval);
  ping_.async_wait([self = shared_from_this(), epoch](boost::system::error_code ec) {
    if (ec || epoch != self->epoch_) return;
    if (std::chrono::steady_clock::now() - self->last_rx_ > kSilenceLimit) {
      self->fail("no message from the satellite for 20 s");
      return;
    }
    if (self->hello_received_) {
      self->send(json({{"type", "ping"}, {"seq", ++self->ping_seq_}}).dump());
    }
    self->schedule_ping();
  });
}

void satellite_link::read_line() {
  const std::uint64_t epoch = epoch_;
  asio::async_read_until(
      socket_, input_, '\n',
      [self = shared_from_this(), epoch](boost::system::error_code ec, std::size_t bytes) {
        if (epoch != self->epoch_) return;
        if (ec) {
          self->fail(ec == asio::error::not_found ? "line longer than 16 MiB"
                                                  : "read: " + ec.message());
          return;
        }
        std::string line(
            asio::buffers_begin(self->input_.data()),
            asio::buffers_begin(self->input_.data()) + static_cast<std::ptrdiff_t>(bytes - 1));
        self->input_.consume(bytes);
        self->last_rx_ = std::chrono::steady_clock::now();
        self->handle_line(line);
        if (epoch == self->epoch_) self->read_line();
      });
}

void satellite_link::handle_line(const std::string& line) {
  if (line.find_first_not_of(" \r\t") == std::string::npos) return;
  json message;
  try {
    message = json::parse(line);
  } catch (const json::exception& e) {
    fail(std::string("protocol error: line is not JSON: ") + e.what());
    return;
  }
  if (!message.is_object() || !message.contains("type") || !message["type"].is_string()) {
    fail("protocol error: message without a string \"type\"");
    return;
  }
  const std::string type = message["type"].get<std::string>();
  if (type == "hello") {
    const int version = message.value("protocol_version", 0);
    const std::string name = message.value("node_name", std::string());
    if (version != kSatelliteProtocolVersion) {
      send_error_now("VERSION_MISMATCH", "controller speaks protocol " +
                                             std::to_string(kSatelliteProtocolVersion) +
                                             ", satellite " + std::to_string(version));
      fail("satellite speaks protocol version " + std::to_string(version),
           cluster::connection_status::version_mismatch);
      return;
    }
    if (cluster::name_key(name) != cluster::name_key(node_name_)) {
      send_error_now("HOSTNAME_MISMATCH",
                     "expected node '" + node_name_ + "', satellite is '" + name + "'");
      fail("satellite at " + address_ + " calls itself '" + name + "', not '" + node_name_ + "'",
           cluster::connection_status::hostname_mismatch);
      return;
    }
    hello_received_ = true;
    backoff_ms_ = 500;
    owner_.on_satellite_status(node_name_, cluster::connection_status::online);
    send_if_any(states_.on_online());
    return;
  }
  if (type == "resync_request") {
    // The satellite's copy of the state is not what the deltas assume (it could not decode one):
    // a full state puts both sides back on one generation.
    owner_.log(1, "satellite '" + node_name_ + "' asks for a full state: " +
                      message.value("reason", std::string("(no reason given)")));
    send_if_any(states_.on_resync_request());
    return;
  }
  if (type == "status" || type == "applied" || type == "error") {
    owner_.on_satellite_report(node_name_, message);
    return;
  }
  if (type == "ping") {
    send(json({{"type", "pong"}, {"seq", message.value("seq", 0)}}).dump());
  }
  // Unknown types are ignored (forward compatibility).
}

void satellite_link::push_state(cluster::node_desired_state state) {
  send_if_any(states_.update(std::move(state)));
}

void satellite_link::send_if_any(std::string line) {
  if (!line.empty()) send(std::move(line));
}

void satellite_link::send(std::string line) {
  line += '\n';
  output_.push_back(std::move(line));
  if (output_.size() == 1) write_next();
}

void satellite_link::write_next() {
  const std::uint64_t epoch = epoch_;
  asio::async_write(socket_, asio::buffer(output_.front()),
                    [self = shared_from_this(), epoch](boost::system::error_code ec, std::size_t) {
                      if (epoch != self->epoch_) return;
                      if (ec) {
                        self->fail("write: " + ec.message());
                        return;
                      }
                      self->output_.pop_front();
                      if (!self->output_.empty()) self->write_next();
                    });
}

void satellite_link::send_error_now(const std::string& code, const std::string& message) {
  // Written synchronously because the connection closes right after; one short line fits any
  // socket buffer, so this does not block the io thread.
  const std::string line =
      json({{"type", "error"}, {"code", code}, {"message", message}}).dump() + "\n";
  boost::system::error_code ignored;
  asio::write(socket_, asio::buffer(line), ignored);
}

void satellite_link::fail(const std::string& why, cluster::connection_status status) {
  if (stopped_) return;
  const bool was_connected = connected_;
  connected_ = false;
  ++epoch_;
  ping_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  output_.clear();
  states_.on_offline();
  owner_.log(was_connected ? 1 : 3, "satellite '" + node_name_ + "': " + why + "; retrying in " +
                                        std::to_string(backoff_ms_) + " ms");
  owner_.on_satellite_status(node_name_, status);
  retry_.expires_after(std::chrono::milliseconds(backoff_ms_));
  backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
  const std::uint64_t epoch = epoch_;
  retry_.async_wait([self = shared_from_this(), epoch](boost::system::error_code ec) {
    if (ec || epoch != self->epoch_) return;
    self->connect();
  });
}

}  // namespace tandem::controller
