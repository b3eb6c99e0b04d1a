#include "sim/scenario_parse_models.h"

#include <algorithm>
#include <cmath>

#include "sim/scenario_parse_latency.h"

namespace tandem::sim {
namespace {

// A percentage (integer or float) 0..100, in parts per million.
std::optional<std::uint32_t> percent_ppm(table_reader& r, const std::string& key) {
  const toml::node* node = r.get(key);
  if (!node) return std::nullopt;
  const std::optional<double> v = node->value<double>();
  if (!v || !(*v >= 0.0 && *v <= 100.0)) {
    r.fail(*node, "'" + key + "' must be a number 0..100 (percent)");
  }
  return static_cast<std::uint32_t>(std::llround(*v * 10'000.0));
}

constexpr std::int64_t kMaxKibPerS = std::int64_t{1} << 24;  // 16 GiB/s

std::optional<std::uint64_t> bandwidth_bytes_per_s(table_reader& r, const std::string& key) {
  if (!r.get(key)) return std::nullopt;
  return static_cast<std::uint64_t>(r.integer(key, 0, 0, kMaxKibPerS)) * 1024;
}

void duration_ms(table_reader& r, const std::string& key, std::int64_t low, std::int64_t high,
                 std::uint64_t& ns) {
  if (!r.get(key)) return;
  ns = static_cast<std::uint64_t>(r.integer(key, 0, low, high)) * 1'000'000;
}

// The keys of link_faults, spelled `<prefix>loss_percent` and so on.
void read_faults(table_reader& r, const std::string& prefix, link_faults& f) {
  if (auto v = bandwidth_bytes_per_s(r, prefix + "bandwidth_kib_per_s"))
    f.bandwidth_bytes_per_s = *v;
  if (auto v = percent_ppm(r, prefix + "loss_percent")) f.loss_ppm = *v;
  if (auto v = percent_ppm(r, prefix + "duplicate_percent")) f.duplicate_ppm = *v;
  if (auto v = percent_ppm(r, prefix + "reorder_percent")) f.reorder_ppm = *v;
  const std::string reorder_delay = prefix + "reorder_delay_us";
  if (r.get(reorder_delay)) {
    f.reorder_delay_max_ns =
        static_cast<std::uint64_t>(r.integer(reorder_delay, 0, 1, 10'000'000)) * 1000;
  }
  duration_ms(r, prefix + "rto_ms", 1, 120'000, f.rto_initial_ns);
  duration_ms(r, prefix + "rto_max_ms", 1, 600'000, f.rto_max_ns);
  duration_ms(r, prefix + "timeout_ms", 1, 3'600'000, f.timeout_ns);
  duration_ms(r, prefix + "ping_interval_ms", 1, 3'600'000, f.ping_interval_ns);
  if (f.rto_max_ns < f.rto_initial_ns) {
    r.fail_here("'" + prefix + "rto_max_ms' must not be below '" + prefix + "rto_ms'");
  }
  // Loss of every transmission would be a cut; a cut is an action of its own.
  if (f.loss_ppm == 1'000'000) {
    r.fail(*r.get(prefix + "loss_percent"), "'" + prefix + "loss_percent' must be below 100");
  }
}

node_id node_in(table_reader& r, const toml::node& item, const std::string& key, int nodes) {
  auto id = item.value<std::int64_t>();
  if (!id || *id < 0 || *id >= nodes) {
    r.fail(item, "'" + key + "' holds a node id outside 0.." + std::to_string(nodes - 1));
  }
  return static_cast<node_id>(*id);
}

}  // namespace

void parse_cluster_models(table_reader& r, cluster_options& c) {
  read_faults(r, "link_", c.link);
  if (auto v = bandwidth_bytes_per_s(r, "disk_bandwidth_kib_per_s")) {
    c.disk_bandwidth_bytes_per_s = *v;
  }
  c.torn_writes = r.value<bool>("torn_writes").value_or(false);
  if (const toml::node* node = r.get("torn_write_granularity_bytes")) {
    if (!c.torn_writes) r.fail(*node, "'torn_write_granularity_bytes' needs 'torn_writes = true'");
    const auto bytes = r.integer("torn_write_granularity_bytes", 0, 512, 4096);
    if ((bytes & (bytes - 1)) != 0) {
      r.fail(*node, "'torn_write_granularity_bytes' must be 512, 1024, 2048 or 4096");
    }
    c.torn_write_granularity_bytes = static_cast<std::uint64_t>(bytes);
  }
}

void parse_link(table_reader& r, const toml::table& table, cluster_options& c) {
  const toml::node* ends = r.get("nodes");
  if (!ends) r.fail_here("missing required key 'nodes'");
  const toml::array* array = ends->as_array();
  if (!array || array->size() != 2) r.fail(*ends, "'nodes' must be [a, b], two node ids");
  const node_id a = node_in(r, *array->get(0), "nodes", c.nodes);
  const node_id b = node_in(r, *array->get(1), "nodes", c.nodes);
  if (a == b) r.fail(*ends, "'nodes' must name two different nodes");
  const std::pair key{std::min(a, b), std::max(a, b)};
  if (c.link_overrides.count(key)) {
    r.fail(table, "the link n" + std::to_string(key.first) + "-n" + std::to_string(key.second) +
                      " is listed twice");
  }
  link_params params{c.link_latency_min_ns, c.link_latency_max_ns, c.link, c.link_latency};
  read_latency(r, "latency", params.latency_min_ns, params.latency_max_ns, params.latency);
  read_faults(r, "", params.faults);
  r.reject_unknown();
  c.link_overrides[key] = params;
}

void parse_node(table_reader& r, const toml::table& table, cluster_options& c) {
  if (!table.contains("id")) r.fail_here("missing required key 'id'");
  const node_id id = r.node("id", c.nodes);
  if (c.disk_overrides.count(id)) {
    r.fail(table, "the node n" + std::to_string(id) + " is listed twice");
  }
  disk_params params{c.disk_latency_min_ns, c.disk_latency_max_ns, c.disk_bandwidth_bytes_per_s,
                     c.disk_latency};
  read_latency(r, "disk_latency", params.latency_min_ns, params.latency_max_ns, params.latency);
  if (auto v = bandwidth_bytes_per_s(r, "disk_bandwidth_kib_per_s")) {
    params.bandwidth_bytes_per_s = *v;
  }
  r.reject_unknown();
  c.disk_overrides[id] = params;
}

void parse_model_action(table_reader& r, const toml::table& table, const cluster_options& c,
                        scenario_action& a) {
  if (a.action == "set-link") {
    a.bandwidth_bytes_per_s = bandwidth_bytes_per_s(r, "bandwidth_kib_per_s");
    a.loss_ppm = percent_ppm(r, "loss_percent");
    a.duplicate_ppm = percent_ppm(r, "duplicate_percent");
    a.reorder_ppm = percent_ppm(r, "reorder_percent");
    if (!a.bandwidth_bytes_per_s && !a.loss_ppm && !a.duplicate_ppm && !a.reorder_ppm) {
      r.fail_here(
          "'set-link' needs 'loss_percent', 'duplicate_percent', 'reorder_percent' or "
          "'bandwidth_kib_per_s'");
    }
    if (a.loss_ppm == 1'000'000u)
      r.fail(*r.get("loss_percent"), "'loss_percent' must be below 100");
  }
  if (a.action == "slow") {
    if (!table.contains("factor") && !table.contains("delay_us")) {
      r.fail_here("'slow' needs 'factor' or 'delay_us'");
    }
    if (const toml::node* node = r.get("factor")) {
      const std::optional<double> factor = node->value<double>();
      if (!factor || !(*factor >= 0.01 && *factor <= 1000.0)) {
        r.fail(*node, "'factor' must be a number 0.01..1000");
      }
      a.latency_percent = static_cast<std::uint32_t>(std::llround(*factor * 100.0));
    }
    a.delay_ns = static_cast<std::uint64_t>(r.integer("delay_us", 0, 0, 10'000'000)) * 1000;
  }
  if (a.action == "read-error") {
    a.volume = static_cast<volume_nr>(r.integer("volume", 0, 0, c.volumes - 1));
    a.offset_kib = static_cast<std::uint64_t>(r.integer("offset_kib", 0, 0, 1 << 20));
    a.length_kib = static_cast<std::uint64_t>(r.integer("length_kib", 4, 1, 1 << 20));
    if ((a.offset_kib + a.length_kib) * 1024 > c.volume_size_bytes) {
      r.fail_here("'offset_kib' + 'length_kib' reach past the end of the volume");
    }
  }
}

}  // namespace tandem::sim
