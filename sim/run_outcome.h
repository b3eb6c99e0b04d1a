// What one sweep run reports back: its figures and the lines to print for it. Worker processes
// (sim/job_pool.h) send it to the parent as text, so it has a line-based encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::sim {

struct run_outcome {
  bool ok = true;
  std::uint64_t events = 0;
  std::uint64_t simulated_ns = 0;
  std::vector<std::string> lines;  // printed in job order: result, failures, reproducer, log
};

// "outcome OK EVENTS SIMULATED_NS\n" then "line TEXT\n" per line, with '\\' and '\n' escaped.
std::string encode_outcome(const run_outcome& outcome);
std::optional<run_outcome> decode_outcome(std::string_view text);

}  // namespace tandem::sim
