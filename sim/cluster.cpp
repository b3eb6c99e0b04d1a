#include "sim/cluster.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <stdexcept>

#include "core/replica/block_digest.h"
#include "core/wire/codec.h"

namespace tandem::sim {
namespace {

std::string format_time(std::uint64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%4llu.%06llus",
                static_cast<unsigned long long>(ns / 1'000'000'000),
                static_cast<unsigned long long>((ns / 1000) % 1'000'000));
  return text;
}

replica_config config_for(const cluster_options& options, node_id self, node_mask members) {
  replica_config config;
  config.self = self;
  config.self_diskful = !mask_has(options.diskless_nodes, self);
  config.uuid_seed = options.seed;
  config.allow_two_primaries = options.allow_two_primaries;
  config.quorum = options.quorum;
  config.quorum_minimum_redundancy = options.quorum_minimum_redundancy;
  config.on_no_quorum_policy = options.on_no_quorum_policy;
  config.split_brain = options.split_brain;
  config.planted = options.planted;
  config.checksum_resync = options.checksum_resync;
  config.resync_rate = options.resync_rate;
  config.congestion = options.congestion;
  config.io_error_policy = options.io_error_policy;
  auto backing = options.backing_bytes.find(self);
  const std::uint64_t max_sectors =
      backing == options.backing_bytes.end() ? 0 : backing->second / kSectorBytes;
  for (int v = 0; v < options.volumes; ++v) {
    config.volumes.push_back(
        {static_cast<volume_nr>(v), options.volume_size_bytes / kSectorBytes, max_sectors});
  }
  for (int n = 0; n < options.nodes; ++n) {
    if (n == self || !mask_has(members, static_cast<node_id>(n))) continue;
    const auto peer = static_cast<node_id>(n);
    config.peers.push_back({peer, !mask_has(options.diskless_nodes, peer), options.proto});
  }
  return config;
}

node_mask all_nodes(int nodes) {
  return nodes >= kMaxNodes ? ~node_mask{0} : (node_mask{1} << nodes) - 1;
}

node_mask members_of(const cluster_options& options) {
  return options.members == 0 ? all_nodes(options.nodes) : options.members & all_nodes(options.nodes);
}

Replica make_replica(const cluster_options& options, node_id self) {
  replica_config config = config_for(options, self, members_of(options));
  if (!options.start_uptodate || !config.self_diskful) return Replica(std::move(config));
  // Day-0 generation shared by all diskful nodes, derived from the seed like every other random
  // value.
  // Not a sync UUID (bit 1) either: that one names a half-synced target, never an ancestor.
  const generation_uuid day0 =
      (uuid_value(prng(options.seed ^ 0xda70).next()) & ~kUuidSyncFlag) | 0x100;
  std::vector<volume_persistent_state> saved;
  for (const auto& vc : config.volumes) {
    volume_persistent_state state;
    state.number = vc.number;
    state.disk = disk_state::uptodate;
    state.uuids.current = day0;
    saved.push_back(std::move(state));
  }
  return Replica::restore(std::move(config), saved);
}

}  // namespace

cluster::cluster(cluster_options options)
    : options_(options),
      network_random_(options.seed ^ 0x6e6574),
      disk_random_(options.seed ^ 0x6469736b),
      workload_random_(options.seed ^ 0x776f726b),
      disk_default_{options.disk_latency_min_ns, options.disk_latency_max_ns,
                    options.disk_bandwidth_bytes_per_s, options.disk_latency},
      segment_random_(options.seed ^ 0x7365676d656e74),  // "segment"
      torn_random_(options.seed ^ 0x746f726e) {          // "torn"
  if (options_.nodes < 1 || options_.nodes > kMaxNodes) {
    throw std::invalid_argument("cluster: nodes must be 1..32");
  }
  members_ = members_of(options_);
  for (int n = 0; n < options_.nodes; ++n) {
    const auto id = static_cast<node_id>(n);
    // A spare machine (not a member yet) is down until add_replica brings it in.
    sim_node node{make_replica(options_, id), {}, {}, false, mask_has(members_, id), 0, {}, {}};
    for (int v = 0; v < options_.volumes; ++v) {
      node.disks.emplace_back(mask_has(options_.diskless_nodes, id) ? 0
                                                                    : options_.volume_size_bytes);
    }
    nodes_.push_back(std::move(node));
  }
  for (int a = 0; a < options_.nodes; ++a) {
    for (int b = a + 1; b < options_.nodes; ++b) {
      const std::pair key{static_cast<node_id>(a), static_cast<node_id>(b)};
      links_[key] = {};
      auto own = options_.link_overrides.find(key);
      link_params_[key] =
          own != options_.link_overrides.end()
              ? own->second
              : link_params{options_.link_latency_min_ns, options_.link_latency_max_ns,
                            options_.link, options_.link_latency};
    }
  }
}

void cluster::start() {
  for (auto& [key, l] : links_) {
    const auto [a, b] = key;
    events_.after(0, [this, a = a, b = b] { try_connect(a, b); });
  }
  run_until_quiet();
}

// ------------------------------------------------------------------------------------ buffers

std::uint64_t cluster::new_buffer(std::vector<std::byte> bytes) {
  const std::uint64_t id = next_buffer_id_++;
  buffers_[id] = buffer{std::move(bytes), 1};
  return id;
}

void cluster::acquire(std::uint64_t id) {
  if (id != 0) ++buffers_.at(id).references;
}

void cluster::release(std::uint64_t id) {
  if (id == 0) return;
  auto found = buffers_.find(id);
  assert(found != buffers_.end() && found->second.references > 0);
  if (--found->second.references == 0) buffers_.erase(found);
}

// ------------------------------------------------------------------------------------ stepping

void cluster::step(node_id node, input_kind kind) {
  sim_node& n = nodes_.at(node);
  if (!n.up) return;  // a crashed node does nothing until it restarts
  n.outputs.clear();
  n.replica.step(input{events_.now_ns(), std::move(kind)}, n.outputs);
  handle_outputs(node);
}

void cluster::handle_outputs(node_id node) {
  // Every effect on another node or on the transport is scheduled, never run inline, so no step
  // nests inside another.
  for (const output& out : nodes_.at(node).outputs) {
    std::visit(
        [&](const auto& o) {
          using T = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<T, send_to>) {
            link& l = link_between(node, o.peer);
            // The transport is down (or this end gave up on it): the message is lost with it.
            if (!l.connected || l.gone == node) return;
            const buffer_ref payload = wire::payload_of(o.msg);
            std::span<const std::byte> bytes;
            if (!payload.empty()) bytes = buffers_.at(payload.id).bytes;
            std::vector<std::byte> frame;
            wire::encode(o.msg, bytes, frame);
            auto& c = counters_[{node, o.peer}];
            ++c.messages[wire::type_of(o.msg)];
            if (std::holds_alternative<wire::rs_data_reply>(o.msg))
              c.resync_payload_bytes += payload.length_bytes;
            if (std::holds_alternative<wire::data>(o.msg))
              c.data_payload_bytes += payload.length_bytes;
            if (held_types_.count({node, o.peer, wire::type_of(o.msg)})) {
              held_.push_back({node, o.peer, l.epoch, std::move(frame)});
              return;
            }
            schedule_delivery(node, o.peer, l.epoch, std::move(frame));
          } else if constexpr (std::is_same_v<T, disk_submit>) {
            disk_io(node, o);
          } else if constexpr (std::is_same_v<T, complete_client>) {
            client_result& r = results_[o.tag];
            record(node,
                   "client tag " + std::to_string(o.tag) + " completed: " + to_string(o.status));
            r.done = true;
            r.status = o.status;
            r.completed_at_ns = events_.now_ns();
            for (const auto& v : nodes_.at(node).replica.view().volumes) {
              r.quorum_at_completion = r.quorum_at_completion && v.quorum;
            }
            if (!o.data.empty()) {
              const auto& bytes = buffers_.at(o.data.id).bytes;
              r.data.assign(bytes.begin(), bytes.begin() + std::min<std::size_t>(
                                                               bytes.size(), o.data.length_bytes));
            }
            auto held = client_buffers_.find(o.tag);
            if (held != client_buffers_.end()) {
              release(held->second);
              client_buffers_.erase(held);
            }
          } else if constexpr (std::is_same_v<T, arm_timer>) {
            events_.at(o.at_ns, [this, node, timer = o.timer] { step(node, timer_fired{timer}); });
          } else if constexpr (std::is_same_v<T, connect_to>) {
            standalone_.erase({node, o.peer});
            events_.after(0, [this, node, peer = o.peer] { try_connect(node, peer); });
          } else if constexpr (std::is_same_v<T, disconnect_from>) {
            for (const auto& c : nodes_.at(node).replica.view().connections) {
              if (c.peer == o.peer && c.conn == conn_state::standalone)
                standalone_.insert({node, o.peer});
            }
            close_gracefully(node, o.peer);
          } else if constexpr (std::is_same_v<T, state_changed>) {
            std::string where;
            switch (o.object) {
              case state_object::resource: break;
              case state_object::device: where = " volume " + std::to_string(o.volume); break;
              case state_object::connection: where = " peer n" + std::to_string(o.peer); break;
              case state_object::peer_device:
                where = " peer n" + std::to_string(o.peer) + " volume " + std::to_string(o.volume);
                break;
            }
            record(node, std::string(o.field) + where + ": " + std::string(o.from) + " -> " +
                             std::string(o.to));
          } else if constexpr (std::is_same_v<T, event>) {
            record(node, "event " + o.name + " peer n" + std::to_string(o.peer) + " volume " +
                             std::to_string(o.volume) + " blocks " + std::to_string(o.blocks) +
                             (o.detail.empty() ? "" : " (" + o.detail + ")"));
          } else if constexpr (std::is_same_v<T, admin_done>) {
            admin_results_[o.tag] = o;
          } else if constexpr (std::is_same_v<T, retain_buffer>) {
            acquire(o.buffer);
          } else if constexpr (std::is_same_v<T, release_buffer>) {
            release(o.buffer);
          }
        },
        out);
  }
}

