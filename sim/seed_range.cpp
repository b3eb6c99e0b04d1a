#include "sim/seed_range.h"

#include <cstdlib>

namespace tandem::sim {
namespace {

std::optional<std::uint64_t> decimal(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return {};
  if (text.size() > 19) return {};  // keeps A..B and first + COUNT far from overflow
  return std::strtoull(text.c_str(), nullptr, 10);
}

}  // namespace

std::optional<seed_range> parse_seed_range(const std::string& text, std::uint64_t first_if_count,
                                           std::string& error) {
  const std::size_t dots = text.find("..");
  if (dots == std::string::npos) {
    const auto count = decimal(text);
    if (!count || *count == 0) {
      error = "--seeds needs a count (1 or more) or a range A..B, got '" + text + "'";
      return std::nullopt;
    }
    return seed_range{first_if_count, first_if_count + *count - 1};
  }
  const auto first = decimal(text.substr(0, dots));
  const auto last = decimal(text.substr(dots + 2));
  if (!first || !last) {
    error = "--seeds A..B needs two decimal numbers, got '" + text + "'";
    return std::nullopt;
  }
  if (*last < *first) {
    error = "--seeds " + text + " is empty (B is less than A)";
    return std::nullopt;
  }
  return seed_range{*first, *last};
}

}  // namespace tandem::sim
