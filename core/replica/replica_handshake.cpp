// Connections, the state/UUID handshake with its sync decision, generation-UUID rotation, roles and
// admin commands.
#include <algorithm>
#include <cassert>
#include <cstdio>
#include <string>

#include "core/replica/replica_machine.h"

namespace tandem {

// ------------------------------------------------------------------------------ state setters

void replica_machine::set_role(role value) {
  if (role_ == value) return;
  emit(state_changed{state_object::resource, 0, 0, "role", to_string(role_), to_string(value)});
  role_ = value;
}

void replica_machine::set_disk(std::size_t vi, disk_state value) {
  auto& volume = volumes_[vi];
  if (volume.disk == value) return;
  emit(state_changed{state_object::device, 0, volume.number, "disk", to_string(volume.disk),
                     to_string(value)});
  volume.disk = value;
  broadcast_volume_state(vi);
}

void replica_machine::set_conn(peer_link& peer, conn_state value) {
  if (peer.conn == value) return;
  emit(state_changed{state_object::connection, peer.node, 0, "connection", to_string(peer.conn),
                     to_string(value)});
  peer.conn = value;
}

void replica_machine::set_peer_role(peer_link& peer, role value) {
  if (peer.peer_role == value) return;
  emit(state_changed{state_object::connection, peer.node, 0, "peer-role", to_string(peer.peer_role),
                     to_string(value)});
  peer.peer_role = value;
}

void replica_machine::set_repl(peer_link& peer, std::size_t vi, repl_state value) {
  auto& pv = peer.volumes[vi];
  if (pv.repl == value) return;
  // A verify runs only on an Established connection (replica_verify.cpp).
  if (pv.verify != peer_volume::verify_role::none) finish_verify(peer, vi, "replication changed");
  emit(state_changed{state_object::peer_device, peer.node, volumes_[vi].number, "replication",
                     to_string(pv.repl), to_string(value)});
  pv.repl = value;
}

void replica_machine::set_peer_disk(peer_link& peer, std::size_t vi, disk_state value) {
  auto& pv = peer.volumes[vi];
  if (pv.peer_disk == value) return;
  emit(state_changed{state_object::peer_device, peer.node, volumes_[vi].number, "peer-disk",
                     to_string(pv.peer_disk), to_string(value)});
  pv.peer_disk = value;
}

// ------------------------------------------------------------------------------ connections

void replica_machine::on_peer_connected(peer_link& peer) {
  // StandAlone (admin disconnect, split brain): hang up again until an admin connect.
  if (peer.conn == conn_state::standalone) return emit(disconnect_from{peer.node});
  ++peer.epoch;
  peer.features_sent = true;
  peer.features_received = false;
  peer.role_received = false;
  for (auto& pv : peer.volumes) pv = peer_volume{};
  send(peer, wire::features{wire::kProtocolMin, wire::kProtocolMax, config_.self, peer.node});
}

void replica_machine::on_peer_lost(peer_link& peer) {
  // Already handled when this side hung up itself (drop_connection).
  if (!peer.features_sent && !handshake_done(peer)) return;
  lose_peer(peer, handshake_done(peer));
}

void replica_machine::lose_peer(peer_link& peer, bool was_connected) {
  ++peer.epoch;
  peer.features_sent = peer.features_received = peer.role_received = false;
  peer.connect_agreed = false;
  peer.connect_retry_timer = 0;
  peer.two_primaries_since_ns.reset();
  if (peer.conn != conn_state::standalone) {
    set_conn(peer, conn_state::network_failure);
    set_conn(peer, conn_state::unconnected);
    set_conn(peer, conn_state::connecting);
  }
  set_peer_role(peer, role::unknown);
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    auto& pv = peer.volumes[vi];
    // A Primary that loses a peer with a disk starts a new generation at its next write.
    if (was_connected && pv.peer_disk >= disk_state::inconsistent && role_ == role::primary) {
      volumes_[vi].new_uuid_pending = true;
    }
    set_repl(peer, vi, repl_state::off);
    set_peer_disk(peer, vi, disk_state::dunknown);
    const std::uint64_t resynced = pv.resynced_blocks;
    pv = peer_volume{};
    pv.resynced_blocks = resynced;
  }
  // Writes and forwarded reads waiting for this peer: the peer missed them.
  std::vector<std::uint64_t> touched;
  std::vector<bool> missed_writes(volumes_.size(), false);
  auto missed = [&](std::size_t vi, block_range blocks) {
    missed_writes[vi] = true;
    auto bitmap = volumes_[vi].bitmaps.find(peer.node);
    if (bitmap != volumes_[vi].bitmaps.end()) bitmap->second.set(blocks);
  };
  for (auto& [tag, request] : clients_) {
    if (!mask_has(request.acks_pending, peer.node)) continue;
    request.acks_pending &= ~mask_of(peer.node);
    touched.push_back(tag);
    if (request.op != io_op::write) continue;
    missed(request.volume_index, blocks_of_bytes(request.offset_bytes, request.length_bytes));
  }
  // Protocol A and B writes its disk never confirmed: answered already, but maybe lost with the
  // connection (still in a send buffer, or in the peer's memory only).
  const auto unconfirmed = std::move(peer.transfer_log);
  peer.transfer_log.clear();
  peer.transfer_log_bytes = 0;
  for (const auto& [tag, sent] : unconfirmed) {
    missed(sent.volume_index, sent.blocks);
    settle_sent_write(tag, peer.node, false);
  }
  for (auto tag : touched) {
    auto found = clients_.find(tag);
    if (found == clients_.end()) continue;
    if (found->second.op == io_op::read && !found->second.local_pending) {
      if (!forward_read(found->second)) {
        emit(complete_client{tag, io_status::no_data, {}});
        clients_.erase(found);
      }
      continue;
    }
    maybe_complete(tag);
  }
  // The lost peer may lack writes of my generation that the others hold: leave that generation
  // now, not at the next write. Until then a third node would take the two for the same data (a
  // sync target clears its bits toward every source on the generation it pulled from).
  // Only where the writes live on, though: an Inconsistent Primary left without an UpToDate peer
  // failed them, and a generation minted for them would name data nobody holds (it would look
  // newer than every UpToDate node: sweep --lossy-network seed 429).
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    if (missed_writes[vi] && volumes_[vi].new_uuid_pending && generation_held(vi)) {
      rotate_current_uuid(vi, 0);
    }
  }
  // A lost coordinator ends its transaction here; a lost participant no longer needs to agree.
  bool ends_transaction =
      std::erase_if(prepared_connects_, [&](const auto& p) { return p.initiator == peer.node; }) > 0;
  if (prepared_ && prepared_->initiator == peer.node) {
    prepared_.reset();
    ends_transaction = true;
  }
  if (ends_transaction) transaction_ended();
  if (changing_ && mask_has(changing_->awaiting, peer.node)) {
    changing_->awaiting &= ~mask_of(peer.node);
    changing_->asked &= ~mask_of(peer.node);
    if (changing_->awaiting == 0) conclude_exclusive_change(wire::twopc_refusal::none, 0);
  }
  if (connecting_ && mask_has(connecting_->asked, peer.node)) {
    connecting_->asked &= ~mask_of(peer.node);
    connecting_->awaiting &= ~mask_of(peer.node);
    if (connecting_->target == peer.node) {
      conclude_connect(wire::twopc_refusal::busy);
    } else if (connecting_->awaiting == 0) {
      conclude_connect(wire::twopc_refusal::none);
    }
  }
  // A lost diskless writer will not say who holds its last writes: take them from the source.
  if (!peer.diskful) {
    for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
      auto& owed = volumes_[vi].fetch_from_writer;
      std::erase_if(owed, [&](const auto& entry) { return entry.second == peer.node; });
      continue_resync(vi);
    }
  }
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    resume_paused_targets(vi);
    continue_resync(vi);  // blocks requested from the lost peer may now be asked of the source
  }
  settle_unacked_writes_of_lost_writer(peer);
}

