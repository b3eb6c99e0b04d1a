// Online verify (DRBD `verify`, VerifyS / VerifyT): the source walks the whole volume in ranges,
// digests each range locally and asks the target for its digests of the same range
// (ov_request -> ov_reply). Blocks whose digests differ are marked out of sync toward the target
// and counted; like DRBD, the verify does not resync them: the next handshake with the peer does
// (a disconnect/connect, see docs/replication.md).
//
// The digest is CRC-32C per 4 KiB block (block_digest.h), DRBD's usual verify-alg. Verify guards
// against silent corruption (bit rot, a faulty controller, a backing device written behind the
// replication's back), not against an adversary: a random change escapes a 32-bit CRC with
// probability 2^-32 per block, and bursts up to 32 bits never do. A cryptographic hash would cost
// far more CPU per byte for no gain against accidents.
//
// Races with writes: both reads are ordered like resync reads (submit() makes them wait for an
// overlapping write in flight and vice versa), and a write reaching a range whose comparison is
// still open marks it touched: it is compared again, because the two reads may straddle the write.
// A write made on the target's side reaches the source before the target's reply does (one
// connection keeps its order), so it marks the range in time as well.
// A verify runs on top of an Established connection; the I/O path keeps treating the peer as
// Established, and the view shows VerifyS / VerifyT.
#include <algorithm>
#include <string>
#include <tuple>

#include "core/replica/replica_machine.h"

namespace tandem {

namespace {

// A range written during every one of this many comparisons is reported as skipped.
constexpr int kVerifyAttempts = 4;

}  // namespace

repl_state replica_machine::shown_repl(const peer_volume& pv) const {
  if (pv.repl != repl_state::established) return pv.repl;
  switch (pv.verify) {
    case peer_volume::verify_role::source: return repl_state::verify_s;
    case peer_volume::verify_role::target: return repl_state::verify_t;
    case peer_volume::verify_role::none: break;
  }
  return pv.repl;
}

std::string replica_machine::verify_refusal(const peer_link& peer) const {
  if (!handshake_done(peer)) return "not connected to node " + std::to_string(peer.node);
  if (!peer.diskful) return "node " + std::to_string(peer.node) + " is diskless";
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    const auto& pv = peer.volumes[vi];
    if (volumes_[vi].disk != disk_state::uptodate) return "the local disk is not UpToDate";
    if (pv.peer_disk != disk_state::uptodate)
      return "the disk of node " + std::to_string(peer.node) + " is not UpToDate";
    if (pv.repl != repl_state::established || pv.verify != peer_volume::verify_role::none) {
      return "node " + std::to_string(peer.node) + " is " + std::string(to_string(shown_repl(pv))) +
             ", not Established";
    }
  }
  return "";
}

void replica_machine::on_admin_verify(const admin& cmd) {
  std::vector<peer_link*> targets;
  std::string refusal;
  for (auto& peer : peers_) {
    if (!cmd.all_peers && peer.node != cmd.peer) continue;
    std::string why = verify_refusal(peer);
    if (why.empty()) {
      targets.push_back(&peer);
    } else if (!cmd.all_peers) {
      refusal = std::move(why);
    }
  }
  if (targets.empty()) {
    if (refusal.empty()) {
      refusal = cmd.all_peers ? "no connected peer in sync to verify against"
                              : "no peer with node id " + std::to_string(cmd.peer);
    }
    return emit(admin_done{cmd.tag, false, refusal});
  }
  for (peer_link* peer : targets) {
    for (std::size_t vi = 0; vi < volumes_.size(); ++vi) start_verify(*peer, vi);
  }
  emit(admin_done{cmd.tag, true, ""});
}

void replica_machine::start_verify(peer_link& peer, std::size_t vi) {
  auto& pv = peer.volumes[vi];
  pv.verify = peer_volume::verify_role::source;
  pv.verify_next_block = 0;
  pv.verify_requests.clear();
  pv.verify_again.clear();
  pv.verified_blocks = pv.verify_out_of_sync_blocks = pv.verify_skipped_blocks = 0;
  emit(state_changed{state_object::peer_device, peer.node, volumes_[vi].number, "replication",
                     to_string(repl_state::established), to_string(repl_state::verify_s)});
  emit_event("verify-started", peer.node, volumes_[vi].number, volumes_[vi].size_blocks, "source");
  start_resync_rate(peer, vi);  // paced like a resync (DRBD's verify uses the same controller)
  request_verify_blocks(peer, vi);
}

