// A run's trace on disk: JSON lines, one object per log line ({"line":"..."}), in order. Written
// by `run --trace`, `replay --trace` and next to every reproducer of a failing sweep.
#pragma once

#include <string>
#include <vector>

namespace tandem::sim {

bool write_trace_jsonl(const std::string& path, const std::vector<std::string>& log);

}  // namespace tandem::sim
