// Cluster-wide changes by two-phase commit that exclude every other transaction (DRBD
// change_cluster_wide_state): `primary`, `resize` and `invalidate`. The node running the command
// asks every connected peer with twopc_prepare; each agrees unless the change does not fit it (a
// Primary asked about a promotion without allow-two-primaries, a backing device too small for a
// resize, an invalidate's source without UpToDate data) or it is already part of another
// transaction; all yes -> twopc_commit, every node carries the change out, and the command
// succeeds; any no -> twopc_abort and the command is refused, saying why. So two nodes promoted at
// the same moment cannot both succeed, two resizes cannot make each node the other's sync target,
// and two nodes cannot invalidate each other. Connects (replica_connect.cpp) wait too: a node
// taking part in one finishes it before it asks, and a busy peer is asked again after a short
// randomized delay, for up to 2 s.
#include <string>

#include "core/replica/replica_machine.h"

namespace tandem {

namespace {

wire::twopc_change change_of(admin_op op) {
  switch (op) {
    case admin_op::resize: return wire::twopc_change::resize;
    case admin_op::invalidate: return wire::twopc_change::invalidate;
    default: return wire::twopc_change::promote;
  }
}

std::string refusal_reason(wire::twopc_refusal refusal, node_id from, const admin& cmd) {
  const std::string node = "node " + std::to_string(from);
  switch (refusal) {
    case wire::twopc_refusal::none: return "";
    case wire::twopc_refusal::busy: return "a concurrent cluster-wide state change, retry";
    case wire::twopc_refusal::primary:
    case wire::twopc_refusal::two_primaries: return "another node is Primary";
    case wire::twopc_refusal::not_uptodate:
      return node + " has no UpToDate data in sync with this node";
    case wire::twopc_refusal::too_small:
      return "the backing device of " + node + " holds fewer than " +
             std::to_string(cmd.size_sectors) + " sectors";
  }
  return "refused by " + node;
}

}  // namespace

// The command ends here without a transaction: refused, or nothing to change. Asked again when a
// waiting change starts and when it concludes: the world may have changed meanwhile.
std::optional<admin_done> replica_machine::settled_without_change(const admin& cmd) const {
  switch (cmd.op) {
    case admin_op::resize: return resize_settled(cmd);
    case admin_op::invalidate: return invalidate_settled(cmd);
    default: break;
  }
  if (role_ == role::primary) return admin_done{cmd.tag, true, "already Primary"};
  const std::string refusal = promotion_refusal(cmd.op);
  if (!refusal.empty()) return admin_done{cmd.tag, false, refusal};
  return std::nullopt;
}

void replica_machine::carry_out(const admin& cmd) {
  switch (cmd.op) {
    case admin_op::resize: return resize_now(cmd);
    case admin_op::invalidate: return invalidate_now(cmd);
    default: return promote_now(cmd.op);
  }
}

void replica_machine::begin_exclusive_change(const admin& cmd) {
  if (auto done = settled_without_change(cmd)) return emit(*done);
  if (changing_ || waiting_change_) {
    return emit(admin_done{cmd.tag, false, "a cluster-wide state change is in progress"});
  }
  const waiting_change request{cmd, now_ns_ + kChangeWaitNs, 0};
  // Busy with another transaction (a connect, say): like `drbdsetup primary`, wait for it and try
  // then, instead of failing the command.
  if (in_transaction()) {
    waiting_change_ = request;
    return;
  }
  start_exclusive_change(request);
}

void replica_machine::start_exclusive_change(const waiting_change& request) {
  if (auto done = settled_without_change(request.cmd)) return emit(*done);
  exclusive_change c;
  c.cmd = request.cmd;
  c.deadline_ns = request.deadline_ns;
  for (const auto& peer : peers_) {
    if (handshake_done(peer)) c.asked |= mask_of(peer.node);
  }
  if (c.asked == 0) {  // nobody to ask
    carry_out(c.cmd);
    return emit(admin_done{c.cmd.tag, true, ""});
  }
  c.tid = next_uuid();
  c.awaiting = c.asked;
  changing_ = c;
  wire::twopc_prepare prepare{c.tid, config_.self, change_of(c.cmd.op), config_.self};
  if (c.cmd.op == admin_op::invalidate) prepare.target = c.cmd.peer;  // the sync source
  if (c.cmd.op == admin_op::resize) {
    prepare.volume = c.cmd.volume;
    prepare.size_sectors = c.cmd.size_sectors;
    prepare.resize_flags = c.cmd.assume_clean ? wire::kResizeAssumeClean : 0;
  }
  for (const auto& peer : peers_) {
    if (mask_has(c.asked, peer.node)) send(peer, prepare);
  }
}

void replica_machine::on_change_retry_timer(std::uint64_t timer) {
  if (!waiting_change_ || waiting_change_->timer != timer) return;
  waiting_change_->timer = 0;
  transaction_ended();
}

// Every peer asked has answered (or was lost): commit or abort the coordinated change.
void replica_machine::conclude_exclusive_change(wire::twopc_refusal refusal, node_id refused_by) {
  const exclusive_change c = *changing_;
  changing_.reset();
  std::string reason = refusal_reason(refusal, refused_by, c.cmd);
  const bool retry = refusal == wire::twopc_refusal::busy && now_ns_ < c.deadline_ns;
  // A peer may be connected to a Primary this node does not reach (DRBD: the replies'
  // primary_nodes).
  const bool promotion = c.cmd.op == admin_op::primary || c.cmd.op == admin_op::primary_force;
  const node_mask others = c.primaries & ~mask_of(config_.self);
  if (reason.empty() && promotion && others != 0 && !config_.allow_two_primaries) {
    reason = "another node is Primary";
  }
  std::optional<admin_done> settled;
  if (reason.empty()) settled = settled_without_change(c.cmd);
  if (settled) reason = settled->message;
  for (const auto& peer : peers_) {
    if (!mask_has(c.asked, peer.node) || !handshake_done(peer)) continue;
    if (reason.empty()) {
      send(peer, wire::twopc_commit{c.tid, config_.self});
    } else {
      send(peer, wire::twopc_abort{c.tid, config_.self});
    }
  }
  if (reason.empty()) {
    carry_out(c.cmd);
    emit(admin_done{c.cmd.tag, true, ""});
  } else if (settled) {
    emit(*settled);
  } else if (retry) {
    // A peer is busy with another transaction: ask again after a short randomized delay.
    const std::uint64_t due_ns = transaction_retry_due_ns(now_ns_, c.tid);
    const std::uint64_t timer = transaction_retry_timer(kChangeRetryTimerTag, config_.self, due_ns);
    waiting_change_ = waiting_change{c.cmd, c.deadline_ns, timer};
    emit(arm_timer{timer, due_ns});
  } else {
    emit(admin_done{c.cmd.tag, false, reason});
  }
  transaction_ended();
}

// Whether this node agrees to the change `initiator` asks for (busy aside).
wire::twopc_refusal replica_machine::participant_refusal(const peer_link& initiator,
                                                         const wire::twopc_prepare& msg) {
  switch (msg.change) {
    case wire::twopc_change::promote:
      return role_ == role::primary && !config_.allow_two_primaries
                 ? wire::twopc_refusal::primary
                 : wire::twopc_refusal::none;
    case wire::twopc_change::resize: {
      const std::size_t vi = volume_index_of(msg.volume);
      const std::uint64_t local_max = max_size_sectors(vi);
      return local_max != 0 && msg.size_sectors > local_max ? wire::twopc_refusal::too_small
                                                            : wire::twopc_refusal::none;
    }
    case wire::twopc_change::invalidate: {
      if (msg.target != config_.self) return wire::twopc_refusal::none;
      // The source: its data must be UpToDate and in sync with the initiator (two nodes that
      // invalidate each other at once: the second finds its source Inconsistent).
      for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
        if (volumes_[vi].disk != disk_state::uptodate ||
            initiator.volumes[vi].repl != repl_state::established) {
          return wire::twopc_refusal::not_uptodate;
        }
      }
      return wire::twopc_refusal::none;
    }
    case wire::twopc_change::connect: break;
  }
  return wire::twopc_refusal::none;
}

