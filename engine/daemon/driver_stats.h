// What a resource_driver measures for /metrics: per-volume I/O counters and latency histograms,
// per-peer replicated-write ack latency. Called on the data path, so every hook is a map lookup
// and a few additions: no locks (one io_context thread), no allocation after the volumes and
// peers were added at construction.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/replica/replica.h"
#include "engine/metrics/replica_metrics.h"

namespace tandem::engine {

class driver_stats {
 public:
  void add_volume(volume_nr volume) { devices_[volume]; }
  void add_peer(node_id peer) { peers_[peer]; }

  void client_started(volume_nr volume) {
    if (auto* d = device(volume)) ++d->upper_pending;
  }
  void client_finished(volume_nr volume, io_op op, std::uint32_t length_bytes, bool ok,
                       std::uint64_t latency_ns) {
    auto* d = device(volume);
    if (d == nullptr) return;
    if (d->upper_pending > 0) --d->upper_pending;
    if (!ok) return;
    if (op == io_op::read) {
      ++d->reads;
      d->read_bytes += length_bytes;
    } else if (op == io_op::write || op == io_op::write_zeroes) {
      ++d->writes;
      d->written_bytes += length_bytes;
      d->client_write_latency.observe_ns(latency_ns);
    }
  }
  void disk_started(volume_nr volume) {
    if (auto* d = device(volume)) ++d->lower_pending;
  }
  void disk_finished(volume_nr volume, io_op op, std::uint64_t latency_ns) {
    auto* d = device(volume);
    if (d == nullptr) return;
    if (d->lower_pending > 0) --d->lower_pending;
    if (op == io_op::write) d->disk_write_latency.observe_ns(latency_ns);
  }

  // A replicated write that asks for an ack went to `peer`; its ack names the same block_id.
  // One slot per block_id modulo the table: a collision forgets the older write (one sample
  // lost), which keeps the table fixed-size. The table (16 KiB) is made on the first replicated
  // write: a node holds many resources that never write through it (Secondaries, tie-breakers).
  void data_sent(node_id peer, std::uint64_t block_id, std::uint64_t now_ns) {
    auto found = peers_.find(peer);
    if (found == peers_.end()) return;
    if (found->second.acks.empty()) found->second.acks.resize(kAckSlots);
    found->second.acks[block_id % kAckSlots] = {block_id, now_ns};
  }
  void ack_received(node_id peer, std::uint64_t block_id, std::uint64_t now_ns) {
    auto found = peers_.find(peer);
    if (found == peers_.end() || found->second.acks.empty()) return;
    ack_slot& slot = found->second.acks[block_id % kAckSlots];
    if (slot.sent_ns == 0 || slot.block_id != block_id || now_ns < slot.sent_ns) return;
    const std::uint64_t latency_ns = now_ns - slot.sent_ns;
    found->second.io.ack_latency.observe_ns(latency_ns);
    found->second.io.last_ack_latency_ns = latency_ns;
    slot = {};
  }

  metrics::device_io_stats* device(volume_nr volume) {
    auto found = devices_.find(volume);
    return found == devices_.end() ? nullptr : &found->second;
  }
  metrics::peer_io_stats* peer(node_id peer_id) {
    auto found = peers_.find(peer_id);
    return found == peers_.end() ? nullptr : &found->second.io;
  }

 private:
  static constexpr std::size_t kAckSlots = 1024;
  struct ack_slot {
    std::uint64_t block_id = 0;
    std::uint64_t sent_ns = 0;
  };
  struct peer_entry {
    metrics::peer_io_stats io;
    std::vector<ack_slot> acks;
  };
  std::map<volume_nr, metrics::device_io_stats> devices_;
  std::map<node_id, peer_entry> peers_;
};

}  // namespace tandem::engine
