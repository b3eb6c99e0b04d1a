// tandem-sim: the deterministic simulator's command line.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "sim/demo.h"
#include "sim/replay.h"
#include "sim/run_file.h"
#include "sim/scenario.h"
#include "sim/selftest.h"
#include "sim/sweep_driver.h"
#include "sim/trace_file.h"

namespace {

void usage(std::FILE* out) {
  std::fprintf(
      out,
      "usage: tandem-sim demo [--seed N]\n"
      "       tandem-sim run FILE [--seed N] [--trace FILE] [--verbose]\n"
      "                      [--metrics-out FILE [--metrics-interval-ms N]\n"
      "                       [--metrics-start-ms MS]]\n"
      "       tandem-sim replay FILE [--seed N] [--trace FILE] [--verbose]\n"
      "       tandem-sim suite [DIR|FILE...]        (default: scenarios/)\n"
      "       tandem-sim selftest [--seed MAX_SEEDS]   (default 50)\n"
      "       tandem-sim sweep [FILE|DIR...] [--seeds A..B | --seed N --seeds COUNT]\n"
      "                        [--jobs N] [--out DIR] [--verbose]\n"
      "                        [--no-migrations] [--diskless-client] [--small-writes]\n"
      "                        [--quorum] [--crashes] [--resync-rate] [--protocol A|B|C]\n"
      "                        [--lossy-network]   (built-in schedule only)\n"
      "  demo   3-node replicated volume: write, lose a peer, write, reconnect, resync\n"
      "  run    one scenario file; exit 0 when every invariant and expectation holds;\n"
      "         --metrics-out writes tandemd's metrics every N ms of virtual time (default\n"
      "         10) as OpenMetrics (promtool tsdb create-blocks-from openmetrics FILE DIR);\n"
      "         virtual time 0 is MS since the epoch (default 1700000000000)\n"
      "  replay a reproducer a failing sweep wrote, or any scenario; prints the trace hash\n"
      "  suite  every scenario, with a summary table\n"
      "  selftest  each planted core bug must be caught by the sweep within MAX_SEEDS\n"
      "  sweep  without files: random link cuts, heals and migrations under writes, checking\n"
      "         every acknowledged write on every replica; with files (scenarios, [sweep]\n"
      "         files, directories of them): every file for every seed, at_ms ranges drawn\n"
      "         per seed. Seeds A..B inclusive, or N .. N+COUNT-1 (default 1 seed from 1).\n"
      "         --jobs N runs seeds in N worker processes (same output for any N); each\n"
      "         failing run leaves a reproducer and its trace in DIR (default sweep-failures)\n");
}

struct arguments {
  std::vector<std::string> positional;
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string seeds = "1";  // COUNT or A..B (sim/seed_range.h)
  std::uint64_t jobs = 1;
  std::string out_dir = "sweep-failures";
  std::string trace_path;
  std::string metrics_path;
  std::uint64_t metrics_interval_ms = 10;
  std::uint64_t metrics_start_ms = 1'700'000'000'000;  // fixed, so the file is reproducible
  bool verbose = false;
  tandem::sim::sweep_options sweep;
  bool sweep_flags_given = false;
};

bool parse_number(const char* flag, const char* text, std::uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(text, &end, 10);
  if (end == nullptr || *end != '\0' || *text == '\0' || *text == '-') {
    std::fprintf(stderr, "tandem-sim: %s needs a decimal number, got '%s'\n", flag, text);
    return false;
  }
  return true;
}

bool parse_arguments(int argc, char** argv, arguments& args) {
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--seed" && has_value) {
      if (!parse_number("--seed", argv[++i], args.seed)) return false;
      args.seed_given = true;
    } else if (arg == "--seeds" && has_value) {
      args.seeds = argv[++i];
    } else if (arg == "--jobs" && has_value) {
      if (!parse_number("--jobs", argv[++i], args.jobs)) return false;
      if (args.jobs == 0 || args.jobs > 256) {
        std::fprintf(stderr, "tandem-sim: --jobs must be 1 .. 256\n");
        return false;
      }
    } else if (arg == "--out" && has_value) {
      args.out_dir = argv[++i];
    } else if (arg == "--trace" && has_value) {
      args.trace_path = argv[++i];
    } else if (arg == "--metrics-out" && has_value) {
      args.metrics_path = argv[++i];
    } else if (arg == "--metrics-interval-ms" && has_value) {
      if (!parse_number("--metrics-interval-ms", argv[++i], args.metrics_interval_ms)) return false;
      if (args.metrics_interval_ms == 0 || args.metrics_interval_ms > 3'600'000) {
        std::fprintf(stderr, "tandem-sim: --metrics-interval-ms must be 1 .. 3600000\n");
        return false;
      }
    } else if (arg == "--metrics-start-ms" && has_value) {
      if (!parse_number("--metrics-start-ms", argv[++i], args.metrics_start_ms)) return false;
    } else if (arg == "--verbose") {
      args.verbose = true;
    } else if (arg == "--no-migrations") {
      args.sweep.migrations = false;
      args.sweep_flags_given = true;
    } else if (arg == "--diskless-client") {
      args.sweep.diskless_client = true;
      args.sweep_flags_given = true;
    } else if (arg == "--small-writes") {
      args.sweep.small_writes = true;
      args.sweep_flags_given = true;
    } else if (arg == "--quorum") {
      args.sweep.quorum = true;
      args.sweep_flags_given = true;
    } else if (arg == "--crashes") {
      args.sweep.crashes = true;
      args.sweep_flags_given = true;
    } else if (arg == "--resync-rate") {
      args.sweep.resync_rate = true;
      args.sweep_flags_given = true;
    } else if (arg == "--protocol" && has_value) {
      const auto proto = tandem::parse_protocol(argv[++i]);
      if (!proto) {
        std::fprintf(stderr, "tandem-sim: --protocol must be A, B or C\n");
        return false;
      }
      args.sweep.proto = *proto;
      args.sweep_flags_given = true;
    } else if (arg == "--lossy-network") {
      args.sweep.lossy_network = true;
      args.sweep_flags_given = true;
    } else if (arg.rfind("--", 0) == 0) {
      std::fprintf(stderr, "tandem-sim: unknown option '%s'\n", arg.c_str());
      return false;
    } else {
      args.positional.push_back(arg);
    }
  }
  if (tandem::sim::protocol_loses_writes_in_crashes(args.sweep)) {
    std::fprintf(stderr, "tandem-sim: --protocol A or B with --crashes: %s\n",
                 tandem::sim::kProtocolCrashesConflict);
    return false;
  }
  return true;
}

