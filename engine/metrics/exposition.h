// Prometheus text exposition (format 0.0.4), and OpenMetrics 1.0 for time series with timestamps.
//
// An `exposition` collects metric families; samples of one family stay together however the
// caller interleaves them (the format requires that), so a writer may walk resources once and add
// to many families on the way. Families print in the order they were first declared.
//
// Names are checked when a family is declared (a bad name is a programming error: std::logic_error);
// label values and HELP texts are escaped, so any resource or node name is safe.
//
// No I/O and no Boost: tandemd, tandem-controller and tandem-sim all write through this.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::metrics {

enum class metric_type : std::uint8_t { counter, gauge, histogram };

struct label {
  std::string_view name;
  std::string_view value;
};
using label_list = std::initializer_list<label>;

class histogram;

class exposition {
 public:
  // `for_openmetrics`: also keep the samples grouped per series for openmetrics() (the simulator's
  // time series); a live scrape leaves it off and pays only for text().
  explicit exposition(bool for_openmetrics = false) : for_openmetrics_(for_openmetrics) {}

  // Declares a family (or finds the one declared before under this name; the type must match).
  void declare(std::string_view name, metric_type type, std::string_view help);

  // One sample of a counter or gauge family declared before.
  void add(std::string_view name, std::span<const label> labels, double value);
  void add(std::string_view name, label_list labels, double value) {
    add(name, std::span<const label>(labels.begin(), labels.size()), value);
  }
  // A whole histogram (buckets, _sum, _count) into a histogram family declared before.
  void add(std::string_view name, label_list labels, const histogram& h);

  // Every later sample carries this timestamp (milliseconds since the epoch); nullopt = none.
  // Used by the simulator to write virtual time.
  void set_timestamp_ms(std::optional<std::int64_t> timestamp_ms) { timestamp_ms_ = timestamp_ms; }

  // Time series only (for_openmetrics): closes one snapshot. Every series of the named gauge
  // families that had a sample in an earlier snapshot but none in this one gets a 0 at the
  // current timestamp. A live scrape lets an old state series go stale; imported blocks have no
  // staleness markers, so without the 0 a query would still see the old state as 1 for the
  // lookback window (5 minutes) after it changed.
  void end_snapshot(std::span<const std::string_view> state_families);

  std::size_t sample_count() const { return samples_; }
  // Prometheus text format 0.0.4 (Content-Type kContentType).
  std::string text() const;
  // OpenMetrics 1.0 text (timestamps in seconds, "# EOF" at the end): what
  // `promtool tsdb create-blocks-from openmetrics` imports.
  std::string openmetrics() const;

 private:
  struct family {
    std::string name;
    metric_type type = metric_type::gauge;
    std::string help;
    std::string prometheus_samples;  // lines, in 0.0.4 form
    // OpenMetrics wants every series' points together: lines per label set, first-seen order.
    std::vector<std::string> series;
    std::map<std::string, std::size_t, std::less<>> series_index;
    std::vector<std::uint64_t> series_snapshot;  // by series: the snapshot of its last sample
  };
  family& find(std::string_view name, metric_type expected);
  void line(family& f, std::string_view suffix, std::span<const label> labels,
            std::string_view extra_label, std::string_view extra_value, double value);

  std::vector<family> families_;
  std::map<std::string, std::size_t, std::less<>> index_;
  bool for_openmetrics_ = false;
  std::optional<std::int64_t> timestamp_ms_;
  std::size_t samples_ = 0;
  std::uint64_t snapshot_ = 0;  // end_snapshot() calls so far
};

inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Helpers, public for the tests.
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);
void append_escaped_label_value(std::string& out, std::string_view value);  // \\ \" \n
void append_escaped_help(std::string& out, std::string_view help);          // \\ \n
void append_number(std::string& out, double value);  // shortest exact form, +Inf, -Inf, NaN

}  // namespace tandem::metrics
