// The internal metadata of one backing device (superblock, activity log, bitmap area at its end;
// core/meta has the formats) and the commits that keep it in step with the replica.
//
// Commit order: changed bitmap pages and the activity-log snapshot first, then the superblock,
// then fdatasync. The AL is a ring whose newest consecutive transactions win, so a commit torn by a
// crash leaves the previous snapshot usable. Only bitmap pages that differ from what is on the
// device are written.
//
// Growing: when the backing device grows (lvextend, a longer file) the metadata moves to the new
// end, as DRBD moves it on `resize`. The move is crash-safe through a grow journal, a file beside
// the resource file holding the old device size and the old metadata image: written and synced
// before the move, removed after it. A start that finds no superblock at the device's end but a
// journal puts the old image back and moves it again; a journal left beside valid metadata at the
// end is stale (the move finished) and removed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/meta/size.h"
#include "core/meta/superblock.h"
#include "core/meta/volume_image.h"
#include "engine/io/uring_disk.h"

namespace tandem::engine {

struct create_md_options {
  std::uint32_t max_peers = 7;
  std::int32_t node_id = -1;
  std::uint32_t al_extents = 1237;
  // Day 0: mark the data UpToDate on this generation (every replica of a brand-new, all-zero
  // volume is identical, so no initial sync is needed, as LINSTOR does for new thin volumes).
  std::optional<generation_uuid> day0_uuid;
};

class volume_metadata {
 public:
  // Writes fresh metadata (drbdmeta create-md). Refuses a device holding valid metadata unless
  // force is set.
  static void create(uring_disk& disk, const create_md_options& options, bool force);

  // Reads and validates the metadata; throws std::runtime_error naming the device and the field
  // ("no tandem metadata on /dev/x: run tandemadm create-md").
  // With a grow journal path, a move interrupted by a crash is finished first (see above).
  static volume_metadata load(uring_disk& disk, std::uint32_t max_peers,
                              std::uint32_t al_extents, const std::string& grow_journal = "");

  // The device grew after the metadata was written for old_device_bytes (it was not open while
  // it grew, e.g. a satellite extended it for a stopped resource): moves the metadata to the end.
  static void move_to_grown_end(uring_disk& disk, std::uint64_t old_device_bytes,
                                std::uint32_t max_peers, const std::string& grow_journal);

  // The device under this open metadata grew to disk.size_bytes(): the metadata moves to the new
  // end. Returns false when there is nothing to move (same size). Throws when the device shrank
  // below the metadata's usable size or an I/O fails (the old metadata then still rules).
  bool follow_grown_device(const std::string& grow_journal);

  const meta::internal_layout& layout() const { return layout_; }
  const meta::superblock& superblock() const { return sb_; }
  std::uint64_t usable_bytes() const { return layout_.usable_bytes; }

  // The persisted state of volume `number` (data_blocks: the core's view of the volume).
  volume_persistent_state state(volume_nr number, std::uint64_t data_blocks) const;

  // Makes `state` durable on the device. slots: the bitmap slot of each diskful peer;
  // volume_size_sectors: the volume's size, kept as the superblock's effective size (DRBD's
  // last agreed size) so a restart keeps a size grown by `resize`.
  void commit(const volume_persistent_state& state, const meta::bitmap_slots& slots,
              std::uint64_t volume_size_sectors);
  // The volume size the last commit recorded (0: fresh metadata, never committed).
  std::uint64_t recorded_size_bytes() const { return sb_.effective_size * kSectorBytes; }
  std::uint64_t commits() const { return commits_; }
  std::uint64_t bitmap_pages_written() const { return bitmap_pages_written_; }

  // A human-readable dump (tandemadm dump-md).
  std::string dump() const;

 private:
  static volume_metadata read_at(uring_disk& disk, std::uint64_t device_bytes,
                                 std::uint32_t max_peers);
  void move_to(std::uint64_t device_bytes, const std::string& grow_journal);

  volume_metadata(uring_disk& disk, std::uint64_t device_bytes, meta::internal_layout layout,
                  meta::superblock sb, std::vector<std::byte> bitmap_area, meta::al_snapshot al,
                  std::uint32_t al_extents);

  uring_disk* disk_;
  std::uint64_t device_bytes_ = 0;  // the device size the layout is for
  meta::internal_layout layout_;
  meta::superblock sb_;
  std::vector<std::byte> bitmap_area_;  // what the device holds
  meta::al_snapshot al_;
  std::uint32_t al_extents_;
  std::uint32_t next_tr_number_ = 0;
  std::uint64_t commits_ = 0;
  std::uint64_t bitmap_pages_written_ = 0;
};

}  // namespace tandem::engine