void replica_machine::drop_connection(peer_link& peer, conn_state reason, bool reconnect) {
  // Taken before the state names the reason: a peer this side hangs up on (renegotiate, protocol
  // error, admin disconnect) was as connected as one the network took away, and a Primary must
  // start a new generation for the writes it then misses just the same.
  const bool was_connected = handshake_done(peer);
  set_conn(peer, reason);
  lose_peer(peer, was_connected);
  if (!reconnect) set_conn(peer, conn_state::standalone);
  emit(disconnect_from{peer.node});
}

void replica_machine::on_message(peer_link& peer, const wire::message& msg) {
  if (peer.conn == conn_state::standalone) return;
  const bool handshake_message = std::holds_alternative<wire::features>(msg) ||
                                 std::holds_alternative<wire::role_state>(msg) ||
                                 std::holds_alternative<wire::volume_state>(msg);
  if (!peer.features_received && !std::holds_alternative<wire::features>(msg)) {
    emit_event("protocol-error", peer.node, 0, 0,
               std::string("expected features, got ") + wire::name_of(wire::type_of(msg)));
    return drop_connection(peer, conn_state::protocol_error, true);
  }
  // The connect transaction runs between the exchanged handshake and the connection's commit.
  const bool transaction_message = std::holds_alternative<wire::twopc_prepare>(msg) ||
                                   std::holds_alternative<wire::twopc_reply>(msg) ||
                                   std::holds_alternative<wire::twopc_commit>(msg) ||
                                   std::holds_alternative<wire::twopc_abort>(msg);
  if (!handshake_message && !handshake_done(peer) &&
      !(transaction_message && handshake_exchanged(peer))) {
    emit_event("protocol-error", peer.node, 0, 0,
               std::string(wire::name_of(wire::type_of(msg))) + " before the handshake finished");
    return drop_connection(peer, conn_state::protocol_error, true);
  }
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, wire::features>)
          on_features(peer, m);
        else if constexpr (std::is_same_v<T, wire::role_state>)
          on_role_state(peer, m);
        else if constexpr (std::is_same_v<T, wire::volume_state>)
          on_volume_state(peer, m);
        else if constexpr (std::is_same_v<T, wire::current_uuid>)
          on_current_uuid(peer, m);
        else if constexpr (std::is_same_v<T, wire::resync_start>)
          on_resync_start(peer, m);
        else if constexpr (std::is_same_v<T, wire::bitmap_chunk>)
          on_bitmap_chunk(peer, m);
        else if constexpr (std::is_same_v<T, wire::data>)
          on_peer_data(peer, m);
        else if constexpr (std::is_same_v<T, wire::write_ack>) {
          confirm_sent_write(peer, m.block_id, true);
          on_peer_write_ack(peer, m, true);
        }
        else if constexpr (std::is_same_v<T, wire::recv_ack>)
          on_peer_write_ack(peer, m, true);
        else if constexpr (std::is_same_v<T, wire::pull_ahead>)
          on_pull_ahead(peer, m);
        else if constexpr (std::is_same_v<T, wire::neg_ack>) {
          confirm_sent_write(peer, m.block_id, false);
          on_peer_write_ack(peer, m, false);
        }
        else if constexpr (std::is_same_v<T, wire::data_request>)
          on_data_request(peer, m);
        else if constexpr (std::is_same_v<T, wire::data_reply>)
          on_data_reply(peer, m);
        else if constexpr (std::is_same_v<T, wire::neg_dreply>)
          on_neg_dreply(peer, m);
        else if constexpr (std::is_same_v<T, wire::rs_data_request>)
          on_rs_data_request(peer, m);
        else if constexpr (std::is_same_v<T, wire::rs_data_reply>)
          on_rs_data_reply(peer, m);
        else if constexpr (std::is_same_v<T, wire::rs_write_ack>)
          on_rs_write_ack(peer, m);
        else if constexpr (std::is_same_v<T, wire::neg_rs_dreply>)
          on_neg_rs_dreply(peer, m);
        else if constexpr (std::is_same_v<T, wire::out_of_sync>)
          on_out_of_sync(peer, m);
        else if constexpr (std::is_same_v<T, wire::peer_ack>)
          on_peer_ack(peer, m);
        else if constexpr (std::is_same_v<T, wire::twopc_prepare>)
          on_twopc_prepare(peer, m);
        else if constexpr (std::is_same_v<T, wire::twopc_reply>)
          on_twopc_reply(peer, m);
        else if constexpr (std::is_same_v<T, wire::twopc_commit>)
          on_twopc_end(peer, m.tid, m.initiator, wire::twopc_refusal::none);
        else if constexpr (std::is_same_v<T, wire::twopc_abort>)
          on_twopc_end(peer, m.tid, m.initiator, m.refusal);
        else if constexpr (std::is_same_v<T, wire::ping>)
          send(peer, wire::ping_ack{});
        else if constexpr (std::is_same_v<T, wire::ping_ack>) {
        } else if constexpr (std::is_same_v<T, wire::ov_request>)
          on_ov_request(peer, m);
        else if constexpr (std::is_same_v<T, wire::ov_reply>)
          on_ov_reply(peer, m);
        else if constexpr (std::is_same_v<T, wire::ov_done>)
          on_ov_done(peer, m);
        else if constexpr (std::is_same_v<T, wire::rs_csum_request>)
          on_rs_csum_request(peer, m);
        else if constexpr (std::is_same_v<T, wire::rs_is_in_sync>)
          on_rs_is_in_sync(peer, m);
        else if constexpr (std::is_same_v<T, wire::resync_request>)
          on_resync_request(peer, m);
        else if constexpr (std::is_same_v<T, wire::backing_size>)
          on_backing_size(peer, m);
      },
      msg);
}

