// Running a scenario: the timeline drives a simulated cluster; the invariants are checked along the
// way and at the end, then the scenario's own expectations.
#include <algorithm>
#include <map>
#include <optional>

#include "sim/link_counter_names.h"
#include "sim/metrics.h"
#include "sim/scenario.h"
#include "sim/write_tracker.h"

namespace tandem::sim {
namespace {

struct pending_read {
  int line = 0;
  bool may_fail = false;
  std::vector<std::byte> expected;
};

class scenario_runner {
 public:
  scenario_runner(const scenario& s, std::uint64_t seed, const run_options& run)
      : s_(s),
        run_(run),
        options_(with_seed(s.cluster, seed)),
        c_(options_),
        random_(seed ^ 0x7363656e),
        writes_(options_.volume_size_bytes) {}

  scenario_report run() {
    std::optional<metrics_recorder> recorder;
    if (run_.metrics_interval_ns > 0) {
      recorder.emplace(s_.name, run_.metrics_start_ms);
      c_.observe_every(run_.metrics_interval_ns,
                       [this, &recorder](std::uint64_t t) { recorder->snapshot(c_, t); });
    }
    c_.start();
    for (const auto& a : s_.timeline) {
      const std::uint64_t at_ns = a.at_ms * 1'000'000;
      if (at_ns > c_.now_ns()) c_.run_for(at_ns - c_.now_ns());
      collect();
      perform(a);
      check_single_primary(a.line);
    }
    if (!c_.run_until_quiet(50'000'000)) fail(0, "the cluster did not become quiet");
    collect();
    check_reads();
    check_end_state();
    for (const auto& e : s_.expectations) check(e);
    report_.writes_acknowledged = writes_.acknowledged();
    report_.events_executed = c_.events_executed();
    report_.simulated_ns = c_.now_ns();
    report_.trace_hash = c_.trace_hash();
    report_.log = c_.log();
    if (recorder) {
      c_.finish_observations();
      c_.observe_every(0, {});  // the recorder dies with this frame
      report_.metrics_openmetrics = recorder->openmetrics();
      report_.metrics_snapshots = recorder->snapshots();
      report_.metrics_truncated = recorder->truncated();
    }
    return std::move(report_);
  }

 private:
  static cluster_options with_seed(cluster_options options, std::uint64_t seed) {
    options.seed = seed;
    return options;
  }

  void fail(int line, const std::string& what) {
    report_.failures.push_back(s_.path + ":" + std::to_string(line) + ": " + what);
  }

  void collect() {
    const auto allowed = [](io_status, bool may_fail) { return may_fail; };
    std::vector<std::string> violations;
    writes_.collect(c_, allowed, c_.current_options().quorum.enabled(), violations);
    for (auto& v : violations) fail(0, v);
  }

  void admin(const scenario_action& a, admin_op op) {
    answered(a, c_.admin_command(a.node, op, a.peer));
  }

  // verify / invalidate: toward the named peer, or every suitable one.
  void targeted_admin(const scenario_action& a, admin_op op) {
    tandem::admin cmd;
    cmd.op = op;
    cmd.peer = a.peer;
    cmd.all_peers = !a.has_peer;
    answered(a, c_.admin_command(a.node, cmd));
  }

  void answered(const scenario_action& a, const admin_done& done) {
    if (a.refused && done.ok)
      fail(a.line, a.action + " on n" + std::to_string(a.node) + " was not refused");
    if (!a.refused && !done.ok)
      fail(a.line, a.action + " on n" + std::to_string(a.node) + " refused: " + done.message);
  }

  // add-replica / remove-replica: every member asked must agree (a live `adjust`).
  void membership(const scenario_action& a, const std::vector<admin_done>& answers) {
    for (const auto& done : answers) {
      if (!done.ok) fail(a.line, a.action + " n" + std::to_string(a.node) + ": " + done.message);
    }
  }

