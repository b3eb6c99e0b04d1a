// The latency shape keys of scenario files (`link_latency_distribution` and the rest,
// sim/scenario_parse_latency.h): reading them, inheriting them in [[link]] and [[node]], the
// errors, and a shaped run staying a pure function of (file, seed).
#include <doctest/doctest.h>

#include <string>

#include "sim/scenario.h"

using namespace tandem::sim;

namespace {

const char* kHead = "[scenario]\nname = \"t\"\nproves = \"p\"\n";

scenario loaded(const std::string& text) {
  auto result = parse_scenario(text, "test.toml");
  REQUIRE_MESSAGE(result.value.has_value(), result.error);
  return *result.value;
}

std::string error_of(const std::string& text) {
  const auto result = parse_scenario(text, "test.toml");
  REQUIRE_FALSE(result.value.has_value());
  return result.error;
}

}  // namespace

TEST_CASE("without the new keys every latency is uniform, as before") {
  const scenario s = loaded(std::string(kHead) + "[[link]]\nnodes = [0, 1]\n[[node]]\nid = 2\n");
  CHECK(s.cluster.link_latency.kind == latency_kind::uniform);
  CHECK(s.cluster.disk_latency.kind == latency_kind::uniform);
  CHECK(s.cluster.link_overrides.at({0, 1}).latency.kind == latency_kind::uniform);
  CHECK(s.cluster.disk_overrides.at(2).latency.kind == latency_kind::uniform);
}

TEST_CASE("the latency shapes are read for [cluster], [[link]] and [[node]]") {
  const scenario s = loaded(std::string(kHead) +
                            "[cluster]\nlink_latency_us = [100, 50000]\n"
                            "link_latency_distribution = \"pareto\"\nlink_latency_mean_us = 300\n"
                            "link_latency_pareto_shape = 1.5\n"
                            "disk_latency_distribution = \"normal\"\ndisk_latency_mean_us = 200\n"
                            "disk_latency_stddev_us = 40\n"
                            "[[link]]\nnodes = [0, 1]\nlatency_distribution = \"exponential\"\n"
                            "[[link]]\nnodes = [1, 2]\nlatency_us = [10, 400]\n"
                            "latency_mean_us = 20\n"
                            "[[node]]\nid = 1\ndisk_latency_distribution = \"uniform\"\n"
                            "disk_latency_us = [1, 2]\n");  // the inherited mean is not used
  const auto& c = s.cluster;
  CHECK(c.link_latency.kind == latency_kind::pareto);
  CHECK(c.link_latency.mean_ns == 300'000);
  CHECK(c.link_latency.pareto_shape == 1.5);
  CHECK(c.disk_latency.kind == latency_kind::normal);
  CHECK(c.disk_latency.mean_ns == 200'000);
  CHECK(c.disk_latency.stddev_ns == 40'000);
  // An override keeps the [cluster] values of the keys it leaves out.
  const link_params& exponential = c.link_overrides.at({0, 1});
  CHECK(exponential.latency.kind == latency_kind::exponential);
  CHECK(exponential.latency.mean_ns == 300'000);
  CHECK(exponential.latency_max_ns == 50'000'000);
  const link_params& narrow = c.link_overrides.at({1, 2});
  CHECK(narrow.latency.kind == latency_kind::pareto);
  CHECK(narrow.latency.mean_ns == 20'000);
  CHECK(narrow.latency.pareto_shape == 1.5);
  CHECK(c.disk_overrides.at(1).latency.kind == latency_kind::uniform);
}

TEST_CASE("mistakes in the latency shape keys name the file, the line and the key") {
  const std::string cluster = std::string(kHead) + "[cluster]\n";
  CHECK(error_of(cluster + "link_latency_distribution = \"lognormal\"\n") ==
        "test.toml:5: [cluster] 'link_latency_distribution' = \"lognormal\": expected "
        "\"uniform\", \"normal\", \"exponential\" or \"pareto\"");
  CHECK(error_of(cluster + "link_latency_mean_us = 100\n") ==
        "test.toml:5: [cluster] 'link_latency_mean_us' applies only to distribution \"normal\", "
        "\"exponential\" or \"pareto\"");
  CHECK(
      error_of(cluster + "disk_latency_distribution = \"pareto\"\ndisk_latency_stddev_us = 9\n") ==
      "test.toml:6: [cluster] 'disk_latency_stddev_us' applies only to distribution \"normal\"");
  CHECK(error_of(cluster + "link_latency_distribution = \"pareto\"\n"
                           "link_latency_pareto_shape = 1\n") ==
        "test.toml:6: [cluster] 'link_latency_pareto_shape' must be a number above 1 (a finite "
        "mean), at most 100");
  CHECK(
      error_of(cluster + "link_latency_distribution = \"normal\"\nlink_latency_mean_us = 900\n") ==
      "test.toml:6: [cluster] 'link_latency_mean_us' (900) must lie within 'link_latency_us'");
  // Inherited from [cluster], a mean outside a [[link]]'s own range is reported at the range.
  CHECK(error_of(cluster + "link_latency_distribution = \"normal\"\nlink_latency_mean_us = 150\n"
                           "[[link]]\nnodes = [0, 1]\nlatency_us = [10, 20]\n") ==
        "test.toml:9: [[link]] 'latency_mean_us' (150) must lie within 'latency_us'");
}

TEST_CASE("a run with heavy-tailed link latency is a pure function of (file, seed)") {
  const std::string timeline =
      "[[timeline]]\nat_ms = 0\naction = \"promote\"\n"
      "[[timeline]]\nat_ms = 1\naction = \"write\"\ncount = 200\n"
      "[[expect]]\nkind = \"write-latency\"\nat_least = 0\n";
  const scenario uniform =
      loaded(std::string(kHead) + "[cluster]\nlink_latency_us = [50, 20000]\n" + timeline);
  const scenario pareto = loaded(std::string(kHead) +
                                 "[cluster]\nlink_latency_us = [50, 20000]\n"
                                 "link_latency_distribution = \"pareto\"\n"
                                 "link_latency_mean_us = 150\nlink_latency_pareto_shape = 1.2\n" +
                                 timeline);
  const scenario_report first = run_scenario(pareto, 7);
  const scenario_report second = run_scenario(pareto, 7);
  const scenario_report plain = run_scenario(uniform, 7);
  REQUIRE(first.ok());
  REQUIRE(plain.ok());
  CHECK(first.trace_hash == second.trace_hash);
  CHECK(first.log == second.log);
  CHECK(first.trace_hash != plain.trace_hash);
  CHECK(first.writes_acknowledged == 200);
}
