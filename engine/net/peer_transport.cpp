#include "engine/net/peer_transport.h"

#include <boost/asio.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

#include "engine/net/peer_auth.h"
#include "engine/net/receive_buffer.h"

namespace tandem::engine {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

std::string endpoint_text(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return "?";
  return remote.address().to_string() + ":" + std::to_string(remote.port());
}

}  // namespace

// One TCP connection: authenticating, then carrying frames. Handlers hold a shared_ptr to it; the
// transport may be gone when an aborted handler runs, so every handler checks `dead` first.
struct connection : std::enable_shared_from_this<connection> {
  connection(asio::io_context& io, peer_transport::impl* owner_, bool dialer_)
      : socket(io), keepalive(io), owner(owner_), dialer(dialer_) {}
  tcp::socket socket;
  asio::steady_timer keepalive;
  peer_transport::impl* owner;
  bool dialer;
  bool dead = false;
  bool established = false;
  bool closing = false;  // graceful: close once the queued frames are written
  node_id peer = 0;
  bool identified = false;  // `peer` is known: the dialed node, or the sender of the hello
  // Received bytes not yet dispatched; sized to the traffic, released when idle.
  receive_buffer rx;
  std::vector<std::byte> pending;
  std::vector<std::byte> writing;
  bool write_in_flight = false;
  steady::time_point last_rx = steady::now();
  steady::time_point last_tx = steady::now();
  auth_nonce my_nonce{};
  auth_nonce their_nonce{};
  std::vector<std::uint8_t> auth_buffer;
  std::string remote;
};

