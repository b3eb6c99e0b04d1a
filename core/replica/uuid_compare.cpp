#include "core/replica/uuid_compare.h"

#include <algorithm>

namespace tandem {
namespace {

bool just_created(generation_uuid uuid) {
  return uuid_value(uuid) == kUuidJustCreated || uuid_value(uuid) == 0;
}

generation_uuid bitmap_uuid(const uuid_set& set, node_id node) {
  return mask_has(set.bitmap_uuid_nodes, node) ? uuid_value(set.bitmap_uuids[node]) : 0;
}

// A third node N (not self, not peer) for which `set` keeps a bitmap UUID equal to `uuid`.
bool other_bitmap_matches(const uuid_set& set, generation_uuid uuid, node_id self_node,
                          node_id peer_node, node_id& via) {
  for (int node = 0; node < kMaxNodes; ++node) {
    const auto n = static_cast<node_id>(node);
    if (n == self_node || n == peer_node) continue;
    const generation_uuid candidate = bitmap_uuid(set, n);
    if (candidate != 0 && candidate == uuid) {
      via = n;
      return true;
    }
  }
  return false;
}

}  // namespace

bool in_history(const uuid_set& set, generation_uuid uuid) {
  return std::any_of(set.history.begin(), set.history.end(), [&](generation_uuid h) {
    return h != 0 && uuid_value(h) == uuid_value(uuid);
  });
}

bool is_ancestor(const uuid_set& set, generation_uuid uuid) {
  if (in_history(set, uuid)) return true;
  for (int node = 0; node < kMaxNodes; ++node) {
    const generation_uuid kept = bitmap_uuid(set, static_cast<node_id>(node));
    if (kept != 0 && kept == uuid_value(uuid)) return true;
  }
  return false;
}

bool is_source(sync_strategy s) {
  return s == sync_strategy::source_use_bitmap || s == sync_strategy::source_set_bitmap ||
         s == sync_strategy::source_copy_bitmap;
}
bool is_target(sync_strategy s) {
  return s == sync_strategy::target_use_bitmap || s == sync_strategy::target_set_bitmap ||
         s == sync_strategy::target_clear_bitmap;
}
bool is_full_sync(sync_strategy s) {
  return s == sync_strategy::source_set_bitmap || s == sync_strategy::target_set_bitmap;
}
bool is_split_brain(sync_strategy s) {
  return s == sync_strategy::split_brain_auto_recover ||
         s == sync_strategy::split_brain_disconnect || s == sync_strategy::unrelated_data;
}

const char* to_string(sync_strategy s) {
  switch (s) {
    case sync_strategy::no_sync: return "no-sync";
    case sync_strategy::source_use_bitmap: return "source-use-bitmap";
    case sync_strategy::target_use_bitmap: return "target-use-bitmap";
    case sync_strategy::source_set_bitmap: return "source-set-bitmap";
    case sync_strategy::target_set_bitmap: return "target-set-bitmap";
    case sync_strategy::source_copy_bitmap: return "source-copy-other-bitmap";
    case sync_strategy::target_clear_bitmap: return "target-clear-bitmap";
    case sync_strategy::split_brain_auto_recover: return "split-brain-auto-recover";
    case sync_strategy::split_brain_disconnect: return "split-brain-disconnect";
    case sync_strategy::unrelated_data: return "unrelated-data";
  }
  return "?";
}

sync_strategy mirrored(sync_strategy s) {
  switch (s) {
    case sync_strategy::source_use_bitmap: return sync_strategy::target_use_bitmap;
    case sync_strategy::target_use_bitmap: return sync_strategy::source_use_bitmap;
    case sync_strategy::source_set_bitmap: return sync_strategy::target_set_bitmap;
    case sync_strategy::target_set_bitmap: return sync_strategy::source_set_bitmap;
    case sync_strategy::source_copy_bitmap: return sync_strategy::target_clear_bitmap;
    case sync_strategy::target_clear_bitmap: return sync_strategy::source_copy_bitmap;
    default: return s;
  }
}

sync_decision compare_uuids(node_id self_node, const uuid_set& self, node_id peer_node,
                            const uuid_set& peer) {
  const generation_uuid self_current = uuid_value(self.current);
  const generation_uuid peer_current = uuid_value(peer.current);

  // Rules 1-3: freshly created metadata on one or both sides.
  if (just_created(self_current) && just_created(peer_current)) {
    return {sync_strategy::no_sync, "just-created-both"};
  }
  if (just_created(self_current)) return {sync_strategy::target_set_bitmap, "just-created-self"};
  if (just_created(peer_current)) return {sync_strategy::source_set_bitmap, "just-created-peer"};

  // Rule 4: same generation, nothing to do (crash/quorum refinements come with the full core).
  if (self_current == peer_current) {
    // Same generation, but a side that crashed as Primary may have written blocks (its activity
    // log extents) that never reached the other: it is the source for them. Both crashed: the
    // connection's tie-breaker (the lower node id) decides, the same way on both ends.
    if (self.crashed_primary && peer.crashed_primary) {
      return {self_node < peer_node ? sync_strategy::source_use_bitmap
                                    : sync_strategy::target_use_bitmap,
              "both-crashed-primary"};
    }
    if (self.crashed_primary) return {sync_strategy::source_use_bitmap, "crashed-primary"};
    if (peer.crashed_primary) return {sync_strategy::target_use_bitmap, "crashed-primary"};
    // Same generation, but one side marked blocks toward the other: it holds a version of them the
    // other may lack (a write the other missed, a block that arrived by resync from a third node,
    // an unsettled write of a lost writer), so it is the source. Resyncing nothing would leave
    // the two different under one generation.
    const bool self_marked = self.dirty_blocks_toward_other != 0;
    const bool peer_marked = peer.dirty_blocks_toward_other != 0;
    if (self_marked != peer_marked) {
      return self_marked ? sync_decision{sync_strategy::source_use_bitmap, "marked-self"}
                         : sync_decision{sync_strategy::target_use_bitmap, "marked-peer"};
    }
    // Both marked: the writer of the generation was lost with writes in flight, which the two
    // received in different numbers. Each received a prefix of the writer's stream (a side with a
    // gap reports it does not know), so the side with more holds every write the other holds, and anything newer:
    // it is the source (DRBD's reconciliation resync after a lost Primary, decided by dagtag).
    if (self_marked && self.writes_seen != kWritesSeenUnknown &&
        peer.writes_seen != kWritesSeenUnknown && self.writes_seen != peer.writes_seen) {
      return {self.writes_seen > peer.writes_seen ? sync_strategy::source_use_bitmap
                                                  : sync_strategy::target_use_bitmap,
              "more-writes"};
    }
    return {sync_strategy::no_sync, "equal"};
  }

  // Rule 5: the peer kept a bitmap since my generation: I am behind.
  if (bitmap_uuid(peer, self_node) == self_current) {
    return {sync_strategy::target_use_bitmap, "bitmap-peer"};
  }
  // Rule 6: my generation is one the peer keeps a bitmap for toward a third node.
  sync_decision decision;
  if (other_bitmap_matches(peer, self_current, self_node, peer_node, decision.via_node)) {
    decision.strategy = sync_strategy::target_clear_bitmap;
    decision.rule = "bitmap-peer-other";
    return decision;
  }
  // Rule 8: I kept a bitmap since the peer's generation: I am ahead.
  if (bitmap_uuid(self, peer_node) == peer_current) {
    return {sync_strategy::source_use_bitmap, "bitmap-self"};
  }
  // Rule 9: the peer's generation is one I keep a bitmap for toward a third node.
  if (other_bitmap_matches(self, peer_current, self_node, peer_node, decision.via_node)) {
    decision.strategy = sync_strategy::source_copy_bitmap;
    decision.rule = "bitmap-self-other";
    return decision;
  }
  // Rule 11: one generation is an ancestor of the other, but no bitmap spans the gap.
  const bool self_in_peer_history = in_history(peer, self_current);
  const bool peer_in_self_history = in_history(self, peer_current);
  if (self_in_peer_history && !peer_in_self_history) {
    return {sync_strategy::target_set_bitmap, "history-peer"};
  }
  if (peer_in_self_history && !self_in_peer_history) {
    return {sync_strategy::source_set_bitmap, "history-self"};
  }
  // Rule 12: both kept bitmaps toward each other from the same generation: diverged.
  const generation_uuid self_bitmap = bitmap_uuid(self, peer_node);
  if (self_bitmap != 0 && self_bitmap == bitmap_uuid(peer, self_node)) {
    return {sync_strategy::split_brain_auto_recover, "bitmap-both"};
  }
  // Rule 13: a common ancestor further back.
  for (generation_uuid uuid : self.history) {
    if (uuid != 0 && in_history(peer, uuid_value(uuid))) {
      return {sync_strategy::split_brain_disconnect, "history-both"};
    }
  }
  return {sync_strategy::unrelated_data, "unrelated"};
}

}  // namespace tandem