  void perform(const scenario_action& a) {
    if (a.action == "promote") return admin(a, admin_op::primary);
    if (a.action == "promote-force") return admin(a, admin_op::primary_force);
    if (a.action == "demote") return admin(a, admin_op::secondary);
    if (a.action == "disconnect") return admin(a, admin_op::disconnect);
    if (a.action == "connect") return admin(a, admin_op::connect);
    if (a.action == "write") return write(a);
    if (a.action == "read") return read(a);
    if (a.action == "cut") return c_.cut_link(a.node, a.peer);
    if (a.action == "heal") return c_.heal_link(a.node, a.peer);
    if (a.action == "isolate") return c_.isolate(a.node);
    if (a.action == "rejoin") return c_.rejoin(a.node);
    if (a.action == "disk-fail") return c_.fail_disk_writes(a.node);
    if (a.action == "crash") return c_.crash(a.node);
    if (a.action == "restart") return c_.restart(a.node);
    if (a.action == "release") return c_.release_held();
    if (a.action == "add-replica") return membership(a, c_.add_replica(a.node, !a.diskless));
    if (a.action == "remove-replica") return membership(a, c_.remove_replica(a.node));
    if (a.action == "verify") return targeted_admin(a, admin_op::verify);
    if (a.action == "invalidate") return targeted_admin(a, admin_op::invalidate);
    if (a.action == "resize") {
      return answered(a, c_.resize(a.node, 0, a.size_kib * 1024, a.assume_clean));
    }
    if (a.action == "corrupt") return c_.corrupt(a.node, 0, a.offset_kib * 1024, kBlockBytes);
    if (a.action == "cut-one-way") return c_.cut_one_way(a.node, a.peer);
    if (a.action == "heal-one-way") return c_.heal_one_way(a.node, a.peer);
    if (a.action == "set-link") return set_link(a);
    if (a.action == "slow") return c_.slow_node(a.node, a.latency_percent, a.delay_ns);
    if (a.action == "normal") return c_.slow_node(a.node, 100, 0);
    if (a.action == "read-error") {
      return c_.add_read_errors(a.node, a.volume, a.offset_kib * 1024, a.length_kib * 1024);
    }
    if (a.action == "detach") return admin(a, admin_op::detach);
    if (a.action == "adjust") return adjust(a);
    if (a.action == "attach") return targeted_admin(a, admin_op::attach);
    if (a.action == "settle") {
      if (!c_.run_until_quiet(50'000'000)) fail(a.line, "the cluster did not become quiet");
      return collect();
    }
    if (a.action == "hold") {
      for (int type = 0; type < 0x100; ++type) {
        if (a.message == wire::name_of(static_cast<wire::msg_type>(type))) {
          return c_.hold(a.node, a.peer, static_cast<wire::msg_type>(type));
        }
      }
      return fail(a.line, "hold: no message type named '" + a.message + "'");
    }
    fail(a.line, "action '" + a.action + "' is not implemented");
  }

  void adjust(const scenario_action& a) {
    const auto& o = a.options;
    adjustable_options wanted = c_.current_options();
    if (o.quorum) wanted.quorum = *o.quorum;
    if (o.quorum_minimum_redundancy) wanted.quorum_minimum_redundancy = *o.quorum_minimum_redundancy;
    if (o.on_no_quorum_policy) wanted.on_no_quorum_policy = *o.on_no_quorum_policy;
    if (o.after_sb_0pri_policy) wanted.split_brain.zero_primaries = *o.after_sb_0pri_policy;
    if (o.after_sb_1pri_policy) wanted.split_brain.one_primary = *o.after_sb_1pri_policy;
    if (o.after_sb_2pri_policy) wanted.split_brain.two_primaries = *o.after_sb_2pri_policy;
    if (o.allow_two_primaries) wanted.allow_two_primaries = *o.allow_two_primaries;
    if (o.checksum_resync) wanted.checksum_resync = *o.checksum_resync;
    if (o.io_error_policy) wanted.io_error_policy = *o.io_error_policy;
    for (const auto& done : c_.adjust_options(wanted)) answered(a, done);
  }

  void set_link(const scenario_action& a) {
    link_faults faults = c_.faults_of(a.node, a.peer);
    if (a.loss_ppm) faults.loss_ppm = *a.loss_ppm;
    if (a.duplicate_ppm) faults.duplicate_ppm = *a.duplicate_ppm;
    if (a.reorder_ppm) faults.reorder_ppm = *a.reorder_ppm;
    if (a.bandwidth_bytes_per_s) faults.bandwidth_bytes_per_s = *a.bandwidth_bytes_per_s;
    c_.set_link_faults(a.node, a.peer, faults);
  }

