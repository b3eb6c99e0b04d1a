// Two operator commands that change what a node's data is worth:
//  * invalidate (DRBD `invalidate`): this node's disk becomes Inconsistent and is fully resynced
//    from a connected UpToDate peer;
//  * resize (DRBD `resize`, growing only): every node takes the new size, and the new area is
//    synced from the node that ran the command unless the operator says it is clean.
// Both are cluster-wide changes by two-phase commit (replica_twopc.cpp): the source of an
// invalidate and every peer of a resize agree first, and no other such change runs meanwhile.
#include <algorithm>
#include <string>

#include "core/replica/replica_machine.h"

namespace tandem {

namespace {

// The same bits over a longer volume; the new blocks start clear.
block_bitmap grown(const block_bitmap& bitmap, std::uint64_t size_blocks) {
  block_bitmap bigger(size_blocks);
  bigger.merge_words(0, bitmap.words());
  return bigger;
}

}  // namespace

void replica_machine::on_admin_invalidate(const admin& cmd) {
  // With any peer as the source: the first usable one, named from here on.
  const peer_link* source = full_sync_source(cmd.peer, cmd.all_peers);
  if (cmd.all_peers && source == nullptr) {
    return emit(admin_done{cmd.tag, false, "no connected UpToDate peer to sync from"});
  }
  admin named = cmd;
  named.all_peers = false;
  if (source != nullptr) named.peer = source->node;
  begin_exclusive_change(named);
}

std::optional<admin_done> replica_machine::invalidate_settled(const admin& cmd) const {
  auto refuse = [&](std::string why) { return admin_done{cmd.tag, false, std::move(why)}; };
  // DRBD lets a Primary invalidate and reads through the source meanwhile; here a Primary keeps
  // its data (demote first), which keeps the application away from a disk being rewritten.
  if (role_ == role::primary) return refuse("a Primary does not invalidate its own data");
  for (const auto& volume : volumes_) {
    if (volume.disk < disk_state::inconsistent) return refuse("no local disk to invalidate");
  }
  if (full_sync_source(cmd.peer, false) == nullptr) {
    return refuse("node " + std::to_string(cmd.peer) +
                  " is not a connected UpToDate peer in sync with this node");
  }
  for (const auto& peer : peers_) {
    for (const auto& pv : peer.volumes) {
      if (is_sync_source_state(pv.repl) || is_sync_target_state(pv.repl)) {
        return refuse("a resync with node " + std::to_string(peer.node) + " is running");
      }
    }
  }
  return std::nullopt;
}

// The cluster agreed (the source is UpToDate and no other change runs): become Inconsistent and
// ask the source for everything.
void replica_machine::invalidate_now(const admin& cmd) {
  peer_link* source = find_peer(cmd.peer);
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    emit_event("invalidated", source->node, volumes_[vi].number, volumes_[vi].size_blocks,
               "full sync from node " + std::to_string(source->node));
    set_disk(vi, disk_state::inconsistent);  // also tells every peer
    request_full_sync(*source, vi);
  }
}

// The peer a full sync can come from: connected, in sync and UpToDate on every volume; `named`, or
// the first such one with `any`.
const peer_link* replica_machine::full_sync_source(node_id named, bool any) const {
  for (const auto& peer : peers_) {
    if (!any && peer.node != named) continue;
    bool usable = handshake_done(peer) && peer.diskful;
    for (std::size_t vi = 0; usable && vi < volumes_.size(); ++vi) {
      const auto& pv = peer.volumes[vi];
      usable = pv.peer_disk == disk_state::uptodate && pv.repl == repl_state::established;
    }
    if (usable) return &peer;
  }
  return nullptr;
}

// Asks `source` for every block (DRBD: a state change to StartingSyncT). The connection stays up,
// so writes keep reaching this node while it waits for the resync.
void replica_machine::request_full_sync(peer_link& source, std::size_t vi) {
  local_volume& volume = volumes_[vi];
  auto bitmap = volume.bitmaps.find(source.node);
  if (bitmap != volume.bitmaps.end()) bitmap->second.set_all();
  volume.full_sync_wanted = true;
  volume.full_sync_asked = source.node;
  volume.full_sync_epoch = source.epoch;
  send(source, wire::resync_request{volume.number});
}

// A full sync that was asked for and has not started: ask a connected UpToDate peer in sync,
// unless the one asked on its current connection may still answer.
void replica_machine::retry_full_sync(std::size_t vi) {
  local_volume& volume = volumes_[vi];
  if (!volume.full_sync_wanted) return;
  if (volume.disk == disk_state::uptodate || volume.disk < disk_state::inconsistent) {
    volume.full_sync_wanted = false;
    return;
  }
  for (const auto& peer : peers_) {
    if (handshake_done(peer) && is_sync_target_state(peer.volumes[vi].repl)) return;
    if (peer.node == volume.full_sync_asked && peer.epoch == volume.full_sync_epoch &&
        handshake_done(peer)) {
      return;  // its answer is still to come
    }
  }
  for (auto& peer : peers_) {
    const auto& pv = peer.volumes[vi];
    if (handshake_done(peer) && peer.diskful && pv.peer_disk == disk_state::uptodate &&
        pv.repl == repl_state::established) {
      return request_full_sync(peer, vi);
    }
  }
}

