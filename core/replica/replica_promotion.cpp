// Promotion as a cluster-wide state change (DRBD change_cluster_wide_state): the node asks every
// connected peer with twopc_prepare; each agrees unless it is Primary itself (without
// allow-two-primaries) or already part of another transaction; all yes -> twopc_commit and the node
// becomes Primary, any no -> twopc_abort and the promotion is refused. Two nodes promoted at the
// same moment therefore cannot both succeed. A promotion excludes every other transaction, connects
// (replica_connect.cpp) included: a node taking part in one waits for it to end before it asks, and
// a busy peer is asked again after a short randomized delay, for up to 2 s.
#include <algorithm>
#include <string>

#include "core/replica/replica_machine.h"

namespace tandem {

// Why this node may not become Primary now, or "" when it may.
std::string replica_machine::promotion_refusal(admin_op op) const {
  if (!config_.allow_two_primaries) {
    for (const auto& peer : peers_) {
      if (handshake_done(peer) && peer.peer_role == role::primary) {
        return "node " + std::to_string(peer.node) + " is Primary and allow-two-primaries is off";
      }
    }
  }
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    if (lacks_quorum(vi)) return "volume " + std::to_string(volumes_[vi].number) + ": no quorum";
  }
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    const local_volume& volume = volumes_[vi];
    if (has_uptodate_access(volume, vi)) continue;
    const bool forceable = op == admin_op::primary_force && volume.disk >= disk_state::inconsistent;
    if (!forceable) {
      return "volume " + std::to_string(volume.number) +
             ": no access to UpToDate data (local disk " + std::string(to_string(volume.disk)) +
             ")";
    }
  }
  return "";
}

void replica_machine::on_admin_primary(const admin& cmd) {
  if (role_ == role::primary) return emit(admin_done{cmd.tag, true, "already Primary"});
  if (promoting_ || waiting_promotion_) {
    return emit(admin_done{cmd.tag, false, "a promotion is in progress"});
  }
  const std::string refusal = promotion_refusal(cmd.op);
  if (!refusal.empty()) return emit(admin_done{cmd.tag, false, refusal});
  const waiting_promotion request{cmd.tag, cmd.op, now_ns_ + kPromotionWaitNs, 0};
  // Busy with another transaction (a connect, say): like `drbdsetup primary`, wait for it and try
  // then, instead of failing the command.
  if (in_transaction()) {
    waiting_promotion_ = request;
    return;
  }
  start_promotion(request);
}

void replica_machine::start_promotion(const waiting_promotion& request) {
  if (role_ == role::primary) return emit(admin_done{request.tag, true, "already Primary"});
  const std::string refusal = promotion_refusal(request.op);
  if (!refusal.empty()) return emit(admin_done{request.tag, false, refusal});
  promotion p;
  p.tag = request.tag;
  p.op = request.op;
  p.deadline_ns = request.deadline_ns;
  for (const auto& peer : peers_) {
    if (handshake_done(peer)) p.asked |= mask_of(peer.node);
  }
  if (p.asked == 0) {  // nobody to ask
    promote_now(p.op);
    return emit(admin_done{p.tag, true, ""});
  }
  p.tid = next_uuid();
  p.awaiting = p.asked;
  promoting_ = p;
  for (const auto& peer : peers_) {
    if (mask_has(p.asked, peer.node)) {
      send(peer,
           wire::twopc_prepare{p.tid, config_.self, wire::twopc_change::promote, config_.self});
    }
  }
}

void replica_machine::on_promotion_retry_timer(std::uint64_t timer) {
  if (!waiting_promotion_ || waiting_promotion_->timer != timer) return;
  waiting_promotion_->timer = 0;
  transaction_ended();
}

void replica_machine::promote_now(admin_op op) {
  if (op == admin_op::primary_force) {
    for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
      if (volumes_[vi].disk < disk_state::inconsistent ||
          volumes_[vi].disk == disk_state::uptodate) {
        continue;
      }
      set_disk(vi, disk_state::uptodate);
      rotate_current_uuid(vi, 0);  // forced data is a generation of its own
      // Connected peers without usable data get everything (DRBD: full sync after --force).
      for (auto& peer : peers_) {
        if (handshake_done(peer) && peer.diskful &&
            peer.volumes[vi].peer_disk == disk_state::inconsistent &&
            peer.volumes[vi].repl == repl_state::established) {
          start_resync_as_source(peer, vi, {sync_strategy::source_set_bitmap, "primary-force"});
        }
      }
    }
  }
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    if (!config_.self_diskful) expose_newest_generation(vi);
  }
  set_role(role::primary);
  for (auto& volume : volumes_) {
    volume.new_uuid_pending = true;
    volume.crashed_primary = false;  // its AL extents were marked; the new generation takes over
    volume.crash_resync_owed = 0;
  }
  for (const auto& peer : peers_) {
    if (handshake_done(peer)) send(peer, wire::role_state{role_});
  }
}

