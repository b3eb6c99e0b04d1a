// Loading scenario files with toml++. Every key is checked: unknown keys, wrong types and values
// out of range are errors naming the file, line and key.
#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "sim/link_counter_names.h"
#include "sim/scenario.h"
#include "sim/scenario_parse_latency.h"
#include "sim/scenario_parse_models.h"
#include "sim/table_reader.h"
#include "sim/toml_document.h"

namespace tandem::sim {
namespace {

// The resync rate controller's options, in DRBD's names and units. Setting any of them turns the
// controller on; the others keep DRBD's defaults.
std::optional<resync_rate_settings> resync_rate_options(table_reader& r) {
  std::optional<resync_rate_settings> settings;
  auto option = [&](const std::string& key, std::uint32_t& field, std::int64_t max = 4'000'000) {
    const toml::node* node = r.get(key);
    if (!node) return;
    auto v = integer_value(*node);
    if (!v || *v < 0 || *v > max) {
      r.fail(*node, "'" + key + "' must be an integer 0.." + std::to_string(max));
    }
    if (!settings) settings.emplace();
    field = static_cast<std::uint32_t>(*v);
  };
  resync_rate_settings s;
  option("resync_rate", s.resync_rate_kib_s);
  option("c_plan_ahead", s.plan_ahead_ds, 300);  // DRBD's limit: a 30 s horizon
  option("c_fill_target", s.fill_target_sectors);
  option("c_delay_target", s.delay_target_ds);
  option("c_max_rate", s.max_rate_kib_s);
  option("c_min_rate", s.min_rate_kib_s);
  if (settings) settings = s;
  return settings;
}

void parse_cluster(table_reader& r, cluster_options& c) {
  c.nodes = static_cast<int>(r.integer("nodes", 3, 1, kMaxNodes));
  if (const toml::node* node = r.get("diskless")) {
    const toml::array* array = node->as_array();
    if (!array) r.fail(*node, "'diskless' must be an array of node ids");
    for (const auto& item : *array) {
      auto id = integer_value(item);
      if (!id || *id < 0 || *id >= c.nodes)
        r.fail(item, "'diskless' holds a node id outside 0.." + std::to_string(c.nodes - 1));
      c.diskless_nodes |= mask_of(static_cast<node_id>(*id));
    }
  }
  if (const toml::node* node = r.get("members")) {
    // The replicas at the start; the other nodes are spare machines for "add-replica".
    const toml::array* array = node->as_array();
    if (!array) r.fail(*node, "'members' must be an array of node ids");
    for (const auto& item : *array) {
      auto id = integer_value(item);
      if (!id || *id < 0 || *id >= c.nodes)
        r.fail(item, "'members' holds a node id outside 0.." + std::to_string(c.nodes - 1));
      c.members |= mask_of(static_cast<node_id>(*id));
    }
    if (c.members == 0) r.fail(*node, "'members' must name at least one node");
  }
  c.volume_size_bytes =
      static_cast<std::uint64_t>(r.integer("volume_kib", 4096, 4, 1 << 20)) * 1024;
  if (c.volume_size_bytes % kBlockBytes != 0) r.fail_here("'volume_kib' must be a multiple of 4");
  c.proto = r.choice("protocol", parse_protocol, "\"A\", \"B\" or \"C\"").value_or(protocol::c);
  const char* quorum_values = "\"off\", \"majority\", \"all\" or \"1\"..\"31\"";
  c.quorum = r.choice("quorum", parse_quorum_setting, quorum_values).value_or(quorum_setting{});
  c.quorum_minimum_redundancy =
      r.choice("quorum_minimum_redundancy", parse_quorum_setting, quorum_values)
          .value_or(quorum_setting{});
  c.on_no_quorum_policy =
      r.choice("on_no_quorum", parse_on_no_quorum, "\"io-error\" or \"suspend-io\"")
          .value_or(on_no_quorum::suspend_io);
  auto& sb = c.split_brain;
  sb.zero_primaries = r.choice("after_sb_0pri", parse_after_sb_0pri, "a DRBD after-sb-0pri value")
                          .value_or(after_sb_0pri::disconnect);
  sb.one_primary = r.choice("after_sb_1pri", parse_after_sb_1pri, "a DRBD after-sb-1pri value")
                       .value_or(after_sb_1pri::disconnect);
  sb.two_primaries = r.choice("after_sb_2pri", parse_after_sb_2pri, "a DRBD after-sb-2pri value")
                         .value_or(after_sb_2pri::disconnect);
  sb.always_asbp = r.value<bool>("always_asbp").value_or(false);
  sb.on_rr_conflict = r.choice("rr_conflict", parse_rr_conflict,
                               "\"disconnect\", \"retry-connect\" or \"violently\"")
                          .value_or(rr_conflict::disconnect);
  c.allow_two_primaries = r.value<bool>("allow_two_primaries").value_or(false);
  const std::string start = r.value<std::string>("start").value_or("uptodate");
  if (start != "uptodate" && start != "created") {
    r.fail(*r.get("start"), "'start' must be \"uptodate\" or \"created\"");
  }
  c.start_uptodate = start == "uptodate";
  c.checksum_resync = r.value<bool>("checksum_resync").value_or(false);
  c.resync_rate = resync_rate_options(r);
  c.congestion.policy =
      r.choice("on_congestion", parse_on_congestion, "\"block\", \"pull-ahead\" or \"disconnect\"")
          .value_or(on_congestion::block);
  if (c.congestion.policy != on_congestion::block && c.proto != protocol::a) {
    r.fail(*r.get("on_congestion"), "'on_congestion' other than \"block\" needs protocol \"A\"");
  }
  c.congestion.fill_bytes =
      static_cast<std::uint64_t>(r.integer("congestion_fill_kib", 0, 0, 10 << 20)) * 1024;
  c.congestion.extents = static_cast<std::uint32_t>(r.integer("congestion_extents", 0, 0, 65534));
  c.io_error_policy =
      r.choice("on_io_error", parse_on_io_error, "\"detach\", \"pass_on\" or \"call-local-io-error\"")
          .value_or(on_io_error::detach);
  read_latency(r, "link_latency", c.link_latency_min_ns, c.link_latency_max_ns, c.link_latency);
  read_latency(r, "disk_latency", c.disk_latency_min_ns, c.disk_latency_max_ns, c.disk_latency);
  parse_cluster_models(r, c);
  r.reject_unknown();
}

constexpr std::int64_t kLatestMs = 3'600'000;

// `at_ms`: a time, or `[lo, hi]` (inclusive) drawn per seed by resolve_ranges.
void parse_at_ms(table_reader& r, scenario_action& a) {
  const toml::node* node = r.get("at_ms");
  if (!node || !node->as_array()) {
    a.at_ms = static_cast<std::uint64_t>(r.integer("at_ms", -1, 0, kLatestMs));
    return;
  }
  const toml::array& array = *node->as_array();
  const auto element = [&](std::size_t i) {
    return i < array.size() ? array.get(i)->value_exact<std::int64_t>() : std::nullopt;
  };
  const auto low = element(0);
  const auto high = element(1);
  if (array.size() != 2 || !low || !high) {
    r.fail(*node, "'at_ms' range must be [lo, hi], two integers (milliseconds, inclusive)");
  }
  const std::string shown = "[" + std::to_string(*low) + ", " + std::to_string(*high) + "]";
  if (*low < 0 || *high > kLatestMs) {
    r.fail(*node, "'at_ms' = " + shown + " is outside 0.." + std::to_string(kLatestMs));
  }
  if (*low > *high) r.fail(*node, "'at_ms' = " + shown + ": lo is greater than hi");
  a.at_ms = static_cast<std::uint64_t>(*low);
  a.at_ms_latest = static_cast<std::uint64_t>(*high);
}

// adjust: the options it names, checked like the same keys of [cluster].
void parse_option_changes(table_reader& r, scenario_action& a) {
  auto& o = a.options;
  const char* quorum_values = "\"off\", \"majority\", \"all\" or \"1\"..\"31\"";
  o.quorum = r.choice("quorum", parse_quorum_setting, quorum_values);
  o.quorum_minimum_redundancy =
      r.choice("quorum_minimum_redundancy", parse_quorum_setting, quorum_values);
  o.on_no_quorum_policy =
      r.choice("on_no_quorum", parse_on_no_quorum, "\"io-error\" or \"suspend-io\"");
  o.after_sb_0pri_policy =
      r.choice("after_sb_0pri", parse_after_sb_0pri, "a DRBD after-sb-0pri value");
  o.after_sb_1pri_policy =
      r.choice("after_sb_1pri", parse_after_sb_1pri, "a DRBD after-sb-1pri value");
  o.after_sb_2pri_policy =
      r.choice("after_sb_2pri", parse_after_sb_2pri, "a DRBD after-sb-2pri value");
  o.allow_two_primaries = r.value<bool>("allow_two_primaries");
  o.checksum_resync = r.value<bool>("checksum_resync");
  o.io_error_policy = r.choice("on_io_error", parse_on_io_error,
                               "\"detach\", \"pass_on\" or \"call-local-io-error\"");
  const bool any = o.quorum || o.quorum_minimum_redundancy || o.on_no_quorum_policy ||
                   o.after_sb_0pri_policy || o.after_sb_1pri_policy || o.after_sb_2pri_policy ||
                   o.allow_two_primaries || o.checksum_resync || o.io_error_policy;
  if (!any) r.fail_here("'adjust' needs at least one option to change");
}

const std::set<std::string> kActions = {
    "promote",        "promote-force", "demote",       "write",     "read",       "cut",
    "heal",           "isolate",       "rejoin",       "disk-fail", "disconnect", "connect",
    "hold",           "release",       "settle",       "crash",     "restart",    "add-replica",
    "remove-replica", "verify",        "invalidate",   "resize",    "corrupt",    "detach",
    "attach",         "cut-one-way",   "heal-one-way", "set-link",  "slow",       "normal",
    "read-error",     "adjust"};
const std::set<std::string> kWithPeer = {"cut",  "heal",        "disconnect",   "connect",
                                         "hold", "cut-one-way", "heal-one-way", "set-link"};
const std::set<std::string> kModelActions = {"set-link", "slow", "read-error"};

scenario_action parse_action(table_reader& r, const toml::table& table,
                             const cluster_options& cluster) {
  const int nodes = cluster.nodes;
  scenario_action a;
  a.line = line_of(table);
  parse_at_ms(r, a);
  a.action = r.required<std::string>("action");
  if (!kActions.count(a.action)) r.fail_here("unknown action '" + a.action + "'");
  a.node = r.node("node", nodes);
  if (kWithPeer.count(a.action)) {
    if (!table.contains("peer")) r.fail_here("'" + a.action + "' needs 'peer'");
    a.peer = r.node("peer", nodes);
    if (a.peer == a.node) r.fail_here("'peer' must differ from 'node'");
  }
  const bool optional_peer =
      a.action == "verify" || a.action == "invalidate" || a.action == "attach";
  if (optional_peer && table.contains("peer")) {
    a.has_peer = true;
    a.peer = r.node("peer", nodes);
    if (a.peer == a.node) r.fail_here("'peer' must differ from 'node'");
  }
  if (a.action == "resize") {
    if (!table.contains("size_kib")) r.fail_here("'resize' needs 'size_kib'");
    a.size_kib = static_cast<std::uint64_t>(r.integer("size_kib", 0, 4, 1 << 20));
    if (a.size_kib % 4 != 0) r.fail_here("'size_kib' must be a multiple of 4");
    a.assume_clean = r.value<bool>("assume_clean").value_or(false);
  }
  if (a.action == "add-replica") a.diskless = r.value<bool>("diskless").value_or(false);
  if (a.action == "corrupt") {
    a.offset_kib = static_cast<std::uint64_t>(r.integer("offset_kib", 0, 0, 1 << 20));
    if (a.offset_kib % 4 != 0) r.fail_here("'offset_kib' must be a multiple of 4");
  }
  if (kModelActions.count(a.action)) parse_model_action(r, table, cluster, a);
  if (a.action == "adjust") parse_option_changes(r, a);
  a.count = static_cast<int>(r.integer("count", 1, 1, 100'000));
  a.size = r.value<std::string>("size").value_or("4k");
  if (a.size != "4k" && a.size != "512" && a.size != "mixed" && a.size != "16k") {
    r.fail_here("'size' must be \"4k\", \"512\", \"mixed\" or \"16k\"");
  }
  a.message = r.value<std::string>("message").value_or("");
  if (a.action == "hold" && a.message.empty()) r.fail_here("'hold' needs 'message'");
  a.refused = r.value<bool>("refused").value_or(false);
  a.may_fail = r.value<bool>("may_fail").value_or(false);
  r.reject_unknown();
  return a;
}

const std::set<std::string> kKinds = {
    "disk",        "role",     "connection",     "replication",
    "quorum",      "event",    "resync",         "identical",
    "out-of-sync", "verified", "resync-skipped", "resync-duration",
    "link",        "reads-ok", "read-errors",    "write-latency",
    "log"};

scenario_expectation parse_expectation(table_reader& r, const toml::table& table, int nodes) {
  scenario_expectation e;
  e.line = line_of(table);
  e.kind = r.required<std::string>("kind");
  if (!kKinds.count(e.kind)) r.fail_here("unknown expectation kind '" + e.kind + "'");
  e.any_node = !table.contains("node");
  e.node = r.node("node", nodes);
  if (table.contains("peer")) e.peer = r.node("peer", nodes);
  e.state = r.value<std::string>("state").value_or("");
  e.name = r.value<std::string>("name").value_or("");
  e.exactly = r.value<std::int64_t>("exactly");
  e.at_least = r.value<std::int64_t>("at_least");
  e.at_most = r.value<std::int64_t>("at_most");
  e.contains = r.value<std::string>("contains").value_or("");
  if (const toml::node* node = r.get("nodes")) {
    const toml::array* array = node->as_array();
    if (!array) r.fail(*node, "'nodes' must be an array of node ids");
    for (const auto& item : *array) {
      auto id = integer_value(item);
      if (!id || *id < 0 || *id >= nodes) r.fail(item, "'nodes' holds an invalid node id");
      e.nodes.push_back(static_cast<node_id>(*id));
    }
  }
  const bool needs_state = e.kind == "disk" || e.kind == "role" || e.kind == "connection" ||
                           e.kind == "replication" || e.kind == "quorum";
  if (needs_state && e.state.empty()) r.fail_here("'" + e.kind + "' needs 'state'");
  if (e.kind == "event" && e.name.empty()) r.fail_here("'event' needs 'name'");
  if (e.kind == "link") {
    if (!table.contains("node") || !table.contains("peer")) {
      r.fail_here("'link' needs 'node' and 'peer'");
    }
    if (!link_counter(link_counters{}, e.name)) {
      std::string names;
      for (const auto& f : kLinkCounterFields) {
        names += (names.empty() ? "" : ", ") + std::string(f.name);
      }
      r.fail(table.contains("name") ? *table.get("name") : static_cast<const toml::node&>(table),
             "'link' needs 'name', one of " + names);
    }
  }
  if (e.kind == "read-errors" && !table.contains("node")) r.fail_here("'read-errors' needs 'node'");
  if (e.kind == "log" && e.contains.empty()) r.fail_here("'log' needs 'contains'");
  const bool counts = e.kind == "event" || e.kind == "resync" || e.kind == "out-of-sync" ||
                      e.kind == "verified" || e.kind == "resync-skipped" ||
                      e.kind == "resync-duration" || e.kind == "link" || e.kind == "reads-ok" ||
                      e.kind == "read-errors" || e.kind == "write-latency" || e.kind == "log";
  if ((e.kind == "out-of-sync" || e.kind == "verified") && !table.contains("peer")) {
    r.fail_here("'" + e.kind + "' needs 'peer'");
  }
  if (counts && !e.exactly && !e.at_least && !e.at_most) {
    r.fail_here("'" + e.kind + "' needs 'exactly', 'at_least' or 'at_most'");
  }
  if (e.kind == "identical" && e.nodes.size() < 2) r.fail_here("'identical' needs 2+ 'nodes'");
  r.reject_unknown();
  return e;
}

}  // namespace

scenario_load parse_scenario(std::string_view text, const std::string& path) {
  scenario_load result;
  std::optional<toml::table> document = parse_toml_document(text, path, result.error);
  if (!document) return result;
  const toml::table& root = *document;
  try {
    scenario s;
    s.path = path;
    table_reader top(root, path, "");
    const toml::node* head = top.get("scenario");
    if (!head || !head->as_table()) top.fail_here("missing [scenario] table");
    table_reader meta(*head->as_table(), path, "[scenario] ");
    s.name = meta.required<std::string>("name");
    s.proves = meta.required<std::string>("proves");
    s.seed = static_cast<std::uint64_t>(meta.integer("seed", 1, 0, INT64_MAX));
    meta.reject_unknown();
    if (const toml::node* node = top.get("cluster")) {
      if (!node->as_table()) top.fail(*node, "'cluster' must be a table");
      table_reader cluster(*node->as_table(), path, "[cluster] ");
      parse_cluster(cluster, s.cluster);
    }
    auto each_table = [&](const char* key, auto&& parse) {
      const toml::node* node = top.get(key);
      if (!node) return;
      const toml::array* array = node->as_array();
      if (!array) top.fail(*node, std::string("'") + key + "' must be an array of tables");
      for (const auto& item : *array) {
        if (!item.as_table()) top.fail(item, std::string("'") + key + "' entries must be tables");
        table_reader r(*item.as_table(), path, std::string("[[") + key + "]] ");
        parse(r, *item.as_table());
      }
    };
    each_table("link", [&](table_reader& r, const toml::table& t) { parse_link(r, t, s.cluster); });
    each_table("node", [&](table_reader& r, const toml::table& t) { parse_node(r, t, s.cluster); });
    each_table("timeline", [&](table_reader& r, const toml::table& t) {
      s.timeline.push_back(parse_action(r, t, s.cluster));
      // With ranges, every draw must keep the order: an entry may not start before the latest
      // time of the one above it.
      if (s.timeline.size() > 1) {
        const scenario_action& above = s.timeline[s.timeline.size() - 2];
        const scenario_action& entry = s.timeline.back();
        const std::uint64_t above_latest = above.at_ms_latest.value_or(above.at_ms);
        if (entry.at_ms < above_latest) {
          const bool ranged = above.at_ms_latest || entry.at_ms_latest;
          r.fail_here("timeline entries must be in time order" +
                      (ranged ? " (a range may not start before " + std::to_string(above_latest) +
                                    ", the latest time above it)"
                              : std::string()));
        }
      }
    });
    each_table("expect", [&](table_reader& r, const toml::table& t) {
      s.expectations.push_back(parse_expectation(r, t, s.cluster.nodes));
    });
    top.reject_unknown();
    result.value = std::move(s);
  } catch (const load_error& error) {
    result.error = error.message;
  }
  return result;
}

scenario_load load_scenario(const std::string& path) {
  std::ifstream file(path);
  if (!file) return {std::nullopt, path + ": cannot open the file"};
  std::stringstream text;
  text << file.rdbuf();
  return parse_scenario(text.str(), path);
}

}  // namespace tandem::sim
