#include "engine/satellite/satellite_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "engine/satellite/desired_state_codec.h"
#include "engine/satellite/desired_state_tracker.h"

namespace tandem::satellite {

namespace asio = boost::asio;
using asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxLineBytes = 16u << 20;
constexpr auto kPollInterval = std::chrono::milliseconds(500);
constexpr auto kStatusAtLeastEvery = std::chrono::seconds(10);
// A state applied with errors is applied again until it converges, after 3 s, then twice as long
// each time up to a minute: some errors pass by themselves (a resize waits for every node's grown
// device, a peer's tandemd is restarting), others need the operator and should not flood the log.
constexpr auto kFirstRetry = std::chrono::seconds(3);
constexpr auto kLongestRetry = std::chrono::seconds(60);
constexpr const char* kSoftware = "tandem-satellite 0.1.0";

std::mutex log_mutex;

void log(const std::string& line) {
  const std::lock_guard lock(log_mutex);
  std::cerr << "tandem-satellite: " << line << std::endl;
}

std::string lower(std::string text) {
  for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text;
}

}  // namespace

listen_config parse_listen(const std::string& text) {
  listen_config out;
  std::string address = text;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) throw std::runtime_error("listen address '" + text + "': missing ']'");
    address = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') throw std::runtime_error("listen address '" + text + "': expected ':' after ']'");
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    address = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  boost::system::error_code ec;
  asio::ip::make_address(address, ec);
  if (ec) throw std::runtime_error("listen address '" + text + "': '" + address + "' is not an IP address");
  out.address = address;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) == 0 || std::stoul(port) > 65535) {
      throw std::runtime_error("listen address '" + text + "': port '" + port + "' is not 1..65535");
    }
    out.port = static_cast<std::uint16_t>(std::stoul(port));
  }
  return out;
}

class satellite_server::impl {
 public:
  impl(asio::io_context& io, satellite_config config, listen_config listen,
       storage::command_runner& runner)
      : io_(io),
        node_name_(config.node_name),
        listen_(std::move(listen)),
        acceptor_(io),
        converger_(std::move(config), runner) {}

  ~impl() { stop(); }