void cluster::record(node_id node, const std::string& line) {
  log_.push_back(format_time(events_.now_ns()) + " n" + std::to_string(node) + " " + line);
}

// ------------------------------------------------------------------------------------ clients

void cluster::crash(node_id node) {
  sim_node& n = nodes_.at(node);
  if (!n.up) return;
  record(node, "crashed");
  n.saved = n.replica.persistent_state();
  settle_writes_at_crash(node);
  ++n.generation;
  n.up = false;
  for (auto& [tag, result] : results_) {
    auto owner = client_node_.find(tag);
    if (result.done || owner == client_node_.end() || owner->second != node) continue;
    result.done = true;
    result.crashed = true;
    result.status = io_status::io_error;
  }
  std::erase_if(held_, [&](const held_message& h) { return h.from == node || h.to == node; });
  for (int other = 0; other < options_.nodes; ++other) {
    if (other == node) continue;
    link& l = link_between(node, static_cast<node_id>(other));
    if (!l.connected) continue;
    const bool other_gone = l.gone == other;  // it gave up on this connection already
    l.connected = false;
    l.closed_by = -1;
    l.gone = -1;
    ++l.epoch;
    if (!other_gone) step(static_cast<node_id>(other), peer_lost{node});
  }
}

void cluster::restart(node_id node) {
  sim_node& n = nodes_.at(node);
  if (n.up) return;
  n.replica = Replica::restore(config_of(node), n.saved);
  n.up = true;
  // A restarted node is no longer StandAlone toward anybody: it connects like a new one.
  std::erase_if(standalone_, [&](const auto& entry) { return entry.first == node; });
  record(node, "restarted from its metadata");
  for (int other = 0; other < options_.nodes; ++other) {
    if (other == node) continue;
    events_.after(0, [this, node, other] { try_connect(node, static_cast<node_id>(other)); });
  }
}

