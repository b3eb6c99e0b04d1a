#include <doctest/doctest.h>

#include <stdexcept>

#include "engine/metrics/exposition.h"
#include "engine/metrics/histogram.h"

using namespace tandem::metrics;

TEST_CASE("exposition: a gauge family with HELP, TYPE and labelled samples") {
  exposition e;
  e.declare("drbd_device_size_bytes", metric_type::gauge, "Usable size.");
  e.add("drbd_device_size_bytes", {{"name", "r0"}, {"volume", "0"}}, 1048576);
  e.add("drbd_device_size_bytes", {}, 0.5);
  CHECK(e.text() ==
        "# HELP drbd_device_size_bytes Usable size.\n"
        "# TYPE drbd_device_size_bytes gauge\n"
        "drbd_device_size_bytes{name=\"r0\",volume=\"0\"} 1048576\n"
        "drbd_device_size_bytes 0.5\n");
  CHECK(e.sample_count() == 2);
}

TEST_CASE("exposition: samples of a family stay together whatever the order they come in") {
  exposition e;
  e.declare("a_total", metric_type::counter, "A.");
  e.declare("b", metric_type::gauge, "B.");
  e.add("a_total", {{"x", "1"}}, 1);
  e.add("b", {{"x", "1"}}, 2);
  e.add("a_total", {{"x", "2"}}, 3);
  CHECK(e.text() ==
        "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 1\na_total{x=\"2\"} 3\n"
        "# HELP b B.\n# TYPE b gauge\nb{x=\"1\"} 2\n");
}

TEST_CASE("exposition: label values and help texts are escaped") {
  exposition e;
  e.declare("m", metric_type::gauge, "back\\slash and\nnewline \"quoted\"");
  e.add("m", {{"name", "a\"b\\c\nd"}}, 1);
  CHECK(e.text() ==
        "# HELP m back\\\\slash and\\nnewline \"quoted\"\n# TYPE m gauge\n"
        "m{name=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST_CASE("exposition: numbers print exactly, and infinities and NaN as Prometheus spells them") {
  std::string out;
  append_number(out, 18446744073709551616.0);
  CHECK(out == "18446744073709551616");
  out.clear();
  append_number(out, 123456789);
  CHECK(out == "123456789");
  out.clear();
  append_number(out, 0.00005);
  CHECK(out == "5e-05");
  out.clear();
  append_number(out, 1.0 / 0.0);
  CHECK(out == "+Inf");
  out.clear();
  append_number(out, -1.0 / 0.0);
  CHECK(out == "-Inf");
  out.clear();
  append_number(out, 0.0 / 0.0);
  CHECK(out == "NaN");
}

TEST_CASE("exposition: bad names and misuse are programming errors, reported by name") {
  exposition e;
  CHECK_THROWS_AS(e.declare("9lives", metric_type::gauge, ""), std::logic_error);
  CHECK_THROWS_AS(e.declare("has-dash", metric_type::gauge, ""), std::logic_error);
  CHECK_THROWS_AS(e.add("undeclared", {}, 1), std::logic_error);
  CHECK_THROWS_AS(e.declare("sent_bytes", metric_type::counter, ""), std::logic_error);
  e.declare("g", metric_type::gauge, "");
  CHECK_THROWS_AS(e.add("g", {{"bad-label", "x"}}, 1), std::logic_error);
  CHECK_THROWS_AS(e.add("g", {}, histogram{}), std::logic_error);
  CHECK_THROWS_AS(e.declare("g", metric_type::histogram, ""), std::logic_error);
  CHECK_THROWS_AS(e.openmetrics(), std::logic_error);
  CHECK(valid_metric_name("linstor_node_state"));
  CHECK(valid_metric_name("a:b_c"));
  CHECK_FALSE(valid_label_name("a:b"));
}

TEST_CASE("histogram: cumulative buckets, +Inf, sum and count in seconds") {
  histogram h;
  h.observe_ns(40'000);         // <= 50 us
  h.observe_ns(50'000);         // bounds are inclusive (le)
  h.observe_ns(3'000'000);      // 5 ms bucket
  h.observe_ns(9'000'000'000);  // beyond the last bound: only +Inf
  CHECK(h.count() == 4);
  exposition e;
  e.declare("lat_seconds", metric_type::histogram, "L.");
  e.add("lat_seconds", {{"name", "r0"}}, h);
  const std::string text = e.text();
  CHECK(text.find("lat_seconds_bucket{name=\"r0\",le=\"5e-05\"} 2\n") != std::string::npos);
  CHECK(text.find("lat_seconds_bucket{name=\"r0\",le=\"0.0025\"} 2\n") != std::string::npos);
  CHECK(text.find("lat_seconds_bucket{name=\"r0\",le=\"0.005\"} 3\n") != std::string::npos);
  CHECK(text.find("lat_seconds_bucket{name=\"r0\",le=\"2.5\"} 3\n") != std::string::npos);
  CHECK(text.find("lat_seconds_bucket{name=\"r0\",le=\"+Inf\"} 4\n") != std::string::npos);
  CHECK(text.find("lat_seconds_sum{name=\"r0\"} 9.00309\n") != std::string::npos);
  CHECK(text.find("lat_seconds_count{name=\"r0\"} 4\n") != std::string::npos);
}

TEST_CASE("openmetrics: counters lose _total in TYPE, series are grouped, timestamps in seconds") {
  exposition e(true);
  e.declare("w_total", metric_type::counter, "W.");
  e.set_timestamp_ms(1000);
  e.add("w_total", {{"n", "a"}}, 1);
  e.add("w_total", {{"n", "b"}}, 5);
  e.set_timestamp_ms(1500);
  e.add("w_total", {{"n", "a"}}, 2);
  CHECK(e.openmetrics() ==
        "# TYPE w counter\n# HELP w W.\n"
        "w_total{n=\"a\"} 1 1\nw_total{n=\"a\"} 2 1.5\n"
        "w_total{n=\"b\"} 5 1\n"
        "# EOF\n");
  // The 0.0.4 form keeps milliseconds.
  CHECK(e.text().find("w_total{n=\"a\"} 2 1500\n") != std::string::npos);
}

TEST_CASE("openmetrics: a state series that vanished from a snapshot reads 0 from then on") {
  exposition e(true);
  e.declare("st", metric_type::gauge, "S.");
  const std::string_view states[] = {"st"};
  e.set_timestamp_ms(1000);
  e.add("st", {{"st", "Connected"}}, 1);
  e.end_snapshot(states);
  e.set_timestamp_ms(2000);
  e.add("st", {{"st", "StandAlone"}}, 1);
  e.end_snapshot(states);
  e.set_timestamp_ms(3000);
  e.add("st", {{"st", "StandAlone"}}, 1);
  e.end_snapshot(states);
  CHECK(e.openmetrics() ==
        "# TYPE st gauge\n# HELP st S.\n"
        "st{st=\"Connected\"} 1 1\nst{st=\"Connected\"} 0 2\nst{st=\"Connected\"} 0 3\n"
        "st{st=\"StandAlone\"} 1 2\nst{st=\"StandAlone\"} 1 3\n"
        "# EOF\n");
  // Only for time series, and only for families declared as gauges.
  exposition live;
  CHECK_THROWS_AS(live.end_snapshot(states), std::logic_error);
  e.declare("c_total", metric_type::counter, "C.");
  const std::string_view counters[] = {"c_total"};
  CHECK_THROWS_AS(e.end_snapshot(counters), std::logic_error);
}
