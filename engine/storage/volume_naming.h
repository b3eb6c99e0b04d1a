// LINSTOR's names for backing volumes and snapshots, and the checks that keep a name from ever
// escaping its pool (a resource called "../etc" must not become a path).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/storage/storage_provider.h"

namespace tandem::storage {

// LINSTOR resource names: 1..48 characters of [A-Za-z0-9_-], not starting with a digit or '-'.
inline constexpr std::size_t kMaxResourceNameLength = 48;
// Volume numbers are printed with five digits.
inline constexpr std::uint32_t kMaxVolumeNumber = 99'999;

status check_resource_name(std::string_view resource);
// Storage pool and snapshot names follow the resource name rules.
status check_storage_pool_name(std::string_view pool);
status check_snapshot_name(std::string_view snapshot);
status check_volume_id(const volume_id& volume);

// "vm-100-disk-1_00000". Requires a valid volume id.
std::string volume_name(const volume_id& volume);
// Inverse of volume_name: nullopt for names that do not follow the pattern.
std::optional<volume_id> parse_volume_name(std::string_view name);

}  // namespace tandem::storage
