// Bitmap-based resync (DRBD WFBitMapS/T -> SyncSource/SyncTarget): the source sends its bitmap, the
// target ORs in its own bits, pulls every marked block with rs_data_request and clears the bits as
// the blocks land. A target syncs from one source at a time; other sources wait as PausedSyncT.
#include <algorithm>
#include <string>

#include "core/replica/replica_machine.h"

namespace tandem {

namespace {

void mark_late(block_bitmap& late, std::uint64_t size_blocks, block_range blocks) {
  if (late.size_blocks() == 0) late = block_bitmap(size_blocks);
  late.set(blocks);
}

}  // namespace

void replica_machine::start_resync_as_source(peer_link& peer, std::size_t vi,
                                             const sync_decision& d) {
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
  // My bits toward the target now describe "since the sync UUID": a reconnect in the middle resumes
  // by bitmap (bitmap-self), and nobody else's bitmap UUID matches the half-synced target.
  const generation_uuid sync_uuid = next_uuid() | kUuidSyncFlag;
  retire_bitmap_uuid(volume, peer.node);  // its generation stays known, as an ancestor
  volume.uuids.bitmap_uuids[peer.node] = sync_uuid;
  volume.uuids.bitmap_uuid_nodes |= mask_of(peer.node);
  send(peer, wire::resync_start{volume.number, volume.uuids.current, sync_uuid, bitmap.count(),
                                volume.writes_seen});
  ++pv.resync_starts_sent;
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
  const auto& uuids = volumes_[vi].uuids;
  const bool source_behind = uuid_value(msg.source_uuid) != uuid_value(uuids.current) &&
                             in_history(uuids, msg.source_uuid);
  const bool decided_on_older_state =
      pv.repl == repl_state::established || volumes_[vi].disk == disk_state::uptodate;
  if (decided_on_older_state && source_behind) {
    // A resync started on an established connection (missed writes, late marks) is meant for a
    // peer on the source's generation. Mine moved past it meanwhile (I followed a Primary the
    // source has not heard from yet): taking its blocks and, at the end, its generation would
    // step me back. The same holds for a resync decided at a handshake while I was Inconsistent
    // (disk states) if another source made me UpToDate on a newer generation before it started
    // (sweep --quorum seed 824). A fresh handshake decides who is behind.
    return renegotiate(peer, vi, "the source's generation is older than mine");
  }
  ++pv.resync_starts_received;
  note_peer_generation(pv, msg.source_uuid);  // it may have rotated since its handshake state
  // What it held when it started, not what it described at the handshake (see resync_start).
  pv.peer_state.writes_seen = msg.source_writes_seen;
  pv.source_uuid = msg.source_uuid;
  pv.sync_uuid = msg.sync_uuid;
  volumes_[vi].full_sync_wanted = false;  // a resync toward this node is under way
  pv.next_block = 0;
  pv.resynced_blocks = 0;
  auto bitmap = volumes_[vi].bitmaps.find(peer.node);
  if (bitmap != volumes_[vi].bitmaps.end() && pv.clear_own_bits) bitmap->second.clear_all();
  if (!active_source(vi)) {
    volumes_[vi].fetch_from_writer.clear();
    volumes_[vi].written_during_resync.clear();
    volumes_[vi].awaiting_settled_write.clear();
  }
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

// This volume is being resynced from a peer other than `peer` (or waits for its bitmap).
bool replica_machine::syncing_from_another(const peer_link& peer, std::size_t vi) const {
  return std::any_of(peers_.begin(), peers_.end(), [&](const peer_link& other) {
    return other.node != peer.node && is_sync_target_state(other.volumes[vi].repl);
  });
}

// Becomes SyncTarget toward peer unless another source is already feeding this volume. A Primary
// source is preferred: it orders its resync reads after its own writes, so its replies are never
// older than the writes this node already has.
void replica_machine::activate_sync_target(peer_link& peer, std::size_t vi) {
  // A source that is itself behind (a sync target elsewhere) waits until it is UpToDate again.
  if (peer.volumes[vi].peer_disk != disk_state::uptodate)
    return set_repl(peer, vi, repl_state::paused_sync_t);
  for (auto& other : peers_) {
    if (other.node == peer.node || other.volumes[vi].repl != repl_state::sync_target) continue;
    if (peer.peer_role != role::primary || other.peer_role == role::primary) {
      return set_repl(peer, vi, repl_state::paused_sync_t);
    }
    // Outstanding replies from the paused source are still accepted and written.
    set_repl(other, vi, repl_state::paused_sync_t);
  }
  set_repl(peer, vi, repl_state::sync_target);
  // From the first resynced block on, this disk is a generation of its own until the resync
  // completes (see resync_start::sync_uuid).
  if (peer.volumes[vi].sync_uuid != 0) adopt_uuid(volumes_[vi], peer.volumes[vi].sync_uuid, 0);
  set_disk(vi, disk_state::inconsistent);
  start_resync_rate(peer, vi);
  request_resync_blocks(peer, vi);
}

// A write reached the local disk path. Resync replies already requested for these blocks may carry
// older data, and a source other than the writer may not have this write yet.
void replica_machine::note_local_write(std::size_t vi, block_range blocks, node_id writer) {
  note_write_for_verify(vi, blocks);
  volumes_[vi].application_io = true;
  for (auto& peer : peers_) {
    for (auto& [id, request] : peer.volumes[vi].resync_requests) {
      if (request.blocks.overlaps(blocks)) request.touched = true;
    }
  }
  const peer_link* source = active_source(vi);
  if (!source || writer == source->node || writer == config_.self) return;
  for (auto block = blocks.first; block < blocks.end(); ++block) {
    volumes_[vi].fetch_from_writer[block] = writer;
  }
}

peer_link* replica_machine::active_source(std::size_t vi) {
  for (auto& peer : peers_) {
    const repl_state repl = peer.volumes[vi].repl;
    if (repl == repl_state::sync_target || repl == repl_state::wf_bitmap_t) return &peer;
  }
  return nullptr;
}

// Asks each writer for the blocks it wrote here during the resync that the source still marks.
void replica_machine::fetch_blocks_from_writers(std::size_t vi, const peer_link& source) {
  local_volume& volume = volumes_[vi];
  const block_bitmap& bitmap = volume.bitmaps.at(source.node);
  for (auto it = volume.fetch_from_writer.begin(); it != volume.fetch_from_writer.end();) {
    const std::uint64_t block = it->first;
    peer_link* writer = find_peer(it->second);
    if (!bitmap.test(block) || writer == nullptr || writer->node == source.node) {
      it = volume.fetch_from_writer.erase(it);
      continue;
    }
    auto& wpv = writer->volumes[vi];
    if (!writer->diskful) {  // settled by the writer's peer_ack (see on_peer_ack)
      ++it;
      continue;
    }
    const bool outstanding =
        std::any_of(wpv.resync_requests.begin(), wpv.resync_requests.end(), [&](const auto& r) {
          return r.second.blocks.overlaps({block, 1});
        });
    if (!outstanding && handshake_done(*writer) && wpv.peer_disk == disk_state::uptodate &&
        wpv.resync_requests.size() < kResyncWindow) {
      wire::rs_data_request request;
      request.volume = volume.number;
      request.sector = block * kSectorsPerBlock;
      request.block_id = next_request_id_++;
      request.size_bytes = static_cast<std::uint32_t>(kBlockBytes);
      send(*writer, request);
      wpv.resync_requests[request.block_id] = {block_range{block, 1}, false, true};
    }
    ++it;
  }
}

void replica_machine::request_resync_blocks(peer_link& peer, std::size_t vi) {
  auto& pv = peer.volumes[vi];
  if (pv.repl != repl_state::sync_target || !handshake_done(peer)) return;
  const local_volume& volume = volumes_[vi];
  const block_bitmap& bitmap = volume.bitmaps.at(peer.node);
  fetch_blocks_from_writers(vi, peer);
  // Blocks still requested from a source that was paused meanwhile, or owed by their writer, are
  // not asked for here.
  auto requested_elsewhere = [&](std::uint64_t block) {
    if (volume.fetch_from_writer.count(block) || volume.awaiting_settled_write.count(block)) {
      return true;
    }
    for (const auto& other : peers_) {
      if (other.node == peer.node) continue;
      for (const auto& [id, request] : other.volumes[vi].resync_requests) {
        if (request.blocks.overlaps({block, 1})) return true;
      }
    }
    return false;
  };
  bool waiting_elsewhere = false;
  // The window bounds the requests in flight; the rate controller, when configured, how much they
  // may ask for in this step.
  auto may_request = [&] {
    return pv.resync_requests.size() < kResyncWindow && resync_blocks_allowed(pv, 1) != 0;
  };
  for (int pass = 0; pass < 2 && may_request(); ++pass) {
    while (may_request()) {
      const std::uint64_t block = bitmap.find_next_set(pv.next_block);
      if (block == block_bitmap::npos) break;
      if (requested_elsewhere(block)) {
        waiting_elsewhere = true;
        pv.next_block = block + 1;
        continue;
      }
      const std::uint64_t max_run = resync_blocks_allowed(
          pv, config_.checksum_resync ? kChecksumRequestBlocks : kResyncRequestBlocks);
      std::uint64_t run = 1;
      while (run < max_run && block + run < bitmap.size_blocks() && bitmap.test(block + run) &&
             !requested_elsewhere(block + run)) {
        ++run;
      }
      const std::uint64_t end_bytes =
          std::min((block + run) * kBlockBytes, volume.size_sectors * kSectorBytes);
      const auto size_bytes = static_cast<std::uint32_t>(end_bytes - block * kBlockBytes);
      pv.next_block = block + run;
      spend_resync_budget(pv, run);
      if (config_.checksum_resync) {
        request_checksummed_blocks(peer, vi, block_range{block, run}, size_bytes);
        continue;
      }
      wire::rs_data_request request;
      request.volume = volume.number;
      request.sector = block * kSectorsPerBlock;
      request.block_id = next_request_id_++;
      request.size_bytes = size_bytes;
      request.dagtag = resync_dagtag_toward(peer, vi);
      send(peer, request);
      pv.resync_requests[request.block_id] = {block_range{block, run}, false};
    }
    if (!pv.resync_requests.empty() || !bitmap.any()) break;
    // Bits behind the cursor (a dropped or refused reply): one more pass from the start.
    pv.next_block = 0;
  }
  if (pv.resync_requests.empty() && !waiting_elsewhere && !bitmap.any() &&
      volume.fetch_from_writer.empty()) {
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
  take_resync_request(peer, msg, nullptr, msg.dagtag);
}

// Reads what a sync target asked for, or refuses at once when this node cannot serve it. With the
// target's digests (checksum resync) the read digests the blocks too, to compare when it is done.
void replica_machine::read_for_resync(peer_link& peer, const wire::block_ack_fields& msg,
                                      const std::vector<std::uint32_t>* target_digests) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (!in_volume(vi, msg.sector, msg.size_bytes) || volumes_[vi].disk != disk_state::uptodate) {
    return send(peer, wire::neg_rs_dreply{{msg.volume, msg.sector, msg.block_id, msg.size_bytes}});
  }
  disk_request dr = make_peer_disk_request(disk_purpose::resync_read, peer, vi, io_op::read,
                                           msg.sector, msg.size_bytes, msg.block_id, {});
  dr.writes_seen = volumes_[vi].writes_seen;
  if (target_digests) {
    dr.checksum = true;
    dr.peer_digests = *target_digests;
    dr.submit.want_digests = true;
  }
  submit(std::move(dr));
}

// The volume of an outstanding request that a resync answer (data, or "in sync") settles; or, for
// an answer nobody asked for, volumes_.size() after dropping the connection.
std::size_t replica_machine::expected_resync_answer(peer_link& peer, volume_nr volume,
                                                    std::uint64_t block_id, std::uint64_t sector,
                                                    std::uint32_t length_bytes, const char* what) {
  const std::size_t vi = volume_index_of(volume);
  if (vi < volumes_.size()) {
    const auto& requests = peer.volumes[vi].resync_requests;
    auto outstanding = requests.find(block_id);
    if (outstanding != requests.end() &&
        outstanding->second.blocks.first == sector / kSectorsPerBlock &&
        in_volume(vi, sector, length_bytes)) {
      return vi;
    }
  }
  emit_event("protocol-error", peer.node, volume, 0,
             std::string(what) + " for no outstanding request");
  drop_connection(peer, conn_state::protocol_error, true);
  return volumes_.size();
}

void replica_machine::on_rs_data_reply(peer_link& peer, const wire::rs_data_reply& msg) {
  const std::size_t vi = expected_resync_answer(peer, msg.volume, msg.block_id, msg.sector,
                                                msg.payload.length_bytes, "rs_data_reply");
  if (vi == volumes_.size()) return;
  auto* pv = &peer.volumes[vi];
  auto outstanding = pv->resync_requests.find(msg.block_id);
  const block_range blocks = outstanding->second.blocks;
  if (await_unsettled_writes(peer, vi, blocks, msg.source_writes_seen) &&
      !planted(planted_bug::stale_resync_reply)) {
    pv->rate_arrived_sectors += blocks.count * kSectorsPerBlock;
    pv->resync_requests.erase(outstanding);
    return continue_resync(vi);
  }
  if ((outstanding->second.touched || older_than_direct_writes(vi, outstanding->second.blocks,
                                                                msg.source_writes_seen)) &&
      !planted(planted_bug::stale_resync_reply)) {
    // Newer data reached these blocks meanwhile; their bits stay set and a later pass asks again.
    pv->rate_arrived_sectors += outstanding->second.blocks.count * kSectorsPerBlock;
    pv->resync_requests.erase(outstanding);
    return continue_resync(vi);
  }
  disk_request dr =
      make_peer_disk_request(disk_purpose::resync_write, peer, vi, io_op::write, msg.sector,
                             msg.payload.length_bytes, msg.block_id, msg.payload);
  dr.from_writer = outstanding->second.from_writer;
  dr.writes_seen = msg.source_writes_seen;
  submit(std::move(dr));
}

// A resynced range is on my disk (or was found equal by checksum, replica_checksum_resync.cpp).
void replica_machine::resync_blocks_landed(peer_link& peer, const disk_request& request,
                                           bool peer_current) {
  auto& pv = peer.volumes[request.volume_index];
  // The blocks now equal the source's, and so those of every node on the same generation that
  // reported no writes beyond what the source held when it read them (a Primary's later writes
  // reach me directly). A block fetched from its writer is the newest there is: no source needs
  // to send it any more.
  local_volume& volume = volumes_[request.volume_index];
  const generation_uuid source_generation = uuid_value(pv.peer_state.current);
  for (auto& [node, bitmap] : volume.bitmaps) {
    const peer_link* other = find_peer(node);
    const auto& other_pv = other->volumes[request.volume_index];
    const bool same = uuid_value(other_pv.peer_state.current) == source_generation;
    const std::uint64_t other_writes = other_pv.peer_state.writes_seen;
    const bool covers_other = request.writes_seen != kWritesSeenUnknown &&
                              other_writes != kWritesSeenUnknown &&
                              request.writes_seen >= other_writes;
    const bool source = is_sync_target_state(other_pv.repl);
    if (node == peer.node || (same && covers_other) || (request.from_writer && source)) {
      bitmap.clear(request.blocks);
    } else if (same) {
      // The other node may hold a newer version than the source read: it sends it if it marked
      // the block.
    } else {
      // A third node may not have what just arrived here: it differs from me now.
      mark_out_of_sync(request.volume_index, node, request.blocks);
    }
  }
  if (request.from_writer) {
    for (auto block = request.blocks.first; block < request.blocks.end(); ++block) {
      auto entry = volume.fetch_from_writer.find(block);
      if (entry != volume.fetch_from_writer.end() && entry->second == peer.node) {
        volume.fetch_from_writer.erase(entry);
      }
    }
  }
  pv.resynced_blocks += request.blocks.count;
  pv.rate_arrived_sectors += request.blocks.count * kSectorsPerBlock;
  const wire::block_ack_fields ack{volume.number, request.sector, request.block_id,
                                   request.length_bytes};
  if (peer_current && !request.from_writer) send(peer, wire::rs_write_ack{ack});
  continue_resync(request.volume_index);
}

// A block written here directly during the resync, by a write the source had not received when it
// read the block (it was asked after the write arrived, so `touched` could not catch it): the
// reply is older than what is on disk and is dropped; the block is asked for again, by then the
// source normally holds the write. Each such write stops one reply, so a source cut off from the
// writer cannot stall the resync. (DRBD makes the source wait for the dagtag instead.)
// A write that reached me, maybe before the resync began, and that its writer has not settled
// (no peer_ack yet): a source that read the block before the write reached it sent the version
// before (sweep --lossy-network seeds 117 and 243: a missed-write resync from a Secondary the
// Primary's latest write had not reached yet overwrote it). Unlike written_during_resync this
// holds until the writer settles the write, however often the source answers.
// The blocks of those writes wait for the writer's peer_ack (awaiting_settled_write); the rest of
// the reply's range is asked for again at once. Returns whether the reply is older.
bool replica_machine::await_unsettled_writes(const peer_link& source, std::size_t vi,
                                             block_range blocks,
                                             std::uint64_t source_writes_seen) {
  if (source_writes_seen == kWritesSeenUnknown) return false;
  bool older = false;
  for (const auto& writer : peers_) {
    // A writer reads its blocks for a resync after its own writes to them; one it sent after the
    // read marks the request touched when it arrives here.
    if (writer.node == source.node) continue;
    for (auto it = writer.unacked_writes.upper_bound(source_writes_seen);
         it != writer.unacked_writes.end(); ++it) {
      const block_range written = it->second.blocks;
      if (it->second.volume_index != vi || !written.overlaps(blocks)) continue;
      older = true;
      const std::uint64_t first = std::max(written.first, blocks.first);
      const std::uint64_t end = std::min(written.end(), blocks.end());
      for (auto block = first; block < end; ++block) {
        volumes_[vi].awaiting_settled_write.insert(block);
      }
    }
  }
  return older;
}

bool replica_machine::older_than_direct_writes(std::size_t vi, block_range blocks,
                                               std::uint64_t source_writes_seen) {
  auto& written = volumes_[vi].written_during_resync;
  if (written.empty() || source_writes_seen == kWritesSeenUnknown) return false;
  bool older = false;
  for (auto block = blocks.first; block < blocks.end(); ++block) {
    auto entry = written.find(block);
    if (entry == written.end() || source_writes_seen >= entry->second) continue;
    written.erase(entry);
    older = true;
  }
  return older;
}

void replica_machine::on_rs_write_ack(peer_link& peer, const wire::rs_write_ack& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) return;
  auto& pv = peer.volumes[vi];
  auto served = pv.served.find(msg.block_id);
  if (served == pv.served.end()) return;
  const bool touched = served->second.touched;
  pv.served.erase(served);
  const block_range blocks = blocks_of_sectors(msg.sector, msg.size_bytes);
  pv.resynced_blocks += blocks.count;
  if (touched) return;  // marked again after the read: the target still lacks the newer data
  auto bitmap = volumes_[vi].bitmaps.find(peer.node);
  if (bitmap != volumes_[vi].bitmaps.end()) bitmap->second.clear(blocks);
  if (pv.late_marks.size_blocks() != 0) pv.late_marks.clear(blocks);
}

void replica_machine::on_neg_rs_dreply(peer_link& peer, const wire::neg_rs_dreply& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) return;
  auto& pv = peer.volumes[vi];
  auto request = pv.resync_requests.find(msg.block_id);
  if (request == pv.resync_requests.end()) return;
  const bool from_writer = request->second.from_writer;
  pv.resync_requests.erase(request);
  // Blocks the active source skipped while this request was out are free for it now.
  if (from_writer || pv.repl != repl_state::sync_target) return continue_resync(vi);
  // The source cannot serve this block now: wait for it (or another source) instead of looping.
  emit_event("resync-paused", peer.node, msg.volume, 0,
             "source could not serve sector " + std::to_string(msg.sector));
  set_repl(peer, vi, repl_state::paused_sync_t);
  resume_paused_targets(vi);
}