// Keeps at most kResyncWindow ranges in flight, like a resync, and with the rate controller on,
// asks for no more per step than it allows.
void replica_machine::request_verify_blocks(peer_link& peer, std::size_t vi) {
  auto& pv = peer.volumes[vi];
  const local_volume& volume = volumes_[vi];
  while (pv.verify_requests.size() < kResyncWindow && resync_blocks_allowed(pv, 1) != 0) {
    block_range blocks;
    int attempts = 1;
    if (!pv.verify_again.empty()) {
      std::tie(blocks, attempts) = pv.verify_again.front();
      pv.verify_again.pop_front();
    } else if (pv.verify_next_block < volume.size_blocks) {
      const std::uint64_t left = volume.size_blocks - pv.verify_next_block;
      blocks = {pv.verify_next_block,
                resync_blocks_allowed(pv, std::min(kResyncRequestBlocks, left))};
      pv.verify_next_block = blocks.end();
    } else {
      break;
    }
    spend_resync_budget(pv, blocks.count);
    const std::uint64_t end_bytes =
        std::min(blocks.end() * kBlockBytes, volume.size_sectors * kSectorBytes);
    const auto size_bytes = static_cast<std::uint32_t>(end_bytes - blocks.first * kBlockBytes);
    const std::uint64_t id = next_request_id_++;
    auto& entry = pv.verify_requests[id];
    entry.blocks = blocks;
    entry.attempts = attempts;
    send(peer, wire::ov_request{{volume.number, blocks.first * kSectorsPerBlock, id, size_bytes}});
    submit_digest_read(disk_purpose::verify_read, peer, vi, blocks.first * kSectorsPerBlock,
                       size_bytes, id);
  }
  const bool all_asked = pv.verify_again.empty() && pv.verify_next_block >= volume.size_blocks;
  if (pv.verify_requests.empty() && all_asked) finish_verify(peer, vi, "done");
}

void replica_machine::on_ov_request(peer_link& peer, const wire::ov_request& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (!in_volume(vi, msg.sector, msg.size_bytes) || volumes_[vi].disk != disk_state::uptodate) {
    // No digests: the source counts the range as not compared.
    return send(peer, wire::ov_reply{{msg.volume, msg.sector, msg.block_id, msg.size_bytes, {}}});
  }
  auto& pv = peer.volumes[vi];
  if (pv.verify == peer_volume::verify_role::none && pv.repl == repl_state::established) {
    pv.verify = peer_volume::verify_role::target;
    pv.verified_blocks = pv.verify_out_of_sync_blocks = pv.verify_skipped_blocks = 0;
    emit(state_changed{state_object::peer_device, peer.node, msg.volume, "replication",
                       to_string(repl_state::established), to_string(repl_state::verify_t)});
  }
  submit_digest_read(disk_purpose::verify_serve, peer, vi, msg.sector, msg.size_bytes,
                     msg.block_id);
}

void replica_machine::submit_digest_read(disk_purpose purpose, const peer_link& peer,
                                         std::size_t vi, std::uint64_t sector,
                                         std::uint32_t size_bytes, std::uint64_t block_id) {
  disk_request dr =
      make_peer_disk_request(purpose, peer, vi, io_op::read, sector, size_bytes, block_id, {});
  dr.ordered = true;  // never beside a write to the same blocks
  dr.submit.want_digests = true;
  submit(std::move(dr));
}

void replica_machine::on_verify_read_done(const disk_request& request, const disk_done& done,
                                          bool peer_current) {
  if (!peer_current) return;  // the verify ended with the connection
  peer_link& peer = *find_peer(request.peer);
  // A driver that returns the wrong number of digests is treated like a failed read.
  const bool usable = done.ok && done.digests.size() == wire::digests_for(request.length_bytes);
  std::vector<std::uint32_t> digests = usable ? done.digests : std::vector<std::uint32_t>{};
  const volume_nr number = volumes_[request.volume_index].number;
  if (request.purpose == disk_purpose::verify_serve) {
    return send(peer, wire::ov_reply{{number, request.sector, request.block_id,
                                      request.length_bytes, std::move(digests)}});
  }
  auto& pv = peer.volumes[request.volume_index];
  auto found = pv.verify_requests.find(request.block_id);
  if (found == pv.verify_requests.end()) return;  // the run was stopped meanwhile
  found->second.local = std::move(digests);
  found->second.have_local = true;
  compare_verified(peer, request.volume_index, request.block_id);
}

