// `--seeds A..B` (inclusive) or `--seeds COUNT` (from --seed, default 1) for tandem-sim sweep.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tandem::sim {

struct seed_range {
  std::uint64_t first = 1;
  std::uint64_t last = 1;  // inclusive
  std::uint64_t count() const { return last - first + 1; }
};

// "A..B" -> [A, B]; "COUNT" -> [first_if_count, first_if_count + COUNT - 1]. nullopt for anything
// else, an empty range (B < A, COUNT 0) included; `error` then says what is wrong.
std::optional<seed_range> parse_seed_range(const std::string& text, std::uint64_t first_if_count,
                                           std::string& error);

}  // namespace tandem::sim