void cluster::destroy_disk(node_id node) {
  crash(node);
  sim_node& n = nodes_.at(node);
  record(node, "disk destroyed");
  for (auto& disk : n.disks) std::fill(disk.begin(), disk.end(), std::byte{0});
  n.saved = Replica(config_of(node)).persistent_state();
}

std::vector<admin_done> cluster::add_replica(node_id node, bool diskful) {
  std::vector<admin_done> answers;
  sim_node& n = nodes_.at(node);
  if (mask_has(members_, node)) {
    answers.push_back({0, false, "n" + std::to_string(node) + " is already a replica"});
    return answers;
  }
  if (diskful) {
    options_.diskless_nodes &= ~mask_of(node);
  } else {
    options_.diskless_nodes |= mask_of(node);
  }
  const node_mask before = members_;
  members_ |= mask_of(node);
  // A brand-new replica: create-md metadata (just-created generation, Inconsistent), empty disks.
  n.replica = Replica(config_of(node));
  for (auto& disk : n.disks) disk.assign(diskful ? options_.volume_size_bytes : 0, std::byte{0});
  n.pending_writes.clear();
  ++n.generation;
  n.up = true;
  std::erase_if(standalone_, [&](const auto& e) { return e.first == node || e.second == node; });
  record(node, std::string("added as a ") + (diskful ? "diskful" : "diskless") + " replica");
  for (int other = 0; other < options_.nodes; ++other) {
    const auto id = static_cast<node_id>(other);
    if (!mask_has(before, id) || !nodes_.at(id).up) continue;
    const std::uint64_t tag = next_tag_++;
    admin cmd{tag, admin_op::add_peer, node, {}};
    cmd.added.diskful = diskful;
    cmd.added.proto = options_.proto;
    step(id, cmd);
    answers.push_back(admin_result(tag).value_or(admin_done{tag, false, "no answer"}));
  }
  for (int other = 0; other < options_.nodes; ++other) {
    if (other == node) continue;
    events_.after(0, [this, node, other] { try_connect(node, static_cast<node_id>(other)); });
  }
  return answers;
}