  void start() {
    boost::system::error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address(listen_.address), listen_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + listen_.address + ":" +
                               std::to_string(listen_.port) + ": " + ec.message());
    }
    log("node '" + node_name_ + "' listening on " + listen_.address + ":" +
        std::to_string(listen_.port));
    accept();
    worker_ = std::thread([this] { work(); });
  }

  void stop() {
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (session_) session_->close();
    if (worker_.joinable()) worker_.join();
  }

 private:
  // One controller connection.
  struct session : std::enable_shared_from_this<session> {
    session(impl& server, tcp::socket connection)
        : owner(server), socket(std::move(connection)), input(kMaxLineBytes) {}

    void start() {
      send({{"type", "hello"},
            {"protocol_version", kProtocolVersion},
            {"role", "satellite"},
            {"node_name", owner.node_name_},
            {"software", kSoftware}});
      read();
    }

    void read() {
      asio::async_read_until(socket, input, '\n',
                             [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                               if (ec) {
                                 if (ec == asio::error::not_found) {
                                   self->refuse("PROTOCOL_ERROR", "line longer than 16 MiB");
                                 } else {
                                   self->close();
                                 }
                                 return;
                               }
                               std::string line(asio::buffers_begin(self->input.data()),
                                                asio::buffers_begin(self->input.data()) + n - 1);
                               self->input.consume(n);
                               if (self->handle(line)) self->read();
                             });
    }

    // Returns false when the connection is closed.
    bool handle(const std::string& line) {
      json message;
      try {
        message = json::parse(line);
      } catch (const json::exception&) {
        return refuse("PROTOCOL_ERROR", "a line is not JSON");
      }
      if (!message.is_object() || !message.contains("type") || !message["type"].is_string()) {
        return refuse("PROTOCOL_ERROR", "a message is not a JSON object with a string \"type\"");
      }
      const std::string type = message["type"].get<std::string>();
      if (type == "hello") {
        const json version = message.value("protocol_version", json());
        if (!version.is_number_integer() || version.get<int>() != kProtocolVersion) {
          return refuse("VERSION_MISMATCH", "this satellite speaks protocol version " +
                                                std::to_string(kProtocolVersion) + ", not " +
                                                version.dump());
        }
        const std::string name = message.value("node_name", std::string());
        if (lower(name) != lower(owner.node_name_)) {
          return refuse("HOSTNAME_MISMATCH", "this satellite is node '" + owner.node_name_ +
                                                 "', the controller asked for '" + name + "'");
        }
        hello_received = true;
        log("controller connected (" + message.value("software", std::string("?")) + ")");
        if (!owner.last_status_.empty()) send_text(owner.last_status_);
        return true;
      }
      if (type == "ping") {
        send({{"type", "pong"}, {"seq", message.value("seq", json(0))}});
        return true;
      }
      if (type == "desired_state" || type == "desired_state_delta") {
        if (!hello_received) return refuse("PROTOCOL_ERROR", type + " before hello");
        auto outcome = states.accept(message);
        std::visit([this](auto& what) { act_on(what); }, outcome);
        return true;
      }
      return true;  // unknown types are ignored (forward compatibility)
    }

    void act_on(desired_state_tracker::converge& outcome) {
      owner.hand_to_worker(std::move(outcome.state));
    }

    void act_on(const desired_state_tracker::refuse& outcome) {
      log("desired state refused: " + outcome.why);
      send({{"type", "applied"},
            {"generation", outcome.generation},
            {"ok", false},
            {"errors", json::array({{{"resource", ""}, {"message", outcome.why}}})}});
    }

    void act_on(const desired_state_tracker::ask_for_full_state& outcome) {
      log("asking the controller for a full state: " + outcome.why);
      send({{"type", "resync_request"},
            {"generation", outcome.generation},
            {"reason", outcome.why}});
    }

    void act_on(const desired_state_tracker::wait_for_full_state&) {}

    bool refuse(const std::string& code, const std::string& why) {
      log("closing the controller connection: " + code + ": " + why);
      send({{"type", "error"}, {"code", code}, {"message", why}});
      closing = true;  // closes once the error is written
      return false;
    }

    void send(const json& message) { send_text(message.dump()); }

    void send_text(const std::string& text) {
      if (closed) return;
      output.push_back(text + "\n");
      if (output.size() == 1) write_next();
    }

    void write_next() {
      asio::async_write(socket, asio::buffer(output.front()),
                        [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                          if (ec) return self->close();
                          self->output.pop_front();
                          if (!self->output.empty()) return self->write_next();
                          if (self->closing) self->close();
                        });
    }

    void close() {
      if (closed) return;
      closed = true;
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
      if (owner.session_.get() == this) owner.session_.reset();
    }

    impl& owner;
    tcp::socket socket;
    asio::streambuf input;
    std::deque<std::string> output;
    desired_state_tracker states;  // this connection's copy of the controller's state
    bool hello_received = false;
    bool closing = false;
    bool closed = false;
  };

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted) log("accept failed: " + ec.message());
        if (acceptor_.is_open()) accept();
        return;
      }
      if (session_) {
        log("a new controller connection replaces the old one");
        session_->close();
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      session_ = std::make_shared<session>(*this, std::move(socket));
      session_->start();
      accept();
    });
  }

  // Called on the io thread; a newer state replaces one the worker has not started yet.
  void hand_to_worker(decoded_state state) {
    {
      const std::lock_guard lock(mutex_);
      pending_ = std::move(state);
    }
    wake_.notify_all();
  }

  // Runs on the io thread.
  void deliver(const json& message) {
    std::string text = message.dump();
    if (message.value("type", std::string()) == "status") last_status_ = text;
    if (session_ && session_->hello_received) session_->send_text(text);
  }

  void post(json message) {
    asio::post(io_, [this, message = std::move(message)] { deliver(message); });
  }

  void work() {
    auto last_sent = std::chrono::steady_clock::now() - kStatusAtLeastEvery;
    auto last_storage_refresh = last_sent;
    json last_status;
    std::optional<decoded_state> failed;  // the last state applied with errors
    auto last_apply = last_sent;
    std::chrono::steady_clock::duration retry_after = kFirstRetry;
    for (;;) {
      std::optional<decoded_state> next;
      {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, kPollInterval, [this] { return stopping_ || pending_.has_value(); });
        if (stopping_) return;
        next.swap(pending_);
      }
      const auto now = std::chrono::steady_clock::now();
      const bool retry = !next && failed && now - last_apply >= retry_after;
      if (retry) next = failed;
      bool refresh_storage = now - last_storage_refresh >= kStatusAtLeastEvery;
      if (next) {
        const auto errors = converger_.apply(next->state);
        last_apply = now;
        retry_after = retry ? std::min<std::chrono::steady_clock::duration>(2 * retry_after,
                                                                            kLongestRetry)
                            : kFirstRetry;
        if (errors.empty()) {
          failed.reset();
        } else {
          failed = next;
        }
        for (const std::string& line : converger_.take_log()) log(line);
        json list = json::array();
        for (const convergence_error& e : errors) {
          log("generation " + std::to_string(next->generation) + ": " +
              (e.resource.empty() ? "" : e.resource + ": ") + e.message);
          json item{{"resource", e.resource}, {"message", e.message}};
          if (e.volume >= 0) item["volume"] = e.volume;
          list.push_back(item);
        }
        post({{"type", "applied"},
              {"generation", next->generation},
              {"ok", errors.empty()},
              {"errors", list}});
        refresh_storage = true;
      }
      if (refresh_storage) last_storage_refresh = now;
      json status = converger_.status(refresh_storage);
      if (status != last_status || next || now - last_sent >= kStatusAtLeastEvery) {
        last_status = status;
        last_sent = now;
        post(std::move(status));
      }
    }
  }

  asio::io_context& io_;
  std::string node_name_;
  listen_config listen_;
  tcp::acceptor acceptor_;
  std::shared_ptr<session> session_;  // io thread only
  std::string last_status_;           // io thread only: sent right after a new hello
  converger converger_;               // worker thread only
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<decoded_state> pending_;
  bool stopping_ = false;
};

satellite_server::satellite_server(asio::io_context& io, satellite_config config,
                                   listen_config listen, storage::command_runner& runner)
    : impl_(std::make_unique<impl>(io, std::move(config), std::move(listen), runner)) {}
satellite_server::~satellite_server() = default;
void satellite_server::start() { impl_->start(); }
void satellite_server::stop() { impl_->stop(); }

}  // namespace tandem::satellite
