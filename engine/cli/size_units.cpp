#include "engine/cli/size_units.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <limits>

namespace tandem::cli {
namespace {

struct unit_spelling {
  std::string_view name;  // as LINSTOR lists it; matched case-insensitively
  size_unit unit;
};

constexpr std::array<unit_spelling, 16> kUnits = {{
    {"B", size_unit::bytes},
    {"K", size_unit::kib},
    {"kB", size_unit::kb},
    {"KiB", size_unit::kib},
    {"M", size_unit::mib},
    {"MB", size_unit::mb},
    {"MiB", size_unit::mib},
    {"G", size_unit::gib},
    {"GB", size_unit::gb},
    {"GiB", size_unit::gib},
    {"T", size_unit::tib},
    {"TB", size_unit::tb},
    {"TiB", size_unit::tib},
    {"P", size_unit::pib},
    {"PB", size_unit::pb},
    {"PiB", size_unit::pib},
}};

std::uint64_t bytes_per(size_unit unit) {
  switch (unit) {
    case size_unit::bytes: return 1;
    case size_unit::kib: return 1ull << 10;
    case size_unit::mib: return 1ull << 20;
    case size_unit::gib: return 1ull << 30;
    case size_unit::tib: return 1ull << 40;
    case size_unit::pib: return 1ull << 50;
    case size_unit::kb: return 1000ull;
    case size_unit::mb: return 1000ull * 1000;
    case size_unit::gb: return 1000ull * 1000 * 1000;
    case size_unit::tb: return 1000ull * 1000 * 1000 * 1000;
    case size_unit::pb: return 1000ull * 1000 * 1000 * 1000 * 1000;
  }
  return 1;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string valid_units_list() {
  std::string list;
  for (const auto& spelling : kUnits) {
    if (!list.empty()) list += ", ";
    list += spelling.name;
  }
  return list;
}

}  // namespace

expected<std::uint64_t> parse_size_kib(std::string_view text, size_unit default_unit) {
  const std::string quoted = "size '" + std::string(text) + "'";
  std::size_t pos = 0;
  std::uint64_t number = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    const std::uint64_t digit = static_cast<std::uint64_t>(text[pos] - '0');
    if (number > (kMax - digit) / 10) return failure{quoted + " is too large"};
    number = number * 10 + digit;
    ++pos;
  }
  if (pos == 0) return failure{quoted + " is not a number (expected e.g. 10G, 512MiB, 100GB)"};
  while (pos < text.size() && text[pos] == ' ') ++pos;
  std::size_t unit_end = pos;
  while (unit_end < text.size() && !std::isdigit(static_cast<unsigned char>(text[unit_end]))) {
    ++unit_end;
  }
  const std::string_view unit_text = text.substr(pos, unit_end - pos);
  if (unit_end != text.size()) {
    return failure{quoted + " has trailing characters after the unit '" + std::string(unit_text) +
                   "'"};
  }
  size_unit unit = default_unit;
  if (!unit_text.empty()) {
    bool found = false;
    for (const auto& spelling : kUnits) {
      if (equal_ignoring_case(unit_text, spelling.name)) {
        unit = spelling.unit;
        found = true;
        break;
      }
    }
    if (!found) {
      return failure{quoted + ": '" + std::string(unit_text) +
                     "' is not a valid unit (valid units: " + valid_units_list() + ")"};
    }
  }
  const std::uint64_t factor = bytes_per(unit);
  if (number > kMax / factor) return failure{quoted + " is too large"};
  const std::uint64_t bytes = number * factor;
  return bytes / 1024 + (bytes % 1024 != 0 ? 1 : 0);
}

std::string format_size_kib(std::uint64_t size_kib) {
  constexpr std::array<const char*, 5> kNames = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t index = 0;
  std::uint64_t magnitude = 1;  // in KiB
  while (index + 1 < kNames.size() && size_kib >= (magnitude << 10)) {
    magnitude <<= 10;
    ++index;
  }
  char text[64];
  if (size_kib % magnitude == 0) {
    std::snprintf(text, sizeof text, "%llu %s",
                  static_cast<unsigned long long>(size_kib / magnitude), kNames[index]);
  } else {
    std::snprintf(text, sizeof text, "%.2f %s",
                  static_cast<double>(size_kib) / static_cast<double>(magnitude), kNames[index]);
  }
  return text;
}

}  // namespace tandem::cli