  // Writes of four whole blocks each, at a random block-aligned offset: what a torn write needs.
  void write_multi_block(const scenario_action& a) {
    constexpr std::uint64_t kBlocks = 4;
    int started = 0;
    for (int attempt = 0; started < a.count && attempt < a.count * 8; ++attempt) {
      const std::uint64_t block = random_.below(writes_.blocks() - kBlocks + 1);
      std::vector<std::byte> data(kBlocks * kBlockBytes);
      for (auto& b : data) b = static_cast<std::byte>(random_.next() & 0xff);
      if (writes_.start_write(c_, a.node, block * kBlockBytes, std::move(data), a.may_fail)) {
        ++started;
      }
    }
    if (started < a.count) fail(a.line, "could only start " + std::to_string(started) + " writes");
  }

  void write(const scenario_action& a) {
    if (a.size == "16k") return write_multi_block(a);
    int started = 0;
    for (int attempt = 0; started < a.count && attempt < a.count * 8; ++attempt) {
      const std::uint64_t block = random_.below(writes_.blocks());
      const bool whole = a.size == "4k" || (a.size == "mixed" && random_.below(2) == 0);
      const std::uint64_t sector = whole ? 0 : random_.below(kSectorsPerBlock);
      std::vector<std::byte> data(whole ? kBlockBytes : kSectorBytes);
      for (auto& b : data) b = static_cast<std::byte>(random_.next() & 0xff);
      const std::uint64_t offset = block * kBlockBytes + sector * kSectorBytes;
      if (writes_.start_write(c_, a.node, offset, std::move(data), a.may_fail)) ++started;
    }
    if (started < a.count) fail(a.line, "could only start " + std::to_string(started) + " writes");
  }

  void read(const scenario_action& a) {
    for (int i = 0; i < a.count; ++i) {
      const std::uint64_t offset = random_.below(writes_.blocks()) * kBlockBytes;
      auto expected = writes_.expected(offset, kBlockBytes);
      if (!expected) continue;  // a write to it is in flight, or failed: no single right answer
      reads_[c_.read(a.node, 0, offset, kBlockBytes)] = {a.line, a.may_fail, std::move(*expected)};
    }
  }

  // Two Primaries that see each other, or two with quorum, break the single-writer promise. Two in
  // separate partitions without quorum is a split brain, which must then be reported.
  void check_single_primary(int line) {
    const adjustable_options now = c_.current_options();  // an adjust may have changed them
    if (now.allow_two_primaries || two_primaries_reported_) return;
    int with_quorum = 0;
    for (int n = 0; n < options_.nodes; ++n) {
      const replica_view v = c_.view(static_cast<node_id>(n));
      if (v.local_role != role::primary) continue;
      if (now.quorum.enabled() && v.volumes[0].quorum) ++with_quorum;
      for (const auto& conn : v.connections) {
        if (conn.conn == conn_state::connected && conn.peer_role == role::primary) {
          two_primaries_reported_ = true;
          return fail(line, "n" + std::to_string(n) + " and n" + std::to_string(conn.peer) +
                                " are connected Primaries without allow-two-primaries");
        }
      }
    }
    if (with_quorum > 1) {
      two_primaries_reported_ = true;
      fail(line, std::to_string(with_quorum) + " Primaries have quorum at once");
    }
  }

  void check_reads() {
    for (const auto& [tag, read] : reads_) {
      const client_result& r = c_.result(tag);
      if (!r.done) {
        if (!read.may_fail) fail(read.line, "a read never completed");
      } else if (r.crashed) {
        continue;  // its node crashed before answering
      } else if (r.status != io_status::ok) {
        if (!read.may_fail) fail(read.line, std::string("a read failed: ") + to_string(r.status));
      } else if (r.data != read.expected) {
        fail(read.line, "a read returned data no acknowledged write left there");
      } else {
        ++reads_ok_;
      }
    }
  }

  // Out-of-sync marks `from` holds toward `to`: a difference somebody knows of is not silent.
  std::uint64_t marks_toward(node_id from, node_id to) const {
    for (const auto& conn : c_.view(from).connections) {
      if (conn.peer == to) return conn.volumes[0].out_of_sync_blocks;
    }
    return 0;
  }

  bool split_brain_reported() const { return !c_.events_named("split-brain").empty(); }

