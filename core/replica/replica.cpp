// Replica's public wrapper and the I/O path: client requests, replicated writes, forwarded reads,
// and the ordering of overlapping disk requests.
#include "core/replica/replica.h"

#include <algorithm>
#include <cassert>

#include "core/replica/replica_machine.h"

namespace tandem {

const char* to_string(io_status status) {
  switch (status) {
    case io_status::ok: return "ok";
    case io_status::io_error: return "I/O error";
    case io_status::not_primary: return "not Primary (writes need the Primary role)";
    case io_status::no_data: return "no access to UpToDate data";
    case io_status::out_of_range: return "beyond the end of the volume";
    case io_status::invalid: return "invalid request";
    case io_status::no_quorum: return "no quorum";
  }
  return "?";
}

// ------------------------------------------------------------------------------------ Replica

namespace {

std::vector<local_volume> fresh_volumes(const replica_config& config) {
  std::vector<local_volume> volumes;
  for (const auto& vc : config.volumes) {
    local_volume volume;
    volume.number = vc.number;
    volume.size_sectors = vc.size_sectors;
    volume.size_blocks = (vc.size_sectors * kSectorBytes + kBlockBytes - 1) / kBlockBytes;
    volume.disk = config.self_diskful ? disk_state::inconsistent : disk_state::diskless;
    volume.uuids.current = kUuidJustCreated;
    if (config.self_diskful) {
      for (const auto& peer : config.peers) {
        if (peer.diskful) volume.bitmaps.emplace(peer.node, block_bitmap(volume.size_blocks));
      }
    }
    volumes.push_back(std::move(volume));
  }
  return volumes;
}

}  // namespace

Replica::Replica(replica_config config)
    : machine_(std::make_unique<replica_machine>(config, fresh_volumes(config))) {}

Replica::Replica(std::unique_ptr<replica_machine> machine) : machine_(std::move(machine)) {}

Replica Replica::restore(replica_config config, const std::vector<volume_persistent_state>& saved) {
  auto volumes = fresh_volumes(config);
  std::vector<bool> al_to_apply(volumes.size(), false);
  for (std::size_t vi = 0; vi < volumes.size(); ++vi) {
    auto& volume = volumes[vi];
    bool apply_al = false;
    for (const auto& state : saved) {
      if (state.number != volume.number) continue;
      volume.disk = config.self_diskful ? state.disk : disk_state::diskless;
      volume.uuids = state.uuids;
      volume.uuids.crashed_primary = false;
      for (auto extent : state.active_extents) volume.activity_log[extent] = {};
      if (volume.disk >= disk_state::inconsistent) {
        // Crashed as Primary: writes in the hot extents may have reached only some replicas. Or
        // crashed again before it had resynced them to every peer (the persisted flag): the bits
        // are still in the persisted bitmaps, and the peers not reached yet still need them.
        volume.crashed_primary = state.primary_indicator || state.uuids.crashed_primary;
        apply_al = state.primary_indicator;
      }
      for (auto& [node, bitmap] : volume.bitmaps) {
        auto found = state.bitmaps.find(node);
        if (found != state.bitmaps.end() && found->second.size_blocks() == bitmap.size_blocks()) {
          bitmap = found->second;
        }
      }
    }
    al_to_apply[vi] = apply_al;
  }
  for (std::size_t vi = 0; vi < volumes.size(); ++vi) {
    auto& volume = volumes[vi];
    if (!volume.crashed_primary) continue;
    for (const auto& [node, bitmap] : volume.bitmaps) volume.crash_resync_owed |= mask_of(node);
    if (!al_to_apply[vi]) continue;
    if (planted_bugs_compiled && config.planted == planted_bug::forget_activity_log) continue;
    for (const auto& [extent, entry] : volume.activity_log) {
      const block_range blocks{extent * kBlocksPerAlExtent, kBlocksPerAlExtent};
      for (auto& [node, bitmap] : volume.bitmaps) bitmap.set(blocks);
    }
  }
  return Replica(std::make_unique<replica_machine>(std::move(config), std::move(volumes)));
}

Replica::~Replica() = default;
Replica::Replica(Replica&&) noexcept = default;
Replica& Replica::operator=(Replica&&) noexcept = default;

void Replica::step(const input& in, std::vector<output>& out) {
  machine_->step(in, out);
}
replica_view Replica::view() const {
  return machine_->view();
}
std::vector<volume_persistent_state> Replica::persistent_state() const {
  return machine_->persistent_state();
}
node_id Replica::self() const {
  return machine_->config().self;
}

// ------------------------------------------------------------------------------ replica_machine

replica_machine::replica_machine(replica_config config, std::vector<local_volume> volumes)
    : config_(std::move(config)), volumes_(std::move(volumes)) {
  assert(config_.self < kMaxNodes);
  assert(config_.peers.size() < kMaxNodes);
  // Each node's UUID stream starts at a hash of (seed, node id, restored metadata): streams of
  // different nodes must not overlap, or two nodes would mint the same generation, and neither may
  // the streams of one node before and after a restart (see mix_restored_generations).
  std::uint64_t mixed = config_.uuid_seed * 0x100000001b3ull + config_.self + 1;
  mixed = (mixed ^ (mixed >> 30)) * 0xbf58476d1ce4e5b9ull;
  mixed = (mixed ^ (mixed >> 27)) * 0x94d049bb133111ebull;
  uuid_state_ = mixed ^ (mixed >> 31);
  mix_restored_generations();
  for (const auto& pc : config_.peers) {
    assert(pc.node != config_.self && pc.node < kMaxNodes);
    peer_link peer;
    peer.node = pc.node;
    peer.diskful = pc.diskful;
    peer.proto = pc.proto;
    peer.volumes.resize(volumes_.size());
    peer.tiebreaker = pc.tiebreaker;
    peers_.push_back(std::move(peer));
  }
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    // Nobody is connected yet: quorum only if this node's own vote suffices.
    volumes_[vi].have_quorum = decide_quorum(count_votes(vi), config_.quorum,
                                             config_.quorum_minimum_redundancy, false, false)
                                   .have;
  }
}