void replica_machine::finish_resync_as_target(peer_link& peer, std::size_t vi) {
  local_volume& volume = volumes_[vi];
  auto& pv = peer.volumes[vi];
  // Third nodes I now hold marks toward are behind my new generation by exactly those marks: my old
  // generation becomes their bitmap UUID, so the next handshake with them resyncs by bitmap.
  node_mask behind = 0;
  for (const auto& [node, bitmap] : volume.bitmaps) {
    if (node != peer.node && bitmap.any()) behind |= mask_of(node);
  }
  if (pv.source_uuid != 0) adopt_uuid(volume, pv.source_uuid, behind);
  // A Primary source: its writes up to its last count are here, by the resync or directly.
  if (peer.peer_role == role::primary) {
    note_writes_held_from(peer, vi, pv.peer_state.current, pv.peer_state.writes_seen);
  }
  // The source's data, but not its count of the generation's writes (it moved on meanwhile).
  volume.writes_seen = kWritesSeenUnknown;
  // The data is now the source's, and so is its ancestry: every generation the source descends
  // from (its history, and the generations its bitmaps start at) is an ancestor of this node too.
  // After a full sync nothing of what this node held before is left: its old generations are no
  // ancestors of its data any more. Kept, they would make it look like a descendant of two
  // lineages, a split brain with the next node on the other (sweep --crashes --quorum seed 621:
  // half synced toward one generation, then fully synced from an older one by disk states).
  auto& history = volume.uuids.history;
  if (pv.full_sync_target) history.clear();
  auto add_ancestor = [&](generation_uuid uuid) {
    if (uuid == 0 || is_sync_uuid(uuid)) return;  // another target's future, not an ancestor
    if (uuid_value(uuid) == uuid_value(volume.uuids.current)) return;
    if (std::find(history.begin(), history.end(), uuid) != history.end()) return;
    if (history.size() >= wire::kHistoryUuids) history.pop_back();
    history.insert(history.begin(), uuid);
  };
  for (generation_uuid uuid : pv.peer_state.history) add_ancestor(uuid);
  // The source's bitmap toward me counts too: its data descends from the generation I held when
  // it started marking (sweep --lossy-network seed 290: without it, a third node still on that
  // generation looked like a split brain to me).
  for (int node = 0; node < kMaxNodes; ++node) {
    if (mask_has(pv.peer_state.bitmap_uuid_nodes, static_cast<node_id>(node))) {
      add_ancestor(pv.peer_state.bitmap_uuids[node]);
    }
  }
  retire_bitmap_uuid(volume, peer.node);
  set_repl(peer, vi, repl_state::established);
  // My activity-log extents were among the blocks I pulled (my bits toward the source were ORed
  // in): what I hold now is the source's data, not what I wrote before crashing as Primary.
  volume.crashed_primary = false;
  volume.crash_resync_owed = 0;
  emit_event("resync-finished", peer.node, volume.number, pv.resynced_blocks, "target");
  set_disk(vi, disk_state::uptodate);  // also tells every peer
  resume_paused_targets(vi);
  // Connected third nodes that are behind now get a fresh handshake, which resyncs them.
  for (auto& other : peers_) {
    if (mask_has(behind, other.node) && handshake_done(other) &&
        other.volumes[vi].repl == repl_state::established) {
      renegotiate(other, vi);
    }
  }
}

