#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

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

namespace {

// The values of one series over time, from the OpenMetrics text ("name{labels} value ts").
std::vector<double> series_values(const std::string& text, const std::string& series) {
  std::vector<double> values;
  std::size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') values.push_back(std::stod(text.substr(at + series.size())));
    at += series.size();
  }
  return values;
}

bool ever(const std::vector<double>& values, double wanted) {
  return std::find(values.begin(), values.end(), wanted) != values.end();
}

}  // namespace

TEST_CASE("metrics snapshots show a disconnect and its resync and leave the run unchanged") {
  const std::string text = std::string(kHead) +
                           "seed = 30\n[cluster]\nnodes = 2\n"
                           "[[timeline]]\nat_ms = 0\naction = \"promote\"\nnode = 0\n"
                           "[[timeline]]\nat_ms = 5\naction = \"disconnect\"\nnode = 0\npeer = 1\n"
                           "[[timeline]]\nat_ms = 6\naction = \"write\"\nnode = 0\ncount = 12\n"
                           "[[timeline]]\nat_ms = 50\naction = \"connect\"\nnode = 0\npeer = 1\n";
  const auto loaded = parse_scenario(text, "test.toml");
  REQUIRE_MESSAGE(loaded.value.has_value(), loaded.error);
  const auto plain = tandem::sim::run_scenario(*loaded.value, 30);
  tandem::sim::run_options options;
  options.metrics_interval_ns = 1'000'000;
  options.metrics_start_ms = 1'000'000;
  const auto observed = tandem::sim::run_scenario(*loaded.value, 30, options);
  REQUIRE(plain.ok());
  REQUIRE(observed.ok());
  CHECK(observed.trace_hash == plain.trace_hash);
  CHECK(observed.events_executed == plain.events_executed);
  CHECK(observed.log == plain.log);
  CHECK(plain.metrics_openmetrics.empty());
  // One snapshot per virtual millisecond from 0, plus the final state.
  CHECK(observed.metrics_snapshots >= 51);
  CHECK_FALSE(observed.metrics_truncated);
  const std::string& om = observed.metrics_openmetrics;
  CHECK(om.substr(om.size() - 6) == "# EOF\n");
  const std::string peer = "{node=\"n0\",name=\"t\",conn_name=\"n1\",peer_node_id=\"1\"";
  const auto standalone = series_values(om, "drbd_connection_state" + peer +
                                                ",drbd_connection_state=\"StandAlone\"}");
  const auto connected = series_values(om, "drbd_connection_state" + peer +
                                               ",drbd_connection_state=\"Connected\"}");
  const auto out_of_sync =
      series_values(om, "drbd_peerdevice_outofsync_bytes" + peer + ",volume=\"0\"}");
  const auto resynced =
      series_values(om, "tandem_peerdevice_resynced_bytes" + peer + ",volume=\"0\"}");
  // Disconnected: StandAlone is the state, the 12 writes are out of sync toward n1.
  CHECK(ever(standalone, 1));
  CHECK(ever(connected, 0));
  CHECK(ever(out_of_sync, 12 * 4096));
  // Reconnected: the resync moved them, and nothing is left out of sync.
  REQUIRE_FALSE(connected.empty());
  CHECK(connected.back() == 1);
  CHECK(standalone.back() == 0);
  CHECK(out_of_sync.back() == 0);
  CHECK(resynced.back() == 12 * 4096);
  // The timestamps are virtual time from options.metrics_start_ms, in seconds.
  CHECK(om.find(" 1000.001\n") != std::string::npos);
}

TEST_CASE("the resync controller options turn it on with DRBD's defaults for the rest") {
  const auto plain = parse_scenario(kHead, "test.toml");
  REQUIRE(plain.value.has_value());
  CHECK_FALSE(plain.value->cluster.resync_rate.has_value());
  const std::string text = std::string(kHead) +
                           "[cluster]\nc_max_rate = 1024\nc_min_rate = 0\n"
                           "[[expect]]\nkind = \"resync-duration\"\nnode = 1\nat_least = 900\n";
  const auto loaded = parse_scenario(text, "test.toml");
  REQUIRE_MESSAGE(loaded.value.has_value(), loaded.error);
  const auto& rate = loaded.value->cluster.resync_rate;
  REQUIRE(rate.has_value());
  CHECK(rate->max_rate_kib_s == 1024);
  CHECK(rate->min_rate_kib_s == 0);
  CHECK(rate->plan_ahead_ds == 20);
  CHECK(rate->fill_target_sectors == 100);
  CHECK(error_of(std::string(kHead) + "[cluster]\nc_plan_ahead = 301\n") ==
        "test.toml:5: [cluster] 'c_plan_ahead' must be an integer 0..300");
  CHECK(error_of(std::string(kHead) + "[[expect]]\nkind = \"resync-duration\"\nnode = 1\n") ==
        "test.toml:4: [[expect]] 'resync-duration' needs 'exactly', 'at_least' or 'at_most'");
}
