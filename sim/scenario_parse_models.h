// The scenario keys of the network, disk and node models (sim/link_model.h, sim/disk_model.h):
// [cluster] defaults, [[link]] and [[node]] overrides, and the timeline actions that change them.
#pragma once

#include "sim/scenario.h"
#include "sim/table_reader.h"

namespace tandem::sim {

// The link_* / disk_* / torn_writes keys of [cluster].
void parse_cluster_models(table_reader& r, cluster_options& c);
// One [[link]] entry: `nodes = [a, b]` and that link's own latency and faults (the [cluster]
// values for the keys it leaves out).
void parse_link(table_reader& r, const toml::table& table, cluster_options& c);
// One [[node]] entry: `id` and that node's own disk latency and bandwidth.
void parse_node(table_reader& r, const toml::table& table, cluster_options& c);
// The keys of set-link, slow and read-error (the others' keys are read by parse_action).
void parse_model_action(table_reader& r, const toml::table& table, const cluster_options& c,
                        scenario_action& a);

}  // namespace tandem::sim