// A source learns that its target is done when the target reports UpToDate on the same generation.
void replica_machine::check_source_finished(peer_link& peer, std::size_t vi) {
  auto& pv = peer.volumes[vi];
  local_volume& volume = volumes_[vi];
  const bool same_generation =
      uuid_value(pv.peer_state.current) == uuid_value(volume.uuids.current);
  if (pv.peer_disk != disk_state::uptodate) return;
  if (!is_sync_source_state(pv.repl)) return;
  // A report the target wrote before it received my last resync_start says nothing about it.
  if (pv.peer_state.resync_starts_seen != pv.resync_starts_sent) return;
  if (!same_generation) return renegotiate(peer, vi);
  // The target is UpToDate on my generation. What is left to send are only the blocks marked after
  // the resync had started (another source may have covered the rest).
  auto bitmap = volume.bitmaps.find(peer.node);
  if (bitmap != volume.bitmaps.end()) {
    bitmap->second.clear_all();
    if (pv.late_marks.size_blocks() != 0) bitmap->second.merge_words(0, pv.late_marks.words());
  }
  pv.late_marks = block_bitmap();
  if (bitmap != volume.bitmaps.end() && bitmap->second.any()) {
    return start_resync_as_source(peer, vi, {sync_strategy::source_use_bitmap, "late-out-of-sync"});
  }
  retire_bitmap_uuid(volume, peer.node);
  set_repl(peer, vi, repl_state::established);
  // The target holds every block I marked toward it, the activity-log extents of a crash among
  // them: it no longer needs me as its crashed-primary source.
  volume.crash_resync_owed &= ~mask_of(peer.node);
  if (volume.crash_resync_owed == 0) volume.crashed_primary = false;
  emit_event("resync-finished", peer.node, volume.number, pv.resynced_blocks, "source");
}