// DRBD draws generation UUIDs from the kernel's random pool, so a node never mints one twice. Here
// they come from a stream seeded by the config, and a driver that restarts a node with the same
// seed (the simulator does) would replay the stream: the restarted node re-mints generations it
// minted before its crash. Peers hold such a value as an old generation in their history or
// bitmap UUIDs although it now names newer data, so a clean failover compares as history-both or
// bitmap-both (a split brain nobody caused), or a stale node's bitmap UUID makes it the source
// for the Primary. The restored metadata (current, bitmap UUIDs, history) changes with every
// generation or sync UUID this node mints, so the stream starts from it as well as from the seed:
// the streams of two lives of a node differ unless nothing was minted in between.
void replica_machine::mix_restored_generations() {
  auto mix = [&](generation_uuid uuid) {
    // splitmix64's finaliser over the running state: order-sensitive and well spread.
    std::uint64_t z = uuid_state_ + uuid + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    uuid_state_ = z ^ (z >> 31);
  };
  for (const auto& volume : volumes_) {
    const uuid_set& uuids = volume.uuids;
    mix(uuids.current);
    for (int node = 0; node < kMaxNodes; ++node) {
      const auto n = static_cast<node_id>(node);
      mix(mask_has(uuids.bitmap_uuid_nodes, n) ? uuids.bitmap_uuids[n] : 0);
    }
    for (generation_uuid uuid : uuids.history) mix(uuid);
  }
}

void replica_machine::step(const input& in, std::vector<output>& out) {
  out_ = &out;
  now_ns_ = in.now_ns;
  std::visit(
      [&](const auto& kind) {
        using T = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<T, client_io>) {
          on_client(kind);
        } else if constexpr (std::is_same_v<T, peer_message>) {
          if (auto* peer = find_peer(kind.peer)) on_message(*peer, kind.msg);
        } else if constexpr (std::is_same_v<T, peer_connected>) {
          if (auto* peer = find_peer(kind.peer)) on_peer_connected(*peer);
        } else if constexpr (std::is_same_v<T, peer_lost>) {
          if (auto* peer = find_peer(kind.peer)) on_peer_lost(*peer);
        } else if constexpr (std::is_same_v<T, disk_done>) {
          on_disk_done(kind);
        } else if constexpr (std::is_same_v<T, timer_fired>) {
          on_resync_rate_timer(kind.timer);
          on_connect_retry_timer(kind.timer);
          on_change_retry_timer(kind.timer);
        } else if constexpr (std::is_same_v<T, admin>) {
          on_admin(kind);
        }
      },
      in.kind);
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) update_quorum(vi);
  // Whatever this input changed (a write arrived, a generation moved on, a writer was lost) may
  // let resync reads waiting for a write go ahead; after the write itself was queued.
  release_parked_resync_reads();
  out_ = nullptr;
}

peer_link* replica_machine::find_peer(node_id node) {
  for (auto& peer : peers_) {
    if (peer.node == node) return &peer;
  }
  return nullptr;
}

std::size_t replica_machine::volume_index_of(volume_nr number) const {
  for (std::size_t i = 0; i < volumes_.size(); ++i) {
    if (volumes_[i].number == number) return i;
  }
  return volumes_.size();
}

void replica_machine::send(const peer_link& peer, wire::message msg) {
  emit(send_to{peer.node, std::move(msg)});
}

void replica_machine::emit_event(std::string name, node_id peer, volume_nr volume,
                                 std::uint64_t blocks, std::string detail) {
  emit(event{std::move(name), peer, volume, blocks, std::move(detail)});
}

// ------------------------------------------------------------------------------------ client I/O