void replica_machine::on_features(peer_link& peer, const wire::features& msg) {
  const bool versions_overlap =
      msg.protocol_max >= wire::kProtocolMin && msg.protocol_min <= wire::kProtocolMax;
  if (peer.features_received || msg.sender != peer.node || msg.receiver != config_.self ||
      !versions_overlap) {
    emit_event("protocol-error", peer.node, 0, 0,
               "features: node ids " + std::to_string(msg.sender) + "->" +
                   std::to_string(msg.receiver) + ", versions " + std::to_string(msg.protocol_min) +
                   ".." + std::to_string(msg.protocol_max));
    return drop_connection(peer, conn_state::protocol_error, versions_overlap);
  }
  peer.features_received = true;
  peer.sent_role = role_;
  send(peer, wire::role_state{role_});
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    auto& pv = peer.volumes[vi];
    pv.sent_snapshot = make_volume_state(vi, peer);
    pv.sent_quorate = (pv.sent_snapshot.uuid_flags & wire::kUuidFlagQuorate) != 0;
    pv.state_sent = true;
    send(peer, pv.sent_snapshot);
  }
}

void replica_machine::on_role_state(peer_link& peer, const wire::role_state& msg) {
  peer.role_received = true;
  if (msg.sender_role == role::primary && role_ == role::primary && !config_.allow_two_primaries &&
      handshake_done(peer)) {
    emit_event("two-primaries", peer.node, 0, 0, "peer is Primary too and two-primaries is off");
    set_peer_role(peer, msg.sender_role);
    return drop_connection(peer, conn_state::disconnecting, false);
  }
  set_peer_role(peer, msg.sender_role);
  maybe_finish_handshake(peer);
}

wire::volume_state replica_machine::make_volume_state(std::size_t vi,
                                                      const peer_link& peer) const {
  const local_volume& volume = volumes_[vi];
  wire::volume_state s;
  s.volume = volume.number;
  s.disk = volume.disk;
  s.size_sectors = volume.size_sectors;
  s.current = volume.uuids.current;
  s.bitmap_uuid_nodes = volume.uuids.bitmap_uuid_nodes;
  s.bitmap_uuids = volume.uuids.bitmap_uuids;
  s.history = volume.uuids.history;
  auto bitmap = volume.bitmaps.find(peer.node);
  s.dirty_blocks = bitmap == volume.bitmaps.end() ? 0 : bitmap->second.count();
  s.writes_seen = volume.writes_seen;
  s.resync_starts_seen = peer.volumes[vi].resync_starts_received;
  if (volume.disk == disk_state::inconsistent) s.uuid_flags |= wire::kUuidFlagInconsistent;
  if (volume.crashed_primary) s.uuid_flags |= wire::kUuidFlagCrashedPrimary;
  if (config_.quorum.enabled() && volume.have_quorum) s.uuid_flags |= wire::kUuidFlagQuorate;
  return s;
}

void replica_machine::broadcast_volume_state(std::size_t vi) {
  for (auto& peer : peers_) {
    if (handshake_done(peer)) send_volume_state(peer, vi);
  }
}

void replica_machine::send_volume_state(peer_link& peer, std::size_t vi) {
  wire::volume_state state = make_volume_state(vi, peer);
  peer.volumes[vi].sent_quorate = (state.uuid_flags & wire::kUuidFlagQuorate) != 0;
  send(peer, std::move(state));
}

void replica_machine::on_volume_state(peer_link& peer, const wire::volume_state& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) {
    emit_event("protocol-error", peer.node, msg.volume, 0, "state for an unknown volume");
    return drop_connection(peer, conn_state::protocol_error, false);
  }
  auto& pv = peer.volumes[vi];
  const bool first = !pv.state_received;
  pv.peer_state = msg;
  pv.state_received = true;
  if (first) {
    if (!config_.self_diskful && msg.disk != disk_state::diskless &&
        msg.size_sectors > volumes_[vi].size_sectors) {
      // A diskless client started with an older size (a `resize` happened meanwhile): it has
      // no data of its own, so it simply takes the size of the replicas it reads from.
      grow_volume(vi, msg.size_sectors);
    } else if (msg.size_sectors != volumes_[vi].size_sectors && msg.disk != disk_state::diskless &&
               volumes_[vi].disk != disk_state::diskless) {
      emit_event("size-mismatch", peer.node, msg.volume, 0,
                 "peer has " + std::to_string(msg.size_sectors) + " sectors, local " +
                     std::to_string(volumes_[vi].size_sectors));
    }
    return maybe_finish_handshake(peer);
  }
  set_peer_disk(peer, vi, msg.disk);
  check_source_finished(peer, vi);
  if (peer.volumes[vi].marked_while_report_stale) send_missed_writes(peer, vi);
  auto& repl = peer.volumes[vi].repl;
  if (repl == repl_state::sync_target && msg.disk != disk_state::uptodate) {
    set_repl(peer, vi, repl_state::paused_sync_t);  // my source fell behind itself
  }
  if (repl == repl_state::paused_sync_t) resume_paused_targets(vi);
  retry_full_sync(vi);  // an invalidated or attached disk may find its source now
}

