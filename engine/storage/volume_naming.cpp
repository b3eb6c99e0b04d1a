#include "engine/storage/volume_naming.h"

#include <cctype>
#include <cstdio>

namespace tandem::storage {
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

status check_name(std::string_view what, std::string_view name) {
  if (name.empty()) {
    return make_error(error_kind::invalid_argument, std::string(what) + " name is empty");
  }
  if (name.size() > kMaxResourceNameLength) {
    return make_error(error_kind::invalid_argument,
                      std::string(what) + " name '" + std::string(name) + "' is longer than " +
                          std::to_string(kMaxResourceNameLength) + " characters");
  }
  if (std::isdigit(static_cast<unsigned char>(name.front())) != 0 || name.front() == '-') {
    return make_error(
        error_kind::invalid_argument,
        std::string(what) + " name '" + std::string(name) + "' must not start with a digit or '-'");
  }
  for (char c : name) {
    if (!is_name_char(c)) {
      return make_error(error_kind::invalid_argument,
                        std::string(what) + " name '" + std::string(name) +
                            "' contains a character other than letters, digits, '_' and '-'");
    }
  }
  return success();
}

}  // namespace

status check_resource_name(std::string_view resource) {
  return check_name("resource", resource);
}

status check_storage_pool_name(std::string_view pool) {
  return check_name("storage pool", pool);
}

status check_snapshot_name(std::string_view snapshot) {
  return check_name("snapshot", snapshot);
}

status check_volume_id(const volume_id& volume) {
  if (auto named = check_resource_name(volume.resource); !named) return named;
  if (volume.volume_number > kMaxVolumeNumber) {
    return make_error(error_kind::invalid_argument,
                      "volume number " + std::to_string(volume.volume_number) + " of resource '" +
                          volume.resource + "' is above " + std::to_string(kMaxVolumeNumber));
  }
  return success();
}

std::string volume_name(const volume_id& volume) {
  char number[8];
  std::snprintf(number, sizeof number, "%05u", volume.volume_number % (kMaxVolumeNumber + 1));
  return volume.resource + "_" + number;
}

std::optional<volume_id> parse_volume_name(std::string_view name) {
  constexpr std::size_t kSuffixLength = 6;  // "_00000"
  if (name.size() <= kSuffixLength) return std::nullopt;
  const std::string_view resource = name.substr(0, name.size() - kSuffixLength);
  const std::string_view suffix = name.substr(name.size() - kSuffixLength);
  if (suffix[0] != '_') return std::nullopt;
  std::uint32_t number = 0;
  for (char c : suffix.substr(1)) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return std::nullopt;
    number = number * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (!check_resource_name(resource)) return std::nullopt;
  return volume_id{std::string(resource), number};
}

}  // namespace tandem::storage
