#include "sim/portable_math.h"

#include <cassert>
#include <cmath>

namespace tandem::sim {
namespace {

// ln 2 split in two (fdlibm's constants): k * kLn2High is exact for the k this file meets, so the
// reduction x - k ln 2 loses nothing.
constexpr double kLn2High = 6.93147180369123816490e-01;
constexpr double kLn2Low = 1.90821492927058770002e-10;
constexpr double kSqrtHalf = 0.70710678118654752440;

}  // namespace

double portable_ln(double x) {
  assert(x > 0.0 && std::isfinite(x));
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)), so s = (m - 1) / (m + 1) stays within 0.172 and
  // ln m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) needs few terms. frexp is exact.
  int exponent = 0;
  double m = std::frexp(x, &exponent);
  if (m < kSqrtHalf) {
    m *= 2.0;
    --exponent;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  // s2 <= 0.0295, so the term of s^25 is below 1e-19 of the sum: 12 terms, summed smallest first.
  double series = 0.0;
  for (int k = 12; k >= 1; --k) series = (series + 1.0 / (2 * k + 1)) * s2;
  const double ln_m = 2.0 * s + 2.0 * s * series;
  const double e = static_cast<double>(exponent);
  return e * kLn2High + (e * kLn2Low + ln_m);
}

double portable_exp(double x) {
  assert(x >= -700.0 && x <= 700.0);
  // x = k ln 2 + r with |r| <= ln 2 / 2, e^x = 2^k e^r; floor and ldexp are exact.
  const double k = std::floor(x / (kLn2High + kLn2Low) + 0.5);
  const double r = (x - k * kLn2High) - k * kLn2Low;
  // Taylor series of e^r by Horner's rule: |r| <= 0.35, so the 19th term is below 1e-25.
  double sum = 1.0;
  for (int n = 18; n >= 1; --n) sum = 1.0 + sum * r / n;
  return std::ldexp(sum, static_cast<int>(k));
}

}  // namespace tandem::sim