void replica_machine::maybe_finish_handshake(peer_link& peer) {
  if (handshake_done(peer) || !handshake_exchanged(peer)) return;
  if (!peer.connect_agreed) {
    // Connected only by a cluster-wide transaction, coordinated by the lower node id; the other
    // side waits for its commit.
    if (config_.self < peer.node) start_connect_transaction(peer);
    return;
  }
  peer.voter = true;  // an added peer exists from its first handshake on
  set_conn(peer, conn_state::connected);
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    set_peer_disk(peer, vi, peer.volumes[vi].peer_state.disk);
    decide_sync(peer, vi);
    retry_full_sync(vi);
  }
  if (!handshake_done(peer)) return;
  send_backing_sizes(peer);  // what a later resize must fit
  // A role changed after the handshake described it (a demotion or promotion reaches only
  // connected peers): the peer decided on the described one, and now learns the real one.
  if (role_ != peer.sent_role) send(peer, wire::role_state{role_});
}

// The UUID set a handshake state describes.
uuid_set uuids_of(const wire::volume_state& state) {
  uuid_set set;
  set.current = state.current;
  set.bitmap_uuid_nodes = state.bitmap_uuid_nodes;
  set.bitmap_uuids = state.bitmap_uuids;
  set.history = state.history;
  set.crashed_primary = (state.uuid_flags & wire::kUuidFlagCrashedPrimary) != 0;
  set.writes_seen = state.writes_seen;
  set.dirty_blocks_toward_other = state.dirty_blocks;
  return set;
}

namespace {

std::string hex16(generation_uuid uuid) {
  char text[20];
  std::snprintf(text, sizeof text, "%016llX", static_cast<unsigned long long>(uuid));
  return text;
}

// "current:bitmap-toward-other:history..." as DRBD logs UUID sets at a handshake.
std::string describe_uuids(const wire::volume_state& state, node_id other) {
  std::string text =
      hex16(state.current) + ":" +
      hex16(mask_has(state.bitmap_uuid_nodes, other) ? state.bitmap_uuids[other] : 0);
  for (std::size_t i = 0; i < state.history.size() && i < 2; ++i)
    text += ":" + hex16(state.history[i]);
  return text;
}

// DRBD's "resync-based-on-disk-states": data that is not usable never serves as a source.
constexpr const char* kInconsistentSource = "inconsistent-source";

sync_decision apply_disk_states(sync_decision d, bool same_generation,
                                const wire::volume_state& self, const wire::volume_state& peer) {
  const bool self_usable = self.disk >= disk_state::outdated;
  const bool peer_usable = peer.disk >= disk_state::outdated;
  if (!self_usable && !peer_usable) return {sync_strategy::no_sync, "both-inconsistent"};
  // Same generation, and the side that would be the source has no usable data: its marks say
  // which blocks differ (on-io-error pass_on marks the blocks its disk failed), so the usable
  // side sends exactly those, by bitmap, instead of nobody sending anything.
  if (same_generation && !self_usable && is_source(d.strategy))
    return {sync_strategy::target_use_bitmap, "inconsistent-same-generation"};
  if (same_generation && !peer_usable && is_target(d.strategy))
    return {sync_strategy::source_use_bitmap, "inconsistent-same-generation"};
  // The generations say the side without usable data is newer, and it is not a partly synced
  // target (whose sync UUID may look newer than its source): an Inconsistent Primary went on
  // writing after its sync source was gone. Neither may overwrite the other. DRBD refuses the same
  // way ("I shall become SyncSource, but I am inconsistent!"); a node that holds all of the newer
  // data settles it later.
  const bool self_wrote = !self_usable && is_source(d.strategy) && !is_sync_uuid(self.current);
  const bool peer_wrote = !peer_usable && is_target(d.strategy) && !is_sync_uuid(peer.current);
  if (self_wrote || peer_wrote) return {sync_strategy::no_sync, kInconsistentSource};
  if (!self_usable && !is_target(d.strategy))
    return {sync_strategy::target_set_bitmap, "disk-states"};
  if (!peer_usable && !is_source(d.strategy))
    return {sync_strategy::source_set_bitmap, "disk-states"};
  return d;
}

}  // namespace

