// The shape of the latencies a link or a disk draws within its [min, max] range. Uniform over the
// range is the default and was the only shape before this file existed; normal, exponential and
// Pareto (heavy-tailed) are clamped to the range, so a scenario's range keeps its meaning: no
// draw leaves it, whatever the shape.
//
// Every draw comes from the simulator's prng through our own transforms (inverse CDFs, the polar
// form of Box-Muller, sim/portable_math.h), never from std:: distributions, whose algorithms
// differ between standard libraries: a run stays a pure function of (scenario, seed). A uniform
// draw is exactly prng::between(min, max), as before, so runs that keep the default shape draw
// the same numbers and keep their trace hashes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sim/prng.h"

namespace tandem::sim {

enum class latency_kind : std::uint8_t { uniform, normal, exponential, pareto };

std::optional<latency_kind> parse_latency_kind(std::string_view text);
const char* to_string(latency_kind kind);

// What a shape needs besides the range. The mean is the one of the unclamped distribution.
struct latency_shape {
  latency_kind kind = latency_kind::uniform;
  // normal: the centre; exponential and Pareto: min plus the mean of the part above min. Unset:
  // the midpoint of the range.
  std::optional<std::uint64_t> mean_ns;
  std::optional<std::uint64_t> stddev_ns;  // normal; unset: a sixth of the range (+-3 sigma)
  double pareto_shape = 2.0;  // Pareto's tail index alpha, > 1 (a finite mean); smaller: heavier
};

// The mean (set, or the midpoint) and standard deviation (set, or a sixth of the range) in force.
std::uint64_t mean_in_force_ns(std::uint64_t min_ns, std::uint64_t max_ns,
                               const latency_shape& shape);
std::uint64_t stddev_in_force_ns(std::uint64_t min_ns, std::uint64_t max_ns,
                                 const latency_shape& shape);

// One latency in [min_ns, max_ns] (min_ns <= max_ns).
std::uint64_t draw_latency_ns(std::uint64_t min_ns, std::uint64_t max_ns,
                              const latency_shape& shape, prng& random);

}  // namespace tandem::sim