// After a resync from one source ends (or breaks), the sources that waited either turn out to hold
// the same generation (nothing left to do) or take over.
void replica_machine::resume_paused_targets(std::size_t vi) {
  local_volume& volume = volumes_[vi];
  for (auto& peer : peers_) {
    auto& pv = peer.volumes[vi];
    if (pv.repl != repl_state::paused_sync_t) continue;
    const bool same_generation =
        uuid_value(pv.peer_state.current) == uuid_value(volume.uuids.current);
    if (volume.disk == disk_state::uptodate && same_generation) {
      // Covered by the resync that just ended, except what the paused source marked meanwhile: that
      // source sends it once it sees this node UpToDate.
      auto bitmap = volume.bitmaps.find(peer.node);
      if (bitmap != volume.bitmaps.end()) {
        bitmap->second.clear_all();
        if (pv.late_marks.size_blocks() != 0) bitmap->second.merge_words(0, pv.late_marks.words());
      }
      pv.late_marks = block_bitmap();
      retire_bitmap_uuid(volume, peer.node);
      set_repl(peer, vi, repl_state::established);
      continue;
    }
    // UpToDate from another source on a different generation than this one: the decision made
    // when we connected no longer holds.
    if (volume.disk == disk_state::uptodate) {
      renegotiate(peer, vi);
      continue;
    }
    // The source itself was a sync target meanwhile and took another generation: the one it
    // announced in resync_start, which I would adopt at the end, is behind what it holds now.
    if (pv.peer_disk == disk_state::uptodate && pv.source_uuid != 0 &&
        uuid_value(pv.peer_state.current) != uuid_value(pv.source_uuid)) {
      renegotiate(peer, vi, "the source's generation changed while it was behind itself");
      continue;
    }
    activate_sync_target(peer, vi);
  }
}