class peer_transport::impl {
 public:
  impl(asio::io_context& io_, peer_transport_config config_, peer_transport_callbacks callbacks_)
      : io(io_), config(std::move(config_)), callbacks(std::move(callbacks_)), acceptor(io_) {
    for (const auto& p : config.peers) {
      if (p.node == config.self) continue;
      slots.emplace(p.node, slot{p, asio::steady_timer(io), {}, false, config.connect_backoff_min_ms,
                                 {}});
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(config.listen_address, ec);
    if (ec) {
      throw std::runtime_error("resource " + config.resource + ": listen address '" +
                               config.listen_address + "' is not an IP address");
    }
    const tcp::endpoint where(address, config.listen_port);
    acceptor.open(where.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(where, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("resource " + config.resource + ": cannot listen on " +
                               config.listen_address + ":" + std::to_string(config.listen_port) +
                               ": " + ec.message());
    }
    accept_next();
  }

  struct slot {
    peer_address address;
    asio::steady_timer retry;
    std::shared_ptr<connection> conn;  // established, or being dialed by us
    bool wanted;
    std::uint32_t backoff_ms;
    peer_link_counters counters;
  };

  void log(const std::string& line) {
    if (callbacks.log) callbacks.log("resource " + config.resource + ": " + line);
  }

  bool i_dial(node_id peer) const { return config.self > peer; }

  // ------------------------------------------------------------------------------ accepting
  void accept_next() {
    auto conn = std::make_shared<connection>(io, this, false);
    live.insert(conn);
    acceptor.async_accept(conn->socket, [this, conn](boost::system::error_code ec) {
      if (ec == asio::error::operation_aborted || shut) return;
      if (!ec) {
        conn->remote = endpoint_text(conn->socket);
        conn->socket.set_option(tcp::no_delay(true), ec);
        read_hello(conn);
      }
      accept_next();
    });
  }

  void arm_auth_timeout(const std::shared_ptr<connection>& conn) {
    conn->keepalive.expires_after(std::chrono::milliseconds(config.auth_timeout_ms));
    conn->keepalive.async_wait([this, conn](boost::system::error_code ec) {
      if (ec || conn->dead || conn->established) return;
      fail_auth(conn, "authentication did not finish within " +
                          std::to_string(config.auth_timeout_ms) + " ms");
    });
  }

  void read_hello(const std::shared_ptr<connection>& conn) {
    if (conn->auth_buffer.empty()) arm_auth_timeout(conn);
    const std::size_t have = conn->auth_buffer.size();
    conn->auth_buffer.resize(have + 512);
    conn->socket.async_read_some(
        asio::buffer(conn->auth_buffer.data() + have, 512),
        [this, conn, have](boost::system::error_code ec, std::size_t n) {
          if (conn->dead) return;
          conn->auth_buffer.resize(have + n);
          if (ec) return close_quietly(conn);
          std::string error;
          const auto needed = hello_bytes_needed(conn->auth_buffer, error);
          if (!error.empty()) return fail_auth(conn, error);
          if (!needed || conn->auth_buffer.size() < *needed) {
            if (conn->auth_buffer.size() > 4096) return fail_auth(conn, "oversized hello");
            return read_hello(conn);
          }
          if (conn->auth_buffer.size() > *needed) {
            return fail_auth(conn, "bytes after the hello before the answer");
          }
          auto hello = decode_hello(conn->auth_buffer, error);
          if (!hello) return fail_auth(conn, error);
          answer_hello(conn, *hello);
        });
  }

  void answer_hello(const std::shared_ptr<connection>& conn, const auth_hello& hello) {
    auth_answer answer;
    auto found = slots.find(hello.from_node);
    if (hello.resource != config.resource) {
      answer.status = auth_status::unknown_resource;
    } else if (hello.to_node != config.self || found == slots.end() || i_dial(hello.from_node)) {
      answer.status = auth_status::unknown_node;
    }
    conn->peer = hello.from_node;
    conn->identified = true;
    conn->my_nonce = random_nonce();
    conn->their_nonce = hello.nonce;
    answer.nonce = conn->my_nonce;
    if (answer.status == auth_status::ok) {
      answer.proof = make_proof(config.shared_secret, auth_role::acceptor, config.resource,
                                hello.from_node, config.self, hello.nonce);
    }
    auto bytes = std::make_shared<std::vector<std::uint8_t>>(encode_answer(answer));
    const auth_status status = answer.status;
    asio::async_write(conn->socket, asio::buffer(*bytes),
                      [this, conn, bytes, status, hello](boost::system::error_code ec, std::size_t) {
                        if (conn->dead) return;
                        if (ec) return close_quietly(conn);
                        if (status != auth_status::ok) {
                          return fail_auth(conn, "refused hello from node " +
                                                     std::to_string(hello.from_node) +
                                                     " for resource '" + hello.resource +
                                                     "': " + to_string(status));
                        }
                        read_dialer_proof(conn);
                      });
  }

  void read_dialer_proof(const std::shared_ptr<connection>& conn) {
    conn->auth_buffer.assign(kProofBytes, 0);
    asio::async_read(conn->socket, asio::buffer(conn->auth_buffer),
                     [this, conn](boost::system::error_code ec, std::size_t) {
                       if (conn->dead) return;
                       if (ec) return close_quietly(conn);
                       auth_proof got{};
                       std::copy(conn->auth_buffer.begin(), conn->auth_buffer.end(), got.begin());
                       const auth_proof expected =
                           make_proof(config.shared_secret, auth_role::dialer, config.resource,
                                      conn->peer, config.self, conn->my_nonce);
                       if (!proofs_equal(got, expected)) {
                         return fail_auth(conn, "node " + std::to_string(conn->peer) +
                                                    " failed authentication (wrong shared secret)");
                       }
                       auto confirm = std::make_shared<std::uint8_t>(kAuthConfirm);
                       asio::async_write(conn->socket, asio::buffer(confirm.get(), 1),
                                         [this, conn, confirm](boost::system::error_code e,
                                                               std::size_t) {
                                           if (conn->dead) return;
                                           if (e) return close_quietly(conn);
                                           establish(conn);
                                         });
                     });
  }

  // ------------------------------------------------------------------------------ dialing
  void dial(node_id peer) {
    slot& s = slots.at(peer);
    if (!s.wanted || s.conn || shut) return;
    auto conn = std::make_shared<connection>(io, this, true);
    live.insert(conn);
    conn->peer = peer;
    conn->identified = true;
    s.conn = conn;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(s.address.address, ec);
    if (ec) {
      log("peer node " + std::to_string(peer) + ": bad address '" + s.address.address + "'");
      s.conn.reset();
      return;
    }
    const tcp::endpoint where(address, s.address.port);
    conn->remote = s.address.address + ":" + std::to_string(s.address.port);
    // Dial from this node's own replication address, so the peer (and a firewall) sees which node
    // is calling, as with DRBD's bound source address.
    conn->socket.open(where.protocol(), ec);
    if (!ec) {
      conn->socket.bind(tcp::endpoint(asio::ip::make_address(config.listen_address, ec), 0), ec);
    }
    if (ec) {
      log("cannot bind the outgoing connection to " + config.listen_address + ": " + ec.message());
      ec.clear();
    }
    arm_auth_timeout(conn);
    conn->socket.async_connect(where, [this, conn](boost::system::error_code e) {
      if (conn->dead) return;
      if (e) return dial_failed(conn, e.message());
      boost::system::error_code ignored;
      conn->socket.set_option(tcp::no_delay(true), ignored);
      auth_hello hello;
      hello.from_node = config.self;
      hello.to_node = conn->peer;
      hello.resource = config.resource;
      hello.nonce = conn->my_nonce = random_nonce();
      auto bytes = std::make_shared<std::vector<std::uint8_t>>(encode_hello(hello));
      asio::async_write(conn->socket, asio::buffer(*bytes),
                        [this, conn, bytes](boost::system::error_code e2, std::size_t) {
                          if (conn->dead) return;
                          if (e2) return dial_failed(conn, e2.message());
                          read_answer(conn);
                        });
    });
  }

  void read_answer(const std::shared_ptr<connection>& conn) {
    conn->auth_buffer.assign(kAnswerBytes, 0);
    asio::async_read(
        conn->socket, asio::buffer(conn->auth_buffer),
        [this, conn](boost::system::error_code ec, std::size_t) {
          if (conn->dead) return;
          if (ec) return dial_failed(conn, "no authentication answer (" + ec.message() + ")");
          std::string error;
          auto answer = decode_answer(conn->auth_buffer, error);
          if (!answer) return fail_auth(conn, error);
          if (answer->status != auth_status::ok) {
            return fail_auth(conn, std::string("node ") + std::to_string(conn->peer) +
                                       " refused us: " + to_string(answer->status));
          }
          const auth_proof expected = make_proof(config.shared_secret, auth_role::acceptor,
                                                 config.resource, config.self, conn->peer,
                                                 conn->my_nonce);
          if (!proofs_equal(answer->proof, expected)) {
            return fail_auth(conn, "node " + std::to_string(conn->peer) +
                                       " failed authentication (wrong shared secret)");
          }
          auto proof = std::make_shared<auth_proof>(make_proof(config.shared_secret,
                                                               auth_role::dialer, config.resource,
                                                               config.self, conn->peer,
                                                               answer->nonce));
          asio::async_write(conn->socket, asio::buffer(*proof),
                            [this, conn, proof](boost::system::error_code e, std::size_t) {
                              if (conn->dead) return;
                              if (e) return dial_failed(conn, e.message());
                              read_confirm(conn);
                            });
        });
  }

  void read_confirm(const std::shared_ptr<connection>& conn) {
    conn->auth_buffer.assign(1, 0);
    asio::async_read(conn->socket, asio::buffer(conn->auth_buffer),
                     [this, conn](boost::system::error_code ec, std::size_t) {
                       if (conn->dead) return;
                       if (ec || conn->auth_buffer[0] != kAuthConfirm) {
                         return fail_auth(conn, "node " + std::to_string(conn->peer) +
                                                    " rejected our proof (wrong shared secret?)");
                       }
                       establish(conn);
                     });
  }

  void dial_failed(std::shared_ptr<connection> conn, const std::string& why) {
    (void)why;  // refused connections are the normal state while a peer is down: not logged
    kill(conn);
    slot& s = slots.at(conn->peer);
    if (s.conn == conn) s.conn.reset();
    schedule_dial(conn->peer);
  }

  void schedule_dial(node_id peer) {
    slot& s = slots.at(peer);
    if (!s.wanted || shut || !i_dial(peer)) return;
    s.retry.expires_after(std::chrono::milliseconds(s.backoff_ms));
    s.backoff_ms = std::min(s.backoff_ms * 2, config.connect_backoff_max_ms);
    s.retry.async_wait([this, peer](boost::system::error_code ec) {
      if (!ec && !shut) dial(peer);
    });
  }

  // ------------------------------------------------------------------------------ established
  void establish(const std::shared_ptr<connection>& conn) {
    auto found = slots.find(conn->peer);
    if (found == slots.end()) {  // removed while it authenticated
      kill(conn);
      return;
    }
    slot& s = found->second;
    if (!s.wanted) {
      log("node " + std::to_string(conn->peer) + " connected while we are StandAlone toward it");
      return close_quietly(conn);
    }
    if (s.conn && s.conn != conn) {  // the peer restarted and came back before we noticed
      drop(s.conn, "replaced by a new connection from the same node");
    }
    s.conn = conn;
    s.backoff_ms = config.connect_backoff_min_ms;
    ++s.counters.connects;
    conn->established = true;
    conn->last_rx = conn->last_tx = steady::now();
    log("connected to node " + std::to_string(conn->peer) + " (" + conn->remote + ")");
    if (callbacks.connected) callbacks.connected(conn->peer);
    if (conn->dead) return;
    keepalive_tick(conn);
    read_frames(conn);
  }

  void keepalive_tick(const std::shared_ptr<connection>& conn) {
    conn->keepalive.expires_after(std::chrono::milliseconds(config.ping_interval_ms));
    conn->keepalive.async_wait([this, conn](boost::system::error_code ec) {
      if (ec || conn->dead) return;
      const auto now = steady::now();
      const auto silent_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - conn->last_rx).count();
      if (silent_ms > static_cast<long>(config.ping_timeout_ms)) {
        return drop(conn, "nothing received for " + std::to_string(silent_ms) +
                              " ms (ping timeout)");
      }
      release_idle_send_buffers(*conn);  // before the ping, which puts a write in flight
      if (now - conn->last_tx >= std::chrono::milliseconds(config.ping_interval_ms)) {
        queue(conn, wire::ping{}, {});
      }
      keepalive_tick(conn);
    });
  }

  // The send vectors keep the capacity of the largest burst (a 1 MiB write's frame, a resync's
  // replies) so that a busy stream does not regrow them; between bursts, once per ping interval,
  // a connection with nothing queued gives back what is above kKeptSendBytes.
  static void release_idle_send_buffers(connection& conn) {
    constexpr std::size_t kKeptSendBytes = 64 * 1024;
    if (conn.write_in_flight || !conn.pending.empty()) return;
    if (conn.pending.capacity() > kKeptSendBytes) std::vector<std::byte>().swap(conn.pending);
    if (conn.writing.capacity() > kKeptSendBytes) std::vector<std::byte>().swap(conn.writing);
  }

  void read_frames(const std::shared_ptr<connection>& conn) {
    const std::span<std::byte> room = conn->rx.prepare(steady::now());
    conn->socket.async_read_some(
        asio::buffer(room.data(), room.size()),
        [this, conn](boost::system::error_code ec, std::size_t n) {
          if (conn->dead) return;
          const auto now = steady::now();
          conn->rx.commit(n, now);
          if (ec) {
            return drop(conn, ec == asio::error::eof ? "peer closed the connection"
                                                     : "receive failed: " + ec.message());
          }
          conn->last_rx = now;
          slots.at(conn->peer).counters.received_bytes += n;
          if (!dispatch_frames(conn)) return;
          read_frames(conn);
        });
  }

  // Hands every whole frame to the core; false when the connection was dropped meanwhile.
  bool dispatch_frames(const std::shared_ptr<connection>& conn) {
    // Bounded: every round consumes at least one frame's header.
    for (;;) {
      const std::span<const std::byte> stream = conn->rx.data();
      const wire::frame_info info = wire::peek_frame(stream);
      if (info.status == wire::decode_status::need_more) return true;
      if (info.status != wire::decode_status::ok) {
        ++slots.at(conn->peer).counters.protocol_errors;
        drop(conn, std::string("malformed frame: ") + wire::to_string(info.status));
        return false;
      }
      wire::decoded frame = wire::decode(stream.first(info.frame_bytes));
      if (frame.status != wire::decode_status::ok) {
        ++slots.at(conn->peer).counters.protocol_errors;
        drop(conn, "malformed frame: " + frame.detail);
        return false;
      }
      conn->rx.consume(info.frame_bytes);
      if (std::holds_alternative<wire::ping>(frame.msg)) {
        queue(conn, wire::ping_ack{}, {});
      } else if (!std::holds_alternative<wire::ping_ack>(frame.msg)) {
        if (callbacks.message) callbacks.message(conn->peer, frame);
        if (conn->dead) return false;
      }
    }
  }

  void queue(const std::shared_ptr<connection>& conn, const wire::message& msg,
             std::span<const std::byte> payload) {
    wire::encode(msg, payload, conn->pending);
    start_write(conn);
  }

  void start_write(std::shared_ptr<connection> conn) {
    if (conn->write_in_flight || conn->dead) return;
    if (conn->pending.empty()) {
      if (conn->closing) drop(conn, "closed by this node");
      return;
    }
    std::swap(conn->pending, conn->writing);
    conn->write_in_flight = true;
    conn->last_tx = steady::now();
    asio::async_write(conn->socket, asio::buffer(conn->writing),
                      [this, conn](boost::system::error_code ec, std::size_t n) {
                        if (conn->dead) return;
                        conn->write_in_flight = false;
                        conn->writing.clear();
                        if (ec) return drop(conn, "send failed: " + ec.message());
                        slots.at(conn->peer).counters.sent_bytes += n;
                        start_write(conn);
                      });
  }

  // ------------------------------------------------------------------------------ teardown
  // The teardown functions take the connection by value: the caller's pointer may be the slot's
  // own, which they reset.
  void kill(const std::shared_ptr<connection>& conn) {
    conn->dead = true;
    live.erase(conn);
    boost::system::error_code ignored;
    conn->keepalive.cancel();
    conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
    conn->socket.close(ignored);
  }

  void close_quietly(std::shared_ptr<connection> conn) {
    kill(conn);
    if (conn->dialer) {
      slot& s = slots.at(conn->peer);
      if (s.conn == conn) {
        s.conn.reset();
        schedule_dial(conn->peer);
      }
    }
  }

  void fail_auth(std::shared_ptr<connection> conn, const std::string& why) {
    auto found = slots.find(conn->peer);
    if (found != slots.end()) ++found->second.counters.auth_failures;
    log("rejected connection with " + conn->remote + ": " + why);
    close_quietly(conn);
  }

  void drop(std::shared_ptr<connection> conn, const std::string& why) {
    if (conn->dead) return;
    const bool was_established = conn->established;
    kill(conn);
    slot& s = slots.at(conn->peer);
    if (s.conn == conn) s.conn.reset();
    if (!was_established) return;
    log("connection to node " + std::to_string(conn->peer) + " lost: " + why);
    if (callbacks.lost) callbacks.lost(conn->peer, why);
    schedule_dial(conn->peer);
  }

  asio::io_context& io;
  peer_transport_config config;
  peer_transport_callbacks callbacks;
  tcp::acceptor acceptor;
  std::map<node_id, slot> slots;
  // Every connection not yet killed, so that shutdown can kill the ones still authenticating.
  std::set<std::shared_ptr<connection>> live;
  bool shut = false;
};

peer_transport::peer_transport(asio::io_context& io, peer_transport_config config,
                               peer_transport_callbacks callbacks)
    : impl_(std::make_unique<impl>(io, std::move(config), std::move(callbacks))) {}

peer_transport::~peer_transport() { close_all(); }

void peer_transport::set_wanted(node_id peer, bool wanted) {
  auto found = impl_->slots.find(peer);
  if (found == impl_->slots.end()) return;
  auto& s = found->second;
  if (s.wanted == wanted) return;
  s.wanted = wanted;
  if (wanted) {
    s.backoff_ms = impl_->config.connect_backoff_min_ms;
    if (impl_->i_dial(peer)) impl_->dial(peer);
  } else {
    s.retry.cancel();
    if (s.conn && s.conn->established) {
      s.conn->closing = true;
      impl_->start_write(s.conn);
    } else if (s.conn) {
      impl_->kill(s.conn);
      s.conn.reset();
    }
  }
}

bool peer_transport::connected(node_id peer) const {
  auto found = impl_->slots.find(peer);
  return found != impl_->slots.end() && found->second.conn && found->second.conn->established &&
         !found->second.conn->dead;
}

void peer_transport::send(node_id peer, const wire::message& msg,
                          std::span<const std::byte> payload_bytes) {
  auto found = impl_->slots.find(peer);
  if (found == impl_->slots.end()) return;
  auto& conn = found->second.conn;
  if (!conn || !conn->established || conn->dead || conn->closing) return;
  impl_->queue(conn, msg, payload_bytes);
}

std::size_t peer_transport::queued_bytes(node_id peer) const {
  auto found = impl_->slots.find(peer);
  if (found == impl_->slots.end() || !found->second.conn) return 0;
  return found->second.conn->pending.size() + found->second.conn->writing.size();
}

const peer_link_counters& peer_transport::counters(node_id peer) const {
  static const peer_link_counters none;
  auto found = impl_->slots.find(peer);
  return found == impl_->slots.end() ? none : found->second.counters;
}

void peer_transport::add_peer(const peer_address& peer) {
  if (peer.node == impl_->config.self) return;
  auto found = impl_->slots.find(peer.node);
  if (found != impl_->slots.end()) {
    found->second.address = peer;
    return;
  }
  impl_->slots.emplace(peer.node,
                       impl::slot{peer, asio::steady_timer(impl_->io), {}, false,
                                  impl_->config.connect_backoff_min_ms, {}});
}

void peer_transport::remove_peer(node_id peer) {
  auto found = impl_->slots.find(peer);
  if (found == impl_->slots.end()) return;
  found->second.retry.cancel();
  // Every connection with that node, including accepted ones still authenticating: their handlers
  // see `dead` and never look the slot up again.
  auto live = impl_->live;
  for (const auto& conn : live) {
    if (conn->identified && conn->peer == peer) {
      impl_->kill(conn);
    }
  }
  if (found->second.conn) impl_->kill(found->second.conn);
  impl_->slots.erase(found);
  impl_->log("peer node " + std::to_string(peer) + " removed");
}

std::uint16_t peer_transport::listen_port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void peer_transport::close_all() {
  if (impl_->shut) return;
  impl_->shut = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto& [peer, s] : impl_->slots) {
    s.retry.cancel();
    s.conn.reset();
  }
  auto live = impl_->live;
  for (const auto& conn : live) impl_->kill(conn);
}

}  // namespace tandem::engine
