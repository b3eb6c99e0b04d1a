#include "engine/daemon/volume_metadata.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "core/meta/activity_log.h"
#include "core/meta/bitmap_area.h"
#include "engine/daemon/grow_journal.h"

namespace tandem::engine {
namespace {

template <typename T>
T must(meta::result<T> r, const std::string& device, const std::string& what) {
  if (!r.ok()) throw std::runtime_error(device + ": " + what + ": " + r.message());
  return std::move(r).value();
}

meta::al_ring ring_of(const meta::superblock& sb, const std::string& device) {
  return must(meta::al_ring::make(sb.al_stripes, sb.al_stripe_size_4k), device, "activity log");
}

void write_transactions(uring_disk& disk, const meta::internal_layout& layout,
                        const meta::al_ring& ring,
                        const std::vector<meta::al_transaction>& transactions) {
  for (const auto& tr : transactions) {
    const auto block = must(meta::encode_al_transaction(tr), disk.path(), "activity log");
    disk.write_sync(layout.al_area_offset_bytes() +
                        std::uint64_t{ring.position(tr.tr_number)} * meta::kAlTransactionBytes,
                    block.data(), block.size());
  }
}

// The whole metadata region, bitmap area to superblock: md_size_sect covers exactly that.
std::uint64_t metadata_region_bytes(const meta::internal_layout& layout) {
  return std::uint64_t{layout.md_size_sectors} * meta::kMetaSectorBytes;
}

// `sb` describing the same metadata placed by `layout` (the offsets the superblock stores).
meta::superblock placed_by(meta::superblock sb, const meta::internal_layout& layout) {
  sb.md_size_sect = layout.md_size_sectors;
  sb.al_offset = layout.al_offset_sectors;
  sb.bm_offset = layout.bm_offset_sectors;
  return sb;
}

// Whether the superblock at the device's end is the journal's, moved: the move finished. Anything
// else there (nothing, or leftovers of an earlier volume on a thick LV) means it did not.
bool move_finished(uring_disk& disk, const grow_journal_entry& entry, std::uint32_t max_peers) {
  const std::span<const std::byte> old_block(entry.image.data() + entry.image.size() -
                                                 meta::kSuperblockBytes,
                                             meta::kSuperblockBytes);
  const auto moved = meta::decode_superblock(old_block, entry.old_device_bytes);
  const auto layout = meta::compute_internal_layout(disk.size_bytes(), max_peers);
  if (!moved.ok() || !layout.ok()) return false;
  const auto expected = meta::encode_superblock(placed_by(moved.value(), layout.value()));
  std::vector<std::byte> at_end(meta::kSuperblockBytes);
  disk.read_sync(layout.value().md_offset_bytes, at_end.data(), at_end.size());
  return std::equal(at_end.begin(), at_end.end(), expected.begin(), expected.end());
}

}  // namespace

void volume_metadata::create(uring_disk& disk, const create_md_options& options, bool force) {
  const auto layout = must(meta::compute_internal_layout(disk.size_bytes(), options.max_peers),
                           disk.path(), "device too small or bad max-peers");
  if (!force) {
    std::vector<std::byte> existing(meta::kSuperblockBytes);
    disk.read_sync(layout.md_offset_bytes, existing.data(), existing.size());
    if (meta::decode_superblock(existing, disk.size_bytes()).ok()) {
      throw std::runtime_error(disk.path() +
                               ": already holds tandem metadata (use --force to overwrite it)");
    }
  }
  meta::superblock sb =
      must(meta::make_created_superblock(disk.size_bytes(), options.max_peers, options.node_id,
                                         options.al_extents),
           disk.path(), "create-md");
  if (options.day0_uuid) {
    // Neither flag: not Primary, and not a sync UUID (which no node takes for an ancestor).
    sb.current_uuid = *options.day0_uuid & ~(kUuidPrimaryFlag | kUuidSyncFlag);
    sb.flags |= meta::mdf::kConsistent | meta::mdf::kWasUpToDate;
  }
  const std::vector<std::byte> zero_bitmap(layout.bitmap_bytes);
  disk.write_sync(layout.bm_area_offset_bytes(), zero_bitmap.data(), zero_bitmap.size());
  const auto ring = ring_of(sb, disk.path());
  const auto al = must(meta::initialized_al_area(ring, sb.al_nr_extents), disk.path(), "create-md");
  disk.write_sync(layout.al_area_offset_bytes(), al.data(), al.size());
  const auto block = meta::encode_superblock(sb);
  disk.write_sync(layout.md_offset_bytes, block.data(), block.size());
  disk.flush_sync();
}

volume_metadata volume_metadata::load(uring_disk& disk, std::uint32_t max_peers,
                                      std::uint32_t al_extents, const std::string& grow_journal) {
  (void)al_extents;  // the on-disk al_nr_extents rules until the next create-md
  if (!grow_journal.empty() && std::filesystem::exists(grow_journal)) {
    const grow_journal_entry entry = read_grow_journal(grow_journal);
    const auto old_layout = must(meta::compute_internal_layout(entry.old_device_bytes, max_peers),
                                 grow_journal, "old metadata layout");
    if (metadata_region_bytes(old_layout) != entry.image.size()) {
      throw std::runtime_error(grow_journal + ": the metadata image does not fit a " +
                               std::to_string(entry.old_device_bytes) + "-byte device with " +
                               std::to_string(max_peers) + " peer slots");
    }
    if (move_finished(disk, entry, max_peers)) {
      std::filesystem::remove(grow_journal);  // a crash came between the move and the removal
    } else {
      // The move was interrupted: put the old metadata back where it was and move it again.
      disk.write_sync(old_layout.bm_area_offset_bytes(), entry.image.data(), entry.image.size());
      disk.flush_sync();
      move_to_grown_end(disk, entry.old_device_bytes, max_peers, grow_journal);
    }
  }
  return read_at(disk, disk.size_bytes(), max_peers);
}

volume_metadata volume_metadata::read_at(uring_disk& disk, std::uint64_t device_bytes,
                                         std::uint32_t max_peers) {
  const auto layout = must(meta::compute_internal_layout(device_bytes, max_peers), disk.path(),
                           "metadata layout");
  std::vector<std::byte> sb_bytes(meta::kSuperblockBytes);
  disk.read_sync(layout.md_offset_bytes, sb_bytes.data(), sb_bytes.size());
  auto sb = meta::decode_superblock(sb_bytes, device_bytes);
  if (!sb.ok()) {
    throw std::runtime_error("no valid tandem metadata on " + disk.path() + " (" + sb.message() +
                             "): run `tandemadm create-md` first");
  }
  if (sb.value().bm_max_peers != max_peers) {
    throw std::runtime_error(disk.path() + ": metadata has " +
                             std::to_string(sb.value().bm_max_peers) +
                             " bitmap slots but the resource file says max-peers " +
                             std::to_string(max_peers));
  }
  std::vector<std::byte> bitmap_area(layout.bitmap_bytes);
  disk.read_sync(layout.bm_area_offset_bytes(), bitmap_area.data(), bitmap_area.size());
  const auto ring = ring_of(sb.value(), disk.path());
  std::vector<std::byte> al_area(ring.bytes());
  disk.read_sync(layout.al_area_offset_bytes(), al_area.data(), al_area.size());
  auto al = must(meta::rebuild_activity_log(al_area, ring, sb.value().al_nr_extents), disk.path(),
                 "activity log");
  return volume_metadata(disk, device_bytes, layout, sb.value(), std::move(bitmap_area),
                         std::move(al), sb.value().al_nr_extents);
}

void volume_metadata::move_to_grown_end(uring_disk& disk, std::uint64_t old_device_bytes,
                                        std::uint32_t max_peers,
                                        const std::string& grow_journal) {
  volume_metadata old = read_at(disk, old_device_bytes, max_peers);
  old.move_to(disk.size_bytes(), grow_journal);
}

bool volume_metadata::follow_grown_device(const std::string& grow_journal) {
  if (disk_->size_bytes() == device_bytes_) return false;
  move_to(disk_->size_bytes(), grow_journal);
  return true;
}

void volume_metadata::move_to(std::uint64_t device_bytes, const std::string& grow_journal) {
  const auto layout = must(meta::compute_internal_layout(device_bytes, sb_.bm_max_peers),
                           disk_->path(), "metadata layout of the grown device");
  if (layout.usable_bytes < layout_.usable_bytes) {
    throw std::runtime_error(disk_->path() + ": the device shrank from " +
                             std::to_string(device_bytes_) + " to " +
                             std::to_string(device_bytes) +
                             " bytes; tandem volumes only grow (the metadata stays where it is)");
  }
  if (layout == layout_) {
    device_bytes_ = device_bytes;
    return;
  }
  // The old metadata, as the device holds it: what the journal keeps and where the AL ring
  // (position independent) is copied from.
  const std::uint64_t old_start = layout_.bm_area_offset_bytes();
  std::vector<std::byte> image(metadata_region_bytes(layout_));
  disk_->read_sync(old_start, image.data(), image.size());
  if (!grow_journal.empty()) write_grow_journal(grow_journal, {device_bytes_, image});

  auto old_slots = must(meta::decode_bitmap_area(bitmap_area_, sb_.bm_max_peers,
                                                 layout_.bitmap_bits),
                        disk_->path(), "bitmap area");
  std::vector<block_bitmap> slots;
  for (const auto& old_slot : old_slots) {
    block_bitmap slot(layout.bitmap_bits);
    slot.merge_words(0, old_slot.words());
    slots.push_back(std::move(slot));
  }
  auto area = must(meta::encode_bitmap_area(slots, sb_.bm_max_peers), disk_->path(), "bitmap area");
  area.resize(layout.bitmap_bytes);
  const meta::superblock sb = placed_by(sb_, layout);

  disk_->write_sync(layout.bm_area_offset_bytes(), area.data(), area.size());
  disk_->write_sync(layout.al_area_offset_bytes(),
                    image.data() + (layout_.al_area_offset_bytes() - old_start),
                    layout_.al_area_bytes());
  disk_->flush_sync();  // everything the superblock points at is durable before it
  const auto block = meta::encode_superblock(sb);
  disk_->write_sync(layout.md_offset_bytes, block.data(), block.size());
  disk_->flush_sync();
  if (!grow_journal.empty()) std::filesystem::remove(grow_journal);

  device_bytes_ = device_bytes;
  layout_ = layout;
  sb_ = sb;
  bitmap_area_ = std::move(area);
}

volume_metadata::volume_metadata(uring_disk& disk, std::uint64_t device_bytes,
                                 meta::internal_layout layout, meta::superblock sb,
                                 std::vector<std::byte> bitmap_area, meta::al_snapshot al,
                                 std::uint32_t al_extents)
    : disk_(&disk),
      device_bytes_(device_bytes),
      layout_(layout),
      sb_(sb),
      bitmap_area_(std::move(bitmap_area)),
      al_(std::move(al)),
      al_extents_(al_extents),
      next_tr_number_(al_.newest_tr_number + 1) {}

volume_persistent_state volume_metadata::state(volume_nr number, std::uint64_t data_blocks) const {
  auto slots = must(meta::decode_bitmap_area(bitmap_area_, sb_.bm_max_peers, layout_.bitmap_bits),
                    disk_->path(), "bitmap area");
  return meta::state_from_metadata(number, sb_, slots, al_, data_blocks);
}

void volume_metadata::commit(const volume_persistent_state& state,
                             const meta::bitmap_slots& slots, std::uint64_t volume_size_sectors) {
  const auto area = must(meta::bitmap_area_for(state, slots, layout_, sb_.bm_max_peers),
                         disk_->path(), "bitmap");
  for (std::size_t page = 0; page < area.size(); page += meta::kMetaBlockBytes) {
    const std::size_t length = std::min<std::size_t>(meta::kMetaBlockBytes, area.size() - page);
    if (std::memcmp(area.data() + page, bitmap_area_.data() + page, length) == 0) continue;
    disk_->write_sync(layout_.bm_area_offset_bytes() + page, area.data() + page, length);
    std::memcpy(bitmap_area_.data() + page, area.data() + page, length);
    ++bitmap_pages_written_;
  }
  const auto transactions =
      meta::al_snapshot_transactions(state.active_extents, al_extents_, next_tr_number_);
  write_transactions(*disk_, layout_, ring_of(sb_, disk_->path()), transactions);
  next_tr_number_ += static_cast<std::uint32_t>(transactions.size());
  al_.hot.clear();
  for (std::size_t i = 0; i < state.active_extents.size(); ++i) {
    al_.hot[static_cast<std::uint16_t>(i)] = static_cast<std::uint32_t>(state.active_extents[i]);
  }
  sb_ = meta::superblock_for(sb_, state, slots);
  sb_.effective_size = std::min(volume_size_sectors, layout_.usable_bytes / kSectorBytes);
  const auto block = meta::encode_superblock(sb_);
  disk_->write_sync(layout_.md_offset_bytes, block.data(), block.size());
  disk_->flush_sync();
  ++commits_;
}

std::string volume_metadata::dump() const {
  std::ostringstream out;
  out << std::hex;
  out << "device          " << disk_->path() << "\n" << std::dec;
  out << "device-bytes    " << device_bytes_ << "\n";
  out << "usable-bytes    " << layout_.usable_bytes << "\n";
  out << "md-size-sectors " << layout_.md_size_sectors << "\n";
  out << "node-id         " << sb_.node_id << "\n";
  out << "max-peers       " << sb_.bm_max_peers << "\n";
  out << "al-extents      " << sb_.al_nr_extents << "\n";
  out << std::hex << "current-uuid    " << sb_.current_uuid << "\n";
  out << "flags           0x" << sb_.flags << std::dec;
  if (sb_.flags & meta::mdf::kConsistent) out << " consistent";
  if (sb_.flags & meta::mdf::kWasUpToDate) out << " was-up-to-date";
  if (sb_.flags & meta::mdf::kPrimaryInd) out << " primary";
  if (sb_.flags & meta::mdf::kCrashedPrimary) out << " crashed-primary";
  out << "\n";
  out << std::hex << "history         ";
  for (auto uuid : sb_.history_uuids) {
    if (uuid != 0) out << uuid << " ";
  }
  out << std::dec << "\n";
  const auto slots =
      meta::decode_bitmap_area(bitmap_area_, sb_.bm_max_peers, layout_.bitmap_bits);
  for (std::size_t node = 0; node < meta::kSuperblockPeerSlots; ++node) {
    const auto& peer = sb_.peers[node];
    if (peer.bitmap_index < 0) continue;
    out << "peer node " << node << ": slot " << peer.bitmap_index << std::hex << " bitmap-uuid "
        << peer.bitmap_uuid << std::dec;
    if (slots.ok()) {
      out << " out-of-sync-blocks "
          << slots.value()[static_cast<std::size_t>(peer.bitmap_index)].count();
    }
    out << "\n";
  }
  out << "activity-log    " << al_.hot.size() << " hot extents:";
  for (const auto& [slot, extent] : al_.hot) out << " " << extent;
  out << "\n";
  return out.str();
}

}  // namespace tandem::engine
