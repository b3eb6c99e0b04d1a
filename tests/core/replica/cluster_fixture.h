// Helpers shared by the replica tests: deterministic payloads, and a model of what every
// acknowledged write left on the volume, to check replicas byte for byte.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "sim/cluster.h"

namespace tandem::test {

inline std::vector<std::byte> payload(std::uint64_t seed, std::size_t length_bytes) {
  sim::prng random(seed);
  std::vector<std::byte> bytes(length_bytes);
  for (auto& b : bytes) b = static_cast<std::byte>(random.next() & 0xff);
  return bytes;
}

// The bytes a correct volume must hold: every acknowledged write applied in completion order (tests
// only overlap writes they serialise themselves).
class volume_model {
 public:
  explicit volume_model(std::uint64_t size_bytes) : bytes_(size_bytes) {}
  void apply(std::uint64_t offset_bytes, const std::vector<std::byte>& data) {
    std::copy(data.begin(), data.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(offset_bytes));
  }
  const std::vector<std::byte>& bytes() const { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
};

// Writes through `node`, runs the cluster until quiet and requires the write to be acknowledged.
inline void write_ok(sim::cluster& c, volume_model& model, node_id node, std::uint64_t offset_bytes,
                     std::vector<std::byte> data) {
  const auto copy = data;
  const auto tag = c.write(node, 0, offset_bytes, std::move(data));
  c.run_until_quiet();
  REQUIRE(c.result(tag).done);
  REQUIRE(c.result(tag).status == io_status::ok);
  model.apply(offset_bytes, copy);
}

inline void check_all_match(const sim::cluster& c, const volume_model& model, node_mask skip = 0) {
  for (int n = 0; n < c.node_count(); ++n) {
    if (mask_has(skip, static_cast<node_id>(n))) continue;
    CAPTURE(n);
    CHECK(c.disk_bytes(static_cast<node_id>(n), 0) == model.bytes());
  }
}

// How many messages of `type` crossed from -> to (counted by the simulated network).
inline std::uint64_t sent(const sim::cluster& c, node_id from, node_id to, wire::msg_type type) {
  const auto& messages = c.counters(from, to).messages;
  auto found = messages.find(type);
  return found == messages.end() ? 0 : found->second;
}

inline const peer_device_view& peer_device(const replica_view& view, node_id peer) {
  for (const auto& c : view.connections) {
    if (c.peer == peer) return c.volumes.at(0);
  }
  FAIL("no connection to that peer");
  static peer_device_view none;
  return none;
}

// A started cluster of `nodes` (options from `tweak`), all Secondary.
inline sim::cluster started_cluster(int nodes, std::uint64_t seed, std::uint64_t volume_bytes,
                                    void (*tweak)(sim::cluster_options&) = nullptr) {
  sim::cluster_options options;
  options.nodes = nodes;
  options.volume_size_bytes = volume_bytes;
  options.seed = seed;
  if (tweak) tweak(options);
  sim::cluster c(options);
  c.start();
  return c;
}

// The same with n0 promoted.
inline sim::cluster primary_on_n0(int nodes, std::uint64_t seed, std::uint64_t volume_bytes,
                                  void (*tweak)(sim::cluster_options&) = nullptr) {
  sim::cluster c = started_cluster(nodes, seed, volume_bytes, tweak);
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  return c;
}

// An admin command toward `peer`, or with all_peers toward every suitable one.
inline admin command_toward(admin_op op, node_id peer, bool all_peers = false) {
  admin cmd;
  cmd.op = op;
  cmd.peer = peer;
  cmd.all_peers = all_peers;
  return cmd;
}

// Some line of the cluster's log contains `text`.
inline bool logged(const sim::cluster& c, const std::string& text) {
  const auto& log = c.log();
  return std::any_of(log.begin(), log.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

inline conn_state connection(const replica_view& view, node_id peer) {
  for (const auto& c : view.connections) {
    if (c.peer == peer) return c.conn;
  }
  return conn_state::standalone;
}

}  // namespace tandem::test