  // Every node that is UpToDate and connected to everybody holds every acknowledged write; two
  // UpToDate nodes in sync with each other hold the same bytes, unless a split brain was reported.
  void check_end_state() {
    if (writes_.in_flight() != 0) {
      bool any_required = false;
      for (const auto& a : s_.timeline) any_required |= a.action == "write" && !a.may_fail;
      if (any_required) fail(0, std::to_string(writes_.in_flight()) + " writes never completed");
    }
    if (split_brain_reported()) return;
    std::vector<node_id> settled;
    for (int n = 0; n < options_.nodes; ++n) {
      const auto node = static_cast<node_id>(n);
      if (mask_has(options_.diskless_nodes, node) || !c_.is_up(node)) continue;
      const replica_view v = c_.view(node);
      if (v.volumes[0].disk != disk_state::uptodate) continue;
      bool connected_to_all = true;
      for (const auto& conn : v.connections) {
        const bool in_sync =
            conn.conn == conn_state::connected && conn.volumes[0].repl == repl_state::established;
        connected_to_all &= in_sync;
        const bool peer_uptodate = conn.volumes[0].peer_disk == disk_state::uptodate;
        if (in_sync && peer_uptodate && conn.volumes[0].out_of_sync_blocks == 0 &&
            marks_toward(conn.peer, node) == 0 &&
            c_.disk_bytes(node, 0) != c_.disk_bytes(conn.peer, 0)) {
          fail(0, "n" + std::to_string(n) + " and n" + std::to_string(conn.peer) +
                      " are in sync and UpToDate but hold different data (silent divergence)");
        }
      }
      if (connected_to_all) settled.push_back(node);
    }
    if (!settled.empty()) {
      std::vector<std::string> violations;
      writes_.check_replicas(c_, settled, settled.front(), violations);
      for (auto& v : violations) fail(0, v);
    }
  }

  bool compare(const scenario_expectation& e, std::int64_t actual, const std::string& what) {
    const bool ok = (!e.exactly || actual == *e.exactly) &&
                    (!e.at_least || actual >= *e.at_least) && (!e.at_most || actual <= *e.at_most);
    if (!ok) {
      std::string bound;
      if (e.exactly) bound += " exactly " + std::to_string(*e.exactly);
      if (e.at_least) bound += " at least " + std::to_string(*e.at_least);
      if (e.at_most) bound += " at most " + std::to_string(*e.at_most);
      fail(e.line, what + " is " + std::to_string(actual) + ", expected" + bound);
    }
    return ok;
  }

  void expect_name(const scenario_expectation& e, std::string_view actual,
                   const std::string& what) {
    if (actual != e.state) {
      fail(e.line, what + " is " + std::string(actual) + ", expected " + e.state);
    }
  }

  static const connection_view* connection(node_id peer, const replica_view& v) {
    for (const auto& conn : v.connections) {
      if (conn.peer == peer) return &conn;
    }
    return nullptr;
  }

  // The simulated time from the node's first resync-started event to its last resync-finished
  // event. Each log line starts with its time, "   S.UUUUUUs".
  std::optional<std::uint64_t> resync_duration_ms(const std::string& n) const {
    auto time_ms = [](const std::string& line) {
      const std::size_t dot = line.find('.');
      return std::stoull(line.substr(0, dot)) * 1000 + std::stoull(line.substr(dot + 1, 6)) / 1000;
    };
    auto on_node = [&](const std::string& line) {
      return line.find(" " + n + " event ") != std::string::npos;
    };
    std::optional<std::uint64_t> started, finished;
    for (const auto& line : c_.events_named("resync-started")) {
      if (on_node(line) && !started) started = time_ms(line);
    }
    for (const auto& line : c_.events_named("resync-finished")) {
      if (on_node(line)) finished = time_ms(line);
    }
    if (!started || !finished || *finished < *started) return std::nullopt;
    return *finished - *started;
  }