void replica_machine::on_ov_reply(peer_link& peer, const wire::ov_reply& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) return;
  auto& pv = peer.volumes[vi];
  auto found = pv.verify_requests.find(msg.block_id);
  if (found == pv.verify_requests.end()) return;  // the run was stopped meanwhile
  if (found->second.blocks.first * kSectorsPerBlock != msg.sector) {
    emit_event("protocol-error", peer.node, msg.volume, 0, "ov_reply for another range");
    return drop_connection(peer, conn_state::protocol_error, true);
  }
  found->second.remote = msg.digests;
  found->second.have_remote = true;
  compare_verified(peer, vi, msg.block_id);
}

void replica_machine::compare_verified(peer_link& peer, std::size_t vi, std::uint64_t block_id) {
  auto& pv = peer.volumes[vi];
  auto found = pv.verify_requests.find(block_id);
  if (!found->second.have_local || !found->second.have_remote) return;
  const peer_volume::verify_request request = std::move(found->second);
  pv.verify_requests.erase(found);
  pv.rate_arrived_sectors += request.blocks.count * kSectorsPerBlock;
  if (request.touched && request.attempts < kVerifyAttempts) {
    pv.verify_again.emplace_back(request.blocks, request.attempts + 1);
    return request_verify_blocks(peer, vi);
  }
  const bool comparable =
      !request.touched && !request.local.empty() && request.local.size() == request.remote.size();
  if (!comparable) {
    pv.verify_skipped_blocks += request.blocks.count;
    return request_verify_blocks(peer, vi);
  }
  local_volume& volume = volumes_[vi];
  auto bitmap = volume.bitmaps.find(peer.node);
  std::uint64_t differing = 0;
  for (std::size_t i = 0; i < request.local.size(); ++i) {
    if (request.local[i] == request.remote[i]) continue;
    ++differing;
    // Only the bit: unlike a missed write (mark_out_of_sync), a verify finding starts no resync.
    if (bitmap != volume.bitmaps.end()) bitmap->second.set({request.blocks.first + i, 1});
  }
  pv.verified_blocks += request.blocks.count;
  pv.verify_out_of_sync_blocks += differing;
  if (differing != 0) {
    emit_event("verify-out-of-sync", peer.node, volume.number, differing,
               "in blocks " + std::to_string(request.blocks.first) + ".." +
                   std::to_string(request.blocks.end() - 1));
  }
  request_verify_blocks(peer, vi);
}

void replica_machine::on_ov_done(peer_link& peer, const wire::ov_done& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) return;
  auto& pv = peer.volumes[vi];
  if (pv.verify != peer_volume::verify_role::target) return;
  pv.verified_blocks = msg.checked_blocks;
  pv.verify_out_of_sync_blocks = msg.out_of_sync_blocks;
  finish_verify(peer, vi, "done");
}

// Ends a verify run on either side and reports it. The source tells the target when the run ended
// normally; a run cut short by a state change or a lost connection ends on both sides by itself.
void replica_machine::finish_verify(peer_link& peer, std::size_t vi, const char* why) {
  auto& pv = peer.volumes[vi];
  const bool source = pv.verify == peer_volume::verify_role::source;
  const repl_state shown = shown_repl(pv);
  pv.verify = peer_volume::verify_role::none;
  pv.verify_requests.clear();
  pv.verify_again.clear();
  const volume_nr number = volumes_[vi].number;
  if (source && handshake_done(peer)) {
    send(peer, wire::ov_done{number, pv.verified_blocks, pv.verify_out_of_sync_blocks});
  }
  emit(state_changed{state_object::peer_device, peer.node, number, "replication", to_string(shown),
                     to_string(pv.repl)});
  emit_event("verify-done", peer.node, number, pv.verify_out_of_sync_blocks,
             std::string(source ? "source" : "target") + ", " + why + ": checked " +
                 std::to_string(pv.verified_blocks) + " blocks, " +
                 std::to_string(pv.verify_out_of_sync_blocks) + " out of sync (" +
                 std::to_string(pv.verify_out_of_sync_blocks * kBlockBytes) + " bytes), " +
                 std::to_string(pv.verify_skipped_blocks) + " not compared");
}

void replica_machine::note_write_for_verify(std::size_t vi, block_range blocks) {
  for (auto& peer : peers_) {
    for (auto& [id, request] : peer.volumes[vi].verify_requests) {
      if (request.blocks.overlaps(blocks)) request.touched = true;
    }
  }
}

}  // namespace tandem