// Both sides evaluate the same two snapshots (what each sent), so their decisions mirror each
// other.
void replica_machine::decide_sync(peer_link& peer, std::size_t vi) {
  auto& pv = peer.volumes[vi];
  const wire::volume_state& mine = pv.sent_snapshot;
  const wire::volume_state& theirs = pv.peer_state;
  const local_volume& now = volumes_[vi];
  // (A diskless node's generation only mirrors its peers', so for it only the disk state counts.)
  const bool generation_changed =
      now.disk != disk_state::diskless && uuid_value(now.uuids.current) != uuid_value(mine.current);
  // My disk or generation changed after I described it to the peer: a decision on the old
  // description could run a resync the wrong way (DRBD rule "initial-handshake-changed"). Except
  // where all that changed is that another source began to resync me meanwhile (a node rejoining
  // its peers connects to them one transaction after another): a decision that makes me this
  // peer's target too is still right, and the second source waits for the first.
  const bool changed = now.disk != mine.disk || generation_changed;
  const bool became_target_elsewhere = changed && mine.disk >= disk_state::outdated &&
                                       now.disk == disk_state::inconsistent &&
                                       syncing_from_another(peer, vi);
  auto retry_handshake = [&] {
    emit_event("handshake-retry", peer.node, now.number, 0,
               "local state changed during the handshake");
    drop_connection(peer, conn_state::teardown, true);
  };
  if (changed && !became_target_elsewhere) return retry_handshake();
  if (mine.disk == disk_state::diskless || theirs.disk == disk_state::diskless) {
    // A node without a disk has no generation of its own: it follows the data it reaches, so that
    // the generations it starts as a Primary follow the one its peers hold. A diskless client
    // that is Primary keeps the generation it exposes instead: a peer on another one does not
    // serve its I/O (serves_my_data) until a resync among the diskful nodes brings it there.
    local_volume& volume = volumes_[vi];
    if (volume.disk == disk_state::diskless && theirs.disk == disk_state::uptodate &&
        (config_.self_diskful || role_ != role::primary)) {
      volume.uuids.current = theirs.current;
    }
    set_repl(peer, vi, repl_state::established);
    if (!config_.self_diskful && role_ == role::primary) check_client_copies(peer, vi);
    return;
  }
  sync_decision d = compare_uuids(config_.self, uuids_of(mine), peer.node, uuids_of(theirs));
  if (planted(planted_bug::reversed_bitmap_rule) &&
      (d.strategy == sync_strategy::source_use_bitmap ||
       d.strategy == sync_strategy::target_use_bitmap)) {
    d = {mirrored(d.strategy), "planted: reversed-bitmap-rule"};
  }
  // The same-generation rules (DRBD's crashed-primary strategies are "if both failed", marks,
  // write counts): when one side is Primary now, it holds every write of its generation and its
  // data is what the application sees, so it is the source. The other side's marks toward it are
  // ORed into the resync, so those blocks come from the Primary too.
  const std::string_view rule = d.rule;
  const bool same_generation_rule = rule == "crashed-primary" || rule == "both-crashed-primary" ||
                                    rule == "marked-self" || rule == "marked-peer" ||
                                    rule == "more-writes";
  if (same_generation_rule &&
      (peer.sent_role == role::primary) != (peer.peer_role == role::primary)) {
    d = {peer.sent_role == role::primary ? sync_strategy::source_use_bitmap
                                         : sync_strategy::target_use_bitmap,
         "same generation, following the current Primary"};
  }
  d = apply_disk_states(d, same_generation_rule, mine, theirs);
  emit_event("handshake-decision", peer.node, volumes_[vi].number, 0,
             std::string("uuid_compare()=") + to_string(d.strategy) + " by rule=" + d.rule +
                 "; self " + describe_uuids(mine, peer.node) + "; peer " +
                 describe_uuids(theirs, config_.self));
  if (became_target_elsewhere && !is_target(d.strategy)) return retry_handshake();
  if (d.rule == std::string_view(kInconsistentSource)) {
    return drop_connection(peer, conn_state::disconnecting, true);
  }
  if (is_split_brain(d.strategy)) {
    emit_event("split-brain", peer.node, volumes_[vi].number, 0, to_string(d.strategy));
    d = recover_split_brain(peer, vi, d);
    if (is_split_brain(d.strategy)) {
      emit_event("split-brain-unresolved", peer.node, volumes_[vi].number, 0, d.rule);
      return drop_connection(peer, conn_state::disconnecting, false);
    }
    emit_event("split-brain-resolved", peer.node, volumes_[vi].number, 0,
               std::string(to_string(d.strategy)) + " by " + d.rule);
  }
  // (The role now, not the one described: call-pri-lost-after-sb may just have demoted this node.)
  if (is_target(d.strategy) && role_ == role::primary && mine.disk == disk_state::uptodate) {
    // rr-conflict: this Primary's data would be overwritten under its application.
    const rr_conflict policy = config_.split_brain.on_rr_conflict;
    if (policy != rr_conflict::violently) {
      emit_event("rr-conflict", peer.node, volumes_[vi].number, 0,
                 "a Primary with UpToDate data would become sync target");
      return drop_connection(peer, conn_state::disconnecting, policy == rr_conflict::retry_connect);
    }
  }
  if (is_source(d.strategy)) return start_resync_as_source(peer, vi, d);
  if (is_target(d.strategy)) {
    pv.clear_own_bits = d.strategy == sync_strategy::target_clear_bitmap;
    pv.full_sync_target = is_full_sync(d.strategy);
    return set_repl(peer, vi, repl_state::wf_bitmap_t);
  }
  set_repl(peer, vi, repl_state::established);
  local_volume& volume = volumes_[vi];
  // Equal data: the Primary's writes its state counted are here (the later ones it marked).
  if (peer.peer_role == role::primary &&
      uuid_value(theirs.current) == uuid_value(volume.uuids.current)) {
    note_writes_held_from(peer, vi, theirs.current, theirs.writes_seen);
  }
  // Equal generations: an Outdated/Consistent disk is as good as the UpToDate peer's.
  if (theirs.disk == disk_state::uptodate &&
      (volume.disk == disk_state::outdated || volume.disk == disk_state::consistent)) {
    set_disk(vi, disk_state::uptodate);
  }
  // Writes made after my snapshot never reached the peer: reconcile them by bitmap.
  auto bitmap = volume.bitmaps.find(peer.node);
  if (role_ == role::primary && bitmap != volume.bitmaps.end() && bitmap->second.any() &&
      volume.disk == disk_state::uptodate) {
    start_resync_as_source(peer, vi, {sync_strategy::source_use_bitmap, "reconcile"});
  } else if (uuid_value(volume.uuids.current) != uuid_value(mine.current)) {
    send(peer, wire::current_uuid{volume.number, volume.uuids.current, mine.current, 0});
  }
}

