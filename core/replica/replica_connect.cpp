// Connecting as a cluster-wide state change (DRBD's connect transaction): once two nodes have
// exchanged their handshake states, the lower node id of the two asks its connected peers and the
// new peer with twopc_prepare{connect}, naming the Primaries it knows of. Each answers with the
// Primaries it knows of: itself if Primary, its connected peers, and those named by the connect
// transactions it has agreed to and not yet seen end. All yes and at most one Primary among them
// all (or allow-two-primaries) -> twopc_commit, and both ends finish the handshake (the resync
// decision included); more Primaries -> twopc_abort, asked again for up to 2 s (a role change may
// still be on its way), then both ends drop the connection and stay StandAlone ("two-primaries").
// Connects may overlap (a node rejoining its peers connects to all of them at once, so that one
// source resyncs it while the others wait): two overlapping connects share a node, which tells each
// about the Primaries the other named, so together they can never join two Primaries either. A
// promotion, a resize or an invalidate (replica_twopc.cpp) excludes every other transaction: a
// participant busy with one says so, and the coordinator aborts and tries again after a short
// randomized delay.
#include <algorithm>
#include <bit>
#include <string>

#include "core/replica/replica_machine.h"

namespace tandem {

namespace {

std::string node_list(node_mask nodes) {
  std::string text;
  for (node_id n = 0; n < kMaxNodes; ++n) {
    if (!mask_has(nodes, n)) continue;
    if (!text.empty()) text += ", ";
    text += std::to_string(n);
  }
  return text;
}

}  // namespace

bool replica_machine::handshake_exchanged(const peer_link& peer) const {
  if (!peer.features_received || !peer.role_received) return false;
  for (const auto& pv : peer.volumes) {
    if (!pv.state_sent || !pv.state_received) return false;
  }
  return true;
}

// The generations of this connection's two ends diverged (a split brain): the handshake's split
// brain rules decide about it, the after-sb-2pri policy included, not the count of Primaries.
bool replica_machine::diverged_from(const peer_link& peer) const {
  for (const auto& pv : peer.volumes) {
    const wire::volume_state& mine = pv.sent_snapshot;
    const wire::volume_state& theirs = pv.peer_state;
    if (mine.disk == disk_state::diskless || theirs.disk == disk_state::diskless) continue;
    if (is_split_brain(
            compare_uuids(config_.self, uuids_of(mine), peer.node, uuids_of(theirs)).strategy))
      return true;
  }
  return false;
}

// The Primaries this node knows of, the ones named by its connect transactions included.
node_mask replica_machine::primary_nodes_known() const {
  node_mask primaries = primary_nodes_seen();
  if (connecting_) primaries |= connecting_->named | connecting_->reported;
  for (const auto& p : prepared_connects_) primaries |= p.primaries;
  return primaries;
}

void replica_machine::start_connect_transaction(peer_link& peer) {
  // One at a time: started again when this node's transaction ends (transaction_ended), or by the
  // retry timer.
  if (in_exclusive_change() || connecting_ || peer.connect_retry_timer != 0) return;
  connect_transaction t;
  t.tid = next_uuid();
  t.target = peer.node;
  t.asked = mask_of(peer.node);
  for (const auto& other : peers_) {
    if (handshake_done(other)) t.asked |= mask_of(other.node);
  }
  t.awaiting = t.asked;
  t.named = primary_nodes_known();
  connecting_ = t;
  for (const auto& other : peers_) {
    if (mask_has(t.asked, other.node)) {
      send(other, wire::twopc_prepare{t.tid, config_.self, wire::twopc_change::connect, peer.node,
                                      t.named});
    }
  }
}

void replica_machine::start_pending_connects() {
  for (auto& peer : peers_) {
    if (in_exclusive_change() || connecting_) return;
    if (config_.self < peer.node && !handshake_done(peer) && handshake_exchanged(peer) &&
        !peer.connect_agreed) {
      start_connect_transaction(peer);
    }
  }
}

void replica_machine::on_connect_prepare(peer_link& peer, const wire::twopc_prepare& msg) {
  // The target is asked over the connection being made, every other participant over an
  // established one.
  const bool target = msg.target == config_.self;
  const bool well_formed =
      msg.initiator == peer.node && msg.initiator < msg.target &&
      (target ? !handshake_done(peer) && handshake_exchanged(peer) : handshake_done(peer));
  if (!well_formed) {
    emit_event("protocol-error", peer.node, 0, 0, "twopc_prepare{connect} out of place");
    return drop_connection(peer, conn_state::protocol_error, true);
  }
  // (Not echoing the Primaries the initiator named: it knows them, maybe better by now.)
  wire::twopc_reply reply{msg.tid, msg.initiator, wire::twopc_refusal::none, primary_nodes_known()};
  if (in_exclusive_change()) {
    reply.refusal = wire::twopc_refusal::busy;
  } else {
    prepared_connects_.push_back({msg.tid, msg.initiator, msg.target, msg.primary_nodes});
  }
  send(peer, reply);
}

// The initiator's commit or abort of a connect this node agreed to.
void replica_machine::end_prepared_connect(peer_link& peer, std::uint64_t tid,
                                           wire::twopc_refusal refusal) {
  auto found = std::find_if(
      prepared_connects_.begin(), prepared_connects_.end(),
      [&](const prepared_connect& p) { return p.tid == tid && p.initiator == peer.node; });
  if (found == prepared_connects_.end()) return;
  const bool target = found->target == config_.self;
  prepared_connects_.erase(found);
  if (target && refusal == wire::twopc_refusal::none) {
    peer.connect_agreed = true;
    maybe_finish_handshake(peer);
  } else if (target && refusal == wire::twopc_refusal::two_primaries) {
    emit_event("two-primaries", peer.node, 0, 0,
               "more Primaries than allowed on the two sides of this connection; dropping it");
    drop_connection(peer, conn_state::disconnecting, false);
  }
  transaction_ended();
}

void replica_machine::on_connect_reply(peer_link& peer, const wire::twopc_reply& msg) {
  if (!mask_has(connecting_->awaiting, peer.node)) return;
  connecting_->reported |= msg.primary_nodes;
  if (msg.refusal != wire::twopc_refusal::none) return conclude_connect(msg.refusal);
  connecting_->awaiting &= ~mask_of(peer.node);
  if (connecting_->awaiting == 0) conclude_connect(wire::twopc_refusal::none);
}

// Every node asked has answered (or was lost): commit or abort the connect.
void replica_machine::conclude_connect(wire::twopc_refusal refusal) {
  const connect_transaction t = *connecting_;
  connecting_.reset();
  peer_link* target = find_peer(t.target);
  const bool target_waits = target != nullptr && mask_has(t.asked, t.target) &&
                            !handshake_done(*target) && handshake_exchanged(*target);
  // What this node knows now, not what it named at the start: a role_state that arrived meanwhile
  // is newer (a demoted Primary must not keep two partitions apart).
  const node_mask primaries = t.reported | primary_nodes_known();
  if (refusal == wire::twopc_refusal::none && target_waits && !config_.allow_two_primaries &&
      std::popcount(primaries) > 1 && !diverged_from(*target)) {
    refusal = wire::twopc_refusal::two_primaries;
    // What some node knows of the roles may be stale: a Primary that stepped down a moment ago
    // (a VM migration) while its role_state is still on the way. The connect is asked again, as
    // after a busy participant, until the roles have had time to settle; only two Primaries that
    // remain keep the two sides apart.
    if (!target->two_primaries_since_ns) target->two_primaries_since_ns = now_ns_;
    if (now_ns_ - *target->two_primaries_since_ns < kChangeWaitNs) {
      refusal = wire::twopc_refusal::busy;
    }
  }
  for (const auto& peer : peers_) {
    if (!mask_has(t.asked, peer.node)) continue;
    const bool reachable = peer.node == t.target ? target_waits : handshake_done(peer);
    if (!reachable) continue;
    if (refusal == wire::twopc_refusal::none) {
      send(peer, wire::twopc_commit{t.tid, config_.self});
    } else {
      send(peer, wire::twopc_abort{t.tid, config_.self, refusal});
    }
  }
  if (target_waits) {
    if (refusal != wire::twopc_refusal::busy) target->two_primaries_since_ns.reset();
    if (refusal == wire::twopc_refusal::none) {
      target->connect_agreed = true;
      maybe_finish_handshake(*target);
    } else if (refusal == wire::twopc_refusal::two_primaries) {
      emit_event("two-primaries", target->node, 0, 0,
                 "nodes " + node_list(primaries) +
                     " are Primary on the two sides of this connection and allow-two-primaries "
                     "is off; dropping it");
      drop_connection(*target, conn_state::disconnecting, false);
    } else {
      const std::uint64_t due_ns = transaction_retry_due_ns(now_ns_, t.tid);
      target->connect_retry_timer =
          transaction_retry_timer(kConnectRetryTimerTag, target->node, due_ns);
      emit(arm_timer{target->connect_retry_timer, due_ns});
    }
  }
  transaction_ended();
}

void replica_machine::on_connect_retry_timer(std::uint64_t timer) {
  if ((timer & kTimerTagMask) != kConnectRetryTimerTag) return;
  peer_link* peer = find_peer(node_of_timer(timer));
  if (peer == nullptr || peer->connect_retry_timer != timer) return;
  peer->connect_retry_timer = 0;
  maybe_finish_handshake(*peer);
}

}  // namespace tandem
