#include "engine/metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "engine/metrics/histogram.h"

namespace tandem::metrics {

namespace {

bool name_char(char c, bool first, bool colon_ok) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (alpha || (colon_ok && c == ':')) return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

const char* type_name(metric_type type) {
  switch (type) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "untyped";
}

// OpenMetrics names a counter family without its "_total" sample suffix.
std::string_view openmetrics_family_name(std::string_view name, metric_type type) {
  constexpr std::string_view total = "_total";
  if (type == metric_type::counter && name.size() > total.size() &&
      name.substr(name.size() - total.size()) == total) {
    return name.substr(0, name.size() - total.size());
  }
  return name;
}

void append_labels(std::string& out, std::span<const label> labels, std::string_view extra_name,
                   std::string_view extra_value) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (const label& l : labels) {
    if (!first) out += ',';
    first = false;
    out += l.name;
    out += "=\"";
    append_escaped_label_value(out, l.value);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }
bool valid_label_name(std::string_view name) { return valid_name(name, false); }

void append_escaped_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_escaped_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, ec == std::errc() ? end : buffer);
  }
}

void exposition::declare(std::string_view name, metric_type type, std::string_view help) {
  if (index_.find(name) != index_.end()) {
    find(name, type);  // checks the type
    return;
  }
  if (!valid_metric_name(name)) {
    throw std::logic_error("invalid metric name '" + std::string(name) + "'");
  }
  // promtool's lint (and OpenMetrics) want counters named *_total.
  if (type == metric_type::counter && openmetrics_family_name(name, type) == name) {
    throw std::logic_error("counter '" + std::string(name) + "' must end in _total");
  }
  index_.emplace(std::string(name), families_.size());
  families_.push_back(family{std::string(name), type, std::string(help), {}, {}, {}, {}});
}

exposition::family& exposition::find(std::string_view name, metric_type expected) {
  const auto found = index_.find(name);
  if (found == index_.end()) {
    throw std::logic_error("metric family '" + std::string(name) + "' was not declared");
  }
  family& f = families_[found->second];
  const bool histogram_wanted = expected == metric_type::histogram;
  if ((f.type == metric_type::histogram) != histogram_wanted) {
    throw std::logic_error("metric family '" + std::string(name) + "' is a " +
                           type_name(f.type) + ", not a " + type_name(expected));
  }
  return f;
}

void exposition::line(family& f, std::string_view suffix, std::span<const label> labels,
                      std::string_view extra_label, std::string_view extra_value, double value) {
  for (const label& l : labels) {
    if (!valid_label_name(l.name) || l.name == extra_label) {
      throw std::logic_error("metric '" + f.name + "': invalid label name '" +
                             std::string(l.name) + "'");
    }
  }
  ++samples_;
  std::string& out = f.prometheus_samples;
  out += f.name;
  out += suffix;
  const std::size_t labels_at = out.size();
  append_labels(out, labels, extra_label, extra_value);
  const std::size_t labels_end = out.size();
  out += ' ';
  append_number(out, value);
  if (timestamp_ms_) {
    out += ' ';
    out += std::to_string(*timestamp_ms_);
  }
  out += '\n';
  if (!for_openmetrics_) return;

  // The series key: the label set without the histogram's "le" (one Metric in OpenMetrics).
  std::string key;
  append_labels(key, labels, {}, {});
  auto [slot, added] = f.series_index.try_emplace(key, f.series.size());
  if (added) {
    f.series.emplace_back();
    f.series_snapshot.push_back(snapshot_);
  }
  f.series_snapshot[slot->second] = snapshot_;
  std::string& om = f.series[slot->second];
  om += f.name;
  om += suffix;
  om.append(out, labels_at, labels_end - labels_at);
  om += ' ';
  append_number(om, value);
  if (timestamp_ms_) {
    om += ' ';
    append_number(om, static_cast<double>(*timestamp_ms_) / 1000.0);
  }
  om += '\n';
}

void exposition::add(std::string_view name, std::span<const label> labels, double value) {
  family& f = find(name, metric_type::gauge);
  line(f, {}, labels, {}, {}, value);
}

void exposition::add(std::string_view name, label_list labels, const histogram& h) {
  family& f = find(name, metric_type::histogram);
  const std::span<const label> list(labels.begin(), labels.size());
  const auto counts = h.bucket_counts();
  std::uint64_t cumulative = 0;
  std::string bound;
  for (std::size_t i = 0; i < histogram::kBoundsNs.size(); ++i) {
    cumulative += counts[i];
    bound.clear();
    append_number(bound, static_cast<double>(histogram::kBoundsNs[i]) / 1e9);
    line(f, "_bucket", list, "le", bound, static_cast<double>(cumulative));
  }
  line(f, "_bucket", list, "le", "+Inf", static_cast<double>(h.count()));
  line(f, "_sum", list, {}, {}, static_cast<double>(h.sum_ns()) / 1e9);
  line(f, "_count", list, {}, {}, static_cast<double>(h.count()));
}

void exposition::end_snapshot(std::span<const std::string_view> state_families) {
  if (!for_openmetrics_) {
    throw std::logic_error("exposition::end_snapshot() needs an exposition made for time series");
  }
  for (const std::string_view name : state_families) {
    family& f = find(name, metric_type::gauge);
    if (f.type != metric_type::gauge) {
      // A counter never goes back to 0 while its source lives.
      throw std::logic_error("end_snapshot: '" + f.name + "' is not a gauge");
    }
    for (const auto& [key, slot] : f.series_index) {
      if (f.series_snapshot[slot] == snapshot_) continue;
      std::string& om = f.series[slot];
      om += f.name;
      om += key;
      om += " 0";
      if (timestamp_ms_) {
        om += ' ';
        append_number(om, static_cast<double>(*timestamp_ms_) / 1000.0);
      }
      om += '\n';
      ++samples_;
    }
  }
  ++snapshot_;
}

std::string exposition::text() const {
  std::string out;
  std::size_t size = 0;
  for (const family& f : families_) size += f.prometheus_samples.size() + f.help.size() + 64;
  out.reserve(size);
  for (const family& f : families_) {
    if (f.prometheus_samples.empty()) continue;
    out += "# HELP ";
    out += f.name;
    out += ' ';
    append_escaped_help(out, f.help);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += type_name(f.type);
    out += '\n';
    out += f.prometheus_samples;
  }
  return out;
}

std::string exposition::openmetrics() const {
  if (!for_openmetrics_) {
    throw std::logic_error("exposition::openmetrics() needs an exposition made for it");
  }
  std::string out;
  for (const family& f : families_) {
    if (f.series.empty()) continue;
    const std::string_view name = openmetrics_family_name(f.name, f.type);
    out += "# TYPE ";
    out += name;
    out += ' ';
    out += type_name(f.type);
    out += "\n# HELP ";
    out += name;
    out += ' ';
    // OpenMetrics escapes '"' in HELP too; label-value escaping is exactly that set.
    append_escaped_label_value(out, f.help);
    out += '\n';
    for (const std::string& series : f.series) out += series;
  }
  out += "# EOF\n";
  return out;
}

}  // namespace tandem::metrics