// Split brain found by the UUID comparison: quorum decides first (the side that has it wins), then
// DRBD's after-sb policies. Returns the decision unchanged when nothing may recover it.
sync_decision replica_machine::recover_split_brain(const peer_link& peer, std::size_t vi,
                                                   sync_decision d) {
  const auto& pv = peer.volumes[vi];
  const wire::volume_state& mine = pv.sent_snapshot;
  const wire::volume_state& theirs = pv.peer_state;
  const bool bitmaps_usable = d.strategy == sync_strategy::split_brain_auto_recover;
  const bool allowed = bitmaps_usable || (d.strategy == sync_strategy::split_brain_disconnect &&
                                          config_.split_brain.always_asbp);
  if (!allowed) {
    d.rule = "no automatic recovery for this divergence";
    return d;
  }
  auto as_source = [&](const char* rule) {
    return sync_decision{
        bitmaps_usable ? sync_strategy::source_use_bitmap : sync_strategy::source_set_bitmap, rule};
  };
  auto as_target = [&](const char* rule) {
    return sync_decision{
        bitmaps_usable ? sync_strategy::target_use_bitmap : sync_strategy::target_set_bitmap, rule};
  };
  if (config_.quorum.enabled()) {
    const bool mine_quorate = (mine.uuid_flags & wire::kUuidFlagQuorate) != 0;
    const bool theirs_quorate = (theirs.uuid_flags & wire::kUuidFlagQuorate) != 0;
    if (mine_quorate != theirs_quorate) {
      return mine_quorate ? as_source("quorum") : as_target("quorum");
    }
  }
  const split_brain_side self{peer.sent_role == role::primary,
                              (mine.current & kUuidPrimaryFlag) != 0, mine.dirty_blocks};
  const split_brain_side other{peer.peer_role == role::primary,
                               (theirs.current & kUuidPrimaryFlag) != 0, theirs.dirty_blocks};
  // The connection's tie-breaker: true on exactly one of the two nodes.
  const bool resolves_conflicts = config_.self < peer.node;
  const split_brain_resolution r =
      resolve_split_brain(config_.split_brain, self, other, resolves_conflicts);
  if (r.demote_self && role_ == role::primary) {
    emit_event("pri-lost-after-sb", peer.node, volumes_[vi].number, 0,
               "demoting the losing Primary");
    set_role(role::secondary);
  }
  switch (r.outcome) {
    case split_brain_outcome::discard_peer: return as_source(r.rule);
    case split_brain_outcome::discard_local: return as_target(r.rule);
    case split_brain_outcome::disconnect: break;
  }
  d.rule = r.rule;
  return d;
}

// ------------------------------------------------------------------------------ generation UUIDs

generation_uuid replica_machine::next_uuid() {
  // splitmix64: portable and seeded from the config, so runs replay exactly.
  while (true) {
    uuid_state_ += 0x9e3779b97f4a7c15ull;
    std::uint64_t z = uuid_state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    const generation_uuid uuid = uuid_value(z) & ~kUuidSyncFlag;
    if (uuid > kUuidJustCreated) return uuid;
  }
}

void replica_machine::retire_bitmap_uuid(local_volume& volume, node_id peer) {
  if (!mask_has(volume.uuids.bitmap_uuid_nodes, peer)) return;
  const generation_uuid old = volume.uuids.bitmap_uuids[peer];
  volume.uuids.bitmap_uuids[peer] = 0;
  volume.uuids.bitmap_uuid_nodes &= ~mask_of(peer);
  auto& history = volume.uuids.history;
  if (old != 0 && std::find(history.begin(), history.end(), old) == history.end()) {
    history.insert(history.begin(), old);
    if (history.size() > wire::kHistoryUuids) history.pop_back();
  }
}

// Moves the current generation into the bitmap UUID of every diskful peer that will miss the coming
// writes (unless its slot already tracks an older generation) and into history otherwise.
void replica_machine::adopt_uuid(local_volume& volume, generation_uuid uuid, node_mask weak_nodes) {
  const generation_uuid old = volume.uuids.current;
  if (uuid_value(old) == uuid_value(uuid)) return;
  bool kept_in_bitmap = false;
  if (uuid_value(old) != kUuidJustCreated && uuid_value(old) != 0) {
    for (auto& [node, bitmap] : volume.bitmaps) {
      const peer_link* peer = find_peer(node);
      const std::size_t vi = volume_index_of(volume.number);
      const bool reachable = peer && handshake_done(*peer) &&
                             peer->volumes[vi].peer_disk >= disk_state::inconsistent &&
                             !mask_has(weak_nodes, node);
      if (reachable || mask_has(volume.uuids.bitmap_uuid_nodes, node)) continue;
      volume.uuids.bitmap_uuids[node] = old;
      volume.uuids.bitmap_uuid_nodes |= mask_of(node);
      kept_in_bitmap = true;
    }
    if (!kept_in_bitmap) {
      auto& history = volume.uuids.history;
      history.insert(history.begin(), old);
      if (history.size() > wire::kHistoryUuids) history.pop_back();
    }
  }
  volume.uuids.current = uuid;
  volume.writes_seen = 0;  // a new generation, a new writer counting from 1
}

// A diskless client Primary meets a diskful peer. One on my generation that lacks some of its
// writes (it was away for them, or cannot tell: it took the generation from a resync) must not
// serve reads or count as a copy. While another peer in sync holds the writes, a new generation
// leaves it behind until the diskful nodes resync it (DRBD rotates the generation when a Primary
// loses a peer for the same reason). Without one, a new generation would be held by nobody: the
// peer is only marked as missing writes, until a peer that has them connects and the rotation
// happens then.
void replica_machine::check_client_copies(peer_link& peer, std::size_t vi) {
  local_volume& volume = volumes_[vi];
  auto& pv = peer.volumes[vi];
  const wire::volume_state& theirs = pv.peer_state;
  const bool missed_some = theirs.writes_seen == kWritesSeenUnknown ||
                           (volume.writes_seen != kWritesSeenUnknown &&
                            theirs.writes_seen < volume.writes_seen);
  if (theirs.disk == disk_state::uptodate &&
      uuid_value(theirs.current) == uuid_value(volume.uuids.current) && missed_some) {
    pv.missing_writes = true;
  }
  node_mask behind = 0;
  bool holder = false;
  for (const auto& p : peers_) {
    if (!handshake_done(p)) continue;
    if (p.volumes[vi].missing_writes) behind |= mask_of(p.node);
    holder = holder || (p.volumes[vi].repl == repl_state::established && serves_my_data(p, vi));
  }
  if (behind == 0 || !holder) return;
  for (auto& p : peers_) p.volumes[vi].missing_writes = false;
  rotate_current_uuid(vi, behind);
}

