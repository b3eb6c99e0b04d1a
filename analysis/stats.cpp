#include "analysis/stats.h"

#include <array>
#include <cmath>

namespace tandem::analysis {

double t_quantile_95(int degrees) {
  // Tabulated t(0.975, df) for df 1..30; beyond, the normal quantile is within 2%.
  static constexpr std::array<double, 30> kTable = {
      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
      2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
      2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (degrees < 1) return 0.0;
  if (degrees <= 30) return kTable[static_cast<std::size_t>(degrees - 1)];
  return degrees <= 60 ? 2.000 : 1.960;
}

estimate estimate_of(const std::vector<double>& samples) {
  estimate e;
  e.samples = static_cast<int>(samples.size());
  if (samples.empty()) return e;
  double sum = 0.0;
  for (double x : samples) sum += x;
  e.mean = sum / static_cast<double>(samples.size());
  if (samples.size() < 2) return e;
  double squares = 0.0;
  for (double x : samples) squares += (x - e.mean) * (x - e.mean);
  const double variance = squares / static_cast<double>(samples.size() - 1);
  e.half_width_95 = t_quantile_95(e.samples - 1) * std::sqrt(variance / e.samples);
  return e;
}

}  // namespace tandem::analysis
