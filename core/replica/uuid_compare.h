// The generation-UUID comparison that decides, when two nodes connect, whether and in which
// direction they resync (DRBD's drbd_uuid_compare). Pure and table-driven: every rule has a name
// that appears in events and logs ("uuid_compare()=<strategy> by rule=<rule>").
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/base/ids.h"

namespace tandem {

struct uuid_set {
  generation_uuid current = kUuidJustCreated;
  node_mask bitmap_uuid_nodes = 0;  // which bitmap_uuids entries are meaningful
  std::array<generation_uuid, kMaxNodes> bitmap_uuids{};
  std::vector<generation_uuid> history;  // newest first
  // The node was Primary when it went down uncleanly: the blocks its activity log covered may
  // differ from its peers' (DRBD uuid flag CRASHED_PRIMARY).
  bool crashed_primary = false;
  // The number of the last write of the current generation this side holds (0 = unknown) and the
  // blocks it marked out of sync toward the other side. They decide between two replicas of one
  // generation that hold different versions of their writer's last writes.
  std::uint64_t writes_seen = 0;
  std::uint64_t dirty_blocks_toward_other = 0;
};

enum class sync_strategy : std::uint8_t {
  no_sync,
  source_use_bitmap,         // I am newer; resync what my bitmap toward the peer marks
  target_use_bitmap,         // the peer is newer; it resyncs what its bitmap toward me marks
  source_set_bitmap,         // full sync, I am source
  target_set_bitmap,         // full sync, I am target
  source_copy_bitmap,        // I am source; my bitmap toward a third node describes the difference
  target_clear_bitmap,       // the peer is source, using its bitmap toward a third node
  split_brain_auto_recover,  // diverged from a common generation, bitmaps usable
  split_brain_disconnect,    // diverged from an older common ancestor
  unrelated_data,
};

struct sync_decision {
  sync_strategy strategy = sync_strategy::no_sync;
  const char* rule = "";
  node_id via_node = 0;  // the third node for *_copy_bitmap / *_clear_bitmap
};

// `uuid` is in the set's history (compared without the Primary flag).
bool in_history(const uuid_set& set, generation_uuid uuid);
// ... or kept as a bitmap UUID toward a peer that missed the later writes: either way a
// generation the set's data moved on from.
bool is_ancestor(const uuid_set& set, generation_uuid uuid);

bool is_source(sync_strategy strategy);
bool is_target(sync_strategy strategy);
bool is_full_sync(sync_strategy strategy);
bool is_split_brain(sync_strategy strategy);
const char* to_string(sync_strategy strategy);

// Mirror image of a strategy, as the peer sees it (source <-> target).
sync_strategy mirrored(sync_strategy strategy);

sync_decision compare_uuids(node_id self_node, const uuid_set& self, node_id peer_node,
                            const uuid_set& peer);

}  // namespace tandem
