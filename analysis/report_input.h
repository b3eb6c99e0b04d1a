// The input of tandem-analyze: a TOML file with the failure and repair figures, the
// configurations to compare, the sweeps to plot, the Monte-Carlo validation settings and an
// optional topology for the partition analysis. analysis/README.md documents every key;
// analysis/examples/report.toml is a complete example.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/availability_model.h"
#include "analysis/durability_model.h"
#include "analysis/partition.h"

namespace tandem::analysis {

struct rates {
  double node_mtbf_hours = 8766;
  double node_restart_hours = 0.5;
  double link_mtbf_hours = 0;  // 0: links never fail
  double link_repair_hours = 0.5;
  double disk_mtbf_hours = 1'000'000;
  double disk_replace_hours = 24;
  double volume_size_gib = 100;
  double resync_mib_per_s = 100;
  double dirty_gib_after_outage = 1;  // what a returning replica resyncs (its bitmap)
};

struct configuration {
  std::string name;
  int replicas = 2;
  int tiebreakers = 0;
  quorum_setting quorum;
  std::vector<std::string> hosts;             // partition analysis: where the replicas run
  std::vector<std::string> tiebreaker_hosts;  // and the tie-breakers
};

struct validation_settings {
  bool enabled = true;
  int runs = 10;
  double hours_per_run = 200;
  double node_mtbf_hours = 4;  // accelerated rates: outages must overlap often
  double node_restart_hours = 1;
  int mttdl_runs = 300;
  double disk_mtbf_hours = 1;
  double disk_replace_hours = 0.1;
};

struct report_input {
  std::string title = "tandem availability and durability";
  rates figures;
  std::vector<configuration> configurations;
  std::vector<int> sweep_replicas = {1, 2, 3, 4, 5};
  std::vector<double> sweep_resync_mib_per_s = {10, 30, 100, 300, 1000};
  validation_settings validation;
  std::optional<topology> network;
  int max_failures = 2;
};

struct input_load {
  std::optional<report_input> value;
  std::string error;  // "<file>:<line>: <table>: <what is wrong with which key>"
};

input_load parse_report_input(std::string_view text, const std::string& path);
input_load load_report_input(const std::string& path);

// The model parameters one configuration gets from the input's figures.
availability_params availability_of(const report_input& in, const configuration& c);
durability_params durability_of(const report_input& in, const configuration& c);

}  // namespace tandem::analysis
