// Sample means with 95% confidence intervals (Student's t), for the Monte-Carlo estimates.
#pragma once

#include <vector>

namespace tandem::analysis {

struct estimate {
  double mean = 0.0;
  double half_width_95 = 0.0;  // the 95% confidence interval is mean +- half_width_95
  int samples = 0;
  double low() const { return mean - half_width_95; }
  double high() const { return mean + half_width_95; }
  bool covers(double value) const { return value >= low() && value <= high(); }
};

// Two-sided 95% quantile of Student's t with `degrees` degrees of freedom (>= 1).
double t_quantile_95(int degrees);

// Mean and CI of independent samples (at least two for an interval; one gives width 0).
estimate estimate_of(const std::vector<double>& samples);

}  // namespace tandem::analysis
