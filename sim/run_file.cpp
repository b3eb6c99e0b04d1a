#include "sim/run_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem::sim {

std::string run_file::name() const {
  if (story) return story->name;
  if (!path.empty()) return std::filesystem::path(path).stem().string();
  // The command line's schedule: its flags in the name, so that sweeps with different flags can
  // share an --out directory without overwriting each other's reproducers.
  std::string name = "sweep";
  const sweep_options& o = sweep->options;
  if (!o.migrations) name += "-no-migrations";
  if (o.diskless_client) name += "-diskless-client";
  if (o.small_writes) name += "-small-writes";
  if (o.quorum) name += "-quorum";
  if (o.crashes) name += "-crashes";
  if (o.resync_rate) name += "-resync-rate";
  if (o.proto != protocol::c) name += "-protocol-" + std::string(o.proto == protocol::a ? "a" : "b");
  if (o.lossy_network) name += "-lossy-network";
  return name;
}

run_file_load load_run_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {std::nullopt, path + ": cannot open the file"};
  std::stringstream buffer;
  buffer << in.rdbuf();
  run_file file;
  file.path = path;
  file.text = buffer.str();
  if (looks_like_sweep_config(file.text)) {
    auto loaded = parse_sweep_config(file.text, path);
    if (!loaded.value) return {std::nullopt, loaded.error};
    file.sweep = *loaded.value;
  } else {
    auto loaded = parse_scenario(file.text, path);
    if (!loaded.value) return {std::nullopt, loaded.error};
    file.story = std::move(*loaded.value);
  }
  return {std::move(file), {}};
}

std::vector<std::string> expand_scenario_paths(const std::vector<std::string>& roots) {
  std::vector<std::string> files;
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
  return files;
}

}  // namespace tandem::sim
