// tandem-sim: the deterministic simulator's command line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/demo.h"
#include "sim/scenario.h"
#include "sim/selftest.h"
#include "sim/sweep.h"

namespace {

void usage(std::FILE* out) {
  std::fprintf(
      out,
      "usage: tandem-sim demo [--seed N]\n"
      "       tandem-sim run FILE [--seed N] [--trace FILE] [--verbose]\n"
      "                      [--metrics-out FILE [--metrics-interval-ms N]\n"
      "                       [--metrics-start-ms MS]]\n"
      "       tandem-sim suite [DIR|FILE...]        (default: scenarios/)\n"
      "       tandem-sim selftest [--seed MAX_SEEDS]   (default 50)\n"
      "       tandem-sim sweep [--seed N] [--seeds COUNT] [--no-migrations]\n"
      "                        [--diskless-client] [--small-writes] [--quorum] [--crashes]\n"
      "                        [--resync-rate] [--verbose]\n"
      "  demo   3-node replicated volume: write, lose a peer, write, reconnect, resync\n"
      "  run    one scenario file; exit 0 when every invariant and expectation holds;\n"
      "         --metrics-out writes tandemd's metrics every N ms of virtual time (default\n"
      "         10) as OpenMetrics (promtool tsdb create-blocks-from openmetrics FILE DIR);\n"
      "         virtual time 0 is MS since the epoch (default 1700000000000)\n"
      "  suite  every scenario, with a summary table\n"
      "  selftest  each planted core bug must be caught by the sweep within MAX_SEEDS\n"
      "  sweep  random link cuts, heals and migrations under writes; checks every\n"
      "         acknowledged write on every replica (seeds N .. N+COUNT-1)\n");
}

struct arguments {
  std::vector<std::string> positional;
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::uint64_t seeds = 1;
  std::string trace_path;
  std::string metrics_path;
  std::uint64_t metrics_interval_ms = 10;
  std::uint64_t metrics_start_ms = 1'700'000'000'000;  // fixed, so the file is reproducible
  bool verbose = false;
  tandem::sim::sweep_options sweep;
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
      if (!parse_number("--seeds", argv[++i], args.seeds)) return false;
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
    } else if (arg == "--diskless-client") {
      args.sweep.diskless_client = true;
    } else if (arg == "--small-writes") {
      args.sweep.small_writes = true;
    } else if (arg == "--quorum") {
      args.sweep.quorum = true;
    } else if (arg == "--crashes") {
      args.sweep.crashes = true;
    } else if (arg == "--resync-rate") {
      args.sweep.resync_rate = true;
    } else if (arg.rfind("--", 0) == 0) {
      std::fprintf(stderr, "tandem-sim: unknown option '%s'\n", arg.c_str());
      return false;
    } else {
      args.positional.push_back(arg);
    }
  }
  return true;
}

int run_sweeps(const arguments& args) {
  tandem::sim::sweep_options options = args.sweep;
  options.keep_log = args.verbose;
  const std::uint64_t first = args.seed_given ? args.seed : 1;
  int failed = 0;
  std::uint64_t events = 0;
  std::uint64_t simulated_ns = 0;
  // Wall-clock time only measures the tool's speed; it never enters a run.
  const auto started = std::chrono::steady_clock::now();
  for (std::uint64_t seed = first; seed < first + args.seeds; ++seed) {
    const auto report = tandem::sim::run_sweep(seed, options);
    events += report.events_executed;
    simulated_ns += report.simulated_ns;
    if (args.verbose) {
      for (const auto& line : report.log) std::printf("%s\n", line.c_str());
    }
    std::printf(
        "seed %llu: %s, %llu writes acknowledged, %llu link cuts, %llu migrations, "
        "%llu resync bytes, trace %016llx\n",
        static_cast<unsigned long long>(seed), report.ok() ? "ok" : "FAILED",
        static_cast<unsigned long long>(report.writes_acknowledged),
        static_cast<unsigned long long>(report.link_cuts),
        static_cast<unsigned long long>(report.migrations),
        static_cast<unsigned long long>(report.resync_bytes),
        static_cast<unsigned long long>(report.trace_hash));
    for (const auto& v : report.violations) std::printf("  violation: %s\n", v.c_str());
    if (!report.ok()) {
      ++failed;
      std::printf("  replay: tandem-sim sweep --seed %llu%s%s%s%s%s%s --verbose\n",
                  static_cast<unsigned long long>(seed),
                  options.migrations ? "" : " --no-migrations",
                  options.diskless_client ? " --diskless-client" : "",
                  options.small_writes ? " --small-writes" : "", options.quorum ? " --quorum" : "",
                  options.crashes ? " --crashes" : "", options.resync_rate ? " --resync-rate" : "");
    }
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "runs %llu, violations in %d, simulated %.1f s, %llu events, %.0f events/s, "
      "%.0fx real time\n",
      static_cast<unsigned long long>(args.seeds), failed, simulated_ns / 1e9,
      static_cast<unsigned long long>(events), wall_s > 0 ? events / wall_s : 0.0,
      wall_s > 0 ? simulated_ns / 1e9 / wall_s : 0.0);
  std::printf("%llu passed, %d failed\n", static_cast<unsigned long long>(args.seeds - failed),
              failed);
  return failed == 0 ? 0 : 1;
}

// The trace as JSON lines: one object per state change or event, in order.
bool write_trace(const std::string& path, const std::vector<std::string>& log) {
  std::ofstream out(path);
  if (!out) return false;
  for (const auto& line : log) {
    std::string escaped;
    for (char ch : line) {
      if (ch == '"' || ch == '\\') escaped += '\\';
      escaped += ch;
    }
    out << "{\"line\":\"" << escaped << "\"}\n";
  }
  return static_cast<bool>(out);
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
  if (!args.trace_path.empty() && !write_trace(args.trace_path, report.log)) {
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
  std::vector<std::string> files;
  std::vector<std::string> roots = args.positional;
  if (roots.empty()) roots.push_back("scenarios");
  for (const auto& root : roots) {
    std::error_code error;
    if (std::filesystem::is_directory(root, error)) {
      for (const auto& entry : std::filesystem::directory_iterator(root)) {
        if (entry.path().extension() == ".toml") files.push_back(entry.path().string());
      }
    } else {
      files.push_back(root);
    }
  }
  std::sort(files.begin(), files.end());
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
  if (command == "suite") return run_suite(args);
  if (command == "selftest")
    return tandem::sim::run_selftest(args.seed_given ? args.seed : 50, stdout);
  std::fprintf(stderr, "tandem-sim: unknown command '%s'\n", command.c_str());
  usage(stderr);
  return 2;
}
