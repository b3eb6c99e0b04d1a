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
  // A float where an integer belongs is refused, not converted (1e24 does not fit an int64;
  // converting it was undefined behaviour, found by fuzz_scenario).
  CHECK(error_of(std::string(kHead) + "[[expect]]\nkind = \"event\"\nname = \"x\"\n"
                                      "at_least = 1e24\n") ==
        "test.toml:7: [[expect]] 'at_least' has the wrong type");
  CHECK(error_of(std::string(kHead) + "[cluster]\nnodes = 3.0\n") ==
        "test.toml:5: [cluster] 'nodes' has the wrong type");
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

TEST_CASE("the network and disk model keys are read, with per-link and per-node overrides") {
  const std::string text = std::string(kHead) +
                           "[cluster]\nnodes = 3\nlink_loss_percent = 2.5\n"
                           "link_duplicate_percent = 1\nlink_reorder_percent = 10\n"
                           "link_reorder_delay_us = 500\nlink_rto_ms = 50\nlink_timeout_ms = 900\n"
                           "link_ping_interval_ms = 300\nlink_bandwidth_kib_per_s = 1024\n"
                           "disk_bandwidth_kib_per_s = 4096\ntorn_writes = true\n"
                           "[[link]]\nnodes = [2, 0]\nlatency_us = [1000, 2000]\nloss_percent = 0\n"
                           "[[node]]\nid = 1\ndisk_latency_us = [5, 6]\n"
                           "[[timeline]]\nat_ms = 1\naction = \"cut-one-way\"\nnode = 0\npeer = 1\n"
                           "[[timeline]]\nat_ms = 2\naction = \"set-link\"\nnode = 0\npeer = 1\n"
                           "reorder_percent = 0.5\n"
                           "[[timeline]]\nat_ms = 3\naction = \"slow\"\nnode = 2\nfactor = 2.5\n"
                           "delay_us = 700\n"
                           "[[timeline]]\nat_ms = 4\naction = \"read-error\"\nnode = 1\n"
                           "offset_kib = 8\nlength_kib = 12\n"
                           "[[timeline]]\nat_ms = 5\naction = \"write\"\nsize = \"16k\"\n"
                           "[[expect]]\nkind = \"link\"\nnode = 0\npeer = 1\n"
                           "name = \"retransmissions\"\nat_least = 1\n"
                           "[[expect]]\nkind = \"log\"\ncontains = \"torn write\"\nat_least = 1\n";
  const auto loaded = parse_scenario(text, "test.toml");
  REQUIRE_MESSAGE(loaded.value.has_value(), loaded.error);
  const auto& c = loaded.value->cluster;
  CHECK(c.link.loss_ppm == 25'000);
  CHECK(c.link.duplicate_ppm == 10'000);
  CHECK(c.link.reorder_ppm == 100'000);
  CHECK(c.link.reorder_delay_max_ns == 500'000);
  CHECK(c.link.rto_initial_ns == 50'000'000);
  CHECK(c.link.timeout_ns == 900'000'000);
  CHECK(c.link.ping_interval_ns == 300'000'000);
  CHECK(c.link.bandwidth_bytes_per_s == 1024 * 1024);
  CHECK(c.disk_bandwidth_bytes_per_s == 4096 * 1024);
  CHECK(c.torn_writes);
  CHECK(c.torn_write_granularity_bytes == 512);  // a sector unless the file says otherwise
  const auto& own = c.link_overrides.at({0, 2});
  CHECK(own.latency_min_ns == 1'000'000);
  CHECK(own.faults.loss_ppm == 0);
  CHECK(own.faults.reorder_ppm == 100'000);  // the [cluster] value where the link says nothing
  CHECK(c.disk_overrides.at(1).latency_max_ns == 6'000);
  CHECK(c.disk_overrides.at(1).bandwidth_bytes_per_s == 4096 * 1024);
  const auto& t = loaded.value->timeline;
  CHECK(t[0].peer == 1);
  CHECK(*t[1].reorder_ppm == 5'000);
  CHECK_FALSE(t[1].loss_ppm.has_value());
  CHECK(t[2].latency_percent == 250);
  CHECK(t[2].delay_ns == 700'000);
  CHECK(t[3].offset_kib == 8);
  CHECK(t[3].length_kib == 12);
  CHECK(t[4].size == "16k");
  CHECK(loaded.value->expectations[0].name == "retransmissions");
  CHECK(loaded.value->expectations[1].contains == "torn write");
}

TEST_CASE("mistakes in the model keys name the file, the line and the key") {
  CHECK(error_of(std::string(kHead) + "[cluster]\nlink_loss_percent = 120\n") ==
        "test.toml:5: [cluster] 'link_loss_percent' must be a number 0..100 (percent)");
  CHECK(error_of(std::string(kHead) + "[cluster]\nlink_loss_percent = 100\n") ==
        "test.toml:5: [cluster] 'link_loss_percent' must be below 100");
  CHECK(error_of(std::string(kHead) + "[cluster]\nlink_jitter_us = 3\n") ==
        "test.toml:5: [cluster] unknown key 'link_jitter_us'");
  CHECK(error_of(std::string(kHead) + "[cluster]\nlink_rto_ms = 500\nlink_rto_max_ms = 100\n") ==
        "test.toml:4: [cluster] 'link_rto_max_ms' must not be below 'link_rto_ms'");
  CHECK(error_of(std::string(kHead) + "[[link]]\nnodes = [1, 1]\n") ==
        "test.toml:5: [[link]] 'nodes' must name two different nodes");
  CHECK(error_of(std::string(kHead) + "[[link]]\nnodes = [0, 1]\nloss = 3\n") ==
        "test.toml:6: [[link]] unknown key 'loss'");
  CHECK(error_of(std::string(kHead) + "[[link]]\nnodes = [0, 1]\n[[link]]\nnodes = [1, 0]\n") ==
        "test.toml:6: [[link]] the link n0-n1 is listed twice");
  CHECK(error_of(std::string(kHead) + "[[node]]\nid = 7\n") ==
        "test.toml:5: [[node]] 'id' = 7 is outside 0..2");
  CHECK(error_of(std::string(kHead) + "[[timeline]]\nat_ms = 1\naction = \"set-link\"\n"
                                      "node = 0\npeer = 1\n") ==
        "test.toml:4: [[timeline]] 'set-link' needs 'loss_percent', 'duplicate_percent', "
        "'reorder_percent' or 'bandwidth_kib_per_s'");
  CHECK(error_of(std::string(kHead) + "[[timeline]]\nat_ms = 1\naction = \"slow\"\n"
                                      "factor = \"fast\"\n") ==
        "test.toml:7: [[timeline]] 'factor' must be a number 0.01..1000");
  CHECK(error_of(std::string(kHead) + "[[timeline]]\nat_ms = 1\naction = \"read-error\"\n"
                                      "offset_kib = 4094\nlength_kib = 4\n") ==
        "test.toml:4: [[timeline]] 'offset_kib' + 'length_kib' reach past the end of the volume");
  CHECK(error_of(std::string(kHead) + "[[timeline]]\nat_ms = 1\naction = \"cut-one-way\"\n") ==
        "test.toml:4: [[timeline]] 'cut-one-way' needs 'peer'");
  CHECK(error_of(std::string(kHead) + "[[timeline]]\nat_ms = 1\naction = \"heal\"\nnode = 0\n"
                                      "peer = 1\nloss_percent = 1\n") ==
        "test.toml:9: [[timeline]] unknown key 'loss_percent'");
  CHECK(error_of(std::string(kHead) + "[[expect]]\nkind = \"link\"\nnode = 0\npeer = 1\n"
                                      "name = \"drops\"\nat_least = 1\n")
            .rfind("test.toml:8: [[expect]] 'link' needs 'name', one of ", 0) == 0);
  CHECK(error_of(std::string(kHead) + "[[expect]]\nkind = \"log\"\nat_least = 1\n") ==
        "test.toml:4: [[expect]] 'log' needs 'contains'");
  CHECK(error_of(std::string(kHead) + "[cluster]\ntorn_write_granularity_bytes = 4096\n") ==
        "test.toml:5: [cluster] 'torn_write_granularity_bytes' needs 'torn_writes = true'");
  CHECK(error_of(std::string(kHead) +
                 "[cluster]\ntorn_writes = true\ntorn_write_granularity_bytes = 1536\n") ==
        "test.toml:6: [cluster] 'torn_write_granularity_bytes' must be 512, 1024, 2048 or 4096");
  CHECK(error_of(std::string(kHead) +
                 "[cluster]\ntorn_writes = true\ntorn_write_granularity_bytes = 256\n") ==
        "test.toml:6: [cluster] 'torn_write_granularity_bytes' = 256 is outside 512..4096");
  const auto loaded = parse_scenario(
      std::string(kHead) + "[cluster]\ntorn_writes = true\ntorn_write_granularity_bytes = 4096\n",
      "test.toml");
  REQUIRE_MESSAGE(loaded.value.has_value(), loaded.error);
  CHECK(loaded.value->cluster.torn_write_granularity_bytes == 4096);
}