int run_sweeps(const arguments& args) {
  tandem::sim::sweep_request request;
  std::string error;
  const auto seeds =
      tandem::sim::parse_seed_range(args.seeds, args.seed_given ? args.seed : 1, error);
  if (!seeds) {
    std::fprintf(stderr, "tandem-sim: %s\n", error.c_str());
    return 2;
  }
  request.paths = args.positional;
  request.seeds = *seeds;
  request.jobs = static_cast<int>(args.jobs);
  request.out_dir = args.out_dir;
  request.verbose = args.verbose;
  request.builtin = args.sweep;
  request.builtin_flags_given = args.sweep_flags_given;
  return tandem::sim::run_sweep_command(request, stdout);
}

int run_replay(const arguments& args) {
  if (args.positional.size() != 1) {
    std::fprintf(stderr, "tandem-sim replay: give exactly one file\n");
    return 2;
  }
  tandem::sim::replay_request request;
  request.path = args.positional[0];
  if (args.seed_given) request.seed = args.seed;
  request.trace_path = args.trace_path;
  request.verbose = args.verbose;
  return tandem::sim::run_replay(request, stdout);
}

bool write_metrics(const std::string& path, const tandem::sim::scenario_report& report) {
  std::ofstream out(path);
  out << report.metrics_openmetrics;
  out.close();
  if (!out) {
    std::fprintf(stderr, "tandem-sim: cannot write the metrics to %s\n", path.c_str());
    return false;
  }
  if (report.metrics_truncated) {
    std::fprintf(stderr, "tandem-sim: metrics stopped after %zu snapshots; use a longer "
                 "--metrics-interval-ms\n", report.metrics_snapshots);
    return false;
  }
  std::printf("  metrics: %zu snapshots written to %s\n", report.metrics_snapshots, path.c_str());
  return true;
}

