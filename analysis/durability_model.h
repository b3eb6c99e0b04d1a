// The durability model: a birth-death Markov chain over the number of replicas whose disk holds
// the data. A disk dies at a constant rate; a dead one is replaced and rebuilt by a full resync
// (replacement time plus volume size over resync bandwidth); the data is lost when the last good
// copy dies before any rebuild finished. Mean time to data loss (MTTDL) is the mean time to
// absorption. Tie-breakers hold no data and do not appear. analysis/README.md has the details.
#pragma once

#include <cstddef>

namespace tandem::analysis {

struct durability_params {
  int diskful_replicas = 2;          // 1..32
  double disk_mtbf_hours = 100'000;  // mean life of one disk
  double disk_replace_hours = 24;    // until an empty replacement disk is attached
  double volume_size_gib = 100;      // a rebuild copies the whole volume
  double resync_mib_per_s = 100;     // resync bandwidth of a rebuild
  int parallel_rebuilds = 0;         // rebuilds that can run at once; 0: no limit

  double rebuild_hours() const {
    return disk_replace_hours + volume_size_gib * 1024.0 / resync_mib_per_s / 3600.0;
  }
};

struct durability_result {
  double mttdl_hours = 0.0;
  double rebuild_hours = 0.0;
  std::size_t states = 0;
  double mttdl_years() const { return mttdl_hours / 8766.0; }
};

// Throws std::invalid_argument naming the parameter when one is out of range.
void validate(const durability_params& params);
durability_result solve_durability(const durability_params& params);

}  // namespace tandem::analysis
