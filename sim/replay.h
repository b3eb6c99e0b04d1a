// `tandem-sim replay FILE [--seed N]`: runs a reproducer a failing sweep wrote (a scenario copy or
// a [sweep] file), or any scenario, and prints the run's trace hash. Equal hashes, equal runs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace tandem::sim {

struct replay_request {
  std::string path;
  std::optional<std::uint64_t> seed;  // else the file's
  std::string trace_path;             // write the trace (JSON lines) here
  bool verbose = false;               // print the log
};

// Exit status like `run`: 0 when everything held, 1 when not, 2 for a file that does not load.
int run_replay(const replay_request& request, std::FILE* out);

}  // namespace tandem::sim
