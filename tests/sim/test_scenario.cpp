#include <doctest/doctest.h>

#include <string>

#include "sim/scenario.h"

using tandem::sim::parse_scenario;

namespace {

std::string error_of(const std::string& text) {
  const auto loaded = parse_scenario(text, "test.toml");
  REQUIRE_FALSE(loaded.value.has_value());
  return loaded.error;
}

const char* kHead = "[scenario]\nname = \"t\"\nproves = \"p\"\n";

}  // namespace

TEST_CASE("a minimal scenario loads with DRBD's defaults") {
  const auto loaded = parse_scenario(kHead, "test.toml");
  REQUIRE(loaded.value.has_value());
  CHECK(loaded.value->cluster.nodes == 3);
  CHECK(loaded.value->cluster.proto == tandem::protocol::c);
  CHECK_FALSE(loaded.value->cluster.quorum.enabled());
  CHECK(loaded.value->timeline.empty());
}

TEST_CASE("every option of a full scenario is read") {
  const std::string text = std::string(kHead) +
                           "seed = 42\n"
                           "[cluster]\nnodes = 4\ndiskless = [3]\nvolume_kib = 1024\n"
                           "protocol = \"B\"\nquorum = \"majority\"\non_no_quorum = \"io-error\"\n"
                           "after_sb_0pri = \"discard-zero-changes\"\nrr_conflict = \"violently\"\n"
                           "start = \"created\"\nlink_latency_us = [10, 20]\n"
                           "[[timeline]]\nat_ms = 5\naction = \"cut\"\nnode = 0\npeer = 2\n"
                           "[[expect]]\nkind = \"event\"\nname = \"quorum-lost\"\nat_least = 1\n";
  const auto loaded = parse_scenario(text, "test.toml");
  REQUIRE_MESSAGE(loaded.value.has_value(), loaded.error);
  const auto& s = *loaded.value;
  CHECK(s.seed == 42);
  CHECK(s.cluster.nodes == 4);
  CHECK(s.cluster.diskless_nodes == tandem::mask_of(3));
  CHECK(s.cluster.volume_size_bytes == 1024 * 1024);
  CHECK(s.cluster.proto == tandem::protocol::b);
  CHECK(s.cluster.quorum.enabled());
  CHECK(s.cluster.split_brain.zero_primaries == tandem::after_sb_0pri::discard_zero_changes);
  CHECK_FALSE(s.cluster.start_uptodate);
  CHECK(s.cluster.link_latency_max_ns == 20'000);
  REQUIRE(s.timeline.size() == 1);
  CHECK(s.timeline[0].peer == 2);
  CHECK(*s.expectations[0].at_least == 1);
}

TEST_CASE("mistakes are errors naming the file, the line and the key") {
  CHECK(error_of("[scenario]\nname = \"x\"\n") ==
        "test.toml:1: [scenario] missing required key 'proves'");
  CHECK(error_of(std::string(kHead) + "colour = \"red\"\n") ==
        "test.toml:4: [scenario] unknown key 'colour'");
  CHECK(error_of(std::string(kHead) + "[colours]\nred = 1\n") ==
        "test.toml:4: unknown key 'colours'");
  CHECK(error_of(std::string(kHead) + "[cluster]\nnodes = 40\n") ==
        "test.toml:5: [cluster] 'nodes' = 40 is outside 1..32");
  CHECK(
      error_of(std::string(kHead) + "[cluster]\nquorum = \"most\"\n").find("'quorum' = \"most\"") !=
      std::string::npos);
  CHECK(error_of(std::string(kHead) + "[cluster]\nprotocol = 3\n") ==
        "test.toml:5: [cluster] 'protocol' has the wrong type");
  CHECK(error_of(std::string(kHead) + "[[timeline]]\nat_ms = 1\naction = \"explode\"\n") ==
        "test.toml:4: [[timeline]] unknown action 'explode'");
  CHECK(error_of(std::string(kHead) + "[[timeline]]\nat_ms = 1\naction = \"cut\"\nnode = 0\n") ==
        "test.toml:4: [[timeline]] 'cut' needs 'peer'");
  CHECK(error_of(std::string(kHead) +
                 "[[timeline]]\nat_ms = 9\naction = \"settle\"\n[[timeline]]\nat_ms = 1\n"
                 "action = \"settle\"\n") ==
        "test.toml:7: [[timeline]] timeline entries must be in time order");
  CHECK(error_of(std::string(kHead) + "[[expect]]\nkind = \"event\"\nname = \"x\"\n") ==
        "test.toml:4: [[expect]] 'event' needs 'exactly', 'at_least' or 'at_most'");
  CHECK(error_of("not toml at all = = =").rfind("test.toml:1: ", 0) == 0);
  CHECK(error_of("").find("missing [scenario] table") != std::string::npos);
}
