// Metrics snapshots of a simulated run: the per-replica series of tandemd's /metrics (the same
// code, engine/metrics/replica_metrics), sampled over virtual time and written as one OpenMetrics
// file that `promtool tsdb create-blocks-from openmetrics` imports, so a scenario's story can be
// viewed with the Grafana dashboard of engine/metrics/grafana.
//
// Only what the replica's view holds is written (states, out-of-sync and resynced bytes, quorum,
// activity log), and the simulated network's counters per direction (sim/metrics_links.h); the
// driver-measured I/O counters and latency histograms of tandemd are absent.
#pragma once

#include <cstdint>
#include <string>

#include "engine/metrics/exposition.h"
#include "sim/cluster.h"

namespace tandem::sim {

class metrics_recorder {
 public:
  // Past this many snapshots the recorder stops taking more (truncated() says so), so a long
  // idle stretch with a short interval cannot fill the memory.
  static constexpr std::size_t kMaxSnapshots = 100'000;

  // `resource`: the name label of every series. Virtual time 0 is `start_ms` (milliseconds
  // since the epoch) in the timestamps.
  metrics_recorder(std::string resource, std::int64_t start_ms);

  // One snapshot of every node that is up, at virtual time `time_ns`.
  void snapshot(const cluster& c, std::uint64_t time_ns);

  std::string openmetrics() const { return out_.openmetrics(); }
  std::size_t snapshots() const { return snapshots_; }
  bool truncated() const { return truncated_; }

 private:
  std::string resource_;
  std::int64_t start_ms_ = 0;
  metrics::exposition out_{true};
  std::size_t snapshots_ = 0;
  bool truncated_ = false;
};

}  // namespace tandem::sim
