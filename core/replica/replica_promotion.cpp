// Promotion: when a node may become Primary, and what becoming Primary does. The promotion itself
// is a cluster-wide change by two-phase commit (replica_twopc.cpp): each connected peer agrees
// unless it is Primary itself (without allow-two-primaries) or busy with another transaction, so
// two nodes promoted at the same moment cannot both succeed.
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

// The Primaries this node knows of: itself and its connected peers.
node_mask replica_machine::primary_nodes_seen() const {
  node_mask primaries = role_ == role::primary ? mask_of(config_.self) : 0;
  for (const auto& peer : peers_) {
    if (handshake_done(peer) && peer.peer_role == role::primary) primaries |= mask_of(peer.node);
  }
  return primaries;
}

}  // namespace tandem
