// Reading tandem-analyze's TOML input. Every key is checked: unknown keys (typos), wrong types and
// values out of range are errors naming the file, line, table and key, never a crash.
#include "analysis/report_input.h"

#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>

namespace tandem::analysis {
namespace {

struct input_error {
  std::string message;
};

class reader {
 public:
  reader(const toml::table& table, const std::string& path, std::string where)
      : table_(table), path_(path), where_(std::move(where)) {}

  [[noreturn]] void fail(const toml::node& node, const std::string& what) const {
    throw input_error{path_ + ":" + std::to_string(node.source().begin.line) + ": " + where_ +
                      ": " + what};
  }

  // A number (integer or float) in [low, high], or the fallback when the key is absent.
  double number(const std::string& key, double fallback, double low, double high) {
    const toml::node* node = get(key);
    if (!node) return fallback;
    const auto v = node->value<double>();
    if (!v) fail(*node, "'" + key + "' must be a number");
    if (!(*v >= low && *v <= high)) {
      fail(*node, "'" + key + "' = " + std::to_string(*v) + " is outside " + std::to_string(low) +
                      ".." + std::to_string(high));
    }
    return *v;
  }
  int integer(const std::string& key, int fallback, int low, int high) {
    const toml::node* node = get(key);
    if (!node) return fallback;
    const auto v = node->value_exact<std::int64_t>();
    if (!v) fail(*node, "'" + key + "' must be an integer");
    if (*v < low || *v > high) {
      fail(*node, "'" + key + "' = " + std::to_string(*v) + " is outside " + std::to_string(low) +
                      ".." + std::to_string(high));
    }
    return static_cast<int>(*v);
  }
  std::string text(const std::string& key, const std::string& fallback) {
    const toml::node* node = get(key);
    if (!node) return fallback;
    const auto v = node->value_exact<std::string>();
    if (!v) fail(*node, "'" + key + "' must be a string");
    return *v;
  }
  bool boolean(const std::string& key, bool fallback) {
    const toml::node* node = get(key);
    if (!node) return fallback;
    const auto v = node->value_exact<bool>();
    if (!v) fail(*node, "'" + key + "' must be true or false");
    return *v;
  }
  std::vector<std::string> strings(const std::string& key) {
    std::vector<std::string> out;
    for (const toml::node& item : array(key)) {
      const auto v = item.value_exact<std::string>();
      if (!v) fail(item, "'" + key + "' must hold strings");
      out.push_back(*v);
    }
    return out;
  }
  template <typename T>
  std::vector<T> numbers(const std::string& key, std::vector<T> fallback, T low, T high) {
    if (!get(key)) return fallback;
    std::vector<T> out;
    for (const toml::node& item : array(key)) {
      const auto v = item.value<T>();
      if (!v || *v < low || *v > high) {
        fail(item, "'" + key + "' must hold numbers in " + std::to_string(low) + ".." +
                       std::to_string(high));
      }
      out.push_back(*v);
    }
    if (out.empty()) fail(table_, "'" + key + "' must not be empty");
    return out;
  }
  const toml::array& array(const std::string& key) {
    static const toml::array kEmpty;
    const toml::node* node = get(key);
    if (!node) return kEmpty;
    if (!node->is_array()) fail(*node, "'" + key + "' must be an array");
    return *node->as_array();
  }
  const toml::table* table(const std::string& key) {
    const toml::node* node = get(key);
    if (node && !node->is_table()) fail(*node, "'" + key + "' must be a table");
    return node ? node->as_table() : nullptr;
  }
  // Every key of the table must have been read: anything else is a typo or unsupported.
  void finish() const {
    for (const auto& [key, node] : table_) {
      if (!used_.count(std::string(key.str()))) fail(node, "unknown key '" + std::string(key.str()) + "'");
    }
  }
  const toml::table& node() const { return table_; }