std::vector<admin_done> cluster::remove_replica(node_id node) {
  std::vector<admin_done> answers;
  if (!mask_has(members_, node)) {
    answers.push_back({0, false, "n" + std::to_string(node) + " is not a replica"});
    return answers;
  }
  for (int other = 0; other < options_.nodes; ++other) {
    const auto id = static_cast<node_id>(other);
    if (id == node || !mask_has(members_, id) || !nodes_.at(id).up) continue;
    const std::uint64_t tag = next_tag_++;
    step(id, admin{tag, admin_op::remove_peer, node, {}});
    answers.push_back(admin_result(tag).value_or(admin_done{tag, false, "no answer"}));
  }
  members_ &= ~mask_of(node);
  // The removed node goes down (`tandemadm down` on it): whatever it still had in flight is moot.
  sim_node& n = nodes_.at(node);
  if (n.up) {
    for (const auto& [request, submit] : n.pending_writes) release(submit.buffer.id);
    n.pending_writes.clear();
    ++n.generation;
    n.up = false;
    record(node, "removed from the resource");
  }
  for (int other = 0; other < options_.nodes; ++other) {
    if (other == node) continue;
    link& l = link_between(node, static_cast<node_id>(other));
    if (!l.connected) continue;
    const bool other_gone = l.gone == other;  // it gave up on this connection already
    l.connected = false;
    l.closed_by = -1;
    l.gone = -1;
    ++l.epoch;
    // Ignored by members that forgot it.
    if (!other_gone) step(static_cast<node_id>(other), peer_lost{node});
  }
  return answers;
}

