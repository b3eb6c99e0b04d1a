// Parsers for "zfs list -Hp" output (tab-separated, exact byte counts) and the mapping of zfs
// error messages onto error kinds. Pure functions; tests feed them recorded real output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/storage/storage_result.h"

namespace tandem::storage {

// zfs list -Hp -o name,type,volsize,used,referenced -t volume,snapshot -r <pool>
inline constexpr const char* kZfsListFields = "name,type,volsize,used,referenced";
struct zfs_dataset_row {
  std::string name;  // "tank/vm-100-disk-1_00000" or "tank/vm-100-disk-1_00000@snap1"
  std::string type;  // "volume", "snapshot", "filesystem"
  std::uint64_t volsize_bytes = 0;
  std::uint64_t used_bytes = 0;        // includes the refreservation of a thick volume
  std::uint64_t referenced_bytes = 0;  // data really written
};
result<std::vector<zfs_dataset_row>> parse_zfs_list(const std::string& text);

// zfs list -Hp -o name,used,available -t filesystem,volume <pool>
inline constexpr const char* kZfsSpaceFields = "name,used,available";
struct zfs_space_row {
  std::string name;
  std::uint64_t used_bytes = 0;
  std::uint64_t available_bytes = 0;
};
result<std::vector<zfs_space_row>> parse_zfs_space(const std::string& text);

// "dataset does not exist" -> not_found, "dataset already exists" -> already_exists,
// "out of space" -> insufficient_space, else command_failed.
error_kind classify_zfs_failure(const std::string& message);

}  // namespace tandem::storage
