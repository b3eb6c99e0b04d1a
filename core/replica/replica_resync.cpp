// Bitmap-based resync (DRBD WFBitMapS/T -> SyncSource/SyncTarget): the source sends its bitmap, the
// target ORs in its own bits, pulls every marked block with rs_data_request and clears the bits as the
// blocks land. A target syncs from one source at a time; other sources wait as PausedSyncT.
#include <algorithm>
#include <string>

#include "core/replica/replica_machine.h"

namespace tandem {

void replica_machine::start_resync_as_source(peer_link& peer, std::size_t vi, const sync_decision& d) {
  local_volume& volume = volumes_[vi];
  auto found = volume.bitmaps.find(peer.node);
  if (found == volume.bitmaps.end()) return set_repl(peer, vi, repl_state::established);
  block_bitmap& bitmap = found->second;
  if (is_full_sync(d.strategy)) bitmap.set_all();
  if (d.strategy == sync_strategy::source_copy_bitmap) {
    auto via = volume.bitmaps.find(d.via_node);
    if (via != volume.bitmaps.end()) bitmap.merge_words(0, via->second.words());
  }
  auto& pv = peer.volumes[vi];
  pv.resynced_blocks = 0;
  set_repl(peer, vi, repl_state::wf_bitmap_s);
  send(peer, wire::resync_start{volume.number, volume.uuids.current, bitmap.count()});
  const auto& words = bitmap.words();
  std::size_t first = 0;
  do {
    const std::size_t count = std::min(wire::kMaxBitmapWordsPerChunk, words.size() - first);
    wire::bitmap_chunk chunk;
    chunk.volume = volume.number;
    chunk.first_word = first;
    chunk.words.assign(words.begin() + static_cast<std::ptrdiff_t>(first),
                       words.begin() + static_cast<std::ptrdiff_t>(first + count));
    first += count;
    chunk.last = first >= words.size();
    send(peer, std::move(chunk));
  } while (first < words.size());
  set_repl(peer, vi, repl_state::sync_source);
  emit_event("resync-started", peer.node, volume.number, bitmap.count(),
             std::string("source, ") + to_string(d.strategy) + " by rule=" + d.rule);
}

void replica_machine::on_resync_start(peer_link& peer, const wire::resync_start& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size() || volumes_[vi].disk < disk_state::inconsistent) {
    emit_event("protocol-error", peer.node, msg.volume, 0, "resync_start refused: no local disk");
    return drop_connection(peer, conn_state::protocol_error, false);
  }
  auto& pv = peer.volumes[vi];
  pv.source_uuid = msg.source_uuid;
  pv.next_block = 0;
  pv.resync_requests.clear();
  pv.resynced_blocks = 0;
  auto bitmap = volumes_[vi].bitmaps.find(peer.node);
  if (bitmap != volumes_[vi].bitmaps.end() && pv.clear_own_bits) bitmap->second.clear_all();
  set_repl(peer, vi, repl_state::wf_bitmap_t);
}

void replica_machine::on_bitmap_chunk(peer_link& peer, const wire::bitmap_chunk& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size() || peer.volumes[vi].repl != repl_state::wf_bitmap_t) {
    emit_event("protocol-error", peer.node, msg.volume, 0, "bitmap outside WFBitMapT");
    return drop_connection(peer, conn_state::protocol_error, true);
  }
  auto bitmap = volumes_[vi].bitmaps.find(peer.node);
  if (bitmap == volumes_[vi].bitmaps.end()) return;
  bitmap->second.merge_words(msg.first_word, msg.words);
  if (!msg.last) return;
  emit_event("resync-started", peer.node, msg.volume, bitmap->second.count(), "target");
  activate_sync_target(peer, vi);
}

// Becomes SyncTarget toward peer unless another source is already feeding this volume. A Primary
// source is preferred: it orders its resync reads after its own writes, so its replies are never
// older than the writes this node already has.
void replica_machine::activate_sync_target(peer_link& peer, std::size_t vi) {
  for (auto& other : peers_) {
    if (other.node == peer.node || other.volumes[vi].repl != repl_state::sync_target) continue;
    if (peer.peer_role != role::primary || other.peer_role == role::primary) {
      return set_repl(peer, vi, repl_state::paused_sync_t);
    }
    // Outstanding replies from the paused source are still accepted and written.
    set_repl(other, vi, repl_state::paused_sync_t);
  }
  set_repl(peer, vi, repl_state::sync_target);
  set_disk(vi, disk_state::inconsistent);
  request_resync_blocks(peer, vi);
}