// The configuration node `node` (re)starts with: the scenario's, with the options of the last
// adjust.
replica_config cluster::config_of(node_id node) const {
  replica_config config = config_for(options_, node, members_);
  if (adjusted_) apply_adjustable_options(config, *adjusted_);
  return config;
}

adjustable_options cluster::current_options() const {
  return adjusted_ ? *adjusted_ : adjustable_options_of(config_for(options_, 0, members_));
}

std::vector<admin_done> cluster::adjust_options(const adjustable_options& wanted) {
  std::vector<admin_done> answers;
  for (int n = 0; n < options_.nodes; ++n) {
    const auto id = static_cast<node_id>(n);
    if (!mask_has(members_, id) || !nodes_.at(id).up) continue;
    admin cmd;
    cmd.tag = next_tag_++;
    cmd.op = admin_op::set_options;
    cmd.options = wanted;
    step(id, cmd);
    answers.push_back(admin_result(cmd.tag).value_or(admin_done{cmd.tag, false, "no answer"}));
  }
  // What a restarted node starts with: the new options once every running node took them.
  for (const auto& answer : answers) {
    if (!answer.ok) return answers;
  }
  adjusted_ = wanted;
  return answers;
}

std::uint64_t cluster::admin_async(node_id node, admin_op op, node_id peer) {
  return admin_async(node, admin{0, op, peer});
}

std::uint64_t cluster::admin_async(node_id node, admin cmd) {
  cmd.tag = next_tag_++;
  step(node, cmd);
  return cmd.tag;
}

admin_done cluster::admin_command(node_id node, admin cmd) {
  cmd.tag = admin_async(node, cmd);
  // A cluster-wide change answers once its peers agreed. Bounded: an answer that needs more than
  // this many events is a bug, reported as a refusal.
  for (int i = 0; i < 1'000'000 && !admin_results_.count(cmd.tag); ++i) {
    if (!events_.run_one()) break;
  }
  if (auto done = admin_result(cmd.tag)) return *done;
  return admin_done{cmd.tag, false, "no answer from the replica"};
}

admin_done cluster::resize(node_id node, volume_nr volume, std::uint64_t new_size_bytes,
                           bool assume_clean) {
  admin cmd;
  cmd.op = admin_op::resize;
  cmd.volume = volume;
  cmd.size_sectors = new_size_bytes / kSectorBytes;
  cmd.assume_clean = assume_clean;
  record(node, "resize to " + std::to_string(new_size_bytes) + " bytes" +
                   (assume_clean ? " (assume clean)" : ""));
  const admin_done done = admin_command(node, cmd);
  // Without a size the replica chose it (as large as every backing device allows).
  if (done.ok) {
    for (const auto& v : nodes_.at(node).replica.view().volumes) {
      if (v.number == volume) new_size_bytes = v.size_sectors * kSectorBytes;
    }
  }
  // Still at the same instant: no I/O to the new area can have been issued yet.
  if (done.ok) grow_backing_devices(volume, new_size_bytes, assume_clean);
  return done;
}

void cluster::grow_backing_devices(volume_nr volume, std::uint64_t new_size_bytes,
                                   bool assume_clean) {
  if (new_size_bytes > options_.volume_size_bytes) {
    for (auto& n : nodes_) {
      auto& disk = n.disks.at(volume);
      if (disk.empty()) continue;  // diskless
      const std::size_t old_size = disk.size();
      disk.resize(new_size_bytes, std::byte{0});
      if (assume_clean) continue;
      for (std::size_t at = old_size; at < disk.size(); ++at) {
        disk[at] = static_cast<std::byte>(disk_random_.next() & 0xff);
      }
    }
    options_.volume_size_bytes = new_size_bytes;
  }
}

