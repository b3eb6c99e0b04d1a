// tandem-sim: the deterministic simulator's command line.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/demo.h"

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: tandem-sim demo [--seed N]\n"
               "  demo   3-node replicated volume: write, lose a peer, write, reconnect, resync\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string command = argv[1];
  std::uint64_t seed = 1;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seed" && i + 1 < argc) {
      char* end = nullptr;
      seed = std::strtoull(argv[++i], &end, 10);
      if (end == nullptr || *end != '\0') {
        std::fprintf(stderr, "tandem-sim: --seed needs a decimal number, got '%s'\n", argv[i]);
        return 2;
      }
    } else {
      std::fprintf(stderr, "tandem-sim: unknown argument '%s'\n", arg.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (command == "demo") return tandem::sim::run_demo(seed, stdout);
  if (command == "--help" || command == "help") {
    usage(stdout);
    return 0;
  }
  std::fprintf(stderr, "tandem-sim: unknown command '%s'\n", command.c_str());
  usage(stderr);
  return 2;
}
