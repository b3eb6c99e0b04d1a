// Reproducers of failing sweep runs: self-contained files `tandem-sim replay` runs to the same
// failure, each with the run's trace beside it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace tandem::sim {

struct reproducer_text {
  std::string text;
  std::string error;  // set when the copy could not be made
};

// The scenario file's text with `seed = N` and every `at_ms = [lo, hi]` replaced by the time it
// resolves to for that seed. Edits the text rather than re-serialising, so comments and layout
// stay; the result is parsed back and checked against resolve_ranges before it is returned.
reproducer_text scenario_reproducer(const std::string& original_text, const std::string& path,
                                    std::uint64_t seed);

struct written_reproducer {
  std::string toml_path;
  std::string trace_path;
  std::string error;  // empty when both files were written
};

// DIR/<name>-seed<N>.toml and DIR/<name>-seed<N>.trace.jsonl; creates DIR when needed.
written_reproducer write_reproducer(const std::string& dir, const std::string& name,
                                    std::uint64_t seed, const std::string& toml_text,
                                    const std::vector<std::string>& log);

}  // namespace tandem::sim