// A write reached the local disk path: resync replies already requested for these blocks may carry
// older data.
void replica_machine::note_local_write(std::size_t vi, block_range blocks) {
  for (auto& peer : peers_) {
    for (auto& [id, request] : peer.volumes[vi].resync_requests) {
      if (request.blocks.overlaps(blocks)) request.touched = true;
    }
  }
}

void replica_machine::request_resync_blocks(peer_link& peer, std::size_t vi) {
  auto& pv = peer.volumes[vi];
  if (pv.repl != repl_state::sync_target || !handshake_done(peer)) return;
  const local_volume& volume = volumes_[vi];
  const block_bitmap& bitmap = volume.bitmaps.at(peer.node);
  // Blocks still requested from a source that was paused meanwhile are not asked for twice.
  auto requested_elsewhere = [&](std::uint64_t block) {
    for (const auto& other : peers_) {
      if (other.node == peer.node) continue;
      for (const auto& [id, request] : other.volumes[vi].resync_requests) {
        if (request.blocks.overlaps({block, 1})) return true;
      }
    }
    return false;
  };
  bool waiting_elsewhere = false;
  for (int pass = 0; pass < 2 && pv.resync_requests.size() < kResyncWindow; ++pass) {
    while (pv.resync_requests.size() < kResyncWindow) {
      const std::uint64_t block = bitmap.find_next_set(pv.next_block);
      if (block == block_bitmap::npos) break;
      if (requested_elsewhere(block)) {
        waiting_elsewhere = true;
        pv.next_block = block + 1;
        continue;
      }
      std::uint64_t run = 1;
      while (run < kResyncRequestBlocks && block + run < bitmap.size_blocks() &&
             bitmap.test(block + run) && !requested_elsewhere(block + run)) {
        ++run;
      }
      const std::uint64_t end_bytes =
          std::min((block + run) * kBlockBytes, volume.size_sectors * kSectorBytes);
      wire::rs_data_request request;
      request.volume = volume.number;
      request.sector = block * kSectorsPerBlock;
      request.block_id = next_request_id_++;
      request.size_bytes = static_cast<std::uint32_t>(end_bytes - block * kBlockBytes);
      send(peer, request);
      pv.resync_requests[request.block_id] = {block_range{block, run}, false};
      pv.next_block = block + run;
    }
    if (!pv.resync_requests.empty() || !bitmap.any()) break;
    // Bits behind the cursor (a dropped or refused reply): one more pass from the start.
    pv.next_block = 0;
  }
  if (pv.resync_requests.empty() && !waiting_elsewhere && !bitmap.any()) {
    finish_resync_as_target(peer, vi);
  }
}

// Wakes the active source of a volume after something that may have cleared or freed blocks.
void replica_machine::continue_resync(std::size_t vi) {
  for (auto& peer : peers_) {
    if (peer.volumes[vi].repl == repl_state::sync_target) return request_resync_blocks(peer, vi);
  }
}

void replica_machine::on_rs_data_request(peer_link& peer, const wire::rs_data_request& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  const bool valid = vi < volumes_.size() && msg.size_bytes > 0 &&
                     msg.sector * kSectorBytes + msg.size_bytes <= volumes_[vi].size_sectors * kSectorBytes;
  if (!valid || volumes_[vi].disk != disk_state::uptodate) {
    return send(peer, wire::neg_rs_dreply{{msg.volume, msg.sector, msg.block_id, msg.size_bytes}});
  }
  disk_request dr;
  dr.purpose = disk_purpose::resync_read;
  dr.volume_index = vi;
  dr.blocks = blocks_of_sectors(msg.sector, msg.size_bytes);
  dr.ordered = true;  // must not pass a write to the same blocks (see submit())
  dr.peer = peer.node;
  dr.peer_epoch = peer.epoch;
  dr.sector = msg.sector;
  dr.length_bytes = msg.size_bytes;
  dr.block_id = msg.block_id;
  dr.submit = disk_submit{0, io_op::read, msg.volume, msg.sector * kSectorBytes, msg.size_bytes, {}, false};
  submit(std::move(dr));
}