void replica_machine::on_client(const client_io& io) {
  const std::size_t vi = volume_index_of(io.volume);
  auto reject = [&](io_status status) { emit(complete_client{io.tag, status, {}}); };
  if (vi == volumes_.size()) return reject(io_status::out_of_range);
  if (clients_.count(io.tag)) return reject(io_status::invalid);
  const local_volume& volume = volumes_[vi];
  switch (io.op) {
    case io_op::write:
      if (role_ != role::primary) return reject(io_status::not_primary);
      if (io.buffer.empty() || io.buffer.length_bytes < io.length_bytes) {
        return reject(io_status::invalid);
      }
      [[fallthrough]];
    case io_op::read:
      if (io.length_bytes == 0 || io.length_bytes > kMaxIoBytes) return reject(io_status::invalid);
      if (io.offset_bytes % kSectorBytes != 0 || io.length_bytes % kSectorBytes != 0) {
        return reject(io_status::invalid);
      }
      if (io.offset_bytes + io.length_bytes > volume.size_sectors * kSectorBytes) {
        return reject(io_status::out_of_range);
      }
      break;
    case io_op::flush: break;
    case io_op::trim:
    case io_op::write_zeroes:
      // Replicated discards arrive with the NBD export; until then they are refused, not ignored.
      return reject(io_status::invalid);
  }
  client_request request;
  request.tag = io.tag;
  request.op = io.op;
  request.volume_index = vi;
  request.offset_bytes = io.offset_bytes;
  request.length_bytes = io.length_bytes;
  request.buffer = io.buffer;
  if (lacks_quorum(vi)) {
    // DRBD on-no-quorum: fail the I/O, or freeze it until quorum returns.
    if (config_.on_no_quorum_policy == on_no_quorum::io_error) return reject(io_status::no_quorum);
    clients_.emplace(io.tag, request).first->second.suspended = true;
    suspended_.push_back(io.tag);
    return;
  }
  start_client_request(clients_.emplace(io.tag, request).first->second);
}

void replica_machine::start_client_request(client_request& request) {
  switch (request.op) {
    case io_op::write: return on_client_write(request);
    case io_op::read: return on_client_read(request);
    case io_op::flush: return on_client_flush(request);
    case io_op::trim:
    case io_op::write_zeroes: break;  // refused in on_client
  }
}

void replica_machine::on_client_flush(client_request& request) {
  if (volumes_[request.volume_index].disk < disk_state::inconsistent) {
    // Diskless: acknowledged writes are already on the peers' disks (protocol C).
    emit(complete_client{request.tag, io_status::ok, {}});
    clients_.erase(request.tag);  // last use of `request`
    return;
  }
  request.local_pending = true;
  disk_request dr =
      make_disk_request(disk_purpose::client_flush, request.volume_index, io_op::flush, 0, 0, {});
  dr.client_tag = request.tag;
  submit(std::move(dr));
}

node_mask replica_machine::replication_targets(std::size_t vi) const {
  node_mask targets = 0;
  for (const auto& peer : peers_) {
    if (!handshake_done(peer) || !peer.diskful) continue;
    const auto& pv = peer.volumes[vi];
    const bool replicating = pv.repl == repl_state::established || is_sync_source_state(pv.repl) ||
                             is_sync_target_state(pv.repl);
    if (replicating && pv.peer_disk >= disk_state::inconsistent) targets |= mask_of(peer.node);
  }
  return targets;
}

bool replica_machine::serves_my_data(const peer_link& peer, std::size_t vi) const {
  if (peer.volumes[vi].peer_disk != disk_state::uptodate || peer.volumes[vi].missing_writes) {
    return false;
  }
  const local_volume& volume = volumes_[vi];
  if (config_.self_diskful || role_ != role::primary) return true;
  return uuid_value(peer.volumes[vi].peer_state.current) == uuid_value(volume.uuids.current);
}

bool replica_machine::reaches_uptodate_copy(std::size_t vi, node_mask targets) const {
  if (volumes_[vi].disk == disk_state::uptodate) return true;
  for (const auto& peer : peers_) {
    if (mask_has(targets, peer.node) && serves_my_data(peer, vi)) return true;
  }
  return false;
}

void replica_machine::on_client_write(client_request& request) {
  if (write_blocked_by_resync_read(request, waiting_writes_.size())) {
    waiting_writes_.push_back(request.tag);
    return;
  }
  dispatch_client_write(request);
}

// A write must not be sent to peers while a resync read of the same blocks is in flight here:
// the (older) resync reply would reach the target after the (newer) write and overwrite it. Such
// a write waits, with everything after it that overlaps it, until the read is done.
bool replica_machine::write_blocked_by_resync_read(const client_request& request,
                                                   std::size_t waiting_before) const {
  const block_range blocks = blocks_of_bytes(request.offset_bytes, request.length_bytes);
  auto blocks_it = [&](const disk_request& other) {
    return other.purpose == disk_purpose::resync_read &&
           other.volume_index == request.volume_index && other.blocks.overlaps(blocks);
  };
  for (const auto& [id, other] : in_flight_) {
    if (blocks_it(other)) return true;
  }
  for (const auto& other : deferred_) {
    if (blocks_it(other)) return true;
  }
  for (std::size_t i = 0; i < waiting_before && i < waiting_writes_.size(); ++i) {
    const client_request& earlier = clients_.at(waiting_writes_[i]);
    if (earlier.volume_index == request.volume_index &&
        blocks_of_bytes(earlier.offset_bytes, earlier.length_bytes).overlaps(blocks)) {
      return true;
    }
  }
  return false;
}