void replica_machine::on_resync_request(peer_link& peer, const wire::resync_request& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) {
    emit_event("protocol-error", peer.node, msg.volume, 0, "resync_request for an unknown volume");
    return drop_connection(peer, conn_state::protocol_error, false);
  }
  if (is_sync_source_state(peer.volumes[vi].repl)) return;  // serving it already
  const bool can_serve = volumes_[vi].disk == disk_state::uptodate &&
                         peer.volumes[vi].repl == repl_state::established &&
                         volumes_[vi].bitmaps.count(peer.node) != 0;
  if (can_serve) {
    return start_resync_as_source(peer, vi, {sync_strategy::source_set_bitmap, "peer-request"});
  }
  // This node changed since the peer chose it: a fresh handshake decides from the states as they
  // are now.
  emit_event("resync-request-refused", peer.node, msg.volume, 0,
             std::string("local disk ") + std::string(to_string(volumes_[vi].disk)) +
                 ", replication " + std::string(to_string(peer.volumes[vi].repl)));
  renegotiate(peer, vi);
}

void replica_machine::on_admin_resize(const admin& cmd) {
  auto refuse = [&](std::string why) { emit(admin_done{cmd.tag, false, std::move(why)}); };
  const std::size_t vi = volume_index_of(cmd.volume);
  if (vi == volumes_.size()) return refuse("no volume " + std::to_string(cmd.volume));
  if (cmd.size_sectors != 0) return begin_exclusive_change(cmd);
  // No size given: as large as every backing device allows (DRBD's default).
  const std::uint64_t old_sectors = volumes_[vi].size_sectors;
  admin sized = cmd;
  sized.size_sectors = largest_common_size(vi);
  if (sized.size_sectors == 0) return refuse("no backing device limits the size: give one");
  if (sized.size_sectors <= old_sectors && max_size_sectors(vi) > old_sectors) {
    // This node's device grew but a peer's did not (or it has not told yet): say which.
    for (const auto& peer : peers_) {
      const std::uint64_t peer_max = peer.volumes[vi].peer_max_size_sectors;
      if (handshake_done(peer) && peer_max != 0 && peer_max <= old_sectors) {
        return refuse("the backing device of node " + std::to_string(peer.node) + " holds only " +
                      std::to_string(peer_max) + " sectors");
      }
    }
  }
  begin_exclusive_change(sized);
}

// What the node running `resize` can tell by itself. Every peer checks its own backing device
// again when asked (twopc_prepare{resize}): its limit may have shrunk since it reported it.
std::optional<admin_done> replica_machine::resize_settled(const admin& cmd) const {
  auto refuse = [&](std::string why) { return admin_done{cmd.tag, false, std::move(why)}; };
  const std::size_t vi = volume_index_of(cmd.volume);
  const local_volume& volume = volumes_[vi];
  const std::uint64_t old_sectors = volume.size_sectors;
  if (cmd.size_sectors < old_sectors) return refuse("shrinking a volume is not supported");
  if (cmd.size_sectors == old_sectors) return admin_done{cmd.tag, true, ""};
  if (cmd.size_sectors * kSectorBytes > (std::uint64_t{1} << 50)) return refuse("size too large");
  const std::uint64_t local_max = max_size_sectors(vi);
  if (local_max != 0 && cmd.size_sectors > local_max) {
    return refuse("the backing device holds only " + std::to_string(local_max) + " sectors");
  }
  // Every node's backing device must hold the new size (DRBD takes the smallest d_size).
  for (const auto& peer : peers_) {
    const std::uint64_t peer_max = peer.volumes[vi].peer_max_size_sectors;
    if (handshake_done(peer) && peer_max != 0 && cmd.size_sectors > peer_max) {
      return refuse("the backing device of node " + std::to_string(peer.node) + " holds only " +
                    std::to_string(peer_max) + " sectors");
    }
  }
  if (volume.disk != disk_state::uptodate) {
    return refuse("the local disk is not UpToDate (the new area is synced from here)");
  }
  // The new area is synced from here: a Primary elsewhere would become a sync target under its
  // application.
  for (const auto& peer : peers_) {
    if (role_ != role::primary && handshake_done(peer) && peer.peer_role == role::primary) {
      return refuse("node " + std::to_string(peer.node) +
                    " is Primary: run resize there (the new area is synced from where it runs)");
    }
  }
  // Every node must take the new size together (DRBD negotiates it in P_SIZES): one that is away
  // would come back with the old size.
  for (const auto& peer : peers_) {
    if (peer.diskful && !handshake_done(peer)) {
      return refuse("node " + std::to_string(peer.node) + " is not connected");
    }
  }
  return std::nullopt;
}

