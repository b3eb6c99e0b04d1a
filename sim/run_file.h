// What `tandem-sim sweep FILES` and `tandem-sim replay FILE` accept: a scenario, or a `[sweep]`
// file (the built-in random schedule, sim/sweep_config.h), loaded with the text kept for
// reproducers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenario.h"
#include "sim/sweep_config.h"

namespace tandem::sim {

struct run_file {
  std::string path;
  std::string text;  // as read: a scenario's reproducer is this text with its ranges resolved
  std::optional<scenario> story;      // a scenario file
  std::optional<sweep_config> sweep;  // a [sweep] file, or the command line's flags

  std::uint64_t default_seed() const { return story ? story->seed : sweep->seed; }
  // Names the file's runs in output and reproducers: the scenario's name, a [sweep] file's stem,
  // or "sweep" and the flags of the command line's schedule ("sweep-quorum-crashes").
  std::string name() const;
};

struct run_file_load {
  std::optional<run_file> value;
  std::string error;  // "<file>:<line>: <what is wrong>"
};

run_file_load load_run_file(const std::string& path);

// Files and directories (their *.toml, not recursive) to a sorted list of files.
std::vector<std::string> expand_scenario_paths(const std::vector<std::string>& roots);

}  // namespace tandem::sim