  void check(const scenario_expectation& e) {
    const std::string n = "n" + std::to_string(e.node);
    const replica_view v = c_.view(e.node);
    if (e.kind == "disk") return expect_name(e, to_string(v.volumes[0].disk), n + " disk");
    if (e.kind == "role") return expect_name(e, to_string(v.local_role), n + " role");
    if (e.kind == "quorum")
      return expect_name(e, v.volumes[0].quorum ? "yes" : "no", n + " quorum");
    if (e.kind == "connection" || e.kind == "replication") {
      const connection_view* conn = connection(e.peer, v);
      if (!conn) return fail(e.line, n + " has no connection to n" + std::to_string(e.peer));
      const std::string what = n + " " + e.kind + " to n" + std::to_string(e.peer);
      return expect_name(
          e, e.kind == "connection" ? to_string(conn->conn) : to_string(conn->volumes[0].repl),
          what);
    }
    if (e.kind == "event") {
      std::int64_t count = 0;
      for (const auto& line : c_.events_named(e.name)) {
        if (e.any_node || line.find(" " + n + " event ") != std::string::npos) ++count;
      }
      compare(e, count, "count of '" + e.name + "' events" + (e.any_node ? "" : " on " + n));
      return;
    }
    if (e.kind == "resync") {
      compare(e, static_cast<std::int64_t>(c_.resync_bytes_received(e.node) / kBlockBytes),
              "4 KiB blocks resynced to " + n);
      return;
    }
    if (e.kind == "out-of-sync") {
      compare(e, static_cast<std::int64_t>(marks_toward(e.node, e.peer)),
              "blocks " + n + " marks out of sync toward n" + std::to_string(e.peer));
      return;
    }
    if (e.kind == "verified") {
      const connection_view* conn = connection(e.peer, v);
      if (!conn) return fail(e.line, n + " has no connection to n" + std::to_string(e.peer));
      compare(e, static_cast<std::int64_t>(conn->volumes[0].verify_out_of_sync_blocks),
              "blocks " + n + "'s verify of n" + std::to_string(e.peer) + " found out of sync");
      return;
    }
    if (e.kind == "resync-skipped") {
      std::uint64_t skipped = 0;
      for (const auto& conn : v.connections) skipped += conn.volumes[0].resync_skipped_blocks;
      compare(e, static_cast<std::int64_t>(skipped), "blocks " + n + " skipped by checksum");
      return;
    }
    if (e.kind == "resync-duration") {
      const std::optional<std::uint64_t> ms = resync_duration_ms(n);
      if (!ms) return fail(e.line, n + " has no resync-started and later resync-finished event");
      compare(e, static_cast<std::int64_t>(*ms), "simulated ms of " + n + "'s resyncs");
      return;
    }
    if (e.kind == "link") {
      const link_counters& counters = c_.counters(e.node, e.peer);
      compare(e, static_cast<std::int64_t>(link_counter(counters, e.name).value_or(0)),
              e.name + " on " + n + " -> n" + std::to_string(e.peer));
      return;
    }
    if (e.kind == "reads-ok") {
      compare(e, static_cast<std::int64_t>(reads_ok_), "reads that returned acknowledged data");
      return;
    }
    if (e.kind == "read-errors") {
      compare(e, static_cast<std::int64_t>(c_.read_errors(e.node)), "disk read errors on " + n);
      return;
    }
    if (e.kind == "write-latency") {
      compare(e, static_cast<std::int64_t>(writes_.max_ack_latency_ns() / 1000),
              "microseconds the slowest acknowledged write took");
      return;
    }
    if (e.kind == "log") {
      std::int64_t lines = 0;
      for (const auto& line : c_.log()) {
        const bool on_node = e.any_node || line.find(" " + n + " ") != std::string::npos;
        if (on_node && line.find(e.contains) != std::string::npos) ++lines;
      }
      compare(e, lines,
              "log lines containing '" + e.contains + "'" + (e.any_node ? "" : " on " + n));
      return;
    }
    if (e.kind == "identical") {
      for (node_id other : e.nodes) {
        if (c_.disk_bytes(other, 0) != c_.disk_bytes(e.nodes.front(), 0)) {
          fail(e.line,
               "n" + std::to_string(other) + " differs from n" + std::to_string(e.nodes.front()));
        }
      }
    }
  }

  const scenario& s_;
  run_options run_;
  cluster_options options_;
  cluster c_;
  prng random_;
  write_tracker writes_;
  std::map<std::uint64_t, pending_read> reads_;
  scenario_report report_;
  bool two_primaries_reported_ = false;
  std::uint64_t reads_ok_ = 0;  // reads that returned the acknowledged data
};

}  // namespace

scenario_report run_scenario(const scenario& s, std::uint64_t seed, const run_options& options) {
  const scenario resolved = resolve_ranges(s, seed);
  return scenario_runner(resolved, seed, options).run();
}

}  // namespace tandem::sim