bool replica_machine::generation_held(std::size_t vi) const {
  if (volumes_[vi].disk == disk_state::uptodate) return true;
  return std::any_of(peers_.begin(), peers_.end(), [&](const peer_link& peer) {
    return handshake_done(peer) && peer.volumes[vi].repl == repl_state::established &&
           peer.volumes[vi].peer_disk == disk_state::uptodate;
  });
}

void replica_machine::rotate_current_uuid(std::size_t vi, node_mask weak_nodes) {
  local_volume& volume = volumes_[vi];
  volume.new_uuid_pending = false;
  generation_uuid uuid = next_uuid();
  if (role_ == role::primary) uuid |= kUuidPrimaryFlag;
  for (const auto& peer : peers_) {
    const bool reachable =
        handshake_done(peer) && peer.volumes[vi].peer_disk >= disk_state::inconsistent;
    if (peer.diskful && !reachable) weak_nodes |= mask_of(peer.node);
  }
  const generation_uuid previous = volume.uuids.current;
  adopt_uuid(volume, uuid, weak_nodes);
  emit_event("new-current-uuid", config_.self, volume.number, 0, std::to_string(uuid));
  for (auto& peer : peers_) {
    if (!handshake_done(peer)) continue;
    send(peer, wire::current_uuid{volume.number, uuid, previous, weak_nodes});
    // Peers on my previous generation follow me into the new one (see on_current_uuid).
    auto& pv = peer.volumes[vi];
    if (uuid_value(pv.peer_state.current) == uuid_value(previous) &&
        !mask_has(weak_nodes, peer.node)) {
      pv.peer_state.current = uuid;
    }
  }
}

void replica_machine::on_current_uuid(peer_link& peer, const wire::current_uuid& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) return;
  auto& pv = peer.volumes[vi];
  note_peer_generation(pv, msg.uuid);
  local_volume& volume = volumes_[vi];
  if (volume.disk == disk_state::diskless) {
    // No generation of its own: it follows the data it reaches (as at the handshake), so that
    // the generation it starts when promoted descends from the one its peers hold now.
    // A Primary follows only the generation it exposes into the next one.
    const bool follows = config_.self_diskful || role_ != role::primary ||
                         uuid_value(msg.previous) == uuid_value(volume.uuids.current);
    if (pv.peer_disk == disk_state::uptodate && follows) volume.uuids.current = msg.uuid;
    return;
  }
  if (is_sync_target_state(pv.repl)) {
    pv.source_uuid = msg.uuid;  // adopted when the resync completes
    return;
  }
  if (pv.repl != repl_state::established || volume.disk != disk_state::uptodate ||
      peer.peer_role != role::primary) {
    return;
  }
  // About to become another node's sync target (its bitmap is on the way): that resync ends on
  // the source's generation, so following the Primary now would be undone at its end, with my
  // newer generation left in my history, a cycle with the Primary's (sweep --quorum seed 2064:
  // a false split brain, StandAlone). The Primary sees my stale generation and the resync's end
  // brings us together again.
  if (syncing_from_another(peer, vi)) return;
  // Only a node that holds the Primary's previous generation may follow it into the next one. One
  // that is behind (it missed writes the Primary's peers marked) must resync first: a fresh
  // handshake decides from what.
  const bool follows = uuid_value(msg.previous) == uuid_value(volume.uuids.current) &&
                       !mask_has(msg.weak_nodes, config_.self);
  if (!follows) return renegotiate(peer, vi);
  const generation_uuid previous = volume.uuids.current;
  adopt_uuid(volume, msg.uuid, msg.weak_nodes & ~mask_of(config_.self));
  // My sync targets will adopt my generation when they finish: tell them it moved on, as the
  // writes of the new one reach them too.
  for (const auto& other : peers_) {
    const bool my_target = is_sync_source_state(other.volumes[vi].repl);
    if (other.node != peer.node && my_target && handshake_done(other)) {
      send(other, wire::current_uuid{volume.number, msg.uuid, previous, msg.weak_nodes});
    }
  }
  // A state report I sent before this message arrived told the Primary my previous generation:
  // report the new one, or it takes me for a node left behind and never sends me what it marks.
  send_volume_state(peer, vi);
  // A connected peer a diskless writer cannot reach stays on my previous generation, and the
  // writes I get from now on are marked toward it but never sent: a fresh handshake resyncs it by
  // bitmap (sweep --diskless-client seed 133: it stayed Established and behind for good). A
  // diskful writer resyncs such a peer itself when they meet again; a diskless one cannot.
  if (peer.diskful) return;
  for (auto& other : peers_) {
    if (other.node == peer.node || !handshake_done(other)) continue;
    const auto& opv = other.volumes[vi];
    if (opv.repl == repl_state::established && mask_has(msg.weak_nodes, other.node) &&
        uuid_value(opv.peer_state.current) == uuid_value(previous)) {
      renegotiate(other, vi);
    }
  }
}

// Mirrors a peer's rotation in what I know of its UUIDs: its previous generation is an ancestor
// now.
void replica_machine::note_peer_generation(peer_volume& pv, generation_uuid uuid) {
  const generation_uuid previous = pv.peer_state.current;
  if (uuid_value(previous) == uuid_value(uuid)) return;
  auto& history = pv.peer_state.history;
  if (previous != 0 && std::find(history.begin(), history.end(), previous) == history.end()) {
    history.insert(history.begin(), previous);
    if (history.size() > wire::kHistoryUuids) history.pop_back();
  }
  pv.peer_state.current = uuid;
}

// ------------------------------------------------------------------------------ roles and admin

bool replica_machine::has_uptodate_access(const local_volume& volume, std::size_t vi) const {
  if (volume.disk == disk_state::uptodate) return true;
  return std::any_of(peers_.begin(), peers_.end(), [&](const peer_link& peer) {
    return handshake_done(peer) && peer.volumes[vi].peer_disk == disk_state::uptodate;
  });
}

