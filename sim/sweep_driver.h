// `tandem-sim sweep`: many seeds of the built-in random schedule, or of scenario and [sweep] files,
// optionally in worker processes; a summary, and a reproducer for every failing run.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "sim/run_file.h"
#include "sim/run_outcome.h"
#include "sim/seed_range.h"
#include "sim/sweep.h"

namespace tandem::sim {

struct sweep_request {
  std::vector<std::string> paths;  // scenario / [sweep] files and directories; none: built-in
  seed_range seeds;
  int jobs = 1;
  std::string out_dir = "sweep-failures";  // created only when a run fails
  bool verbose = false;                    // print every run's log
  sweep_options builtin;                   // the built-in schedule, from the command line's flags
  bool builtin_flags_given = false;        // they make no sense with files: an error then
};

// Exit status: 0 when every run passed, 1 when any failed, 2 for a file that does not load.
int run_sweep_command(const sweep_request& request, std::FILE* out);

// One run of a file for one seed; a failing run writes its reproducer into out_dir.
run_outcome run_one_seed(const run_file& file, std::uint64_t seed, bool verbose,
                         const std::string& out_dir);

}  // namespace tandem::sim