// Reconnects to re-run the handshake: both sides then decide again from fresh UUIDs and bitmaps.
void replica_machine::renegotiate(peer_link& peer, std::size_t vi, const char* why) {
  emit_event("resync-renegotiate", peer.node, volumes_[vi].number, 0, why);
  drop_connection(peer, conn_state::teardown, true);
}

// A connected peer on my generation lacks writes that reached me (I marked blocks toward it): send
// it the blocks. Never to a Primary: it holds every write of its generation, so what I got
// elsewhere is not newer than its copy, and making it Inconsistent would leave it without data
// should I go away. A mark made while the peer's last report named an older generation (it
// followed the Primary into a new one after sending it) is sent when its next report arrives;
// otherwise it would wait for the next write the peer misses.
bool replica_machine::send_missed_writes(peer_link& peer, std::size_t vi) {
  local_volume& volume = volumes_[vi];
  auto& pv = peer.volumes[vi];
  if (pv.repl != repl_state::established || volume.disk != disk_state::uptodate ||
      pv.peer_disk != disk_state::uptodate || peer.peer_role == role::primary) {
    return false;
  }
  const bool peer_current = uuid_value(pv.peer_state.current) == uuid_value(volume.uuids.current);
  pv.marked_while_report_stale = !peer_current;
  if (!peer_current) return false;
  auto bitmap = volume.bitmaps.find(peer.node);
  if (bitmap == volume.bitmaps.end() || !bitmap->second.any()) return false;
  start_resync_as_source(peer, vi, {sync_strategy::source_use_bitmap, "missed-write"});
  return true;
}

