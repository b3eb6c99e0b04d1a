// Monte-Carlo validation: the simulator (tandem_sim, the real replication core in virtual time)
// driven with the models' failure and repair rates, accelerated so that one model hour is a
// fraction of a virtual second. Availability is measured end to end: a probe write each tick on
// the current Primary either completes or it does not. Data loss is the last disk holding every
// acknowledged write dying before a rebuild finished. Each run is seeded, so results repeat.
#pragma once

#include <cstdint>

#include "analysis/availability_model.h"
#include "analysis/durability_model.h"
#include "analysis/stats.h"

namespace tandem::analysis {

struct availability_simulation {
  availability_params model;  // link_mtbf_hours must be 0: the runs crash and restart nodes only
  int runs = 8;               // independent seeds; the CI is over per-run unavailability
  double hours_per_run = 200;
  // The acceleration: one model hour is 5 virtual seconds, so the simulator's own delays
  // (reconnecting every 100 ms, handshakes, resync) stay small next to an hour-long restart.
  std::uint64_t virtual_ns_per_hour = 5'000'000'000;
  std::uint64_t tick_ns = 25'000'000;  // one probe write per tick
  std::uint64_t first_seed = 1;
};

struct availability_measurement {
  estimate unavailability;
  std::uint64_t crashes = 0;
  std::uint64_t probes = 0;
  std::uint64_t failed_probes = 0;
  std::uint64_t promotions = 0;  // the first Primary and every failover
  // "split-brain" events the replicas reported: each leaves two replicas StandAlone, which the
  // model does not know; with quorum on there should be none (see analysis/README.md).
  std::uint64_t split_brain_events = 0;
};

availability_measurement simulate_availability(const availability_simulation& options);

struct durability_simulation {
  durability_params model;  // volume_size_gib and resync_mib_per_s are replaced by the sim's own
  int runs = 40;            // independent seeds, each run until data loss (or max_hours)
  double max_hours = 10'000;
  std::uint64_t virtual_ns_per_hour = 500'000'000;
  std::uint64_t tick_ns = 2'000'000;
  std::uint64_t volume_size_bytes = 64 << 10;  // small, so a full resync takes milliseconds
  std::uint64_t first_seed = 1;
};

struct durability_measurement {
  estimate mttdl_hours;
  double full_resync_hours = 0.0;  // measured mean rebuild copy time, for the model's input
  std::uint64_t disk_failures = 0;
  int losses = 0;                  // runs that ended in data loss (the rest hit max_hours)
};

durability_measurement simulate_durability(const durability_simulation& options);

}  // namespace tandem::analysis
