// tandem-sim: the deterministic simulator's command line.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/demo.h"
#include "sim/sweep.h"

namespace {

void usage(std::FILE* out) {
  std::fprintf(
      out,
      "usage: tandem-sim demo [--seed N]\n"
      "       tandem-sim sweep [--seed N] [--seeds COUNT] [--no-migrations] [--diskless-client]\n"
      "                        [--small-writes] [--quorum] [--verbose]\n"
      "  demo   3-node replicated volume: write, lose a peer, write, reconnect, resync\n"
      "  sweep  random link cuts, heals and migrations under writes; checks every\n"
      "         acknowledged write on every replica (seeds N .. N+COUNT-1)\n");
}

int run_sweeps(std::uint64_t first_seed, std::uint64_t count,
               const tandem::sim::sweep_options& options) {
  const bool verbose = options.keep_log;
  int failed = 0;
  for (std::uint64_t seed = first_seed; seed < first_seed + count; ++seed) {
    const auto report = tandem::sim::run_sweep(seed, options);
    if (verbose) {
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
      std::printf("  replay: tandem-sim sweep --seed %llu%s%s%s%s --verbose\n",
                  static_cast<unsigned long long>(seed), options.migrations ? "" : " --no-migrations",
                  options.diskless_client ? " --diskless-client" : "",
                  options.small_writes ? " --small-writes" : "", options.quorum ? " --quorum" : "");
    }
  }
  std::printf("%llu passed, %d failed\n", static_cast<unsigned long long>(count - failed), failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string command = argv[1];
  std::uint64_t seed = 1;
  std::uint64_t seeds = 1;
  bool verbose = false;
  bool migrations = true;
  bool diskless = false;
  bool small_writes = false;
  bool quorum = false;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--seed" || arg == "--seeds") && i + 1 < argc) {
      char* end = nullptr;
      const std::uint64_t value = std::strtoull(argv[++i], &end, 10);
      if (end == nullptr || *end != '\0' || argv[i][0] == '\0') {
        std::fprintf(stderr, "tandem-sim: %s needs a decimal number, got '%s'\n", arg.c_str(),
                     argv[i]);
        return 2;
      }
      (arg == "--seed" ? seed : seeds) = value;
    } else if (arg == "--verbose") {
      verbose = true;
    } else if (arg == "--no-migrations") {
      migrations = false;
    } else if (arg == "--diskless-client") {
      diskless = true;
    } else if (arg == "--small-writes") {
      small_writes = true;
    } else if (arg == "--quorum") {
      quorum = true;
    } else {
      std::fprintf(stderr, "tandem-sim: unknown argument '%s'\n", arg.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (command == "demo") return tandem::sim::run_demo(seed, stdout);
  if (command == "sweep") {
    tandem::sim::sweep_options options;
    options.keep_log = verbose;
    options.migrations = migrations;
    options.diskless_client = diskless;
    options.small_writes = small_writes;
    options.quorum = quorum;
    return run_sweeps(seed, seeds, options);
  }
  if (command == "--help" || command == "help") {
    usage(stdout);
    return 0;
  }
  std::fprintf(stderr, "tandem-sim: unknown command '%s'\n", command.c_str());
  usage(stderr);
  return 2;
}
