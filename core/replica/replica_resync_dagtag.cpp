// Resync reads ordered after the Primary's writes (DRBD 9.2's dagtag in P_RS_DATA_REQUEST; see
// wire::resync_dagtag). A sync target may hold a write of the Primary that its source has not
// received yet: the source's link to the Primary lags, or was cut one way. Read at once, the
// source would send the block as it was before, and the target would overwrite the newer copy
// with it. So the target names the last write it received from the Primary, and the source reads
// only once that write has reached it too.
//
// The source waits only while it can get there: the Primary is connected and Established with it
// and still Primary. Otherwise it reads at once, as DRBD does; the target's own checks (a write that
// arrives while the request is out, writes the writer has not settled) still apply to the reply.
#include <algorithm>
#include <string>

#include "core/replica/replica_machine.h"

namespace tandem {

// What a request to `source` must wait for: the last write of a Primary other than the source
// (and me) that reached me directly. Nothing when I am the Primary: my writes travel to the
// source on this very connection, ahead of the request.
wire::resync_dagtag replica_machine::resync_dagtag_toward(const peer_link& source,
                                                         std::size_t vi) const {
  for (const auto& writer : peers_) {
    const auto& wpv = writer.volumes[vi];
    if (writer.node == source.node || writer.peer_role != role::primary ||
        !handshake_done(writer) || wpv.received_write_seq == 0) {
      continue;
    }
    return {writer.node, wpv.received_write_generation, wpv.received_write_seq};
  }
  return {};
}

// I hold the writer's writes of `generation` up to `writes_seen`: one reached me, or all of them
// did without my receiving them one by one (it was my sync source, or we connected on equal data).
void replica_machine::note_writes_held_from(peer_link& writer, std::size_t vi,
                                            generation_uuid generation,
                                            std::uint64_t writes_seen) {
  if (writes_seen == kWritesSeenUnknown || generation == 0) return;
  auto& wpv = writer.volumes[vi];
  generation = uuid_value(generation);
  if (wpv.received_write_generation != generation) {
    wpv.received_write_generation = generation;
    wpv.received_write_seq = 0;
  }
  wpv.received_write_seq = std::max(wpv.received_write_seq, writes_seen);
}

bool replica_machine::holds_dagtag(std::size_t vi, const wire::resync_dagtag& dagtag) const {
  if (dagtag.writer == wire::kNoDagtagWriter || dagtag.writer == config_.self) return true;
  const local_volume& volume = volumes_[vi];
  for (const auto& writer : peers_) {
    if (writer.node != dagtag.writer) continue;
    const auto& wpv = writer.volumes[vi];
    if (wpv.received_write_generation == dagtag.generation &&
        wpv.received_write_seq >= dagtag.write_seq) {
      return true;
    }
  }
  // My own count of the generation's writes covers it (in sequence, so nothing is missing).
  if (uuid_value(volume.uuids.current) == dagtag.generation) {
    return volume.writes_seen != kWritesSeenUnknown && volume.writes_seen >= dagtag.write_seq;
  }
  // I moved on from that generation: every write of it reached me before the next one began.
  return is_ancestor(volume.uuids, dagtag.generation);
}

// The named write is still on its way to me: the writer is connected, Established and Primary.
bool replica_machine::may_wait_for_dagtag(std::size_t vi,
                                          const wire::resync_dagtag& dagtag) const {
  if (volumes_[vi].disk != disk_state::uptodate) return false;
  return std::any_of(peers_.begin(), peers_.end(), [&](const peer_link& writer) {
    return writer.node == dagtag.writer && handshake_done(writer) &&
           writer.peer_role == role::primary &&
           writer.volumes[vi].repl == repl_state::established;
  });
}

void replica_machine::take_resync_request(peer_link& peer, const wire::block_ack_fields& request,
                                          const std::vector<std::uint32_t>* target_digests,
                                          const wire::resync_dagtag& dagtag) {
  const std::size_t vi = volume_index_of(request.volume);
  if (vi == volumes_.size()) return read_for_resync(peer, request, target_digests);
  auto& parked = peer.volumes[vi].parked_resync_reads;
  // Behind an earlier parked read of the same target, so that the replies keep their order.
  if (parked.empty() && (holds_dagtag(vi, dagtag) || !may_wait_for_dagtag(vi, dagtag))) {
    return read_for_resync(peer, request, target_digests);
  }
  if (parked.empty()) {
    emit_event("resync-read-waits", peer.node, request.volume, 0,
               "until write " + std::to_string(dagtag.write_seq) + " of n" +
                   std::to_string(dagtag.writer) + " arrives");
  }
  parked.push_back({request, target_digests != nullptr,
                    target_digests ? *target_digests : std::vector<std::uint32_t>{}, dagtag});
}

// Reads whose write has arrived, or that can no longer wait for it, go ahead in order. Run after
// every input (replica_machine::step).
void replica_machine::release_parked_resync_reads() {
  for (auto& peer : peers_) {
    for (std::size_t vi = 0; vi < peer.volumes.size(); ++vi) {
      auto& parked = peer.volumes[vi].parked_resync_reads;
      while (!parked.empty() && (holds_dagtag(vi, parked.front().dagtag) ||
                                 !may_wait_for_dagtag(vi, parked.front().dagtag))) {
        const auto read = std::move(parked.front());
        parked.pop_front();
        read_for_resync(peer, read.request, read.checksum ? &read.target_digests : nullptr);
      }
    }
  }
}

}  // namespace tandem
