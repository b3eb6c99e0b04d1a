// The storage layer of the satellite (LINSTOR's "storage providers"): one interface, one
// implementation per provider kind (FILE, FILE_THIN, LVM, LVM_THIN, ZFS, ZFS_THIN, DISKLESS).
// A provider manages the backing volumes of ONE storage pool on this node. Sizes are KiB, as in
// LINSTOR's REST API. See docs/storage-providers.md for the commands each kind runs.
//
// Sizes: the caller asks for the *usable* size (LINSTOR's volume-definition size_kib). The
// provider adds DRBD's internal metadata for the given number of peer slots (core/meta/size.h)
// and rounds the sum up to its allocation unit, so 1 GiB on an LVM pool with 4 MiB extents becomes
// a 1052672 KiB (257 extent) LV. The result reports that gross size and the usable size it yields.
//
// Threading: a provider is not thread-safe; the satellite calls one provider from one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/storage/storage_result.h"

namespace tandem::storage {

// LINSTOR's default number of DRBD peer slots (bitmaps) in internal metadata.
inline constexpr std::uint32_t kDefaultPeerSlots = 7;

enum class provider_kind { diskless, lvm, lvm_thin, zfs, zfs_thin, file, file_thin };

// "LVM_THIN" etc., LINSTOR's REST spelling.
std::string_view to_string(provider_kind kind);
// Accepts LINSTOR's REST spelling in any case ("LVM_THIN", "lvm_thin") and the CLI's
// ("lvmthin", "zfsthin", "filethin"). Unknown names give an error listing the known ones.
result<provider_kind> parse_provider_kind(std::string_view text);
bool is_thin(provider_kind kind);

// One volume of one resource: LINSTOR names its backing volume "<resource>_<5-digit number>",
// e.g. "vm-100-disk-1_00000".
struct volume_id {
  std::string resource;
  std::uint32_t volume_number = 0;
  friend bool operator==(const volume_id&, const volume_id&) = default;
};

struct create_request {
  volume_id volume;
  std::uint64_t usable_kib = 0;  // what the user asked for (net size)
  // DRBD internal metadata to add on top; 0 peer slots = no metadata (external or none: the gross
  // size is the usable size rounded to the allocation unit).
  std::uint32_t peer_slots = kDefaultPeerSlots;
};

struct volume_info {
  volume_id volume;
  std::string name;         // provider-side name: "vm-100-disk-1_00000"
  std::string device_path;  // what tandemd opens: a file, /dev/<vg>/<lv>, /dev/zvol/<pool>/<name>
                            // or a loop device; empty for DISKLESS
  std::uint64_t gross_kib = 0;      // size of the backing volume
  std::uint64_t usable_kib = 0;     // gross minus internal metadata (0 peer slots: = gross)
  std::uint64_t allocated_kib = 0;  // space really taken from the pool (thin: less than gross)
};

struct capacity_info {
  std::uint64_t total_kib = 0;
  std::uint64_t free_kib = 0;
};

// How a snapshot or a restore was made (FILE_THIN reports whether reflink was available).
enum class copy_method { reflink, sparse_copy, lvm_thin_snapshot, zfs_snapshot, zfs_clone };
std::string_view to_string(copy_method method);

struct snapshot_info {
  volume_id volume;           // the volume the snapshot was taken of
  std::string name;           // the snapshot name given by the caller ("snap1")
  std::string provider_name;  // "vm-100-disk-1_00000_snap1", "pool/vm-100-disk-1_00000@snap1"
  std::uint64_t gross_kib = 0;
  // Known for the snapshot create_snapshot just made; listings cannot tell a reflink from a copy.
  std::optional<copy_method> method;
};

struct restored_volume {
  volume_info volume;
  copy_method method = copy_method::reflink;
};

class storage_provider {
 public:
  virtual ~storage_provider() = default;

  virtual provider_kind kind() const = 0;
  // The LINSTOR storage pool name ("pool1") and where it lives (directory, VG, VG/thinpool, zpool).
  virtual const std::string& pool_name() const = 0;
  virtual const std::string& source() const = 0;

  // Total and free space of the pool. Thin pools report the thin pool's data size and what is not
  // yet allocated in it. Fails with not_found when the pool (VG, directory, zpool) is missing.
  virtual result<capacity_info> capacity() = 0;
  // The allocation unit the gross size is rounded up to (LVM: the VG's extent size).
  virtual result<std::uint64_t> allocation_granularity_kib() = 0;

  // Fails with already_exists if the volume exists, insufficient_space if the pool cannot hold it
  // (thick kinds), invalid_argument for a bad name or a zero size.
  virtual result<volume_info> create_volume(const create_request& request) = 0;
  // Grows the volume so that its usable size is at least new_usable_kib (metadata recomputed for
  // peer_slots). Asking for less than the current usable size is refused (shrinking would cut
  // replicated data); asking for what it already has is a no-op that returns the volume.
  virtual result<volume_info> resize_volume(const volume_id& volume, std::uint64_t new_usable_kib,
                                            std::uint32_t peer_slots) = 0;
  // Fails with not_found if the volume does not exist.
  virtual status delete_volume(const volume_id& volume) = 0;
  // The pool's volumes that follow the "<resource>_<nnnnn>" naming; other content is ignored.
  // A listing cannot tell how much metadata a volume carries: usable_kib is computed for the
  // caller's peer_slots (kDefaultPeerSlots unless the resource definition says otherwise).
  virtual result<std::vector<volume_info>> list_volumes(std::uint32_t peer_slots) = 0;
  // Convenience over list_volumes: nullopt when the volume does not exist.
  result<std::optional<volume_info>> find_volume(const volume_id& volume,
                                                 std::uint32_t peer_slots);

  // Snapshots (LVM_THIN, ZFS, ZFS_THIN, FILE, FILE_THIN; thick LVM and DISKLESS answer
  // unsupported, as LINSTOR does).
  virtual bool supports_snapshots() const = 0;
  virtual result<snapshot_info> create_snapshot(const volume_id& volume,
                                                const std::string& snapshot_name) = 0;
  virtual status delete_snapshot(const volume_id& volume, const std::string& snapshot_name) = 0;
  virtual result<std::vector<snapshot_info>> list_snapshots() = 0;
  // Creates a new volume `target` (typically of another resource definition) with the snapshot's
  // content and size. Fails with already_exists if target exists.
  virtual result<restored_volume> restore_snapshot(
      const volume_id& source, const std::string& snapshot_name, const volume_id& target,
      std::uint32_t peer_slots) = 0;
};

}  // namespace tandem::storage