// Every connected node agreed and takes the new size with the commit.
void replica_machine::resize_now(const admin& cmd) {
  const std::size_t vi = volume_index_of(cmd.volume);
  const std::uint64_t old_sectors = volumes_[vi].size_sectors;
  grow_volume(vi, cmd.size_sectors);
  if (cmd.assume_clean) return;
  // The new area holds whatever each backing device had there: sync mine to everybody. After the
  // commit, so each peer already has the room; a running resync picks it up as late marks
  // (mark_out_of_sync). In pieces a peer may be told about (out_of_sync covers at most
  // kMaxIoBytes).
  constexpr std::uint64_t kPieceBlocks = kMaxIoBytes / kBlockBytes;
  std::vector<node_id> diskful;
  for (const auto& [node, bitmap] : volumes_[vi].bitmaps) diskful.push_back(node);
  for (std::uint64_t first = old_sectors / kSectorsPerBlock; first < volumes_[vi].size_blocks;
       first += kPieceBlocks) {
    const block_range piece{first, std::min(kPieceBlocks, volumes_[vi].size_blocks - first)};
    for (node_id node : diskful) mark_out_of_sync(vi, node, piece);
  }
}

std::uint64_t replica_machine::max_size_sectors(std::size_t vi) const {
  for (const auto& vc : config_.volumes) {
    if (vc.number == volumes_[vi].number) return vc.max_size_sectors;
  }
  return 0;
}

void replica_machine::on_admin_backing_grown(const admin& cmd) {
  auto refuse = [&](std::string why) { emit(admin_done{cmd.tag, false, std::move(why)}); };
  const std::size_t vi = volume_index_of(cmd.volume);
  if (vi == volumes_.size()) return refuse("no volume " + std::to_string(cmd.volume));
  if (!config_.self_diskful) return refuse("this node has no backing device");
  if (cmd.size_sectors < volumes_[vi].size_sectors) {
    return refuse("the backing device holds " + std::to_string(cmd.size_sectors) +
                  " sectors, less than the volume's " +
                  std::to_string(volumes_[vi].size_sectors));
  }
  for (auto& vc : config_.volumes) {
    if (vc.number == volumes_[vi].number) vc.max_size_sectors = cmd.size_sectors;
  }
  for (const auto& peer : peers_) {
    if (handshake_done(peer)) send(peer, wire::backing_size{volumes_[vi].number, cmd.size_sectors});
  }
  emit(admin_done{cmd.tag, true, ""});
}

std::uint64_t replica_machine::largest_common_size(std::size_t vi) const {
  std::uint64_t size = max_size_sectors(vi);
  for (const auto& peer : peers_) {
    const std::uint64_t peer_max = peer.volumes[vi].peer_max_size_sectors;
    if (handshake_done(peer) && peer_max != 0) size = size == 0 ? peer_max : std::min(size, peer_max);
  }
  return size;
}

void replica_machine::send_backing_sizes(const peer_link& peer) {
  if (!config_.self_diskful) return;  // no backing device: no limit of its own
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    // No limit is what the peer assumes without a message.
    const std::uint64_t max = max_size_sectors(vi);
    if (max != 0) send(peer, wire::backing_size{volumes_[vi].number, max});
  }
}

void replica_machine::on_backing_size(peer_link& peer, const wire::backing_size& msg) {
  const std::size_t vi = volume_index_of(msg.volume);
  if (vi == volumes_.size()) return;
  peer.volumes[vi].peer_max_size_sectors = msg.max_size_sectors;
}

void replica_machine::grow_volume(std::size_t vi, std::uint64_t size_sectors) {
  local_volume& volume = volumes_[vi];
  const std::uint64_t old_blocks = volume.size_blocks;
  volume.size_sectors = size_sectors;
  volume.size_blocks = (size_sectors * kSectorBytes + kBlockBytes - 1) / kBlockBytes;
  for (auto& [node, bitmap] : volume.bitmaps) bitmap = grown(bitmap, volume.size_blocks);
  for (auto& peer : peers_) {
    auto& pv = peer.volumes[vi];
    if (pv.late_marks.size_blocks() != 0) pv.late_marks = grown(pv.late_marks, volume.size_blocks);
  }
  emit_event("resized", config_.self, volume.number, volume.size_blocks,
             "from " + std::to_string(old_blocks) + " to " + std::to_string(volume.size_blocks) +
                 " blocks (" + std::to_string(size_sectors) + " sectors)");
}

}  // namespace tandem
