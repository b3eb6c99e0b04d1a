// tandem-analyze: availability and durability figures for tandem configurations.
//   tandem-analyze headline <input.toml>             the headline table (models only)
//   tandem-analyze report <input.toml> [--out DIR] [--no-simulation]
//                                                    report.md plus SVG figures in DIR
// Exit status: 0 done, 1 bad input or failure (the message names the file, line and key), 2 usage.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "analysis/report.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: tandem-analyze headline <input.toml>\n"
               "       tandem-analyze report <input.toml> [--out DIR] [--no-simulation]\n");
  return 2;
}

bool write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 2 || (args[0] != "headline" && args[0] != "report")) return usage();
  std::string out_dir = "analysis-report";
  bool with_simulation = true;
  for (std::size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--out" && i + 1 < args.size()) {
      out_dir = args[++i];
    } else if (args[i] == "--no-simulation") {
      with_simulation = false;
    } else {
      return usage();
    }
  }
  const auto input = tandem::analysis::load_report_input(args[1]);
  if (!input.value) {
    std::fprintf(stderr, "tandem-analyze: %s\n", input.error.c_str());
    return 1;
  }
  try {
    if (args[0] == "headline") {
      std::fputs(tandem::analysis::headline_table(*input.value).c_str(), stdout);
      return 0;
    }
    const auto files = tandem::analysis::build_report(*input.value, with_simulation);
    std::filesystem::create_directories(out_dir);
    bool ok = write_file(std::filesystem::path(out_dir) / "report.md", files.markdown);
    for (const auto& [name, svg] : files.svgs) ok = write_file(std::filesystem::path(out_dir) / name, svg) && ok;
    if (!ok) {
      std::fprintf(stderr, "tandem-analyze: cannot write into %s\n", out_dir.c_str());
      return 1;
    }
    std::printf("tandem-analyze: wrote %s/report.md and %zu figures\n", out_dir.c_str(),
                files.svgs.size());
    return 0;
  } catch (const std::exception& e) {  // a model parameter out of range, a bad topology
    std::fprintf(stderr, "tandem-analyze: %s: %s\n", args[1].c_str(), e.what());
    return 1;
  }
}
