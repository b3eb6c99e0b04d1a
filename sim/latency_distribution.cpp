#include "sim/latency_distribution.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "sim/portable_math.h"

namespace tandem::sim {
namespace {

// Uniform in (0, 1), never 0 (so its logarithm is finite): the top 53 bits of a draw, centred in
// their interval. Exact in double arithmetic.
double unit_open(prng& random) {
  return (static_cast<double>(random.next() >> 11) + 0.5) * 0x1.0p-53;
}

// A standard normal deviate by Marsaglia's polar form of Box-Muller: only a logarithm and a
// square root (IEEE-exact), no trigonometry. A pair is accepted with probability pi/4; after 64
// rejections in a row (probability 1e-43) it gives the centre rather than loop without bound.
double standard_normal(prng& random) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    const double v1 = 2.0 * unit_open(random) - 1.0;
    const double v2 = 2.0 * unit_open(random) - 1.0;
    const double s = v1 * v1 + v2 * v2;
    if (s > 0.0 && s < 1.0) return v1 * std::sqrt(-2.0 * portable_ln(s) / s);
  }
  return 0.0;
}

// The excess above min of the exponential and the Pareto, by their inverse CDFs.
double exponential_excess(double mean_excess, prng& random) {
  return -portable_ln(unit_open(random)) * mean_excess;
}

// Lomax (Pareto type II, shifted to start at 0): P(X > x) = (1 + x / scale)^-alpha, whose mean
// scale / (alpha - 1) is `mean_excess`. u^(-1/alpha) - 1 = exp(-ln(u) / alpha) - 1, with
// -ln(u) <= 37.5 for the u unit_open gives, so the exponent stays far from overflow.
double pareto_excess(double mean_excess, double alpha, prng& random) {
  const double scale = mean_excess * (alpha - 1.0);
  return scale * (portable_exp(-portable_ln(unit_open(random)) / alpha) - 1.0);
}

}  // namespace

std::optional<latency_kind> parse_latency_kind(std::string_view text) {
  if (text == "uniform") return latency_kind::uniform;
  if (text == "normal") return latency_kind::normal;
  if (text == "exponential") return latency_kind::exponential;
  if (text == "pareto") return latency_kind::pareto;
  return std::nullopt;
}

const char* to_string(latency_kind kind) {
  switch (kind) {
    case latency_kind::uniform: return "uniform";
    case latency_kind::normal: return "normal";
    case latency_kind::exponential: return "exponential";
    case latency_kind::pareto: return "pareto";
  }
  return "?";
}

std::uint64_t mean_in_force_ns(std::uint64_t min_ns, std::uint64_t max_ns,
                               const latency_shape& shape) {
  return shape.mean_ns.value_or(min_ns + (max_ns - min_ns) / 2);
}

std::uint64_t stddev_in_force_ns(std::uint64_t min_ns, std::uint64_t max_ns,
                                 const latency_shape& shape) {
  return shape.stddev_ns.value_or((max_ns - min_ns) / 6);
}

std::uint64_t draw_latency_ns(std::uint64_t min_ns, std::uint64_t max_ns,
                              const latency_shape& shape, prng& random) {
  assert(min_ns <= max_ns);
  if (shape.kind == latency_kind::uniform) return random.between(min_ns, max_ns);
  const auto mean = static_cast<double>(mean_in_force_ns(min_ns, max_ns, shape));
  const auto low = static_cast<double>(min_ns);
  double value = low;
  switch (shape.kind) {
    case latency_kind::uniform: break;
    case latency_kind::normal:
      value = mean + static_cast<double>(stddev_in_force_ns(min_ns, max_ns, shape)) *
                         standard_normal(random);
      break;
    case latency_kind::exponential:
      value = low + exponential_excess(std::max(0.0, mean - low), random);
      break;
    case latency_kind::pareto:
      assert(shape.pareto_shape > 1.0);
      value = low + pareto_excess(std::max(0.0, mean - low), shape.pareto_shape, random);
      break;
  }
  // Clamped while still a double: a far tail draw must not overflow the conversion.
  value = std::clamp(value, low, static_cast<double>(max_ns));
  return std::clamp(static_cast<std::uint64_t>(std::llround(value)), min_ns, max_ns);
}

}  // namespace tandem::sim