void replica_machine::dispatch_client_write(client_request& request) {
  const std::size_t vi = request.volume_index;
  local_volume& volume = volumes_[vi];
  maybe_pull_ahead(vi);  // a peer this node is Ahead of gets no data, only out_of_sync notices
  const node_mask targets = replication_targets(vi);
  const bool local_disk = volume.disk >= disk_state::inconsistent;
  if (!reaches_uptodate_copy(vi, targets)) {
    // Written only to copies that are not UpToDate (an Inconsistent disk whose sync source is
    // gone), the write would be acknowledged on data that a later resync overwrites: like DRBD
    // without access to UpToDate data, fail it.
    emit(complete_client{request.tag, io_status::no_data, {}});
    clients_.erase(request.tag);
    return;
  }
  if (!local_disk && targets == 0) {
    emit(complete_client{request.tag, io_status::no_data, {}});
    clients_.erase(request.tag);
    return;
  }
  // A writer numbers the writes of its generation from 1; one that does not know its count (it
  // took this generation from a resync) starts a new generation first. Only for a write that
  // goes out: a generation minted for a failed write would name data nobody holds, and an
  // Inconsistent Primary would then look newer than every UpToDate peer.
  if (volume.new_uuid_pending || volume.writes_seen == kWritesSeenUnknown) {
    rotate_current_uuid(vi, 0);
  }
  const block_range blocks = blocks_of_bytes(request.offset_bytes, request.length_bytes);
  // Every diskful peer that does not get this write must resync these blocks later.
  for (const auto& [node, bitmap] : volume.bitmaps) {
    if (!mask_has(targets, node) && !planted(planted_bug::no_bitmap_while_away)) {
      mark_out_of_sync(vi, node, blocks);
    }
  }
  const node_mask replicated_to = targets | (local_disk ? mask_of(config_.self) : 0);
  request.write_seq = ++volume.writes_seen;
  const std::uint64_t sector = request.offset_bytes / kSectorBytes;
  for (auto& peer : peers_) {
    if (!mask_has(targets, peer.node)) continue;
    // Every protocol asks for the peer's write_ack: C completes on it, A and B keep the write in
    // the transfer log until it arrives (DRBD's barrier ack does that per epoch).
    std::uint32_t flags = wire::kDataFlagWantWriteAck;
    if (peer.proto == protocol::b) flags |= wire::kDataFlagWantRecvAck;
    if (peer.proto != protocol::c) log_sent_write(peer, request);
    // Protocol A: the write counts as replicated once handed to the transport.
    if (peer.proto != protocol::a && !planted(planted_bug::ack_before_peer)) {
      request.acks_pending |= mask_of(peer.node);
    }
    if (peer.proto == protocol::a) {
      request.unacknowledged |= mask_of(peer.node);
      if (serves_my_data(peer, vi)) request.uptodate_copies |= mask_of(peer.node);
    }
    send(peer, wire::data{volume.number, sector, request.tag, flags, replicated_to,
                          request.write_seq, buffer_ref{request.buffer.id, request.length_bytes}});
  }
  request.replicated_to = replicated_to;
  if (local_disk) {
    request.local_pending = true;
    note_local_write(vi, blocks, config_.self);
    al_begin_write(vi, blocks);
    disk_request dr = make_disk_request(disk_purpose::client_write, vi, io_op::write,
                                        request.offset_bytes, request.length_bytes,
                                        buffer_ref{request.buffer.id, request.length_bytes});
    dr.client_tag = request.tag;
    submit(std::move(dr));
  }
  maybe_complete(request.tag);
}

void replica_machine::on_client_read(client_request& request) {
  const std::size_t vi = request.volume_index;
  const local_volume& volume = volumes_[vi];
  if (volume.disk == disk_state::uptodate) {
    request.local_pending = true;
    disk_request dr = make_disk_request(disk_purpose::client_read, vi, io_op::read,
                                        request.offset_bytes, request.length_bytes, request.buffer);
    dr.client_tag = request.tag;
    return submit(std::move(dr));
  }
  if (!forward_read(request)) {
    emit(complete_client{request.tag, io_status::no_data, {}});
    clients_.erase(request.tag);  // last use of `request`
  }
}

// Sends a read to the lowest-numbered connected UpToDate peer not yet tried (DRBD read-balancing
// "prefer-local" falls back to a peer the same way).
bool replica_machine::forward_read(client_request& request) {
  const std::size_t vi = request.volume_index;
  for (const auto& peer : peers_) {
    if (!handshake_done(peer) || mask_has(request.read_tried, peer.node)) continue;
    if (!serves_my_data(peer, vi)) continue;
    request.read_tried |= mask_of(peer.node);
    request.acks_pending = mask_of(peer.node);
    wire::data_request msg;
    msg.volume = volumes_[vi].number;
    msg.sector = request.offset_bytes / kSectorBytes;
    msg.block_id = request.tag;
    msg.size_bytes = request.length_bytes;
    send(peer, msg);
    return true;
  }
  return false;
}

