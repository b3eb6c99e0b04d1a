// Vocabulary types shared by every part of the core: node ids, volumes, sizes, buffer handles.
#pragma once

#include <cstdint>

namespace tandem {

// DRBD 9 limit: node ids 0..31, so a set of nodes fits in one 32-bit mask.
inline constexpr int kMaxNodes = 32;
using node_id = std::uint8_t;
using node_mask = std::uint32_t;

constexpr node_mask mask_of(node_id node) {
  return node_mask{1} << node;
}
constexpr bool mask_has(node_mask mask, node_id node) {
  return (mask & mask_of(node)) != 0;
}

using volume_nr = std::uint16_t;
inline constexpr int kMaxVolumes = 64;

inline constexpr std::uint64_t kSectorBytes = 512;
// One bitmap bit covers one 4 KiB block (DRBD's BM_BLOCK_SHIFT_4k).
inline constexpr std::uint64_t kBlockBytes = 4096;
inline constexpr std::uint64_t kSectorsPerBlock = kBlockBytes / kSectorBytes;
// Largest single request or payload (DRBD's max_bio_size is 1 MiB as well).
inline constexpr std::uint32_t kMaxIoBytes = 1u << 20;

// Opaque handle of a payload buffer owned by the driver (engine or simulator). The core never reads
// or copies payload bytes; it only passes handles between inputs and outputs. 0 means "no buffer".
struct buffer_ref {
  std::uint64_t id = 0;
  std::uint32_t length_bytes = 0;
  bool empty() const { return id == 0; }
  friend bool operator==(const buffer_ref&, const buffer_ref&) = default;
};

// Generation UUIDs (DRBD "data generation" identifiers). Bit 0 is the "was Primary" flag and is
// masked off in every comparison.
using generation_uuid = std::uint64_t;
inline constexpr generation_uuid kUuidJustCreated = 4;
inline constexpr generation_uuid kUuidPrimaryFlag = 1;
constexpr generation_uuid uuid_value(generation_uuid uuid) {
  return uuid & ~kUuidPrimaryFlag;
}
// Bit 1 marks a sync UUID: the generation of a partly synced target (resync_start::sync_uuid). It
// names a target's future, never an ancestor of anybody's data.
inline constexpr generation_uuid kUuidSyncFlag = 2;
constexpr bool is_sync_uuid(generation_uuid uuid) { return (uuid & kUuidSyncFlag) != 0; }

// A count of a generation's writes (wire::volume_state::writes_seen) that is not known: restarted,
// took the generation from a resync, or missed some of the writer's writes.
inline constexpr std::uint64_t kWritesSeenUnknown = ~std::uint64_t{0};

}  // namespace tandem