 private:
  const toml::node* get(const std::string& key) {
    used_.insert(key);
    return table_.get(key);
  }
  const toml::table& table_;
  const std::string& path_;
  std::string where_;
  std::set<std::string> used_;
};

rates read_rates(reader& r) {
  rates f;
  f.node_mtbf_hours = r.number("node_mtbf_hours", f.node_mtbf_hours, 1e-6, 1e12);
  f.node_restart_hours = r.number("node_restart_hours", f.node_restart_hours, 1e-9, 1e9);
  f.link_mtbf_hours = r.number("link_mtbf_hours", f.link_mtbf_hours, 0, 1e12);
  f.link_repair_hours = r.number("link_repair_hours", f.link_repair_hours, 1e-9, 1e9);
  f.disk_mtbf_hours = r.number("disk_mtbf_hours", f.disk_mtbf_hours, 1e-6, 1e12);
  f.disk_replace_hours = r.number("disk_replace_hours", f.disk_replace_hours, 0, 1e9);
  f.volume_size_gib = r.number("volume_size_gib", f.volume_size_gib, 0, 1e9);
  f.resync_mib_per_s = r.number("resync_mib_per_s", f.resync_mib_per_s, 1e-6, 1e9);
  f.dirty_gib_after_outage = r.number("dirty_gib_after_outage", f.dirty_gib_after_outage, 1e-9, 1e9);
  r.finish();
  return f;
}

configuration read_configuration(reader& r, int links_fail_nodes_limit) {
  configuration c;
  c.name = r.text("name", "");
  if (c.name.empty()) r.fail(r.node(), "'name' is required");
  c.replicas = r.integer("replicas", 2, 1, 5);
  const toml::node* tb = r.node().get("tiebreaker");
  if (tb && !tb->value_exact<bool>()) r.fail(*tb, "'tiebreaker' must be true or false");
  c.tiebreakers = r.boolean("tiebreaker", false) ? 1 : 0;
  const std::string quorum = r.text("quorum", "majority");
  const auto parsed = parse_quorum_setting(quorum);
  if (!parsed) r.fail(r.node(), "'quorum' = \"" + quorum + "\" is not off, majority, all or 1..31");
  c.quorum = *parsed;
  c.hosts = r.strings("hosts");
  c.tiebreaker_hosts = r.strings("tiebreaker_hosts");
  if (!c.hosts.empty() && static_cast<int>(c.hosts.size()) != c.replicas) {
    r.fail(r.node(), "'hosts' lists " + std::to_string(c.hosts.size()) + " hosts for " +
                         std::to_string(c.replicas) + " replicas");
  }
  if (!c.tiebreaker_hosts.empty() && static_cast<int>(c.tiebreaker_hosts.size()) != c.tiebreakers) {
    r.fail(r.node(), "'tiebreaker_hosts' must list one host when 'tiebreaker' is true, else none");
  }
  if (links_fail_nodes_limit > 0 && c.replicas + c.tiebreakers > links_fail_nodes_limit) {
    r.fail(r.node(), "with [rates] link_mtbf_hours > 0 a configuration has at most 4 nodes");
  }
  r.finish();
  return c;
}

validation_settings read_validation(reader& r) {
  validation_settings v;
  v.enabled = r.boolean("enabled", v.enabled);
  v.runs = r.integer("runs", v.runs, 2, 1000);
  v.hours_per_run = r.number("hours_per_run", v.hours_per_run, 1, 1e6);
  v.node_mtbf_hours = r.number("node_mtbf_hours", v.node_mtbf_hours, 0.01, 1e6);
  v.node_restart_hours = r.number("node_restart_hours", v.node_restart_hours, 0.01, 1e6);
  v.mttdl_runs = r.integer("mttdl_runs", v.mttdl_runs, 2, 100'000);
  v.disk_mtbf_hours = r.number("disk_mtbf_hours", v.disk_mtbf_hours, 0.01, 1e6);
  v.disk_replace_hours = r.number("disk_replace_hours", v.disk_replace_hours, 0.001, 1e6);
  r.finish();
  return v;
}

topology read_topology(reader& r, int& max_failures) {
  topology t;
  t.hosts = r.strings("hosts");
  t.switches = r.strings("switches");
  for (const toml::node& item : r.array("links")) {
    const toml::array* pair = item.as_array();
    if (!pair || pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_string()) {
      r.fail(item, "'links' entries must be [\"a\", \"b\"] pairs of names");
    }
    t.links.emplace_back(*(*pair)[0].value<std::string>(), *(*pair)[1].value<std::string>());
  }
  max_failures = r.integer("max_failures", max_failures, 1, 4);
  if (t.hosts.empty()) r.fail(r.node(), "'hosts' is required");
  r.finish();
  return t;
}

report_input read_input(const toml::table& root, const std::string& path) {
  report_input in;
  reader top(root, path, "top level");
  if (const auto* t = top.table("report")) {
    reader r(*t, path, "[report]");
    in.title = r.text("title", in.title);
    r.finish();
  }
  if (const auto* t = top.table("rates")) {
    reader r(*t, path, "[rates]");
    in.figures = read_rates(r);
  }
  const int node_limit = in.figures.link_mtbf_hours > 0 ? 4 : 0;
  std::set<std::string> names;
  for (const toml::node& item : top.array("configuration")) {
    if (!item.is_table()) top.fail(item, "'configuration' must be [[configuration]] tables");
    reader r(*item.as_table(), path, "[[configuration]]");
    in.configurations.push_back(read_configuration(r, node_limit));
    if (!names.insert(in.configurations.back().name).second) {
      r.fail(item, "name '" + in.configurations.back().name + "' is used twice");
    }
  }
  if (in.configurations.empty()) top.fail(root, "at least one [[configuration]] is required");
  if (const auto* t = top.table("sweep")) {
    reader r(*t, path, "[sweep]");
    in.sweep_replicas = r.numbers<int>("replicas", in.sweep_replicas, 1, 5);
    in.sweep_resync_mib_per_s =
        r.numbers<double>("resync_mib_per_s", in.sweep_resync_mib_per_s, 1e-3, 1e6);
    r.finish();
  }
  if (const auto* t = top.table("validation")) {
    reader r(*t, path, "[validation]");
    in.validation = read_validation(r);
  }
  if (const auto* t = top.table("topology")) {
    reader r(*t, path, "[topology]");
    in.network = read_topology(r, in.max_failures);
  }
  top.finish();
  return in;
}

}  // namespace

input_load parse_report_input(std::string_view text, const std::string& path) {
  input_load load;
  try {
    const toml::table root = toml::parse(text, path);
    load.value = read_input(root, path);
  } catch (const toml::parse_error& e) {
    load.error = path + ":" + std::to_string(e.source().begin.line) + ": " +
                 std::string(e.description());
  } catch (const input_error& e) {
    load.error = e.message;
  }
  return load;
}

input_load load_report_input(const std::string& path) {
  std::ifstream file(path);
  if (!file) return {std::nullopt, path + ": cannot open the file"};
  std::stringstream buffer;
  buffer << file.rdbuf();
  return parse_report_input(buffer.str(), path);
}

availability_params availability_of(const report_input& in, const configuration& c) {
  availability_params p;
  p.diskful_replicas = c.replicas;
  p.tiebreakers = c.tiebreakers;
  p.quorum = c.quorum;
  p.node_mtbf_hours = in.figures.node_mtbf_hours;
  p.node_restart_hours = in.figures.node_restart_hours;
  p.link_mtbf_hours = in.figures.link_mtbf_hours;
  p.link_repair_hours = in.figures.link_repair_hours;
  p.resync_hours = in.figures.dirty_gib_after_outage * 1024.0 / in.figures.resync_mib_per_s / 3600.0;
  return p;
}

durability_params durability_of(const report_input& in, const configuration& c) {
  durability_params p;
  p.diskful_replicas = c.replicas;
  p.disk_mtbf_hours = in.figures.disk_mtbf_hours;
  p.disk_replace_hours = in.figures.disk_replace_hours;
  p.volume_size_gib = in.figures.volume_size_gib;
  p.resync_mib_per_s = in.figures.resync_mib_per_s;
  return p;
}

}  // namespace tandem::analysis
