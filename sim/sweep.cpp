#include "sim/sweep.h"

#include <map>
#include <set>

#include "sim/cluster.h"
#include "sim/write_tracker.h"

namespace tandem::sim {
namespace {

// Every node connected to every other, nothing resyncing, nothing marked out of sync.
bool cluster_clean(const cluster& c) {
  for (int n = 0; n < c.node_count(); ++n) {
    if (!c.is_up(static_cast<node_id>(n))) return false;
    for (const auto& conn : c.view(static_cast<node_id>(n)).connections) {
      if (conn.conn != conn_state::connected || conn.volumes[0].repl != repl_state::established ||
          conn.volumes[0].out_of_sync_blocks != 0) {
        return false;
      }
    }
  }
  return true;
}

bool fully_in_sync(const cluster& c, node_id primary, node_id candidate) {
  if (!c.is_up(primary) || !c.is_up(candidate)) return false;
  // The operator also checks that both report the same generation (drbdadm status shows it).
  const replica_view candidate_view = c.view(candidate);
  if (candidate_view.volumes[0].disk == disk_state::uptodate &&
      uuid_value(candidate_view.volumes[0].current) !=
          uuid_value(c.view(primary).volumes[0].current)) {
    return false;
  }
  // A diskless node keeps no bitmaps, so it cannot vouch for anybody: only a clean cluster will do.
  const bool diskless_involved = c.view(primary).volumes[0].disk == disk_state::diskless ||
                                 c.view(candidate).volumes[0].disk == disk_state::diskless;
  if (diskless_involved) return cluster_clean(c);
  for (const auto& conn : c.view(primary).connections) {
    if (conn.peer != candidate) continue;
    return conn.conn == conn_state::connected && conn.volumes[0].repl == repl_state::established &&
           conn.volumes[0].peer_disk == disk_state::uptodate &&
           conn.volumes[0].out_of_sync_blocks == 0;
  }
  return false;
}

}  // namespace

sweep_report run_sweep(std::uint64_t seed, const sweep_options& options) {
  sweep_report report;
  report.seed = seed;
  cluster_options co;
  co.nodes = options.nodes + (options.diskless_client ? 1 : 0);
  if (options.diskless_client) co.diskless_nodes = mask_of(static_cast<node_id>(options.nodes));
  if (options.quorum) {
    co.quorum = {quorum_setting::kind::majority, 0};
    co.on_no_quorum_policy = on_no_quorum::io_error;
  }
  co.volume_size_bytes = options.volume_size_bytes;
  co.proto = options.proto;
  co.planted = options.planted;
  if (options.resync_rate) {
    // Slow enough that links are cut and writes arrive while resyncs are paced.
    co.resync_rate.emplace();
    co.resync_rate->max_rate_kib_s = 4096;
  }
  if (options.lossy_network) {
    // A data-centre network having a bad day: a little loss, duplication and reordering, TCP
    // timers tuned short so that the schedule's few hundred milliseconds see them fire.
    co.link.loss_ppm = 20'000;
    co.link.duplicate_ppm = 10'000;
    co.link.reorder_ppm = 50'000;
    co.link.reorder_delay_max_ns = 1'000'000;
    co.link.rto_initial_ns = 5'000'000;
    co.link.timeout_ns = 60'000'000;
    co.link.ping_interval_ns = 20'000'000;
  }
  co.seed = seed;
  cluster c(co);
  prng random(seed ^ 0x73776570);
  c.start();
  node_id primary = 0;
  c.admin_command(primary, admin_op::primary);

  write_tracker writes(options.volume_size_bytes);
  node_id primary_of_write = primary;
  // A Primary with its own disk never fails a write here (simulated disks do not fail in a sweep);
  // a diskless one fails writes when it reaches no disk, as DRBD does, and any Primary fails them
  // without quorum. With crashes, a node promoted in the middle of a resync as target (allowed
  // while its source is UpToDate) fails writes with no_data once that source is gone, as DRBD
  // does when a Primary loses access to UpToDate data.
  const auto failure_allowed = [&](io_status status, bool) {
    return c.view(primary_of_write).volumes[0].disk == disk_state::diskless ||
           status == io_status::no_quorum || (options.crashes && status == io_status::no_data);
  };
  auto collect = [&] { writes.collect(c, failure_allowed, options.quorum, report.violations); };

  bool have_primary = true;  // false after the Primary crashed with no in-sync node to take over
  auto crash_one = [&] {
    const auto victim = static_cast<node_id>(random.below(co.nodes));
    for (int n = 0; n < co.nodes; ++n) {
      if (!c.is_up(static_cast<node_id>(n))) return;  // one node down at a time
    }
    // The operator fails over only to a node that held every acknowledged write at the crash.
    std::optional<node_id> successor;
    if (have_primary && victim == primary) {
      for (int n = 0; n < co.nodes && !successor; ++n) {
        const auto candidate = static_cast<node_id>(n);
        if (candidate != victim && fully_in_sync(c, primary, candidate)) successor = candidate;
      }
    }
    c.crash(victim);
    ++report.crashes;
    if (!have_primary || victim != primary) return;
    have_primary = false;
    if (successor && c.admin_command(*successor, admin_op::primary).ok) {
      primary = *successor;
      have_primary = true;
    }
  };
  auto restart_one = [&] {
    for (int n = 0; n < co.nodes; ++n) {
      if (!c.is_up(static_cast<node_id>(n))) return c.restart(static_cast<node_id>(n));
    }
  };
  // Without a Primary, once everything is back and in sync, the operator promotes node 0 again.
  auto recover_primary = [&] {
    if (have_primary || !cluster_clean(c)) return;
    if (c.admin_command(0, admin_op::primary).ok) {
      primary = 0;
      have_primary = true;
    }
  };

  for (int step = 0; step < options.steps; ++step) {
    const std::uint64_t action = random.below(100);
    if (action < 60) {
      primary_of_write = primary;
      if (have_primary) {
        writes.start_random_write(c, primary, random, options.small_writes && random.below(3) == 0);
      }
    } else if (action < 70) {
      const auto a = static_cast<node_id>(random.below(co.nodes));
      const auto b = static_cast<node_id>(random.below(co.nodes));
      if (a != b) {
        if (options.lossy_network && random.below(2) == 0) {
          c.cut_one_way(a, b);  // healed by the heal of the link, like a symmetric cut
        } else {
          c.cut_link(a, b);
        }
        ++report.link_cuts;
      }
    } else if (action < 82) {
      const auto a = static_cast<node_id>(random.below(co.nodes));
      const auto b = static_cast<node_id>(random.below(co.nodes));
      if (a != b) c.heal_link(a, b);
    } else if (action < 85 && writes.in_flight() == 0 && options.migrations && have_primary) {
      // The operator migrates the VM only to a node that holds every acknowledged write.
      const auto target = static_cast<node_id>(random.below(co.nodes));
      if (target != primary && fully_in_sync(c, primary, target)) {
        c.admin_command(primary, admin_op::secondary);
        c.run_for(1'000'000);
        if (c.admin_command(target, admin_op::primary).ok) {
          primary = target;
          ++report.migrations;
        } else {
          c.admin_command(primary, admin_op::primary);
        }
      }
    } else if (action < 88 && options.crashes) {
      crash_one();
    } else if (action < 92 && options.crashes) {
      restart_one();
    }
    recover_primary();
    c.run_for(random.below(2'000'000));
    collect();
  }
  for (int n = 0; n < co.nodes; ++n) c.restart(static_cast<node_id>(n));
  for (int a = 0; a < co.nodes; ++a) {
    for (int b = a + 1; b < co.nodes; ++b)
      c.heal_link(static_cast<node_id>(a), static_cast<node_id>(b));
  }
  // A cluster that keeps reconnecting without settling (a livelock) fails within a bounded
  // virtual time instead of running for hours: settling takes seconds (the largest resync at the
  // slowest rate included).
  constexpr std::uint64_t kSettleLimitNs = 600'000'000'000;
  if (!c.run_until_quiet(50'000'000, kSettleLimitNs))
    report.violations.push_back("the cluster did not become quiet within 600 s");
  collect();
  if (writes.in_flight() != 0) {
    report.violations.push_back(std::to_string(writes.in_flight()) + " writes never completed");
  }

  const node_id reference = 0;  // node 0 always has a disk
  for (int n = 0; n < co.nodes; ++n) {
    const auto node = static_cast<node_id>(n);
    const replica_view v = c.view(node);
    if (mask_has(co.diskless_nodes, node)) {
      for (const auto& conn : v.connections) {
        if (conn.conn != conn_state::connected) {
          report.violations.push_back("diskless n" + std::to_string(n) + " not connected to n" +
                                      std::to_string(conn.peer));
        }
      }
      continue;
    }
    if (v.volumes[0].disk != disk_state::uptodate) {
      report.violations.push_back("n" + std::to_string(n) + " ended " +
                                  std::string(to_string(v.volumes[0].disk)));
    }
    for (const auto& conn : v.connections) {
      if (conn.conn != conn_state::connected || conn.volumes[0].repl != repl_state::established) {
        report.violations.push_back("n" + std::to_string(n) + " to n" + std::to_string(conn.peer) +
                                    " ended " + std::string(to_string(conn.conn)) + "/" +
                                    std::string(to_string(conn.volumes[0].repl)));
      }
    }
    writes.check_replicas(c, {node}, reference, report.violations);
    report.resync_bytes += c.resync_bytes_received(node);
  }
  if (options.quorum && !c.events_named("split-brain").empty()) {
    report.violations.push_back("split brain with quorum enabled");
  }
  report.writes_acknowledged = writes.acknowledged();
  report.events_executed = c.events_executed();
  report.simulated_ns = c.now_ns();
  report.trace_hash = c.trace_hash();
  if (options.keep_log) report.log = c.log();
  return report;
}

}  // namespace tandem::sim