int run_one(const arguments& args) {
  if (args.positional.size() != 1) {
    std::fprintf(stderr, "tandem-sim run: give exactly one scenario file\n");
    return 2;
  }
  const auto loaded = tandem::sim::load_scenario(args.positional[0]);
  if (!loaded.value) {
    std::fprintf(stderr, "tandem-sim: %s\n", loaded.error.c_str());
    return 2;
  }
  const auto& s = *loaded.value;
  const std::uint64_t seed = args.seed_given ? args.seed : s.seed;
  tandem::sim::run_options options;
  if (!args.metrics_path.empty()) {
    options.metrics_interval_ns = args.metrics_interval_ms * 1'000'000;
    options.metrics_start_ms = static_cast<std::int64_t>(args.metrics_start_ms);
  }
  const auto report = tandem::sim::run_scenario(s, seed, options);
  if (args.verbose) {
    for (const auto& line : report.log) std::printf("%s\n", line.c_str());
  }
  if (!args.trace_path.empty() && !tandem::sim::write_trace_jsonl(args.trace_path, report.log)) {
    std::fprintf(stderr, "tandem-sim: cannot write the trace to %s\n", args.trace_path.c_str());
    return 2;
  }
  std::printf("%s (seed %llu): %s — %s\n", s.name.c_str(), static_cast<unsigned long long>(seed),
              report.ok() ? "ok" : "FAILED", s.proves.c_str());
  std::printf("  %llu writes acknowledged, %llu events, %.3f s simulated, trace %016llx\n",
              static_cast<unsigned long long>(report.writes_acknowledged),
              static_cast<unsigned long long>(report.events_executed), report.simulated_ns / 1e9,
              static_cast<unsigned long long>(report.trace_hash));
  if (!args.metrics_path.empty() && !write_metrics(args.metrics_path, report)) return 2;
  for (const auto& f : report.failures) std::printf("  failure: %s\n", f.c_str());
  return report.ok() ? 0 : 1;
}

int run_suite(const arguments& args) {
  std::vector<std::string> roots = args.positional;
  if (roots.empty()) roots.push_back("scenarios");
  const std::vector<std::string> files = tandem::sim::expand_scenario_paths(roots);
  if (files.empty()) {
    std::fprintf(stderr, "tandem-sim suite: no scenario files found\n");
    return 2;
  }
  int failed = 0;
  std::printf("%-40s %-7s %8s %10s  %s\n", "scenario", "result", "writes", "events", "proves");
  for (const auto& file : files) {
    const auto loaded = tandem::sim::load_scenario(file);
    if (!loaded.value) {
      ++failed;
      std::printf("%-40s %-7s %s\n", file.c_str(), "ERROR", loaded.error.c_str());
      continue;
    }
    const auto& s = *loaded.value;
    const auto report = tandem::sim::run_scenario(s, args.seed_given ? args.seed : s.seed);
    if (!report.ok()) ++failed;
    std::printf("%-40s %-7s %8llu %10llu  %s\n", s.name.c_str(), report.ok() ? "ok" : "FAILED",
                static_cast<unsigned long long>(report.writes_acknowledged),
                static_cast<unsigned long long>(report.events_executed), s.proves.c_str());
    for (const auto& f : report.failures) std::printf("    failure: %s\n", f.c_str());
  }
  std::printf("scenarios: %zu passed, %d failed\n", files.size() - failed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "help") {
    usage(stdout);
    return 0;
  }
  arguments args;
  if (!parse_arguments(argc, argv, args)) {
    usage(stderr);
    return 2;
  }
  if (command == "demo") return tandem::sim::run_demo(args.seed_given ? args.seed : 1, stdout);
  if (command == "sweep") return run_sweeps(args);
  if (command == "run") return run_one(args);
  if (command == "replay") return run_replay(args);
  if (command == "suite") return run_suite(args);
  if (command == "selftest")
    return tandem::sim::run_selftest(args.seed_given ? args.seed : 50, stdout);
  std::fprintf(stderr, "tandem-sim: unknown command '%s'\n", command.c_str());
  usage(stderr);
  return 2;
}