void replica_machine::maybe_complete(std::uint64_t tag) {
  auto found = clients_.find(tag);
  if (found == clients_.end()) return;
  if (found->second.local_pending || found->second.acks_pending != 0) return;
  if (found->second.op == io_op::write) {
    // The peer loss that let this write finish may have taken the quorum with it. Updating it can
    // resume suspended requests (this one among them), so look the request up again afterwards.
    update_quorum(found->second.volume_index);
    found = clients_.find(tag);
    if (found == clients_.end()) return;
  }
  client_request& request = found->second;
  if (request.op == io_op::write && lacks_quorum(request.volume_index)) {
    // Never acknowledge a write without quorum: fail it, or hold the answer until quorum returns.
    if (config_.on_no_quorum_policy == on_no_quorum::io_error) {
      send_peer_ack(request, (request.local_ok ? mask_of(config_.self) : 0) | request.acked |
                                 request.unacknowledged);
      emit(complete_client{tag, io_status::no_quorum, {}});
      clients_.erase(found);
      return;
    }
    if (!request.suspended) {
      request.suspended = true;
      suspended_.push_back(tag);
    }
    return;
  }
  // A write succeeds if at least one copy reached stable storage; copies that missed it are in the
  // bitmaps and get resynced. Copies that are all Inconsistent (the UpToDate ones went away while
  // it was in flight) do not count: a resync from an UpToDate node overwrites them later.
  const node_mask have =
      (request.local_ok ? mask_of(config_.self) : 0) | request.acked | request.unacknowledged;
  const bool ok = (have & ~mask_of(config_.self)) != 0 || request.local_ok;
  io_status status = ok ? io_status::ok : io_status::io_error;
  if (request.op == io_op::write) {
    const bool local_uptodate =
        request.local_ok && volumes_[request.volume_index].disk == disk_state::uptodate;
    if (ok && !local_uptodate && request.uptodate_copies == 0) status = io_status::no_data;
    send_peer_ack(request, have);
  }
  emit(complete_client{tag, status, {}});
  clients_.erase(found);
}

// Tells every node a completed write was sent to who holds it (DRBD P_PEER_ACK): receivers mark
// the nodes that never got it, and stop counting the write as unsettled. A diskless writer's sync
// targets also learn here whether their source has the write (they cannot fetch it back from the
// writer).
void replica_machine::send_peer_ack(const client_request& request, node_mask have) {
  node_mask unconfirmed = 0;
  for (const auto& peer : peers_) {
    if (peer.transfer_log.count(request.tag)) unconfirmed |= mask_of(peer.node);
  }
  pending_peer_ack pending{wire::peer_ack{volumes_[request.volume_index].number,
                                          request.offset_bytes / kSectorBytes,
                                          request.length_bytes, have & ~unconfirmed,
                                          request.write_seq},
                           request.replicated_to, unconfirmed};
  if (unconfirmed != 0) {
    pending_peer_acks_[request.tag] = pending;
    return;
  }
  deliver_peer_ack(pending);
}

void replica_machine::deliver_peer_ack(const pending_peer_ack& pending) {
  for (const auto& peer : peers_) {
    if (mask_has(pending.send_to, peer.node) && handshake_done(peer)) send(peer, pending.ack);
  }
}

// A protocol A or B peer confirmed (or, lost or refused, never will) that a write from its
// transfer log is on its disk.
void replica_machine::settle_sent_write(std::uint64_t tag, node_id node, bool written) {
  auto client = clients_.find(tag);
  if (client != clients_.end() && !written) {
    client->second.unacknowledged &= ~mask_of(node);
    client->second.acked &= ~mask_of(node);
    client->second.uptodate_copies &= ~mask_of(node);
  }
  auto found = pending_peer_acks_.find(tag);
  if (found == pending_peer_acks_.end()) return;
  pending_peer_ack& pending = found->second;
  pending.unconfirmed &= ~mask_of(node);
  if (written) pending.ack.have |= mask_of(node);
  if (pending.unconfirmed != 0) return;
  deliver_peer_ack(pending);
  pending_peer_acks_.erase(found);
}

// ----------------------------------------------------------------------- replicated writes (peer)

