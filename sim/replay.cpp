#include "sim/replay.h"

#include "sim/run_file.h"
#include "sim/trace_file.h"

namespace tandem::sim {
namespace {

struct replayed {
  bool ok = false;
  std::uint64_t trace_hash = 0;
  std::vector<std::string> failures;
  std::vector<std::string> log;
};

replayed replay_scenario(const scenario& s, std::uint64_t seed) {
  scenario_report report = run_scenario(s, seed);
  return {report.ok(), report.trace_hash, std::move(report.failures), std::move(report.log)};
}

replayed replay_schedule(const sweep_config& config, std::uint64_t seed) {
  sweep_options options = config.options;
  options.keep_log = true;
  sweep_report report = run_sweep(seed, options);
  return {report.ok(), report.trace_hash, std::move(report.violations), std::move(report.log)};
}

}  // namespace

int run_replay(const replay_request& request, std::FILE* out) {
  const run_file_load loaded = load_run_file(request.path);
  if (!loaded.value) {
    std::fprintf(stderr, "tandem-sim: %s\n", loaded.error.c_str());
    return 2;
  }
  const run_file& file = *loaded.value;
  const std::uint64_t seed = request.seed.value_or(file.default_seed());
  const replayed run =
      file.story ? replay_scenario(*file.story, seed) : replay_schedule(*file.sweep, seed);
  if (request.verbose) {
    for (const auto& line : run.log) std::fprintf(out, "%s\n", line.c_str());
  }
  if (!request.trace_path.empty() && !write_trace_jsonl(request.trace_path, run.log)) {
    std::fprintf(stderr, "tandem-sim: cannot write the trace to %s\n", request.trace_path.c_str());
    return 2;
  }
  std::fprintf(out, "%s (seed %llu): %s\n", file.name().c_str(),
               static_cast<unsigned long long>(seed), run.ok ? "ok" : "FAILED");
  for (const auto& f : run.failures) std::fprintf(out, "  failure: %s\n", f.c_str());
  std::fprintf(out, "trace %016llx\n", static_cast<unsigned long long>(run.trace_hash));
  return run.ok ? 0 : 1;
}

}  // namespace tandem::sim
