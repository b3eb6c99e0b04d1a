// The latency shapes (sim/latency_distribution.h) and the arithmetic under them
// (sim/portable_math.h): every draw stays in [min, max], the mean comes out near the one asked for,
// the same seed draws the same numbers, and uniform draws exactly what prng::between draws (the
// trace hashes of scenarios without the new keys depend on it).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "sim/latency_distribution.h"
#include "sim/portable_math.h"

using namespace tandem::sim;

namespace {

constexpr int kSamples = 200'000;

struct summary {
  std::uint64_t low = ~std::uint64_t{0};
  std::uint64_t high = 0;
  double mean = 0.0;
  double stddev = 0.0;
  int at_max = 0;
};

summary draw_many(std::uint64_t min_ns, std::uint64_t max_ns, const latency_shape& shape,
                  std::uint64_t seed) {
  prng random(seed);
  std::vector<double> values;
  summary s;
  double sum = 0.0;
  for (int i = 0; i < kSamples; ++i) {
    const std::uint64_t v = draw_latency_ns(min_ns, max_ns, shape, random);
    s.low = std::min(s.low, v);
    s.high = std::max(s.high, v);
    s.at_max += v == max_ns ? 1 : 0;
    values.push_back(static_cast<double>(v));
    sum += static_cast<double>(v);
  }
  s.mean = sum / kSamples;
  double squares = 0.0;
  for (double v : values) squares += (v - s.mean) * (v - s.mean);
  s.stddev = std::sqrt(squares / kSamples);
  return s;
}

latency_shape shaped(latency_kind kind, std::uint64_t mean_ns) {
  latency_shape shape;
  shape.kind = kind;
  shape.mean_ns = mean_ns;
  return shape;
}

}  // namespace

TEST_CASE("portable ln and exp agree with the C library to a few units in the last place") {
  for (double x : {1e-300, 1e-17, 0x1.0p-54, 0.001, 0.3, 0.5, 0.7071, 1.0, 1.0000001, 2.0, 10.0,
                   12345.678, 1e300}) {
    CHECK(std::abs(portable_ln(x) - std::log(x)) <= 4e-16 * std::max(1.0, std::abs(std::log(x))));
  }
  CHECK(portable_ln(1.0) == 0.0);
  for (double x : {-700.0, -37.5, -1.0, -1e-9, 0.0, 0.25, 0.5, 1.0, 3.0, 37.5, 700.0}) {
    CHECK(std::abs(portable_exp(x) - std::exp(x)) <= 8e-16 * std::exp(x));
  }
  CHECK(portable_exp(0.0) == 1.0);
  // Pinned bits: a change here changes every run that draws a shaped latency.
  CHECK(portable_ln(0.3) == -0x1.34378fcbda721p+0);
  CHECK(portable_exp(2.5) == 0x1.85d6fd931e0bbp+3);
}

TEST_CASE("a uniform latency draws exactly what prng::between draws") {
  prng shaped_random(5), plain_random(5);
  const latency_shape uniform;
  for (int i = 0; i < 1000; ++i) {
    CHECK(draw_latency_ns(50'000, 200'000, uniform, shaped_random) ==
          plain_random.between(50'000, 200'000));
  }
}

TEST_CASE("every shape stays within [min, max] and is a pure function of the seed") {
  for (latency_kind kind : {latency_kind::uniform, latency_kind::normal, latency_kind::exponential,
                            latency_kind::pareto}) {
    CAPTURE(to_string(kind));
    latency_shape shape = shaped(kind, 150'000);
    shape.pareto_shape = 1.1;  // a very heavy tail: many draws end at the clamp
    const summary s = draw_many(100'000, 400'000, shape, 11);
    CHECK(s.low >= 100'000);
    CHECK(s.high <= 400'000);
    prng a(3), b(3);
    for (int i = 0; i < 100; ++i) {
      CHECK(draw_latency_ns(100'000, 400'000, shape, a) ==
            draw_latency_ns(100'000, 400'000, shape, b));
    }
  }
  // A degenerate range gives its one value.
  prng random(1);
  CHECK(draw_latency_ns(7, 7, shaped(latency_kind::pareto, 7), random) == 7);
}

TEST_CASE("normal latencies centre on the mean with the standard deviation asked for") {
  latency_shape shape = shaped(latency_kind::normal, 1'000'000);
  shape.stddev_ns = 100'000;
  const summary s = draw_many(0, 10'000'000, shape, 21);
  CHECK(s.mean == doctest::Approx(1'000'000).epsilon(0.005));
  CHECK(s.stddev == doctest::Approx(100'000).epsilon(0.02));
  // Unset, the mean is the midpoint and sigma a sixth of the range.
  latency_shape unset;
  unset.kind = latency_kind::normal;
  const summary defaults = draw_many(0, 600'000, unset, 22);
  CHECK(defaults.mean == doctest::Approx(300'000).epsilon(0.005));
  CHECK(defaults.stddev == doctest::Approx(100'000).epsilon(0.03));
}

TEST_CASE("exponential latencies are min plus an exponential excess of the mean asked for") {
  const summary s = draw_many(100'000, 100'000'000, shaped(latency_kind::exponential, 300'000), 31);
  CHECK(s.low < 100'010);  // the excess starts at 0
  CHECK(s.mean == doctest::Approx(300'000).epsilon(0.01));
  CHECK(s.stddev == doctest::Approx(200'000).epsilon(0.02));  // an exponential's sigma is its mean
}

TEST_CASE("Pareto latencies have the mean asked for and a heavy tail") {
  latency_shape shape = shaped(latency_kind::pareto, 300'000);
  shape.pareto_shape = 3.0;  // finite variance, so the sample mean settles
  const summary s = draw_many(100'000, 10'000'000'000, shape, 41);
  CHECK(s.mean == doctest::Approx(300'000).epsilon(0.02));
  // The tail: P(X - min > x) = (1 + x / scale)^-alpha with scale = 400 us: beyond 4 ms about one
  // draw in 1200; an exponential of the same mean, one in 300 million.
  const summary exponential =
      draw_many(100'000, 10'000'000'000, shaped(latency_kind::exponential, 300'000), 41);
  CHECK(s.high > 4'000'000);
  CHECK(exponential.high < 4'000'000);
  // Clamped to max, a heavier tail piles up at max instead of leaving the range.
  shape.pareto_shape = 1.5;
  const summary clamped = draw_many(100'000, 1'000'000, shape, 42);  // 3 % beyond max
  CHECK(clamped.high == 1'000'000);
  CHECK(clamped.at_max > kSamples / 100);
}

TEST_CASE("latency shapes are named as in the scenario files") {
  for (latency_kind kind : {latency_kind::uniform, latency_kind::normal, latency_kind::exponential,
                            latency_kind::pareto}) {
    CHECK(parse_latency_kind(to_string(kind)) == kind);
  }
  CHECK_FALSE(parse_latency_kind("lognormal").has_value());
}
