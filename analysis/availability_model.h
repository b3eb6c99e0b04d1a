// The availability model: a continuous-time Markov chain over the up/down state of every node
// (diskful replicas and diskless tie-breakers) and, optionally, every link of a full mesh. Each
// state also remembers which replicas hold the newest data and which had quorum, because DRBD's
// tie-breaker rule only keeps a quorum a node already had. The quorum decision itself is the
// core's own decide_quorum(), so the model judges votes exactly as a replica does.
// analysis/README.md lists the states and assumptions.
#pragma once

#include <cstddef>

#include "core/replica/quorum.h"

namespace tandem::analysis {

struct availability_params {
  int diskful_replicas = 2;  // 1..5 (at most 4 nodes in all when links fail)
  int tiebreakers = 0;       // diskless tie-breaker nodes, 0..2
  quorum_setting quorum;     // off (DRBD's default) or majority / all / a count
  double node_mtbf_hours = 1000.0;   // mean time between crashes of one node (tie-breakers too)
  double node_restart_hours = 1.0;   // mean time until a crashed node runs again
  double link_mtbf_hours = 0.0;      // 0: links never fail; else per link of the full mesh
  double link_repair_hours = 1.0;
  double resync_hours = 0.01;        // a returning replica catching up: dirty data / bandwidth
};

struct availability_result {
  double availability = 0.0;       // share of time some partition can complete writes
  double split_brain_prone = 0.0;  // share of time two partitions could both be promoted
  std::size_t states = 0;          // reachable Markov states
  double unavailable_minutes_per_year() const { return (1.0 - availability) * 525'600.0; }
};

// Throws std::invalid_argument naming the parameter when one is out of range.
void validate(const availability_params& params);
availability_result solve_availability(const availability_params& params);

}  // namespace tandem::analysis