void replica_machine::on_twopc_prepare(peer_link& peer, const wire::twopc_prepare& msg) {
  if (msg.change == wire::twopc_change::connect) return on_connect_prepare(peer, msg);
  if (msg.initiator != peer.node || !handshake_done(peer)) {
    emit_event("protocol-error", peer.node, 0, 0, "twopc_prepare from a node that may not ask it");
    return drop_connection(peer, conn_state::protocol_error, true);
  }
  if (msg.change == wire::twopc_change::resize && volume_index_of(msg.volume) == volumes_.size()) {
    emit_event("protocol-error", peer.node, msg.volume, 0, "resize of an unknown volume");
    return drop_connection(peer, conn_state::protocol_error, false);
  }
  wire::twopc_reply reply{msg.tid, msg.initiator, wire::twopc_refusal::none, primary_nodes_seen()};
  reply.refusal = in_transaction() ? wire::twopc_refusal::busy : participant_refusal(peer, msg);
  if (reply.refusal == wire::twopc_refusal::none) prepared_ = msg;
  send(peer, reply);
}

void replica_machine::on_twopc_reply(peer_link& peer, const wire::twopc_reply& msg) {
  if (connecting_ && msg.tid == connecting_->tid) return on_connect_reply(peer, msg);
  if (!changing_ || msg.tid != changing_->tid || !mask_has(changing_->awaiting, peer.node)) {
    return;
  }
  if (msg.refusal != wire::twopc_refusal::none) {
    return conclude_exclusive_change(msg.refusal, peer.node);
  }
  changing_->primaries |= msg.primary_nodes;
  changing_->awaiting &= ~mask_of(peer.node);
  if (changing_->awaiting == 0) conclude_exclusive_change(wire::twopc_refusal::none, 0);
}

// twopc_commit (refusal none) or twopc_abort of a transaction this node agreed to.
void replica_machine::on_twopc_end(peer_link& peer, std::uint64_t tid, node_id initiator,
                                   wire::twopc_refusal refusal) {
  if (initiator != peer.node) return;
  if (prepared_ && prepared_->tid == tid && prepared_->initiator == initiator) {
    const wire::twopc_prepare change = *prepared_;
    prepared_.reset();
    if (refusal == wire::twopc_refusal::none && change.change == wire::twopc_change::resize) {
      const std::size_t vi = volume_index_of(change.volume);
      if (change.size_sectors > volumes_[vi].size_sectors) grow_volume(vi, change.size_sectors);
      // The initiator marks the new area toward me now and sends it only to a peer whose last
      // report names its generation; mine may be older than what I hold (I followed a Primary
      // into a new generation since, and told only the Primary). A fresh one lets it send.
      send_volume_state(peer, vi);
    }
    return transaction_ended();
  }
  end_prepared_connect(peer, tid, refusal);
}

// A node free of transactions starts the change that waited for it, then coordinates the
// connects that waited.
void replica_machine::transaction_ended() {
  if (waiting_change_ && waiting_change_->timer == 0 && !in_transaction()) {
    const waiting_change request = *waiting_change_;
    waiting_change_.reset();
    start_exclusive_change(request);
  }
  if (!in_exclusive_change() && !connecting_ && !waiting_change_) start_pending_connects();
}

}  // namespace tandem