// Records that `node` may lack these blocks. A peer I am resyncing is told at once (DRBD
// P_OUT_OF_SYNC): its resync may already have passed these blocks. So is a peer I am Ahead of: it
// learns what it now lacks.
void replica_machine::mark_out_of_sync(std::size_t vi, node_id node, block_range blocks) {
  local_volume& volume = volumes_[vi];
  auto bitmap = volume.bitmaps.find(node);
  if (bitmap == volume.bitmaps.end()) return;
  bitmap->second.set(blocks);
  peer_link* peer = find_peer(node);
  if (!peer || !handshake_done(*peer)) return;
  if (send_missed_writes(*peer, vi)) return;
  auto& pv = peer->volumes[vi];
  if (is_sync_source_state(pv.repl)) {
    mark_late(pv.late_marks, volume.size_blocks, blocks);
    for (auto& [id, served] : pv.served) {
      if (served.blocks.overlaps(blocks)) served.touched = true;
    }
  } else if (pv.repl != repl_state::ahead) {
    return;
  }
  wire::out_of_sync msg;
  msg.volume = volume.number;
  msg.sector = blocks.first * kSectorsPerBlock;
  msg.size_bytes = static_cast<std::uint32_t>(blocks.count * kBlockBytes);
  send(*peer, msg);
}

