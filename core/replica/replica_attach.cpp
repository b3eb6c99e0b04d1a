// Operator detach / attach of the local disk (DRBD `detach` / `attach`), and what a failed local
// I/O does to the disk (DRBD on-io-error).
//
// detach ends like the on-io-error detach: the disk is Diskless, reads go to an
// UpToDate peer, writes go to the peers only, and every peer marks what this node misses (it is no
// replication target any more). The data and metadata on the device are left alone.
//
// attach brings the disk back Inconsistent, with every block marked toward the peer it syncs from,
// and asks that connected UpToDate peer for a full sync (resync_request); the connections stay up, so the writes
// of a Primary keep reaching every replica meanwhile. The generation UUIDs are the disk's from
// before the detach, which later handshakes need as ancestry. DRBD resyncs a
// re-attached disk by bitmap; tandem cannot yet: while Diskless a node follows its peers'
// generation in memory, and a Primary whose own disk went away does not start a new generation that
// would tell the stale disk apart, so the bitmap-based decision could call the old data current. A
// full sync is always right; with checksum resync (csums-alg) only the ranges that changed while
// detached cross the wire.
#include <algorithm>
#include <string>

#include "core/replica/replica_machine.h"

namespace tandem {

void replica_machine::on_admin_detach(const admin& cmd) {
  auto refuse = [&](std::string why) { emit(admin_done{cmd.tag, false, std::move(why)}); };
  if (!config_.self_diskful) return refuse("this node is diskless by configuration");
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    if (volumes_[vi].disk < disk_state::inconsistent) return refuse("no disk is attached");
    // Some UpToDate copy must stay reachable: for this node's I/O, for a Diskless Primary that
    // reads through it, and for the attach that brings the disk back.
    const bool served = std::any_of(peers_.begin(), peers_.end(), [&](const peer_link& peer) {
      return handshake_done(peer) && peer.volumes[vi].peer_disk == disk_state::uptodate;
    });
    if (!served) return refuse("no connected peer is UpToDate: detaching would lose the data");
  }
  // A resync in either direction would lose its source or its destination halfway.
  for (const auto& peer : peers_) {
    for (const auto& pv : peer.volumes) {
      if (is_sync_source_state(pv.repl) || is_sync_target_state(pv.repl)) {
        return refuse("a resync with node " + std::to_string(peer.node) + " is running");
      }
    }
  }
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    detach_disk(vi, disk_state::detaching, "admin detach");
  }
  emit(admin_done{cmd.tag, true, ""});
}

// `passing` is Detaching for an orderly detach, Failed after an I/O error.
void replica_machine::detach_disk(std::size_t vi, disk_state passing, const std::string& why) {
  // The generations the disk itself holds: an attach starts from them, not from the ones this
  // node follows while Diskless.
  volumes_[vi].detached_uuids = volumes_[vi].uuids;
  set_disk(vi, passing);
  set_disk(vi, disk_state::diskless);  // also tells every peer
  emit_event("detached", config_.self, volumes_[vi].number, 0, why);
}

// Called before the failed request is answered: its peer learns the new disk state first, so a
// sync target stops asking this node for blocks instead of asking again.
void replica_machine::on_local_io_error(std::size_t vi, block_range blocks, bool read) {
  local_volume& volume = volumes_[vi];
  const std::string what = std::string(read ? "read" : "write") + " of the local disk failed";
  emit_event("io-error", config_.self, volume.number, blocks.count,
             what + " (on-io-error " + std::string(to_string(config_.io_error_policy)) + ")");
  if (config_.io_error_policy == on_io_error::pass_on) {
    // DRBD: the disk becomes Inconsistent and the blocks are marked toward every peer, so that
    // this disk serves nothing until a resync (at the next handshake with an UpToDate peer) has
    // replaced them. The peers need nothing from this node: the marks are not sent.
    for (auto& [peer, bitmap] : volume.bitmaps) bitmap.set(blocks);
    if (volume.disk > disk_state::inconsistent) set_disk(vi, disk_state::inconsistent);
    return;
  }
  if (config_.io_error_policy == on_io_error::call_local_io_error) {
    emit_event("local-io-error", config_.self, volume.number, blocks.count, what);
  }
  detach_disk(vi, disk_state::failed, what);
}

void replica_machine::on_admin_attach(const admin& cmd) {
  auto refuse = [&](std::string why) { emit(admin_done{cmd.tag, false, std::move(why)}); };
  if (!config_.self_diskful) return refuse("this node is diskless by configuration");
  for (const auto& volume : volumes_) {
    if (volume.disk != disk_state::diskless) return refuse("the disk is attached already");
  }
  // The returning disk is judged stale: without a peer to sync from it would only be Inconsistent.
  const peer_link* usable = full_sync_source(cmd.peer, cmd.all_peers);
  if (!usable) return refuse("no connected UpToDate peer to sync the returning disk from");
  peer_link* source = find_peer(usable->node);
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    local_volume& volume = volumes_[vi];
    set_disk(vi, disk_state::attaching);
    // What the disk holds, not what the node followed while Diskless: a generation the disk never
    // had would become the bitmap UUID this node claims its peers are behind on.
    if (volume.detached_uuids) volume.uuids = *volume.detached_uuids;
    volume.detached_uuids.reset();
    volume.crashed_primary = false;
    volume.crash_resync_owed = 0;
    volume.fetch_from_writer.clear();
    // The marks toward other peers stay as they were: marking them too would make this node,
    // once synced, claim that they are behind it (finish_resync_as_target), which a Primary
    // elsewhere is not.
    // A Primary starts no generation of its own while its disk is a sync target: it takes the
    // source's when the full sync ends.
    volume.new_uuid_pending = false;
    set_disk(vi, disk_state::inconsistent);
    emit_event("attached", source->node, volume.number, volume.size_blocks,
               "full sync from node " + std::to_string(source->node));
    request_full_sync(*source, vi);
  }
  emit(admin_done{cmd.tag, true, ""});
}

}  // namespace tandem
