// Randomisation ranges in scenario files (`at_ms = [lo, hi]`): parsing, the errors, resolution per
// seed, and the reproducer copy that replaces each range by the time it resolved to.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "sim/reproducer.h"
#include "sim/scenario.h"

using tandem::sim::parse_scenario;
using tandem::sim::resolve_ranges;

namespace {

const char* kHead = "[scenario]\nname = \"t\"\nproves = \"p\"\n";

std::string with_timeline(const std::string& entries) {
  return std::string(kHead) + entries;
}

std::string error_of(const std::string& text) {
  const auto loaded = parse_scenario(text, "test.toml");
  REQUIRE_FALSE(loaded.value.has_value());
  return loaded.error;
}

tandem::sim::scenario loaded(const std::string& text) {
  auto result = parse_scenario(text, "test.toml");
  REQUIRE_MESSAGE(result.value.has_value(), result.error);
  return *result.value;
}

const std::string kRanged = with_timeline(
    "[[timeline]]\nat_ms = 0\naction = \"promote\"\n"
    "[[timeline]]\nat_ms = [10, 13]  # a comment that must survive\naction = \"write\"\ncount = 5\n"
    "[[timeline]]\nat_ms = [20, 400]\naction = \"cut\"\npeer = 1\n"
    "[[timeline]]\nat_ms = 500\naction = \"heal\"\npeer = 1\n");

}  // namespace

TEST_CASE("at_ms takes a two-element range; a scalar stays a fixed time") {
  const auto s = loaded(kRanged);
  REQUIRE(s.timeline.size() == 4);
  CHECK(s.timeline[0].at_ms == 0);
  CHECK_FALSE(s.timeline[0].at_ms_latest);
  CHECK(s.timeline[1].at_ms == 10);
  CHECK(s.timeline[1].at_ms_latest == 13u);
  CHECK(s.timeline[2].at_ms_latest == 400u);
  CHECK_FALSE(s.timeline[3].at_ms_latest);
}

TEST_CASE("bad ranges are errors naming the file, the line and the key") {
  const auto entry = [](const std::string& at_ms) {
    return with_timeline("[[timeline]]\nat_ms = " + at_ms + "\naction = \"settle\"\n");
  };
  CHECK(error_of(entry("[300, 200]")) ==
        "test.toml:5: [[timeline]] 'at_ms' = [300, 200]: lo is greater than hi");
  const std::string shape =
      "test.toml:5: [[timeline]] 'at_ms' range must be [lo, hi], two integers (milliseconds, "
      "inclusive)";
  CHECK(error_of(entry("[1, 2, 3]")) == shape);
  CHECK(error_of(entry("[1]")) == shape);
  CHECK(error_of(entry("[]")) == shape);
  CHECK(error_of(entry("[1.5, 2]")) == shape);
  CHECK(error_of(entry("[\"1\", \"2\"]")) == shape);
  CHECK(error_of(entry("[-1, 2]")) ==
        "test.toml:5: [[timeline]] 'at_ms' = [-1, 2] is outside 0..3600000");
  CHECK(error_of(entry("[0, 3600001]")) ==
        "test.toml:5: [[timeline]] 'at_ms' = [0, 3600001] is outside 0..3600000");
  CHECK(error_of(entry("\"soon\"")) == "test.toml:5: [[timeline]] 'at_ms' has the wrong type");
  // Every draw must keep the timeline in order.
  CHECK(error_of(with_timeline("[[timeline]]\nat_ms = [10, 50]\naction = \"settle\"\n"
                               "[[timeline]]\nat_ms = 40\naction = \"settle\"\n")) ==
        "test.toml:7: [[timeline]] timeline entries must be in time order (a range may not "
        "start before 50, the latest time above it)");
  CHECK(error_of(with_timeline("[[timeline]]\nat_ms = 60\naction = \"settle\"\n"
                               "[[timeline]]\nat_ms = [40, 90]\naction = \"settle\"\n"))
            .find("a range may not start before 60") != std::string::npos);
  CHECK(loaded(with_timeline("[[timeline]]\nat_ms = [10, 50]\naction = \"settle\"\n"
                             "[[timeline]]\nat_ms = [50, 50]\naction = \"settle\"\n"))
            .timeline.size() == 2);
}

TEST_CASE("ranges resolve per seed, inclusively, and the same way every time") {
  const auto s = loaded(kRanged);
  std::set<std::uint64_t> seen;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const auto r = resolve_ranges(s, seed);
    CAPTURE(seed);
    CHECK(r.timeline[0].at_ms == 0);
    CHECK(r.timeline[3].at_ms == 500);
    for (const auto& a : r.timeline) CHECK_FALSE(a.at_ms_latest);
    CHECK(r.timeline[1].at_ms >= 10);
    CHECK(r.timeline[1].at_ms <= 13);
    CHECK(r.timeline[2].at_ms >= 20);
    CHECK(r.timeline[2].at_ms <= 400);
    CHECK(resolve_ranges(s, seed).timeline[2].at_ms == r.timeline[2].at_ms);
    seen.insert(r.timeline[1].at_ms);
  }
  CHECK(seen == std::set<std::uint64_t>{10, 11, 12, 13});  // both ends included
}

TEST_CASE("a run with ranges is the run of its resolved timeline") {
  const auto s = loaded(kRanged);
  const auto ranged = tandem::sim::run_scenario(s, 7);
  const auto fixed = tandem::sim::run_scenario(resolve_ranges(s, 7), 7);
  CHECK(ranged.trace_hash == fixed.trace_hash);
  CHECK(ranged.trace_hash == tandem::sim::run_scenario(s, 7).trace_hash);
}

TEST_CASE("a reproducer is the scenario with its seed and every range resolved, comments kept") {
  const auto copy = tandem::sim::scenario_reproducer(kRanged, "test.toml", 9);
  REQUIRE_MESSAGE(copy.error.empty(), copy.error);
  CHECK(copy.text.find("[10, 13]") == std::string::npos);
  CHECK(copy.text.find("# a comment that must survive") != std::string::npos);
  const auto again = loaded(copy.text);
  const auto expected = resolve_ranges(loaded(kRanged), 9);
  CHECK(again.seed == 9);
  for (std::size_t i = 0; i < again.timeline.size(); ++i) {
    CHECK_FALSE(again.timeline[i].at_ms_latest);
    CHECK(again.timeline[i].at_ms == expected.timeline[i].at_ms);
  }
  CHECK(tandem::sim::run_scenario(again, again.seed).trace_hash ==
        tandem::sim::run_scenario(loaded(kRanged), 9).trace_hash);

  // A seed already in the file is replaced, not added twice.
  const std::string seeded = std::string(kHead) + "seed = 1_000\n";
  const auto reseeded = tandem::sim::scenario_reproducer(seeded, "test.toml", 3);
  REQUIRE_MESSAGE(reseeded.error.empty(), reseeded.error);
  CHECK(loaded(reseeded.text).seed == 3);
}
