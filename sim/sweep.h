// A randomized run: a Primary writes while links are cut and healed at random and the Primary role
// migrates between in-sync nodes; afterwards everything is healed and the checker verifies that
// every acknowledged byte is on every replica and that every replica is UpToDate and connected.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/states.h"
#include "core/replica/planted_bugs.h"

namespace tandem::sim {

struct sweep_options {
  int nodes = 3;
  int steps = 300;
  std::uint64_t volume_size_bytes = 1 << 20;
  bool migrations = true;        // move the Primary role between in-sync nodes now and then
  bool diskless_client = false;  // one extra diskless node that takes part in migrations
  bool small_writes = false;     // some writes are 512 bytes to 3 KiB, at any sector in a block
  bool quorum = false;  // quorum majority with on-no-quorum io-error; then no split brain at all
  bool crashes = false;  // nodes crash and restart; a crashed Primary fails over to an in-sync node
  bool resync_rate = false;  // every resync paced by the rate controller (c-max-rate 4 MiB/s)
  // Every connection's protocol. A and B answer a write before the peer's disk has it, so a
  // crashed Primary may take acknowledged writes with it by design: not combined with crashes.
  protocol proto = protocol::c;
  // Every link loses, duplicates and reorders segments (sim/link_model.h) with short TCP timers,
  // and half of the link cuts are one-way.
  bool lossy_network = false;
  planted_bug planted = planted_bug::none;  // tandem-sim selftest only
  bool keep_log = false;  // copy the run's log into the report (tandem-sim sweep --verbose)
};

struct sweep_report {
  std::uint64_t seed = 0;
  std::uint64_t writes_acknowledged = 0;
  std::uint64_t link_cuts = 0;
  std::uint64_t migrations = 0;
  std::uint64_t crashes = 0;
  std::uint64_t resync_bytes = 0;
  std::uint64_t events_executed = 0;
  std::uint64_t simulated_ns = 0;
  std::uint64_t trace_hash = 0;  // FNV-1a over the run's log: equal seeds give equal hashes
  std::vector<std::string> violations;
  std::vector<std::string> log;
  bool ok() const { return violations.empty(); }
};

sweep_report run_sweep(std::uint64_t seed, const sweep_options& options = {});

// Protocol A or B with crashes: a crashed Primary may take acknowledged writes along by design,
// which the checker would report. Both the command line and [sweep] files refuse the pair.
inline bool protocol_loses_writes_in_crashes(const sweep_options& options) {
  return options.proto != protocol::c && options.crashes;
}
inline constexpr const char* kProtocolCrashesConflict =
    "a crashed Primary may lose acknowledged writes by design, which the checker would report";

}  // namespace tandem::sim