void replica_machine::on_peer_data(peer_link& peer, const wire::data& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  const bool in_range =
      vi < volumes_.size() && msg.sector * kSectorBytes + msg.payload.length_bytes <=
                                  volumes_[vi].size_sectors * kSectorBytes;
  wire::block_ack_fields ack{msg.volume, msg.sector, msg.block_id, msg.payload.length_bytes};
  if (!in_range || volumes_[vi].disk < disk_state::inconsistent) {
    return send(peer, wire::neg_ack{ack});
  }
  if (lacks_quorum(vi)) {
    // A writer may believe it has quorum on a stale report (a diskless Primary borrows it): this
    // node refuses the write, so no write completes on the strength of a partition without quorum.
    return send(peer, wire::neg_ack{ack});
  }
  local_volume& volume = volumes_[vi];
  const block_range blocks = blocks_of_sectors(msg.sector, msg.payload.length_bytes);
  // Mirror DRBD's P_PEER_ACK bookkeeping: nodes the writer did not reach miss this write.
  for (const auto& [node, bitmap] : volume.bitmaps) {
    if (node != peer.node && !mask_has(msg.replicated_to, node)) mark_out_of_sync(vi, node, blocks);
  }
  if (msg.flags & wire::kDataFlagWantRecvAck) send(peer, wire::recv_ack{ack});
  // A gap in the writer's numbering (writes it could not send me) makes my count no measure of
  // what I hold: unknown for the rest of the generation.
  const bool in_sequence =
      volume.writes_seen != kWritesSeenUnknown && msg.write_seq == volume.writes_seen + 1;
  volume.writes_seen = in_sequence || msg.write_seq == 1 ? msg.write_seq : kWritesSeenUnknown;
  peer.unacked_writes[msg.write_seq] = {vi, blocks};
  note_local_write(vi, blocks, peer.node);
  if (active_source(vi) != nullptr) {
    for (auto block = blocks.first; block < blocks.end(); ++block) {
      volume.written_during_resync[block] = msg.write_seq;
    }
  }
  disk_request dr =
      make_peer_disk_request(disk_purpose::peer_write, peer, vi, io_op::write, msg.sector,
                             msg.payload.length_bytes, msg.block_id, msg.payload);
  dr.data_flags = msg.flags;
  submit(std::move(dr));
  note_writes_held_from(peer, vi, peer.volumes[vi].peer_state.current, msg.write_seq);
}

void replica_machine::on_peer_write_ack(peer_link& peer, const wire::block_ack_fields& ack,
                                        bool ok) {
  auto found = clients_.find(ack.block_id);
  if (found == clients_.end() || !mask_has(found->second.acks_pending, peer.node)) return;
  client_request& request = found->second;
  request.acks_pending &= ~mask_of(peer.node);
  if (ok) {
    request.acked |= mask_of(peer.node);
    if (serves_my_data(peer, request.volume_index)) request.uptodate_copies |= mask_of(peer.node);
  } else {
    mark_out_of_sync(request.volume_index, peer.node,
                     blocks_of_bytes(request.offset_bytes, request.length_bytes));
  }
  maybe_complete(ack.block_id);
}

void replica_machine::log_sent_write(peer_link& peer, const client_request& request) {
  const block_range blocks = blocks_of_bytes(request.offset_bytes, request.length_bytes);
  peer.transfer_log[request.tag] = {request.volume_index, blocks, request.length_bytes};
  peer.transfer_log_bytes += request.length_bytes;
}

// The peer's disk answered a write from the transfer log. A failed one is marked out of sync (its
// client may be gone already). Once the log is empty, every volume this node is Ahead on is
// resynced from the bitmap that collected the writes meanwhile (on-congestion pull-ahead).
void replica_machine::confirm_sent_write(peer_link& peer, std::uint64_t tag, bool written) {
  auto found = peer.transfer_log.find(tag);
  if (found == peer.transfer_log.end()) return;
  const auto sent = found->second;
  peer.transfer_log_bytes -= sent.length_bytes;
  peer.transfer_log.erase(found);
  if (!written) mark_out_of_sync(sent.volume_index, peer.node, sent.blocks);
  settle_sent_write(tag, peer.node, written);
  if (peer.transfer_log_bytes != 0) return;
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    if (peer.volumes[vi].repl != repl_state::ahead) continue;
    if (volumes_[vi].disk != disk_state::uptodate) continue;  // it stays Ahead until reconnected
    start_resync_as_source(peer, vi, {sync_strategy::source_use_bitmap, "congestion-cleared"});
  }
}

// --------------------------------------------------------------------------- forwarded reads

void replica_machine::on_data_request(peer_link& peer, const wire::data_request& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (!in_volume(vi, msg.sector, msg.size_bytes) || volumes_[vi].disk != disk_state::uptodate) {
    return send(peer, wire::neg_dreply{{msg.volume, msg.sector, msg.block_id, msg.size_bytes}});
  }
  submit(make_peer_disk_request(disk_purpose::serve_read, peer, vi, io_op::read, msg.sector,
                                msg.size_bytes, msg.block_id, {}));
}

void replica_machine::on_data_reply(peer_link& peer, const wire::data_reply& msg) {
  auto found = clients_.find(msg.block_id);
  if (found == clients_.end() || found->second.op != io_op::read ||
      !mask_has(found->second.acks_pending, peer.node)) {
    return;
  }
  emit(complete_client{msg.block_id, io_status::ok, msg.payload});
  clients_.erase(found);
}

void replica_machine::on_neg_dreply(peer_link& peer, const wire::neg_dreply& msg) {
  auto found = clients_.find(msg.block_id);
  if (found == clients_.end() || !mask_has(found->second.acks_pending, peer.node)) return;
  found->second.acks_pending = 0;
  if (!forward_read(found->second)) {
    emit(complete_client{msg.block_id, io_status::io_error, {}});
    clients_.erase(found);
  }
}

