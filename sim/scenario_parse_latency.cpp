#include "sim/scenario_parse_latency.h"

namespace tandem::sim {
namespace {

constexpr std::int64_t kLatencyMaxUs = 10'000'000;  // 10 s, the range's limit too

// `[min, max]` in microseconds, in nanoseconds (unchanged when the key is absent).
void range_us(table_reader& r, const std::string& key, std::uint64_t& min_ns,
              std::uint64_t& max_ns) {
  const toml::node* node = r.get(key);
  if (!node) return;
  const toml::array* array = node->as_array();
  if (!array || array->size() != 2 || !integer_value(*array->get(0)) ||
      !integer_value(*array->get(1))) {
    r.fail(*node, "'" + key + "' must be [min, max] in microseconds");
  }
  const auto low = *integer_value(*array->get(0));
  const auto high = *integer_value(*array->get(1));
  if (low < 0 || high < low || high > kLatencyMaxUs) {
    r.fail(*node, "'" + key + "' must satisfy 0 <= min <= max <= 10000000");
  }
  min_ns = static_cast<std::uint64_t>(low) * 1000;
  max_ns = static_cast<std::uint64_t>(high) * 1000;
}

// A shape's parameter is read only for the shapes it belongs to, so that a typo in the shape
// cannot silently leave it unused.
bool present_for(table_reader& r, const std::string& key, bool applies, const char* shapes) {
  const toml::node* node = r.get(key);
  if (node && !applies) r.fail(*node, "'" + key + "' applies only to distribution " + shapes);
  return node != nullptr;
}

}  // namespace

void read_latency(table_reader& r, const std::string& base, std::uint64_t& min_ns,
                  std::uint64_t& max_ns, latency_shape& shape) {
  range_us(r, base + "_us", min_ns, max_ns);
  shape.kind = r.choice(base + "_distribution", parse_latency_kind,
                        "\"uniform\", \"normal\", \"exponential\" or \"pareto\"")
                   .value_or(shape.kind);
  const std::string mean = base + "_mean_us";
  if (present_for(r, mean, shape.kind != latency_kind::uniform,
                  "\"normal\", \"exponential\" or \"pareto\"")) {
    shape.mean_ns = static_cast<std::uint64_t>(r.integer(mean, 0, 0, kLatencyMaxUs)) * 1000;
  }
  const std::string stddev = base + "_stddev_us";
  if (present_for(r, stddev, shape.kind == latency_kind::normal, "\"normal\"")) {
    shape.stddev_ns = static_cast<std::uint64_t>(r.integer(stddev, 0, 1, kLatencyMaxUs)) * 1000;
  }
  const std::string alpha = base + "_pareto_shape";
  if (present_for(r, alpha, shape.kind == latency_kind::pareto, "\"pareto\"")) {
    const std::optional<double> v = r.get(alpha)->value<double>();
    if (!v || !(*v > 1.0 && *v <= 100.0)) {
      r.fail(*r.get(alpha),
             "'" + alpha + "' must be a number above 1 (a finite mean), at most 100");
    }
    shape.pareto_shape = *v;
  }
  // The range clamps every draw, so a mean outside it would describe draws that never happen. (A
  // uniform override ignores the mean it inherits.)
  const bool uses_mean = shape.kind != latency_kind::uniform;
  if (uses_mean && shape.mean_ns && (*shape.mean_ns < min_ns || *shape.mean_ns > max_ns)) {
    const toml::node* where = r.get(mean) ? r.get(mean) : r.get(base + "_us");
    const std::string what = "'" + mean + "' (" + std::to_string(*shape.mean_ns / 1000) +
                             ") must lie within '" + base + "_us'";
    if (where) r.fail(*where, what);
    r.fail_here(what);
  }
}

}  // namespace tandem::sim
