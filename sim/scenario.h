// Scenario files (scenarios/*.toml): a cluster, a timeline of operator actions and faults, and the
// expected outcome. Loading validates everything and names the file, line and key of any mistake.
// docs/scenarios.md documents the format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/cluster.h"

namespace tandem::sim {

struct scenario_action {
  int line = 0;
  std::uint64_t at_ms = 0;  // for a range, its earliest time until resolve_ranges draws one
  // `at_ms = [lo, hi]` in the file: at_ms is lo, this is hi (inclusive); resolve_ranges draws the
  // time per seed and clears it.
  std::optional<std::uint64_t> at_ms_latest;
  std::string action;  // promote, promote-force, demote, write, read, cut, heal, isolate, rejoin,
                       // disk-fail, disconnect, connect, hold, release, settle, add-replica
                       // (a brand-new diskful replica), remove-replica, verify, invalidate,
                       // resize, corrupt, detach, attach, cut-one-way, heal-one-way,
                       // set-link, slow, normal, read-error, adjust
  node_id node = 0;
  node_id peer = 0;
  int count = 1;
  std::string size = "4k";  // write: 4k, 512, mixed, 16k (four blocks)
  std::string message;      // hold: a wire message name, e.g. write_ack
  bool refused = false;     // promote/demote: the command must be refused
  bool may_fail = false;    // write: failures (no quorum, no data) are allowed
  bool has_peer = false;    // verify / invalidate / attach: a named peer (else any suitable one)
  bool diskless = false;    // add-replica: the node joins as a diskless client
  std::uint64_t size_kib = 0;    // resize: the new volume size
  bool assume_clean = false;     // resize: the new area needs no sync
  std::uint64_t offset_kib = 0;  // corrupt: where the 4 KiB of bit rot start; read-error: ditto
  std::uint64_t length_kib = 4;  // read-error: how much of the disk turns unreadable
  volume_nr volume = 0;          // read-error
  // set-link: the faults to change on the link node-peer (unset: unchanged).
  std::optional<std::uint32_t> loss_ppm, duplicate_ppm, reorder_ppm;
  std::optional<std::uint64_t> bandwidth_bytes_per_s;
  // slow: disk latency multiplied by latency_percent / 100, frames sent delay_ns late.
  std::uint32_t latency_percent = 100;
  std::uint64_t delay_ns = 0;
  // adjust: the options it changes on every running node (unset: unchanged).
  struct option_changes {
    std::optional<quorum_setting> quorum, quorum_minimum_redundancy;
    std::optional<on_no_quorum> on_no_quorum_policy;
    std::optional<after_sb_0pri> after_sb_0pri_policy;
    std::optional<after_sb_1pri> after_sb_1pri_policy;
    std::optional<after_sb_2pri> after_sb_2pri_policy;
    std::optional<bool> allow_two_primaries, checksum_resync;
    std::optional<on_io_error> io_error_policy;
  } options;
};

struct scenario_expectation {
  int line = 0;
  std::string kind;  // disk, role, connection, replication, quorum, event, resync, identical,
                     // out-of-sync (node's marks toward peer), verified (node's last verify of
                     // peer: blocks found out of sync), resync-skipped (blocks the checksum
                     // resync did not transfer, counted by node), link (a link_counters
                     // field of node -> peer), reads-ok, read-errors, write-latency, log
  node_id node = 0;
  node_id peer = 0;
  bool any_node = true;  // event: count over every node
  std::string state;     // disk / role / connection / replication state name, quorum yes/no
  std::string name;      // event name
  std::optional<std::int64_t> exactly;
  std::optional<std::int64_t> at_least;
  std::optional<std::int64_t> at_most;
  std::vector<node_id> nodes;  // identical
  std::string contains;        // log: the text a counted log line contains
};

struct scenario {
  std::string path;
  std::string name;
  std::string proves;
  std::uint64_t seed = 1;
  cluster_options cluster;
  std::vector<scenario_action> timeline;
  std::vector<scenario_expectation> expectations;
};

struct scenario_load {
  std::optional<scenario> value;
  std::string error;  // "<file>:<line>: <what is wrong>"
};

scenario_load parse_scenario(std::string_view text, const std::string& path);
scenario_load load_scenario(const std::string& path);

// Draws every `at_ms = [lo, hi]` of the timeline for this seed, uniformly and inclusively, from a
// PRNG stream of its own (so scenarios without ranges run exactly as before). A pure function of
// (scenario, seed): `run --seed N` and a sweep's seed N resolve the same times. run_scenario calls
// it; the reproducer writer calls it to learn the values it writes.
scenario resolve_ranges(const scenario& s, std::uint64_t seed);

struct scenario_report {
  std::vector<std::string> failures;  // broken invariants and unmet expectations
  std::uint64_t writes_acknowledged = 0;
  std::uint64_t events_executed = 0;
  std::uint64_t simulated_ns = 0;
  std::uint64_t trace_hash = 0;
  std::vector<std::string> log;
  // With run_options::metrics_interval_ns: the run's metrics as OpenMetrics text (sim/metrics.h).
  std::string metrics_openmetrics;
  std::size_t metrics_snapshots = 0;
  bool metrics_truncated = false;
  bool ok() const { return failures.empty(); }
};

struct run_options {
  std::uint64_t metrics_interval_ns = 0;  // 0 = no metrics snapshots
  std::int64_t metrics_start_ms = 0;      // the timestamp of virtual time 0
};

// Resolves the timeline's ranges for `seed` first (resolve_ranges). Metrics snapshots only
// observe: the same scenario and seed give the same run and trace hash with or without them.
scenario_report run_scenario(const scenario& s, std::uint64_t seed,
                             const run_options& options = {});

}  // namespace tandem::sim