// ------------------------------------------------------------------------------------ the disk

bool replica_machine::conflicts(const disk_request& request, std::size_t deferred_before) const {
  if (!request.ordered) return false;
  auto clash = [&](const disk_request& other) {
    return other.ordered && other.volume_index == request.volume_index &&
           (other.is_write || request.is_write) && other.blocks.overlaps(request.blocks);
  };
  for (const auto& [id, other] : in_flight_) {
    if (clash(other)) return true;
  }
  for (std::size_t i = 0; i < deferred_before && i < deferred_.size(); ++i) {
    if (clash(deferred_[i])) return true;
  }
  return false;
}

disk_request replica_machine::make_disk_request(disk_purpose purpose, std::size_t vi, io_op op,
                                                std::uint64_t offset_bytes,
                                                std::uint32_t length_bytes,
                                                buffer_ref buffer) const {
  disk_request request;
  request.purpose = purpose;
  request.volume_index = vi;
  request.blocks = blocks_of_bytes(offset_bytes, length_bytes);
  request.is_write = op == io_op::write;
  // A resync read must not pass a write to the same blocks either (see submit()).
  request.ordered = request.is_write || purpose == disk_purpose::resync_read;
  request.submit =
      disk_submit{0, op, volumes_[vi].number, offset_bytes, length_bytes, buffer, false};
  return request;
}

disk_request replica_machine::make_peer_disk_request(disk_purpose purpose, const peer_link& peer,
                                                     std::size_t vi, io_op op, std::uint64_t sector,
                                                     std::uint32_t length_bytes,
                                                     std::uint64_t block_id,
                                                     buffer_ref buffer) const {
  disk_request request =
      make_disk_request(purpose, vi, op, sector * kSectorBytes, length_bytes, buffer);
  request.peer = peer.node;
  request.peer_epoch = peer.epoch;
  request.sector = sector;
  request.length_bytes = length_bytes;
  request.block_id = block_id;
  // What a peer writes here is acknowledged to it, and from then on only this node holds it for
  // the peer (a writer marks nothing for it, a sync source clears its bit): it must survive a power
  // cut here, so it goes to stable storage before the acknowledgement (FUA). DRBD reaches the
  // same with barriers that flush the disk once per epoch; a write cache the ack outran would lose
  // data both sides count as in sync (integration test tandemd power-cut on the Secondary).
  if (op == io_op::write &&
      (purpose == disk_purpose::peer_write || purpose == disk_purpose::resync_write)) {
    request.submit.fua = true;
  }
  return request;
}

bool replica_machine::in_volume(std::size_t vi, std::uint64_t sector,
                                std::uint32_t length_bytes) const {
  return vi < volumes_.size() && length_bytes > 0 &&
         sector * kSectorBytes + length_bytes <= volumes_[vi].size_sectors * kSectorBytes;
}

// Overlapping writes (and a resync read vs. a write) are never in flight together, so the disk
// cannot reorder them: the later one waits. This is what keeps resync data from overwriting newer
// data.
void replica_machine::submit(disk_request request) {
  request.id = next_request_id_++;
  request.submit.request = request.id;
  if (conflicts(request, deferred_.size())) {
    if (!request.submit.buffer.empty()) emit(retain_buffer{request.submit.buffer.id});
    deferred_.push_back(std::move(request));
    return;
  }
  emit(request.submit);
  in_flight_.emplace(request.id, std::move(request));
}

void replica_machine::release_ordered(std::uint64_t request_id) {
  in_flight_.erase(request_id);
  for (std::size_t i = 0; i < deferred_.size();) {
    if (conflicts(deferred_[i], i)) {
      ++i;
      continue;
    }
    disk_request ready = std::move(deferred_[i]);
    deferred_.erase(deferred_.begin() + static_cast<std::ptrdiff_t>(i));
    emit(ready.submit);
    if (!ready.submit.buffer.empty()) emit(release_buffer{ready.submit.buffer.id});
    in_flight_.emplace(ready.id, std::move(ready));
  }
  for (std::size_t i = 0; i < waiting_writes_.size();) {
    client_request& waiting = clients_.at(waiting_writes_[i]);
    if (write_blocked_by_resync_read(waiting, i)) {
      ++i;
      continue;
    }
    waiting_writes_.erase(waiting_writes_.begin() + static_cast<std::ptrdiff_t>(i));
    dispatch_client_write(waiting);
  }
}