void replica_machine::expose_newest_generation(std::size_t vi) {
  // The newest: a generation every other UpToDate peer holds or has in its history. Peers that
  // diverged (none is newest) keep whatever this node followed last; they are a split brain of
  // their own, detected when they meet.
  auto ancestor_of = [&](const wire::volume_state& newer, generation_uuid uuid) {
    if (uuid_value(newer.current) == uuid_value(uuid)) return true;
    return std::any_of(newer.history.begin(), newer.history.end(),
                       [&](generation_uuid h) { return uuid_value(h) == uuid_value(uuid); });
  };
  for (const auto& candidate : peers_) {
    const auto& cv = candidate.volumes[vi];
    if (!handshake_done(candidate) || cv.peer_disk != disk_state::uptodate) continue;
    const bool newest = std::all_of(peers_.begin(), peers_.end(), [&](const peer_link& other) {
      const auto& ov = other.volumes[vi];
      return !handshake_done(other) || ov.peer_disk != disk_state::uptodate ||
             ancestor_of(cv.peer_state, ov.peer_state.current);
    });
    if (newest) {
      volumes_[vi].uuids.current = cv.peer_state.current;
      return;
    }
  }
}

// Every peer asked has answered (or was lost): commit or abort the coordinated promotion.
void replica_machine::conclude_promotion(wire::twopc_refusal refusal) {
  const promotion p = *promoting_;
  promoting_.reset();
  std::string reason;
  if (refusal == wire::twopc_refusal::busy)
    reason = "a concurrent cluster-wide state change, retry";
  const bool retry = refusal == wire::twopc_refusal::busy && now_ns_ < p.deadline_ns;
  // A peer may be connected to a Primary this node does not reach (DRBD: the replies' primary_nodes).
  const node_mask others = p.primaries & ~mask_of(config_.self);
  if (refusal == wire::twopc_refusal::primary ||
      (refusal == wire::twopc_refusal::none && others != 0 && !config_.allow_two_primaries)) {
    reason = "another node is Primary";
  }
  if (reason.empty()) reason = promotion_refusal(p.op);  // the world may have changed meanwhile
  for (const auto& peer : peers_) {
    if (!mask_has(p.asked, peer.node) || !handshake_done(peer)) continue;
    if (reason.empty()) {
      send(peer, wire::twopc_commit{p.tid, config_.self});
    } else {
      send(peer, wire::twopc_abort{p.tid, config_.self});
    }
  }
  if (reason.empty()) {
    promote_now(p.op);
    emit(admin_done{p.tag, true, ""});
  } else if (retry) {
    // A peer is busy with another transaction: ask again after a short randomized delay.
    const std::uint64_t due_ns = transaction_retry_due_ns(now_ns_, p.tid);
    const std::uint64_t timer =
        transaction_retry_timer(kPromotionRetryTimerTag, config_.self, due_ns);
    waiting_promotion_ = waiting_promotion{p.tag, p.op, p.deadline_ns, timer};
    emit(arm_timer{timer, due_ns});
  } else {
    emit(admin_done{p.tag, false, reason});
  }
  transaction_ended();
}

// The Primaries this node knows of: itself and its connected peers.
node_mask replica_machine::primary_nodes_seen() const {
  node_mask primaries = role_ == role::primary ? mask_of(config_.self) : 0;
  for (const auto& peer : peers_) {
    if (handshake_done(peer) && peer.peer_role == role::primary) primaries |= mask_of(peer.node);
  }
  return primaries;
}

void replica_machine::on_twopc_prepare(peer_link& peer, const wire::twopc_prepare& msg) {
  if (msg.change == wire::twopc_change::connect) return on_connect_prepare(peer, msg);
  if (msg.initiator != peer.node || !handshake_done(peer)) {
    emit_event("protocol-error", peer.node, 0, 0, "twopc_prepare from a node that may not ask it");
    return drop_connection(peer, conn_state::protocol_error, true);
  }
  wire::twopc_reply reply{msg.tid, msg.initiator, wire::twopc_refusal::none, primary_nodes_seen()};
  if (in_transaction()) {
    reply.refusal = wire::twopc_refusal::busy;
  } else if (role_ == role::primary && !config_.allow_two_primaries) {
    reply.refusal = wire::twopc_refusal::primary;
  } else {
    prepared_ = prepared{msg.tid, msg.initiator};
  }
  send(peer, reply);
}

void replica_machine::on_twopc_reply(peer_link& peer, const wire::twopc_reply& msg) {
  if (connecting_ && msg.tid == connecting_->tid) return on_connect_reply(peer, msg);
  if (!promoting_ || msg.tid != promoting_->tid || !mask_has(promoting_->awaiting, peer.node)) {
    return;
  }
  if (msg.refusal != wire::twopc_refusal::none) return conclude_promotion(msg.refusal);
  promoting_->primaries |= msg.primary_nodes;
  promoting_->awaiting &= ~mask_of(peer.node);
  if (promoting_->awaiting == 0) conclude_promotion(wire::twopc_refusal::none);
}

// twopc_commit (refusal none) or twopc_abort of a transaction this node agreed to.
void replica_machine::on_twopc_end(peer_link& peer, std::uint64_t tid, node_id initiator,
                                   wire::twopc_refusal refusal) {
  if (initiator != peer.node) return;
  if (prepared_ && prepared_->tid == tid && prepared_->initiator == initiator) {
    prepared_.reset();
    return transaction_ended();
  }
  end_prepared_connect(peer, tid, refusal);
}

// A node free of transactions starts the promotion that waited for it, then coordinates the
// connects that waited.
void replica_machine::transaction_ended() {
  if (waiting_promotion_ && waiting_promotion_->timer == 0 && !in_transaction()) {
    const waiting_promotion request = *waiting_promotion_;
    waiting_promotion_.reset();
    start_promotion(request);
  }
  if (!in_promotion() && !connecting_ && !waiting_promotion_) start_pending_connects();
}

}  // namespace tandem