void replica_machine::on_rs_data_reply(peer_link& peer, const wire::rs_data_reply& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  auto* pv = vi < volumes_.size() ? &peer.volumes[vi] : nullptr;
  auto outstanding = pv ? pv->resync_requests.find(msg.block_id) : decltype(pv->resync_requests.end()){};
  if (!pv || outstanding == pv->resync_requests.end() ||
      outstanding->second.blocks.first != msg.sector / kSectorsPerBlock ||
      msg.sector * kSectorBytes + msg.payload.length_bytes > volumes_[vi].size_sectors * kSectorBytes) {
    emit_event("protocol-error", peer.node, msg.volume, 0, "rs_data_reply for no outstanding request");
    return drop_connection(peer, conn_state::protocol_error, true);
  }
  if (outstanding->second.touched) {
    // Newer data reached these blocks meanwhile; their bits stay set and a later pass asks again.
    pv->resync_requests.erase(outstanding);
    return continue_resync(vi);
  }
  disk_request dr;
  dr.purpose = disk_purpose::resync_write;
  dr.volume_index = vi;
  dr.blocks = blocks_of_sectors(msg.sector, msg.payload.length_bytes);
  dr.ordered = true;
  dr.is_write = true;
  dr.peer = peer.node;
  dr.peer_epoch = peer.epoch;
  dr.sector = msg.sector;
  dr.length_bytes = msg.payload.length_bytes;
  dr.block_id = msg.block_id;
  dr.submit = disk_submit{0, io_op::write, msg.volume, msg.sector * kSectorBytes,
                          msg.payload.length_bytes, msg.payload, false};
  submit(std::move(dr));
}

void replica_machine::on_rs_write_ack(peer_link& peer, const wire::rs_write_ack& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) return;
  auto bitmap = volumes_[vi].bitmaps.find(peer.node);
  if (bitmap == volumes_[vi].bitmaps.end()) return;
  const block_range blocks = blocks_of_sectors(msg.sector, msg.size_bytes);
  bitmap->second.clear(blocks);
  peer.volumes[vi].resynced_blocks += blocks.count;
}

void replica_machine::on_neg_rs_dreply(peer_link& peer, const wire::neg_rs_dreply& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) return;
  auto& pv = peer.volumes[vi];
  pv.resync_requests.erase(msg.block_id);
  // The source cannot serve this block: stop pulling from it rather than loop.
  emit_event("resync-failed", peer.node, msg.volume, 0, "source could not read sector " +
                                                            std::to_string(msg.sector));
  set_repl(peer, vi, repl_state::established);
  resume_paused_targets(vi);
}

void replica_machine::finish_resync_as_target(peer_link& peer, std::size_t vi) {
  local_volume& volume = volumes_[vi];
  auto& pv = peer.volumes[vi];
  if (pv.source_uuid != 0) adopt_uuid(volume, pv.source_uuid, 0);
  retire_bitmap_uuid(volume, peer.node);
  set_repl(peer, vi, repl_state::established);
  emit_event("resync-finished", peer.node, volume.number, pv.resynced_blocks, "target");
  set_disk(vi, disk_state::uptodate);  // also tells every peer
  resume_paused_targets(vi);
}

// A source learns that its target is done when the target reports UpToDate on the same generation.
void replica_machine::check_source_finished(peer_link& peer, std::size_t vi) {
  auto& pv = peer.volumes[vi];
  local_volume& volume = volumes_[vi];
  const bool same_generation = uuid_value(pv.peer_state.current) == uuid_value(volume.uuids.current);
  if (pv.peer_disk != disk_state::uptodate || !same_generation) return;
  if (pv.repl != repl_state::sync_source && pv.repl != repl_state::paused_sync_s &&
      pv.repl != repl_state::wf_bitmap_s) {
    return;
  }
  auto bitmap = volume.bitmaps.find(peer.node);
  if (bitmap != volume.bitmaps.end()) bitmap->second.clear_all();
  retire_bitmap_uuid(volume, peer.node);
  set_repl(peer, vi, repl_state::established);
  emit_event("resync-finished", peer.node, volume.number, pv.resynced_blocks, "source");
}

// After a resync from one source ends (or breaks), the sources that waited either turn out to hold the
// same generation (nothing left to do) or take over.
void replica_machine::resume_paused_targets(std::size_t vi) {
  local_volume& volume = volumes_[vi];
  for (auto& peer : peers_) {
    auto& pv = peer.volumes[vi];
    if (pv.repl != repl_state::paused_sync_t) continue;
    const bool same_generation = uuid_value(pv.peer_state.current) == uuid_value(volume.uuids.current);
    if (volume.disk == disk_state::uptodate && same_generation) {
      auto bitmap = volume.bitmaps.find(peer.node);
      if (bitmap != volume.bitmaps.end()) bitmap->second.clear_all();
      retire_bitmap_uuid(volume, peer.node);
      set_repl(peer, vi, repl_state::established);
      continue;
    }
    activate_sync_target(peer, vi);
  }
}

}  // namespace tandem
