// peer_transport — the TCP connections of one resource to its peers (one connection per peer and
// resource, as DRBD does: a slow resource's backlog never delays another resource's acks, and a
// connection's life is exactly the core's connection state toward that peer).
//
// Who dials: the node with the higher node id dials the lower one, which only accepts. So exactly
// one TCP connection exists per pair without DRBD's connection-race resolution. Every connection
// starts with the HMAC challenge-response of peer_auth.h; then both directions carry core/wire
// frames. Keepalive: a side that has sent nothing for ping_interval sends a ping; a side that has
// received nothing for ping_timeout drops the connection. Pings and their acks stay inside the
// transport. A malformed frame drops the connection with a log line; it never reaches the core.
//
// Single-threaded on the caller's io_context; callbacks run on it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/base/ids.h"
#include "core/wire/codec.h"

namespace boost::asio {
class io_context;
}

namespace tandem::engine {

struct peer_address {
  node_id node = 0;
  std::string address;  // IPv4 or IPv6 literal
  std::uint16_t port = 0;
};

struct peer_transport_config {
  std::string resource;
  std::string shared_secret;
  node_id self = 0;
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 0;
  std::vector<peer_address> peers;
  std::uint32_t ping_interval_ms = 1000;
  std::uint32_t ping_timeout_ms = 5000;
  std::uint32_t connect_backoff_min_ms = 100;
  std::uint32_t connect_backoff_max_ms = 2000;
  std::uint32_t auth_timeout_ms = 3000;
};

struct peer_transport_callbacks {
  std::function<void(node_id peer)> connected;
  // The frame's payload bytes are valid during the call only.
  std::function<void(node_id peer, wire::decoded& frame)> message;
  std::function<void(node_id peer, const std::string& reason)> lost;
  std::function<void(const std::string& line)> log;
};

struct peer_link_counters {
  std::uint64_t sent_bytes = 0;
  std::uint64_t received_bytes = 0;
  std::uint64_t connects = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t protocol_errors = 0;
};

class peer_transport {
 public:
  // Binds the listening socket at once; throws std::runtime_error naming the address on failure.
  peer_transport(boost::asio::io_context& io, peer_transport_config config,
                 peer_transport_callbacks callbacks);
  ~peer_transport();
  peer_transport(const peer_transport&) = delete;
  peer_transport& operator=(const peer_transport&) = delete;

  // Whether the core wants a connection to `peer` (connect_to / disconnect_from). Dropping the
  // wish closes the connection gracefully: what was queued is sent first.
  void set_wanted(node_id peer, bool wanted);
  bool connected(node_id peer) const;
  // Live membership (tandemadm adjust): a peer joins (not wanted until set_wanted; a known node
  // only gets its new address, used from the next dial) or leaves (its connections, established
  // or authenticating, are closed without a `lost` callback, and from then on its hello is refused
  // as an unknown node).
  void add_peer(const peer_address& peer);
  void remove_peer(node_id peer);
  // Queues one frame; silently dropped when the peer is not connected (the core learns of the loss
  // through `lost`).
  void send(node_id peer, const wire::message& msg, std::span<const std::byte> payload_bytes);
  // Bytes queued but not yet written to the socket (back-pressure for the caller).
  std::size_t queued_bytes(node_id peer) const;
  // Zeros for a node that is not (or no longer) a peer.
  const peer_link_counters& counters(node_id peer) const;
  std::uint16_t listen_port() const;
  // Closes everything without callbacks (daemon shutdown).
  void close_all();

  class impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace tandem::engine
