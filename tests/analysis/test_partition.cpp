// Partition analysis on one switch with three hosts, answers worked out by hand: each single
// failure is one host's link or the switch itself.
#include <doctest/doctest.h>

#include <stdexcept>

#include "analysis/partition.h"

using namespace tandem;
using namespace tandem::analysis;

namespace {

topology star() {
  topology t;
  t.hosts = {"h1", "h2", "h3"};
  t.switches = {"sw"};
  t.links = {{"h1", "sw"}, {"h2", "sw"}, {"h3", "sw"}};
  return t;
}

placement place(std::vector<std::string> diskful, std::vector<std::string> tiebreakers,
                quorum_setting::kind quorum) {
  return {"p", std::move(diskful), std::move(tiebreakers), {quorum, 0}};
}

}  // namespace

TEST_CASE("two replicas with quorum freeze when either replica's link or the switch fails") {
  const auto r = analyze_partitions(star(), place({"h1", "h2"}, {}, quorum_setting::kind::majority), 1);
  REQUIRE(r.cases.size() == 4);
  CHECK(r.writable == 1);  // only h3's link: both replicas still together
  CHECK(r.frozen == 3);
  CHECK(r.two_writable == 0);
}

TEST_CASE("two replicas without quorum get two writable sides on three of four failures") {
  const auto r = analyze_partitions(star(), place({"h1", "h2"}, {}, quorum_setting::kind::off), 1);
  CHECK(r.writable == 1);
  CHECK(r.two_writable == 3);
  CHECK(r.frozen == 0);
}

TEST_CASE("a tie-breaker on the third host keeps the side that reaches it writable") {
  const auto r = analyze_partitions(star(), place({"h1", "h2"}, {"h3"}, quorum_setting::kind::majority), 1);
  CHECK(r.writable == 3);
  CHECK(r.frozen == 1);  // the switch: everybody alone
  CHECK(r.two_writable == 0);
  CHECK(r.cases[0].failed == std::vector<std::string>{"h1-sw"});
  CHECK(r.cases[0].outcome == partition_outcome::writable);
  CHECK(r.cases[3].failed == std::vector<std::string>{"sw"});
  CHECK(r.cases[3].outcome == partition_outcome::frozen);
}

TEST_CASE("three replicas behave like two plus a tie-breaker against single failures") {
  const auto r = analyze_partitions(star(), place({"h1", "h2", "h3"}, {}, quorum_setting::kind::majority), 1);
  CHECK(r.writable == 3);
  CHECK(r.frozen == 1);
}

TEST_CASE("with quorum on no combination of up to three failures gives two writable sides") {
  topology t;
  t.hosts = {"a1", "a2", "b1", "b2"};
  t.switches = {"swa", "swb", "core"};
  t.links = {{"a1", "swa"}, {"a2", "swa"}, {"b1", "swb"}, {"b2", "swb"}, {"swa", "core"},
             {"swb", "core"}, {"swa", "swb"}};
  for (const auto& p : {place({"a1", "b1"}, {"a2"}, quorum_setting::kind::majority),
                        place({"a1", "b1", "b2"}, {}, quorum_setting::kind::majority),
                        place({"a1", "a2", "b1", "b2"}, {}, quorum_setting::kind::majority)}) {
    const auto r = analyze_partitions(t, p, 3);
    CHECK(r.two_writable == 0);
    CHECK(r.cases.size() == 10 + 45 + 120);  // 7 links + 3 switches, choose 1, 2 and 3
  }
  const auto unsafe = analyze_partitions(t, place({"a1", "b1"}, {}, quorum_setting::kind::off), 3);
  CHECK(unsafe.two_writable > 0);
}

TEST_CASE("bad topologies and placements are named in the error") {
  auto t = star();
  t.links.push_back({"h1", "nowhere"});
  CHECK_THROWS_WITH_AS(analyze_partitions(t, place({"h1"}, {}, quorum_setting::kind::off), 1),
                       doctest::Contains("nowhere"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(analyze_partitions(star(), place({"h1", "h9"}, {}, quorum_setting::kind::off), 1),
                       doctest::Contains("h9"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(analyze_partitions(star(), place({"h1"}, {"h1"}, quorum_setting::kind::off), 1),
                       doctest::Contains("used twice"), std::invalid_argument);
}
