#include "engine/storage/storage_provider.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace tandem::storage {
namespace {

struct kind_name {
  provider_kind kind;
  std::string_view rest_name;  // LINSTOR REST / JSON spelling
  std::string_view cli_name;   // linstor CLI "sp c <cli_name>"
};

constexpr std::array<kind_name, 7> kKindNames{{
    {provider_kind::diskless, "DISKLESS", "diskless"},
    {provider_kind::lvm, "LVM", "lvm"},
    {provider_kind::lvm_thin, "LVM_THIN", "lvmthin"},
    {provider_kind::zfs, "ZFS", "zfs"},
    {provider_kind::zfs_thin, "ZFS_THIN", "zfsthin"},
    {provider_kind::file, "FILE", "file"},
    {provider_kind::file_thin, "FILE_THIN", "filethin"},
}};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view to_string(provider_kind kind) {
  for (const kind_name& entry : kKindNames) {
    if (entry.kind == kind) return entry.rest_name;
  }
  return "UNKNOWN";
}

result<provider_kind> parse_provider_kind(std::string_view text) {
  for (const kind_name& entry : kKindNames) {
    if (equals_ignoring_case(text, entry.rest_name) || equals_ignoring_case(text, entry.cli_name)) {
      return entry.kind;
    }
  }
  std::string known;
  for (const kind_name& entry : kKindNames) {
    known += known.empty() ? "" : ", ";
    known += entry.rest_name;
  }
  return make_error(
      error_kind::invalid_argument,
      "unknown storage provider kind '" + std::string(text) + "' (known: " + known + ")");
}

bool is_thin(provider_kind kind) {
  return kind == provider_kind::lvm_thin || kind == provider_kind::zfs_thin ||
         kind == provider_kind::file_thin;
}

std::string_view to_string(copy_method method) {
  switch (method) {
    case copy_method::reflink: return "reflink";
    case copy_method::sparse_copy: return "sparse copy";
    case copy_method::lvm_thin_snapshot: return "LVM thin snapshot";
    case copy_method::zfs_snapshot: return "ZFS snapshot";
    case copy_method::zfs_clone: return "ZFS clone";
  }
  return "unknown";
}

result<std::optional<volume_info>> storage_provider::find_volume(const volume_id& volume,
                                                                 std::uint32_t peer_slots) {
  auto volumes = list_volumes(peer_slots);
  if (!volumes) return volumes.error();
  for (volume_info& info : volumes.value()) {
    if (info.volume == volume) return std::optional<volume_info>(std::move(info));
  }
  return std::optional<volume_info>();
}

}  // namespace tandem::storage
