#include "analysis/svg_plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace tandem::analysis {
namespace {

constexpr double kWidth = 640, kHeight = 400;
constexpr double kLeft = 70, kRight = 170, kTop = 40, kBottom = 50;  // margins (legend right)
constexpr std::array<const char*, 6> kColours = {"#1f77b4", "#d62728", "#2ca02c",
                                                 "#9467bd", "#ff7f0e", "#8c564b"};

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

std::string label(double v) {
  std::ostringstream s;
  s.precision(3);
  s << v;
  return s.str();
}

struct axis {
  double low, high;
  bool log;
  double map(double v, double from, double to) const {
    const double a = log ? std::log10(v) : v;
    const double lo = log ? std::log10(low) : low;
    const double hi = log ? std::log10(high) : high;
    return hi == lo ? (from + to) / 2 : from + (a - lo) / (hi - lo) * (to - from);
  }
};

axis axis_of(const std::vector<double>& values, bool log) {
  double lo = *std::min_element(values.begin(), values.end());
  double hi = *std::max_element(values.begin(), values.end());
  if (log) {
    if (lo <= 0) throw std::invalid_argument("a log axis needs values > 0");
    lo = std::pow(10, std::floor(std::log10(lo)));
    hi = std::pow(10, std::ceil(std::log10(hi)));
  } else {
    const double pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  return {lo, hi, log};
}

}  // namespace

std::string render_svg(const plot& p) {
  std::vector<double> xs, ys;
  for (const auto& s : p.series) {
    if (s.x.size() != s.y.size() || (!s.error.empty() && s.error.size() != s.y.size())) {
      throw std::invalid_argument("plot series '" + s.name + "' has mismatched sizes");
    }
    xs.insert(xs.end(), s.x.begin(), s.x.end());
    for (std::size_t i = 0; i < s.y.size(); ++i) {
      const double e = s.error.empty() ? 0.0 : s.error[i];
      ys.push_back(p.log_y ? std::max(s.y[i] - e, s.y[i] * 0.5) : s.y[i] - e);
      ys.push_back(s.y[i] + e);
    }
  }
  if (xs.empty()) throw std::invalid_argument("a plot needs at least one point");
  const axis ax = axis_of(xs, p.log_x), ay = axis_of(ys, p.log_y);
  const double x0 = kLeft, x1 = kWidth - kRight, y0 = kHeight - kBottom, y1 = kTop;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << kWidth / 2 << "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">"
      << escape(p.title) << "</text>\n"
      << "<line x1=\"" << x0 << "\" y1=\"" << y0 << "\" x2=\"" << x1 << "\" y2=\"" << y0
      << "\" stroke=\"black\"/>\n<line x1=\"" << x0 << "\" y1=\"" << y0 << "\" x2=\"" << x0
      << "\" y2=\"" << y1 << "\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 4; ++i) {  // five ticks per axis, at even spacing in axis units
    const double f = i / 4.0;
    const double xv = p.log_x ? std::pow(10, std::log10(ax.low) + f * std::log10(ax.high / ax.low))
                              : ax.low + f * (ax.high - ax.low);
    const double yv = p.log_y ? std::pow(10, std::log10(ay.low) + f * std::log10(ay.high / ay.low))
                              : ay.low + f * (ay.high - ay.low);
    const double px = ax.map(xv, x0, x1), py = ay.map(yv, y0, y1);
    svg << "<text x=\"" << px << "\" y=\"" << y0 + 16 << "\" text-anchor=\"middle\">" << label(xv)
        << "</text>\n<text x=\"" << x0 - 6 << "\" y=\"" << py + 4 << "\" text-anchor=\"end\">"
        << label(yv) << "</text>\n<line x1=\"" << x0 << "\" y1=\"" << py << "\" x2=\"" << x1
        << "\" y2=\"" << py << "\" stroke=\"#ddd\"/>\n";
  }
  svg << "<text x=\"" << (x0 + x1) / 2 << "\" y=\"" << kHeight - 12 << "\" text-anchor=\"middle\">"
      << escape(p.x_label) << "</text>\n<text transform=\"translate(16," << (y0 + y1) / 2
      << ") rotate(-90)\" text-anchor=\"middle\">" << escape(p.y_label) << "</text>\n";
  for (std::size_t s = 0; s < p.series.size(); ++s) {
    const auto& series = p.series[s];
    const char* colour = kColours[s % kColours.size()];
    std::ostringstream points;
    for (std::size_t i = 0; i < series.x.size(); ++i) {
      const double px = ax.map(series.x[i], x0, x1), py = ay.map(series.y[i], y0, y1);
      points << px << "," << py << " ";
      svg << "<circle cx=\"" << px << "\" cy=\"" << py << "\" r=\"3\" fill=\"" << colour << "\"/>\n";
      if (!series.error.empty()) {
        const double lo = std::max(series.y[i] - series.error[i], ay.low);
        svg << "<line x1=\"" << px << "\" y1=\"" << ay.map(lo, y0, y1) << "\" x2=\"" << px
            << "\" y2=\"" << ay.map(series.y[i] + series.error[i], y0, y1) << "\" stroke=\""
            << colour << "\"/>\n";
      }
    }
    if (series.lines) {
      svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" points=\"" << points.str()
          << "\"/>\n";
    }
    const double ly = kTop + 10 + 18 * static_cast<double>(s);
    svg << "<rect x=\"" << x1 + 12 << "\" y=\"" << ly - 8 << "\" width=\"10\" height=\"10\" fill=\""
        << colour << "\"/>\n<text x=\"" << x1 + 28 << "\" y=\"" << ly + 1 << "\">"
        << escape(series.name) << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace tandem::analysis