void replica_machine::on_out_of_sync(peer_link& peer, const wire::out_of_sync& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) return;
  local_volume& volume = volumes_[vi];
  auto bitmap = volume.bitmaps.find(peer.node);
  if (bitmap == volume.bitmaps.end()) return;
  const block_range blocks = blocks_of_sectors(msg.sector, msg.size_bytes);
  bitmap->second.set(blocks);
  auto& pv = peer.volumes[vi];
  for (auto& [id, request] : pv.resync_requests) {
    if (request.blocks.overlaps(blocks)) request.touched = true;
  }
  if (is_sync_target_state(pv.repl)) mark_late(pv.late_marks, volume.size_blocks, blocks);
  if (pv.repl == repl_state::sync_target) request_resync_blocks(peer, vi);
}

// A diskless writer's write reached this sync target; now the writer says who holds it. If my sync
// source does, it may serve the block; if not, my copy is the newest and the source is the one
// behind.
void replica_machine::settle_diskless_writes(peer_link& writer, std::size_t vi, block_range blocks,
                                             node_mask have) {
  local_volume& volume = volumes_[vi];
  peer_link* source = active_source(vi);
  bool settled = false;
  for (auto block = blocks.first; block < blocks.end(); ++block) {
    auto entry = volume.fetch_from_writer.find(block);
    if (entry == volume.fetch_from_writer.end() || entry->second != writer.node) continue;
    volume.fetch_from_writer.erase(entry);
    settled = true;
    if (source == nullptr || mask_has(have, source->node)) continue;
    for (const auto& other : peers_) {
      if (is_sync_target_state(other.volumes[vi].repl))
        volume.bitmaps.at(other.node).clear({block, 1});
    }
    mark_out_of_sync(vi, source->node, {block, 1});
  }
  if (settled) continue_resync(vi);
}