void replica_machine::on_disk_done(const disk_done& done) {
  auto found = in_flight_.find(done.request);
  if (found == in_flight_.end()) return;
  const disk_request request = found->second;
  release_ordered(done.request);
  peer_link* peer = find_peer(request.peer);
  const bool peer_current = peer && peer->epoch == request.peer_epoch && handshake_done(*peer);
  const volume_nr volume_number = volumes_[request.volume_index].number;
  wire::block_ack_fields ack{volume_number, request.sector, request.block_id, request.length_bytes};
  const bool attached = volumes_[request.volume_index].disk >= disk_state::inconsistent;
  const bool read =
      request.purpose == disk_purpose::client_read || request.purpose == disk_purpose::serve_read ||
      request.purpose == disk_purpose::resync_read ||
      request.purpose == disk_purpose::verify_read ||
      request.purpose == disk_purpose::verify_serve || request.purpose == disk_purpose::csum_read;
  if (!done.ok && attached) on_local_io_error(request.volume_index, request.blocks, read);
  switch (request.purpose) {
    case disk_purpose::client_write:
      al_end_write(request.volume_index, request.blocks);
      [[fallthrough]];
    case disk_purpose::client_flush: {
      auto client = clients_.find(request.client_tag);
      if (client == clients_.end()) return;
      client->second.local_pending = false;
      client->second.local_ok = done.ok;
      return maybe_complete(request.client_tag);
    }
    case disk_purpose::client_read: {
      auto client = clients_.find(request.client_tag);
      if (client == clients_.end()) return;
      if (done.ok) {
        emit(complete_client{request.client_tag, io_status::ok, done.buffer});
        clients_.erase(client);
      } else {
        client->second.local_pending = false;
        if (!forward_read(client->second)) {
          emit(complete_client{request.client_tag, io_status::io_error, {}});
          clients_.erase(client);
        }
      }
      return;
    }
    case disk_purpose::peer_write:
      if (!peer_current) return;
      if (!done.ok) return send(*peer, wire::neg_ack{ack});
      if (request.data_flags & wire::kDataFlagWantWriteAck) send(*peer, wire::write_ack{ack});
      return;
    case disk_purpose::serve_read:
      if (!peer_current) return;
      if (!done.ok) return send(*peer, wire::neg_dreply{ack});
      return send(*peer, wire::data_reply{{volume_number, request.sector, request.block_id,
                                           buffer_ref{done.buffer.id, request.length_bytes}}});
    case disk_purpose::resync_read:
      if (!peer_current) return;
      if (!done.ok) return send(*peer, wire::neg_rs_dreply{ack});
      if (request.checksum) return answer_checksum_request(*peer, request, done);
      peer->volumes[request.volume_index].served[request.block_id] = {request.blocks, false, false};
      return send(*peer,
                  wire::rs_data_reply{{volume_number, request.sector, request.block_id,
                                       buffer_ref{done.buffer.id, request.length_bytes}},
                                      request.writes_seen});
    case disk_purpose::resync_write:
      if (!peer) return;
      peer->volumes[request.volume_index].resync_requests.erase(request.block_id);
      if (!done.ok) return;
      return resync_blocks_landed(*peer, request, peer_current);
    case disk_purpose::verify_read:
    case disk_purpose::verify_serve: return on_verify_read_done(request, done, peer_current);
    case disk_purpose::csum_read: return on_csum_read_done(request, done, peer_current);
  }
}

// ------------------------------------------------------------------------------------ views

replica_view replica_machine::view() const {
  replica_view v;
  v.self = config_.self;
  v.local_role = role_;
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    const auto& volume = volumes_[vi];
    const auto suspended = std::count_if(suspended_.begin(), suspended_.end(), [&](auto tag) {
      auto found = clients_.find(tag);
      return found != clients_.end() && found->second.volume_index == vi;
    });
    v.volumes.push_back({volume.number, volume.disk, volume.uuids.current, volume.have_quorum,
                         static_cast<std::size_t>(suspended), volume.activity_log.size(),
                         volume.al_transactions, volume.size_sectors});
  }
  for (const auto& peer : peers_) {
    connection_view c;
    c.peer = peer.node;
    c.conn = peer.conn;
    c.peer_role = peer.peer_role;
    for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
      const auto& pv = peer.volumes[vi];
      auto bitmap = volumes_[vi].bitmaps.find(peer.node);
      const std::uint64_t dirty = bitmap == volumes_[vi].bitmaps.end() ? 0 : bitmap->second.count();
      c.volumes.push_back({shown_repl(pv), pv.peer_disk, dirty, pv.resynced_blocks,
                           pv.resync_skipped_blocks, pv.verified_blocks,
                           pv.verify_out_of_sync_blocks});
    }
    v.connections.push_back(std::move(c));
  }
  return v;
}

std::vector<volume_persistent_state> replica_machine::persistent_state() const {
  std::vector<volume_persistent_state> states;
  for (const auto& volume : volumes_) {
    volume_persistent_state state;
    state.number = volume.number;
    state.disk = volume.disk;
    state.uuids = volume.uuids;
    for (const auto& [extent, entry] : volume.activity_log) state.active_extents.push_back(extent);
    state.primary_indicator = role_ == role::primary;
    state.uuids.crashed_primary = volume.crashed_primary;  // DRBD MDF_CRASHED_PRIMARY
    for (const auto& [node, bitmap] : volume.bitmaps) state.bitmaps.emplace(node, bitmap);
    states.push_back(std::move(state));
  }
  return states;
}

}  // namespace tandem
