// A small SVG line chart (points joined by lines, optional 95% error bars, optional log-10 y
// axis) for the report's figures; no plotting library is needed to read them in a browser or on
// a Git forge.
#pragma once

#include <string>
#include <vector>

namespace tandem::analysis {

struct plot_series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> error;  // empty, or the +- half width per point
  bool lines = true;          // false: markers only (measurements)
};

struct plot {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
  std::vector<plot_series> series;
};

// Throws std::invalid_argument when a series' sizes disagree or a log axis meets a value <= 0.
std::string render_svg(const plot& p);

}  // namespace tandem::analysis
