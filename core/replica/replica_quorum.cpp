// Quorum (DRBD 9 resource option `quorum`): counting votes from the states this node knows, and
// what losing and regaining quorum does to client I/O.
#include <algorithm>

#include "core/replica/replica_machine.h"

namespace tandem {

quorum_votes replica_machine::count_votes(std::size_t vi) const {
  quorum_votes votes;
  const disk_state own = volumes_[vi].disk;
  if (own == disk_state::uptodate) {
    ++votes.up_to_date;
  } else if (own >= disk_state::inconsistent) {
    ++votes.present;
  } else if (!config_.self_diskful) {
    ++votes.diskless;  // an intentionally diskless node is a tie-breaker itself
  }
  for (const auto& peer : peers_) {
    if (!peer.voter) continue;  // added and never seen, or being removed (see admin_op)
    const bool connected = handshake_done(peer);
    if (!peer.diskful) {
      if (!peer.tiebreaker) continue;
      ++(connected ? votes.diskless : votes.missing_diskless);
      continue;
    }
    if (!connected) {
      ++votes.unknown;
      continue;
    }
    const disk_state disk = peer.volumes[vi].peer_disk;
    if (disk == disk_state::uptodate) {
      ++votes.up_to_date;
    } else if (disk >= disk_state::inconsistent) {
      ++votes.present;
    } else {
      ++votes.outdated;  // reachable, and known to hold no data that could be written elsewhere
    }
  }
  return votes;
}

bool replica_machine::lacks_quorum(std::size_t vi) const {
  if (planted(planted_bug::ignore_quorum)) return false;
  return config_.quorum.enabled() && !volumes_[vi].have_quorum;
}

void replica_machine::update_quorum(std::size_t vi) {
  if (!config_.quorum.enabled()) return;
  local_volume& volume = volumes_[vi];
  const bool peer_quorate = std::any_of(peers_.begin(), peers_.end(), [&](const peer_link& peer) {
    const auto& pv = peer.volumes[vi];
    return handshake_done(peer) && pv.peer_disk == disk_state::uptodate &&
           (pv.peer_state.uuid_flags & wire::kUuidFlagQuorate) != 0;
  });
  // A diskless node has no vote of its own: a quorate UpToDate peer speaks for it.
  const bool borrow = volume.disk == disk_state::diskless && peer_quorate;
  const quorum_decision decision =
      decide_quorum(count_votes(vi), config_.quorum, config_.quorum_minimum_redundancy,
                    volume.have_quorum, borrow);
  if (decision.have == volume.have_quorum) {
    // A peer that connected while this node's quorum was changing may hold a stale flag.
    for (auto& peer : peers_) {
      const auto& pv = peer.volumes[vi];
      if (handshake_done(peer) && pv.sent_quorate != volume.have_quorum) {
        return broadcast_volume_state(vi);
      }
    }
    return;
  }
  emit(state_changed{state_object::device, 0, volume.number, "quorum",
                     volume.have_quorum ? "yes" : "no", decision.have ? "yes" : "no"});
  volume.have_quorum = decision.have;
  emit_event(decision.have ? "quorum-regained" : "quorum-lost", config_.self, volume.number, 0,
             std::string(decision.reason) + ", " + std::to_string(decision.voters) + " voters, " +
                 std::to_string(decision.needed) + " needed");
  broadcast_volume_state(vi);
  if (decision.have) resume_suspended(vi);
}

// Requests frozen while quorum was missing continue where they stopped: those that never reached
// the disk are started, those that finished complete now.
void replica_machine::resume_suspended(std::size_t vi) {
  std::deque<std::uint64_t> still_waiting;
  std::deque<std::uint64_t> ready;
  for (auto tag : suspended_) {
    auto found = clients_.find(tag);
    if (found == clients_.end()) continue;
    (found->second.volume_index == vi ? ready : still_waiting).push_back(tag);
  }
  suspended_ = std::move(still_waiting);
  for (auto tag : ready) {
    auto found = clients_.find(tag);
    if (found == clients_.end()) continue;
    client_request& request = found->second;
    const bool started = request.local_pending || request.acks_pending != 0 || request.local_ok ||
                         request.acked != 0 || request.replicated_to != 0;
    request.suspended = false;
    if (started) {
      maybe_complete(tag);
    } else {
      start_client_request(request);
    }
  }
}

}  // namespace tandem
