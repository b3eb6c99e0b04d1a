// A `[sweep]` file: the built-in random schedule (sim/sweep.h) with its options and one seed, as a
// failing sweep writes it for `tandem-sim replay`, and as `tandem-sim sweep FILE` accepts it (then
// the sweep's seeds replace the file's). The only way to ask for a planted core bug outside
// `tandem-sim selftest`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/sweep.h"

namespace tandem::sim {

struct sweep_config {
  std::uint64_t seed = 1;
  sweep_options options;
};

struct sweep_config_load {
  std::optional<sweep_config> value;
  std::string error;  // "<file>:<line>: <what is wrong>", like the scenario errors
};

// Whether the text is a `[sweep]` file rather than a scenario (it has a top-level `sweep` table).
bool looks_like_sweep_config(std::string_view text);

sweep_config_load parse_sweep_config(std::string_view text, const std::string& path);

// The file parse_sweep_config reads back to the same seed and options.
std::string format_sweep_config(const sweep_config& config);

}  // namespace tandem::sim
