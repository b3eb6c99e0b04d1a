#include "sim/sweep.h"

#include <map>
#include <set>

#include "sim/cluster.h"

namespace tandem::sim {
namespace {

struct pending_write {
  std::uint64_t offset_bytes;
  std::vector<std::byte> data;
};

std::uint64_t fnv(const std::vector<std::string>& lines) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const auto& line : lines) {
    for (char ch : line) {
      hash ^= static_cast<unsigned char>(ch);
      hash *= 0x100000001b3ull;
    }
  }
  return hash;
}

// Every node connected to every other, nothing resyncing, nothing marked out of sync.
bool cluster_clean(const cluster& c) {
  for (int n = 0; n < c.node_count(); ++n) {
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
  co.seed = seed;
  cluster c(co);
  prng random(seed ^ 0x73776570);
  c.start();
  node_id primary = 0;
  c.admin_command(primary, admin_op::primary);

  const std::uint64_t blocks = options.volume_size_bytes / kBlockBytes;
  std::vector<std::byte> model(options.volume_size_bytes);
  std::map<std::uint64_t, pending_write> in_flight;  // tag -> write
  std::set<std::uint64_t> busy_blocks;
  // Blocks whose last write failed: they may hold the old or the new data (no promise was made),
  // but every replica must still agree on them.
  std::set<std::uint64_t> undefined_blocks;
  node_id primary_of_write = primary;
  auto collect = [&] {
    for (auto it = in_flight.begin(); it != in_flight.end();) {
      const client_result& r = c.result(it->first);
      if (!r.done) {
        ++it;
        continue;
      }
      const std::uint64_t block = it->second.offset_bytes / kBlockBytes;
      if (r.status != io_status::ok) {
        // A Primary with its own disk never fails a write here (simulated disks do not fail in a
        // sweep); a diskless one fails writes when it reaches no disk, as DRBD does, and any
        // Primary fails them without quorum.
        const bool allowed = c.view(primary_of_write).volumes[0].disk == disk_state::diskless ||
                             r.status == io_status::no_quorum;
        if (!allowed) {
          report.violations.push_back("write tag " + std::to_string(it->first) +
                                      " failed: " + to_string(r.status));
        }
        undefined_blocks.insert(block);
      } else {
        // Only a whole-block write defines a block again: a partial one leaves the sectors a
        // failed write may have changed as they are.
        if (it->second.data.size() == kBlockBytes) undefined_blocks.erase(block);
        ++report.writes_acknowledged;
        std::copy(it->second.data.begin(), it->second.data.end(),
                  model.begin() + static_cast<std::ptrdiff_t>(it->second.offset_bytes));
      }
      busy_blocks.erase(it->second.offset_bytes / kBlockBytes);  // writes never span two blocks
      it = in_flight.erase(it);
    }
  };

  for (int step = 0; step < options.steps; ++step) {
    const std::uint64_t action = random.below(100);
    if (action < 60) {
      const std::uint64_t block = random.below(blocks);
      if (busy_blocks.insert(block).second) {
        std::uint64_t offset = block * kBlockBytes;
        std::size_t length = kBlockBytes;
        if (options.small_writes && random.below(3) == 0) {
          const std::uint64_t sectors = 1 + random.below(6);
          offset += kSectorBytes * random.below(kSectorsPerBlock - sectors + 1);
          length = static_cast<std::size_t>(sectors * kSectorBytes);
        }
        std::vector<std::byte> data(length);
        for (auto& b : data) b = static_cast<std::byte>(random.next() & 0xff);
        primary_of_write = primary;
        const auto tag = c.write(primary, 0, offset, data);
        in_flight.emplace(tag, pending_write{offset, std::move(data)});
      }
    } else if (action < 70) {
      const auto a = static_cast<node_id>(random.below(co.nodes));
      const auto b = static_cast<node_id>(random.below(co.nodes));
      if (a != b) {
        c.cut_link(a, b);
        ++report.link_cuts;
      }
    } else if (action < 82) {
      const auto a = static_cast<node_id>(random.below(co.nodes));
      const auto b = static_cast<node_id>(random.below(co.nodes));
      if (a != b) c.heal_link(a, b);
    } else if (action < 85 && in_flight.empty() && options.migrations) {
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
    }
    c.run_for(random.below(2'000'000));
    collect();
  }
  for (int a = 0; a < co.nodes; ++a) {
    for (int b = a + 1; b < co.nodes; ++b)
      c.heal_link(static_cast<node_id>(a), static_cast<node_id>(b));
  }
  if (!c.run_until_quiet(50'000'000))
    report.violations.push_back("the cluster did not become quiet");
  collect();
  if (!in_flight.empty())
    report.violations.push_back(std::to_string(in_flight.size()) + " writes never completed");

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
    std::uint64_t wrong = 0;
    std::uint64_t first_wrong = 0;
    for (std::uint64_t b = 0; b < blocks; ++b) {
      const auto& disk = c.disk_bytes(node, 0);
      const auto& expected = undefined_blocks.count(b) ? c.disk_bytes(reference, 0) : model;
      if (!std::equal(expected.begin() + b * kBlockBytes, expected.begin() + (b + 1) * kBlockBytes,
                      disk.begin() + b * kBlockBytes)) {
        if (wrong++ == 0) first_wrong = b;
      }
    }
    if (wrong != 0) {
      report.violations.push_back("n" + std::to_string(n) +
                                  " differs from the acknowledged writes in " +
                                  std::to_string(wrong) + " blocks, the first at offset " +
                                  std::to_string(first_wrong * kBlockBytes));
    }
    report.resync_bytes += c.resync_bytes_received(node);
  }
  if (options.quorum && !c.events_named("split-brain").empty()) {
    report.violations.push_back("split brain with quorum enabled");
  }
  report.events_executed = c.now_ns();
  report.trace_hash = fnv(c.log());
  if (options.keep_log) report.log = c.log();
  return report;
}

}  // namespace tandem::sim
