#include "sim/sweep_config.h"

#include <toml++/toml.h>

#include <set>

#include "core/base/ids.h"
#include "sim/toml_document.h"

namespace tandem::sim {
namespace {

struct config_error {
  std::string message;
};

class sweep_table {
 public:
  sweep_table(const toml::table& table, std::string path) : table_(table), path_(std::move(path)) {}

  [[noreturn]] void fail(const toml::node& node, const std::string& what) const {
    throw config_error{path_ + ":" + std::to_string(node.source().begin.line) + ": [sweep] " +
                       what};
  }

  void flag(const char* key, bool& field) {
    if (const toml::node* node = take(key)) {
      const auto v = node->value_exact<bool>();
      if (!v) fail(*node, std::string("'") + key + "' must be true or false");
      field = *v;
    }
  }

  template <typename Int>
  void integer(const char* key, Int& field, std::int64_t low, std::int64_t high) {
    if (const toml::node* node = take(key)) {
      const auto v = node->value_exact<std::int64_t>();
      if (!v || *v < low || *v > high) {
        fail(*node, std::string("'") + key + "' must be an integer " + std::to_string(low) + ".." +
                        std::to_string(high));
      }
      field = static_cast<Int>(*v);
    }
  }

  // After `crashes`: protocol A or B lose acknowledged writes with a crashed Primary by design.
  void protocol(sweep_options& options) {
    const toml::node* node = take("protocol");
    if (!node) return;
    const auto text = node->value_exact<std::string>();
    const auto proto = text ? parse_protocol(*text) : std::nullopt;
    if (!proto) fail(*node, "'protocol' must be \"A\", \"B\" or \"C\"");
    options.proto = *proto;
    if (protocol_loses_writes_in_crashes(options)) {
      fail(*node, std::string("'protocol' A or B with 'crashes': ") + kProtocolCrashesConflict);
    }
  }

  void planted(planted_bug& field) {
    const toml::node* node = take("planted");
    if (!node) return;
    const auto name = node->value_exact<std::string>();
    const auto bug = name ? planted_bug_from(*name) : std::nullopt;
    if (!bug) fail(*node, "'planted' must name a planted bug (core/replica/planted_bugs.h)");
    if (*bug != planted_bug::none && !planted_bugs_available()) {
      fail(*node, "'planted' needs a tandem-sim built with TANDEM_SIM_PLANTED_BUGS=ON");
    }
    field = *bug;
  }

  void reject_unknown() const {
    for (const auto& [key, node] : table_) {
      if (!used_.count(std::string(key.str())))
        fail(node, "unknown key '" + std::string(key.str()) + "'");
    }
  }

 private:
  const toml::node* take(const char* key) {
    used_.insert(key);
    return table_.get(key);
  }

  const toml::table& table_;
  std::string path_;
  std::set<std::string> used_;
};

}  // namespace

bool looks_like_sweep_config(std::string_view text) {
  try {
    const toml::table root = toml::parse(text);
    return root.get_as<toml::table>("sweep") != nullptr;
  } catch (const toml::parse_error&) {
    return false;  // the scenario parser reports the syntax error with its line
  }
}

sweep_config_load parse_sweep_config(std::string_view text, const std::string& path) {
  sweep_config_load result;
  std::optional<toml::table> document = parse_toml_document(text, path, result.error);
  if (!document) return result;
  const toml::table& root = *document;
  try {
    for (const auto& [key, node] : root) {
      if (key.str() != "sweep") {
        throw config_error{path + ":" + std::to_string(node.source().begin.line) +
                           ": unknown key '" + std::string(key.str()) + "'"};
      }
    }
    const toml::table* table = root.get_as<toml::table>("sweep");
    if (!table) throw config_error{path + ":1: missing [sweep] table"};
    sweep_config config;
    sweep_table r(*table, path);
    r.integer("seed", config.seed, 0, INT64_MAX);
    r.integer("nodes", config.options.nodes, 2, kMaxNodes - 1);
    r.integer("steps", config.options.steps, 1, 1'000'000);
    std::uint64_t volume_kib = config.options.volume_size_bytes / 1024;
    r.integer("volume_kib", volume_kib, 4, 1 << 20);
    if (volume_kib % 4 != 0)
      r.fail(*table->get("volume_kib"), "'volume_kib' must be a multiple of 4");
    config.options.volume_size_bytes = volume_kib * 1024;
    r.flag("migrations", config.options.migrations);
    r.flag("diskless_client", config.options.diskless_client);
    r.flag("small_writes", config.options.small_writes);
    r.flag("quorum", config.options.quorum);
    r.flag("crashes", config.options.crashes);
    r.flag("resync_rate", config.options.resync_rate);
    r.protocol(config.options);
    r.flag("lossy_network", config.options.lossy_network);
    r.planted(config.options.planted);
    r.reject_unknown();
    result.value = config;
  } catch (const config_error& error) {
    result.error = error.message;
  }
  return result;
}

std::string format_sweep_config(const sweep_config& config) {
  const sweep_options& o = config.options;
  const auto flag = [](bool on) { return on ? "true" : "false"; };
  std::string text =
      "# The built-in random schedule of `tandem-sim sweep`, one seed.\n"
      "# Replay: tandem-sim replay THIS_FILE\n"
      "[sweep]\n";
  text += "seed = " + std::to_string(config.seed) + "\n";
  text += "nodes = " + std::to_string(o.nodes) + "\n";
  text += "steps = " + std::to_string(o.steps) + "\n";
  text += "volume_kib = " + std::to_string(o.volume_size_bytes / 1024) + "\n";
  text += std::string("migrations = ") + flag(o.migrations) + "\n";
  text += std::string("diskless_client = ") + flag(o.diskless_client) + "\n";
  text += std::string("small_writes = ") + flag(o.small_writes) + "\n";
  text += std::string("quorum = ") + flag(o.quorum) + "\n";
  text += std::string("crashes = ") + flag(o.crashes) + "\n";
  text += std::string("resync_rate = ") + flag(o.resync_rate) + "\n";
  text += "protocol = \"" + std::string(to_string(o.proto)) + "\"\n";
  if (o.lossy_network) text += "lossy_network = true\n";
  if (o.planted != planted_bug::none) {
    text += "planted = \"" + std::string(to_string(o.planted)) + "\"\n";
  }
  return text;
}

}  // namespace tandem::sim