void cluster::corrupt(node_id node, volume_nr volume, std::uint64_t offset_bytes,
                      std::uint32_t length_bytes) {
  auto& disk = nodes_.at(node).disks.at(volume);
  for (std::uint64_t at = offset_bytes; at < offset_bytes + length_bytes && at < disk.size();
       ++at) {
    disk[at] = ~disk[at];
  }
  record(node, "corrupted " + std::to_string(length_bytes) + " bytes at " +
                   std::to_string(offset_bytes) + " behind the replication's back");
}

std::optional<admin_done> cluster::admin_result(std::uint64_t tag) const {
  auto found = admin_results_.find(tag);
  if (found == admin_results_.end()) return std::nullopt;
  return found->second;
}

admin_done cluster::admin_command(node_id node, admin_op op, node_id peer) {
  return admin_command(node, admin{0, op, peer});
}

std::uint64_t cluster::write(node_id node, volume_nr volume, std::uint64_t offset_bytes,
                             std::vector<std::byte> bytes) {
  const std::uint64_t tag = next_tag_++;
  const auto length = static_cast<std::uint32_t>(bytes.size());
  const std::uint64_t id = new_buffer(std::move(bytes));
  client_buffers_[tag] = id;
  client_node_[tag] = node;
  results_[tag] = {};
  results_[tag].issued_at_ns = events_.now_ns();
  record(node, "client tag " + std::to_string(tag) + " write offset " +
                   std::to_string(offset_bytes) + " length " + std::to_string(length));
  step(node,
       client_io{tag, io_op::write, volume, offset_bytes, length, buffer_ref{id, length}, false});
  return tag;
}

std::uint64_t cluster::read(node_id node, volume_nr volume, std::uint64_t offset_bytes,
                            std::uint32_t length_bytes) {
  const std::uint64_t tag = next_tag_++;
  results_[tag] = {};
  client_node_[tag] = node;
  step(node, client_io{tag, io_op::read, volume, offset_bytes, length_bytes, {}, false});
  return tag;
}

// ------------------------------------------------------------------------------------ running

void cluster::run_for(std::uint64_t duration_ns) {
  events_.run_until(events_.now_ns() + duration_ns);
}

bool cluster::run_until_quiet(std::uint64_t max_events, std::uint64_t max_virtual_ns) {
  const std::uint64_t deadline_ns = max_virtual_ns > ~std::uint64_t{0} - events_.now_ns()
                                        ? ~std::uint64_t{0}
                                        : events_.now_ns() + max_virtual_ns;
  for (std::uint64_t i = 0; i < max_events; ++i) {
    if (events_.pending() == 0) return true;
    if (events_.next_time_ns() > deadline_ns) return false;
    events_.run_one();
  }
  return false;
}

// ------------------------------------------------------------------------------------ observing

const std::vector<std::byte>& cluster::disk_bytes(node_id node, volume_nr volume) const {
  return nodes_.at(node).disks.at(volume);
}

std::uint64_t cluster::checksum(node_id node, volume_nr volume) const {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (std::byte b : disk_bytes(node, volume)) {
    hash ^= std::to_integer<std::uint64_t>(b);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

const link_counters& cluster::counters(node_id from, node_id to) const {
  static const link_counters empty;
  auto found = counters_.find({from, to});
  return found == counters_.end() ? empty : found->second;
}

std::uint64_t cluster::resync_bytes_received(node_id node) const {
  std::uint64_t total = 0;
  for (const auto& [key, c] : counters_) {
    if (key.second == node) total += c.resync_payload_bytes;
  }
  return total;
}

std::uint64_t cluster::trace_hash() const {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const auto& line : log_) {
    for (char ch : line) {
      hash ^= static_cast<unsigned char>(ch);
      hash *= 0x100000001b3ull;
    }
  }
  return hash;
}

std::vector<std::string> cluster::events_named(const std::string& name) const {
  std::vector<std::string> lines;
  for (const auto& line : log_) {
    if (line.find(" event " + name + " ") != std::string::npos) lines.push_back(line);
  }
  return lines;
}

}  // namespace tandem::sim