void replica_machine::on_peer_ack(peer_link& peer, const wire::peer_ack& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) return;
  const block_range blocks = blocks_of_sectors(msg.sector, msg.size_bytes);
  peer.unacked_writes.erase(msg.write_seq);
  settle_diskless_writes(peer, vi, blocks, msg.have);
  std::vector<node_id> missing;
  for (const auto& [node, bitmap] : volumes_[vi].bitmaps) {
    if (node != peer.node && !mask_has(msg.have, node)) missing.push_back(node);
  }
  for (node_id node : missing) mark_out_of_sync(vi, node, blocks);
  // Blocks that waited for this write to settle may be asked for again (see
  // await_unsettled_writes). Looked up per block of the write: a peer_ack comes with every write.
  auto& awaiting = volumes_[vi].awaiting_settled_write;
  bool resumes = false;
  if (!awaiting.empty()) {
    for (auto block = blocks.first; block < blocks.end(); ++block) {
      resumes = awaiting.erase(block) != 0 || resumes;
    }
  }
  if (resumes) continue_resync(vi);
}

// The writer is gone before its peer_ack said who holds its last writes: they may be on some
// replicas and not on others, the writer's own disk included, and nothing tells which. Every one is
// marked out of sync toward every peer (DRBD cleanup_unacked_peer_requests), so whichever way the
// next resync runs, it carries these blocks. Replicas I stay connected to have no resync coming to
// carry them: a fresh handshake decides, on the same generation in favour of the one holding more
// of the writer's writes (rule more-writes, DRBD's reconciliation resync).
void replica_machine::settle_unacked_writes_of_lost_writer(peer_link& writer) {
  if (writer.unacked_writes.empty()) return;
  // Established peers: which of us is the source is not mine to say alone. (Both most likely
  // followed the writer into the same generation, which my record of the peer's generation does
  // not show: it changes only with the peer's own reports.)
  auto reconciles = [&](const peer_link& other, std::size_t vi) {
    return other.node != writer.node && other.diskful && handshake_done(other) &&
           other.volumes[vi].repl == repl_state::established;
  };
  std::vector<std::uint64_t> marked_blocks(volumes_.size(), 0);
  for (const auto& [seq, write] : writer.unacked_writes) {
    const std::size_t vi = write.volume_index;
    std::vector<node_id> nodes;
    for (auto& [node, bitmap] : volumes_[vi].bitmaps) {
      const peer_link* other = find_peer(node);
      if (other && reconciles(*other, vi)) {
        bitmap.set(write.blocks);
      } else {
        nodes.push_back(node);
      }
    }
    for (node_id node : nodes) mark_out_of_sync(vi, node, write.blocks);
    marked_blocks[vi] += write.blocks.count;
  }
  const std::size_t writes = writer.unacked_writes.size();
  writer.unacked_writes.clear();
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    if (volumes_[vi].awaiting_settled_write.empty()) continue;
    volumes_[vi].awaiting_settled_write.clear();
    continue_resync(vi);
  }
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    if (marked_blocks[vi] == 0) continue;
    emit_event("unacked-writes-marked", writer.node, volumes_[vi].number, marked_blocks[vi],
               std::to_string(writes) + " writes of the lost writer were never peer-acked");
    for (auto& other : peers_) {
      if (reconciles(other, vi)) {
        renegotiate(other, vi, "the writer was lost with writes the replicas may hold differently");
      }
    }
  }
}

}  // namespace tandem
