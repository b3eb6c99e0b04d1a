// DRBD's on-congestion for protocol A peers. The backlog toward a peer is its transfer log: the
// writes sent to it that its disk has not confirmed (replica.cpp). When that backlog reaches
// congestion-fill, or the activity log holds congestion-extents hot extents, it either drops the
// connection (disconnect) or pulls ahead: the connection becomes Ahead here and Behind (with an
// Outdated disk) on the peer, writes are no longer sent but marked and announced as out_of_sync,
// and once everything sent before is confirmed the Primary resyncs the peer from its bitmap
// (Ahead -> SyncSource, confirm_sent_write), after which replication resumes.
#include <string>

#include "core/replica/replica_machine.h"

namespace tandem {

// Called for each write before it is sent (DRBD maybe_pull_ahead in drbd_send_and_submit). A
// SyncSource does not pull ahead here (DRBD's can): its resync paces itself through the target's
// requests, and its writes keep going out.
void replica_machine::maybe_pull_ahead(std::size_t vi) {
  local_volume& volume = volumes_[vi];
  // Every write passes here: with the default policy, return before looking at any peer.
  if (config_.congestion.policy == on_congestion::block) return;
  if (volume.disk != disk_state::uptodate) return;
  for (auto& peer : peers_) {
    if (peer.proto != protocol::a || !handshake_done(peer) || !peer.diskful) continue;
    auto& pv = peer.volumes[vi];
    if (pv.repl != repl_state::established || pv.peer_disk != disk_state::uptodate) continue;
    const congestion_load load{peer.transfer_log_bytes, volume.activity_log.size()};
    if (!is_congested(config_.congestion, load)) continue;
    const std::string why = std::to_string(load.in_flight_bytes) + " bytes in flight, " +
                            std::to_string(load.hot_extents) + " hot extents";
    if (config_.congestion.policy == on_congestion::disconnect) {
      emit_event("congestion-disconnect", peer.node, volume.number, 0, why);
      drop_connection(peer, conn_state::disconnecting, true);
      continue;
    }
    emit_event("pull-ahead", peer.node, volume.number, 0, why);
    set_repl(peer, vi, repl_state::ahead);
    set_peer_disk(peer, vi, disk_state::outdated);
    send(peer, wire::pull_ahead{volume.number});
  }
}

void replica_machine::on_pull_ahead(peer_link& peer, const wire::pull_ahead& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) return;
  auto& pv = peer.volumes[vi];
  if (pv.repl != repl_state::established || volumes_[vi].disk < disk_state::outdated) return;
  emit_event("behind", peer.node, msg.volume, 0, "the Primary pulled ahead (congestion)");
  set_repl(peer, vi, repl_state::behind);
  // The writes it makes from now on reach me only as out_of_sync notices.
  set_disk(vi, disk_state::outdated);
}

}  // namespace tandem