void replica_machine::on_admin(const admin& cmd) {
  auto refuse = [&](std::string why) { emit(admin_done{cmd.tag, false, std::move(why)}); };
  switch (cmd.op) {
    case admin_op::primary:
    case admin_op::primary_force: return begin_exclusive_change(cmd);
    case admin_op::secondary:
      set_role(role::secondary);
      for (auto& volume : volumes_) volume.new_uuid_pending = false;
      for (const auto& peer : peers_) {
        if (handshake_done(peer)) send(peer, wire::role_state{role_});
      }
      return emit(admin_done{cmd.tag, true, ""});
    case admin_op::connect: {
      peer_link* peer = find_peer(cmd.peer);
      if (!peer) return refuse("no peer with node id " + std::to_string(cmd.peer));
      if (peer->conn == conn_state::standalone) set_conn(*peer, conn_state::connecting);
      emit(connect_to{peer->node});
      return emit(admin_done{cmd.tag, true, ""});
    }
    case admin_op::disconnect: {
      peer_link* peer = find_peer(cmd.peer);
      if (!peer) return refuse("no peer with node id " + std::to_string(cmd.peer));
      if (peer->conn != conn_state::standalone)
        drop_connection(*peer, conn_state::disconnecting, false);
      return emit(admin_done{cmd.tag, true, ""});
    }
    case admin_op::add_peer: return on_admin_add_peer(cmd);
    case admin_op::remove_peer: return on_admin_remove_peer(cmd);
    case admin_op::verify: return on_admin_verify(cmd);
    case admin_op::invalidate: return on_admin_invalidate(cmd);
    case admin_op::resize: return on_admin_resize(cmd);
    case admin_op::backing_grown: return on_admin_backing_grown(cmd);
    case admin_op::detach: return on_admin_detach(cmd);
    case admin_op::attach: return on_admin_attach(cmd);
    case admin_op::set_options: return on_admin_set_options(cmd);
  }
}

// ------------------------------------------------------------------------------ membership

void replica_machine::on_admin_add_peer(const admin& cmd) {
  auto refuse = [&](std::string why) { emit(admin_done{cmd.tag, false, std::move(why)}); };
  const node_id node = cmd.peer;
  if (node >= kMaxNodes) {
    return refuse("add-peer: node id " + std::to_string(node) + " is out of range (0.." +
                  std::to_string(kMaxNodes - 1) + ")");
  }
  if (node == config_.self) {
    return refuse("add-peer: node id " + std::to_string(node) + " is this node");
  }
  if (find_peer(node)) {
    return refuse("add-peer: node " + std::to_string(node) + " is already a peer");
  }
  peer_config pc = cmd.added;
  pc.node = node;
  peer_link peer;
  peer.node = node;
  peer.diskful = pc.diskful;
  peer.proto = pc.proto;
  peer.tiebreaker = pc.tiebreaker;
  peer.voter = false;  // until its first handshake: a replica that never came does not vote
  peer.volumes.resize(volumes_.size());
  if (config_.self_diskful && pc.diskful) {
    for (auto& volume : volumes_) {
      // A slot left from an earlier member with this id says nothing about the new one.
      retire_bitmap_uuid(volume, node);
      block_bitmap bitmap(volume.size_blocks);
      volume.bitmaps.insert_or_assign(node, std::move(bitmap));
    }
    // Writes already sent to the other replicas never reach this one: it must get them by resync
    // even if the handshake finds it on the current generation.
    for (const auto& [tag, request] : clients_) {
      if (request.op != io_op::write || request.replicated_to == 0) continue;
      volumes_[request.volume_index].bitmaps.at(node).set(
          blocks_of_bytes(request.offset_bytes, request.length_bytes));
    }
  }
  // Kept in node-id order: forwarded reads go to the lowest-numbered UpToDate peer.
  auto at = std::find_if(peers_.begin(), peers_.end(),
                         [&](const peer_link& p) { return p.node > node; });
  peers_.insert(at, std::move(peer));
  auto config_at = std::find_if(config_.peers.begin(), config_.peers.end(),
                                [&](const peer_config& p) { return p.node > node; });
  config_.peers.insert(config_at, pc);
  emit(state_changed{state_object::connection, node, 0, "connection",
                     to_string(conn_state::standalone), to_string(conn_state::connecting)});
  emit_event("peer-added", node, 0, 0,
             std::string(pc.diskful ? "diskful" : "diskless") + ", protocol " +
                 std::string(to_string(pc.proto)) + (pc.diskful || !pc.tiebreaker ? "" : ", tie-breaker"));
  emit(connect_to{node});
  emit(admin_done{cmd.tag, true, ""});
}

void replica_machine::on_admin_remove_peer(const admin& cmd) {
  peer_link* peer = find_peer(cmd.peer);
  if (!peer) {
    return emit(admin_done{cmd.tag, false,
                           "remove-peer: no peer with node id " + std::to_string(cmd.peer)});
  }
  const node_id node = peer->node;
  const bool diskful = peer->diskful;
  // Out of the vote first: settling its requests below recounts quorum, and a member that leaves
  // must not count as an unknown node that might form a partition elsewhere.
  peer->voter = false;
  if (peer->conn != conn_state::standalone) {
    // Exactly a lost connection: pending acks settle, forwarded reads go elsewhere, a promotion
    // stops waiting for it, resyncs from it continue from other sources.
    drop_connection(*peer, conn_state::disconnecting, false);
  } else {
    emit(disconnect_from{node});
  }
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    local_volume& volume = volumes_[vi];
    // A copy of the node that comes back later holds the generation it left with: recording that
    // generation in the history makes the handshake resync it fully.
    if (diskful && volume.disk >= disk_state::inconsistent) volume.new_uuid_pending = true;
    retire_bitmap_uuid(volume, node);
    volume.bitmaps.erase(node);
    std::erase_if(volume.fetch_from_writer,
                  [&](const auto& entry) { return entry.second == node; });
  }
  std::erase_if(peers_, [&](const peer_link& p) { return p.node == node; });
  std::erase_if(config_.peers, [&](const peer_config& p) { return p.node == node; });
  emit_event("peer-removed", node, 0, 0, "");
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    update_quorum(vi);
    resume_paused_targets(vi);
    continue_resync(vi);
  }
  emit(admin_done{cmd.tag, true, ""});
}

}  // namespace tandem
