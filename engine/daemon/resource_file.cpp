#include "engine/daemon/resource_file.h"

#include <functional>
#include <set>
#include <stdexcept>
#include <toml++/toml.h>

namespace tandem::engine {
namespace {

class reader {
 public:
  reader(const toml::table& table, std::string origin, std::string where)
      : table_(table), origin_(std::move(origin)), where_(std::move(where)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw std::runtime_error(origin_ + ": " + where_ + key + ": " + why);
  }

  // Rejects keys this reader was never asked about: a typo must not silently keep a default.
  void reject_unknown(const std::set<std::string>& known) const {
    for (const auto& [key, value] : table_) {
      if (!known.count(std::string(key.str()))) fail(std::string(key.str()), "unknown key");
    }
  }

  std::optional<std::string> text(const std::string& key) const {
    const auto* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    const auto value = node->value<std::string>();
    if (!value) fail(key, "must be a string");
    return *value;
  }
  std::string required_text(const std::string& key) const {
    auto value = text(key);
    if (!value || value->empty()) fail(key, "missing (a non-empty string is required)");
    return *value;
  }
  std::optional<std::int64_t> integer(const std::string& key, std::int64_t min,
                                      std::int64_t max) const {
    const auto* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    // is_integer first: value<int64_t>() converts a float, and one beyond int64's range
    // (1e24) is undefined behaviour inside toml++ (found by fuzz_resource_file).
    if (!node->is_integer()) fail(key, "must be an integer");
    const auto value = node->value<std::int64_t>();
    if (!value) fail(key, "must be an integer");
    if (*value < min || *value > max) {
      fail(key, std::to_string(*value) + " outside " + std::to_string(min) + ".." +
                    std::to_string(max));
    }
    return *value;
  }
  std::optional<bool> boolean(const std::string& key) const {
    const auto* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) fail(key, "must be true or false");
    return *node->value<bool>();
  }
  template <typename T>
  std::optional<T> choice(const std::string& key,
                          const std::function<std::optional<T>(std::string_view)>& parse,
                          const std::string& allowed) const {
    auto value = text(key);
    if (!value) return std::nullopt;
    auto parsed = parse(*value);
    if (!parsed) fail(key, "'" + *value + "' is not one of " + allowed);
    return parsed;
  }
  const toml::array* array(const std::string& key) const {
    const auto* node = table_.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_array()) fail(key, "must be an array");
    return node->as_array();
  }

 private:
  const toml::table& table_;
  std::string origin_;
  std::string where_;
};

std::optional<direct_io> parse_direct_io(std::string_view text) {
  if (text == "auto") return direct_io::automatic;
  if (text == "on") return direct_io::on;
  if (text == "off") return direct_io::off;
  return std::nullopt;
}

std::optional<bool> parse_csums_alg(std::string_view text) {
  if (text == "none") return false;
  if (text == "crc32c") return true;
  return std::nullopt;
}

// DRBD's resync controller options, in DRBD's units (KiB/s, 0.1 s, sectors) and ranges. Setting
// any of them turns the controller on; the others keep DRBD's defaults.
std::optional<resync_rate_settings> parse_resync_rate(const reader& r) {
  std::optional<resync_rate_settings> settings;
  resync_rate_settings s;
  auto option = [&](const std::string& key, std::int64_t min, std::int64_t max,
                    std::uint32_t& field) {
    const auto value = r.integer(key, min, max);
    if (!value) return;
    field = static_cast<std::uint32_t>(*value);
    settings = s;
  };
  option("resync-rate", 1, 4'194'304, s.resync_rate_kib_s);
  option("c-plan-ahead", 0, 300, s.plan_ahead_ds);
  option("c-fill-target", 0, 1'048'576, s.fill_target_sectors);
  option("c-delay-target", 1, 100, s.delay_target_ds);
  option("c-max-rate", 250, 4'194'304, s.max_rate_kib_s);
  option("c-min-rate", 0, 4'194'304, s.min_rate_kib_s);
  if (settings) settings = s;
  return settings;
}

void parse_options(const toml::table& table, const std::string& origin,
                   resource_definition& resource) {
  const reader r(table, origin, "[options] ");
  r.reject_unknown({"quorum", "quorum-minimum-redundancy", "on-no-quorum", "after-sb-0pri",
                    "after-sb-1pri", "after-sb-2pri", "always-asbp", "rr-conflict",
                    "allow-two-primaries", "auto-promote", "al-extents", "max-peers", "ping-int-ms",
                    "ping-timeout-ms", "fault-injection", "direct-io", "csums-alg",
                    "resync-rate", "c-plan-ahead", "c-fill-target", "c-delay-target", "c-max-rate",
                    "c-min-rate", "on-congestion", "congestion-fill", "congestion-extents",
                    "on-io-error", "volatile-write-cache"});
  const std::string quorum_values = "off, majority, all or 1..31";
  resource.options.quorum = r.choice<quorum_setting>("quorum", parse_quorum_setting, quorum_values)
                        .value_or(quorum_setting{});
  resource.options.quorum_minimum_redundancy =
      r.choice<quorum_setting>("quorum-minimum-redundancy", parse_quorum_setting, quorum_values)
          .value_or(quorum_setting{});
  resource.options.on_no_quorum_policy =
      r.choice<on_no_quorum>("on-no-quorum", parse_on_no_quorum, "io-error or suspend-io")
          .value_or(on_no_quorum::suspend_io);
  auto& sb = resource.options.split_brain;
  sb.zero_primaries =
      r.choice<after_sb_0pri>("after-sb-0pri", parse_after_sb_0pri, "a DRBD after-sb-0pri value")
          .value_or(sb.zero_primaries);
  sb.one_primary =
      r.choice<after_sb_1pri>("after-sb-1pri", parse_after_sb_1pri, "a DRBD after-sb-1pri value")
          .value_or(sb.one_primary);
  sb.two_primaries =
      r.choice<after_sb_2pri>("after-sb-2pri", parse_after_sb_2pri, "a DRBD after-sb-2pri value")
          .value_or(sb.two_primaries);
  sb.always_asbp = r.boolean("always-asbp").value_or(false);
  sb.on_rr_conflict =
      r.choice<rr_conflict>("rr-conflict", parse_rr_conflict, "a DRBD rr-conflict value")
          .value_or(sb.on_rr_conflict);
  resource.options.allow_two_primaries = r.boolean("allow-two-primaries").value_or(false);
  resource.auto_promote = r.boolean("auto-promote").value_or(true);
  resource.al_extents = static_cast<std::uint32_t>(r.integer("al-extents", 7, 65534).value_or(1237));
  resource.max_peers = static_cast<std::uint32_t>(r.integer("max-peers", 1, 31).value_or(7));
  resource.ping_interval_ms =
      static_cast<std::uint32_t>(r.integer("ping-int-ms", 10, 120'000).value_or(1000));
  resource.ping_timeout_ms =
      static_cast<std::uint32_t>(r.integer("ping-timeout-ms", 20, 600'000).value_or(5000));
  if (resource.ping_timeout_ms <= resource.ping_interval_ms) {
    r.fail("ping-timeout-ms", "must be larger than ping-int-ms");
  }
  resource.fault_injection = r.boolean("fault-injection").value_or(false);
  resource.volatile_write_cache = r.boolean("volatile-write-cache").value_or(false);
  if (resource.volatile_write_cache && !resource.fault_injection) {
    r.fail("volatile-write-cache", "is a test mode: it needs fault-injection = true");
  }
  // DRBD's csums-alg names a kernel hash; tandem has one digest (CRC-32C per 4 KiB block).
  resource.options.checksum_resync =
      r.choice<bool>("csums-alg", parse_csums_alg, "none or crc32c").value_or(false);
  resource.options.resync_rate = parse_resync_rate(r);
  // DRBD's units: congestion-fill in 512-byte sectors (0 = no limit, at most 10 GiB),
  // congestion-extents in activity-log extents (default al-extents).
  auto& congestion = resource.options.congestion;
  congestion.policy = r.choice<on_congestion>("on-congestion", parse_on_congestion,
                                              "block, pull-ahead or disconnect")
                          .value_or(on_congestion::block);
  if (congestion.policy != on_congestion::block && resource.proto != protocol::a) {
    r.fail("on-congestion", "needs protocol A (with B or C every write waits for the peer)");
  }
  congestion.fill_bytes =
      static_cast<std::uint64_t>(r.integer("congestion-fill", 0, 20'971'520).value_or(0)) *
      kSectorBytes;
  congestion.extents = static_cast<std::uint32_t>(
      r.integer("congestion-extents", 0, 65534).value_or(resource.al_extents));
  resource.options.io_error_policy =
      r.choice<on_io_error>("on-io-error", parse_on_io_error, "detach, pass_on or call-local-io-error")
          .value_or(on_io_error::detach);
  resource.direct = r.choice<direct_io>("direct-io", parse_direct_io, "auto, on or off")
                         .value_or(direct_io::automatic);
}

resource_node parse_node(const toml::table& table, const std::string& origin, std::size_t index) {
  const reader r(table, origin, "[[node]] #" + std::to_string(index + 1) + " ");
  r.reject_unknown({"name", "node-id", "address", "port", "diskless", "disks"});
  resource_node node;
  node.name = r.required_text("name");
  const auto id = r.integer("node-id", 0, kMaxNodes - 1);
  if (!id) r.fail("node-id", "missing (0..31)");
  node.id = static_cast<node_id>(*id);
  node.address = r.required_text("address");
  const auto port = r.integer("port", 1, 65535);
  if (!port) r.fail("port", "missing (1..65535)");
  node.port = static_cast<std::uint16_t>(*port);
  node.diskless = r.boolean("diskless").value_or(false);
  if (const auto* disks = r.array("disks")) {
    for (const auto& entry : *disks) {
      const auto path = entry.value<std::string>();
      if (!path || path->empty()) r.fail("disks", "every entry must be a non-empty path");
      node.disks.push_back(*path);
    }
  }
  if (node.diskless && !node.disks.empty()) r.fail("disks", "a diskless node has no disks");
  return node;
}

}  // namespace

const resource_node* resource_definition::node_named(const std::string& node_name) const {
  for (const auto& node : nodes) {
    if (node.name == node_name) return &node;
  }
  return nullptr;
}

resource_definition parse_resource_text(const std::string& text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw std::runtime_error(origin + ":" + std::to_string(where.line) + ":" +
                             std::to_string(where.column) + ": " + std::string(e.description()));
  }
  const reader r(root, origin, "");
  r.reject_unknown({"name", "shared-secret", "protocol", "options", "volume", "node"});
  resource_definition resource;
  resource.path = origin;
  resource.name = r.required_text("name");
  if (resource.name.size() > 255 ||
      resource.name.find_first_of("/ \t\n") != std::string::npos) {
    r.fail("name", "must be 1..255 characters without '/' or whitespace");
  }
  resource.shared_secret = r.required_text("shared-secret");
  resource.proto =
      r.choice<protocol>("protocol", parse_protocol, "A, B or C").value_or(protocol::c);
  if (const auto* options = root.get("options")) {
    if (!options->is_table()) r.fail("options", "must be a table ([options])");
    parse_options(*options->as_table(), origin, resource);
  }
  const auto* volumes = r.array("volume");
  if (volumes == nullptr || volumes->empty()) r.fail("volume", "at least one [[volume]] is required");
  std::set<volume_nr> numbers;
  for (std::size_t i = 0; i < volumes->size(); ++i) {
    const auto* table = volumes->get(i)->as_table();
    if (table == nullptr) r.fail("volume", "every [[volume]] must be a table");
    const reader v(*table, origin, "[[volume]] #" + std::to_string(i + 1) + " ");
    v.reject_unknown({"number", "size-bytes"});
    resource_volume volume;
    volume.number =
        static_cast<volume_nr>(v.integer("number", 0, kMaxVolumes - 1).value_or(static_cast<std::int64_t>(i)));
    volume.size_bytes = static_cast<std::uint64_t>(
        v.integer("size-bytes", 0, std::int64_t{1} << 50).value_or(0));
    if (volume.size_bytes % kBlockBytes != 0) v.fail("size-bytes", "must be a multiple of 4096");
    if (!numbers.insert(volume.number).second) v.fail("number", "duplicate volume number");
    resource.volumes.push_back(volume);
  }
  const auto* nodes = r.array("node");
  if (nodes == nullptr || nodes->empty()) r.fail("node", "at least one [[node]] is required");
  std::set<node_id> ids;
  std::set<std::string> names;
  std::set<std::pair<std::string, std::uint16_t>> endpoints;
  for (std::size_t i = 0; i < nodes->size(); ++i) {
    const auto* table = nodes->get(i)->as_table();
    if (table == nullptr) r.fail("node", "every [[node]] must be a table");
    resource_node node = parse_node(*table, origin, i);
    const std::string where = "node '" + node.name + "'";
    if (!ids.insert(node.id).second) r.fail(where, "node-id " + std::to_string(node.id) + " used twice");
    if (!names.insert(node.name).second) r.fail(where, "name used twice");
    if (!endpoints.insert({node.address, node.port}).second) {
      r.fail(where, "address " + node.address + ":" + std::to_string(node.port) + " used twice");
    }
    if (!node.diskless && !node.disks.empty() && node.disks.size() != resource.volumes.size()) {
      r.fail(where, "has " + std::to_string(node.disks.size()) + " disks for " +
                        std::to_string(resource.volumes.size()) + " volumes");
    }
    resource.nodes.push_back(std::move(node));
  }
  std::size_t diskful_peers = 0;
  for (const auto& node : resource.nodes) diskful_peers += node.diskless ? 0 : 1;
  if (diskful_peers > resource.max_peers + 1) {
    r.fail("options", std::to_string(diskful_peers) + " diskful nodes need max-peers >= " +
                          std::to_string(diskful_peers - 1));
  }
  return resource;
}

resource_definition parse_resource_file(const std::string& path) {
  std::string text;
  {
    FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) throw std::runtime_error(path + ": cannot open the resource file");
    char chunk[4096];
    // Bounded: a resource file larger than 1 MiB is refused rather than read forever.
    for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, file)) > 0;) {
      text.append(chunk, n);
      if (text.size() > (1u << 20)) {
        std::fclose(file);
        throw std::runtime_error(path + ": larger than 1 MiB, not a resource file");
      }
    }
    std::fclose(file);
  }
  return parse_resource_text(text, path);
}

replica_config replica_config_for(const resource_definition& resource, const resource_node& self,
                                  const std::vector<std::uint64_t>& volume_sizes_bytes,
                                  std::uint64_t uuid_seed) {
  replica_config config;
  config.self = self.id;
  config.self_diskful = !self.diskless;
  for (const auto& node : resource.nodes) {
    if (node.id == self.id) continue;
    peer_config peer;
    peer.node = node.id;
    peer.diskful = !node.diskless;
    peer.proto = resource.proto;
    config.peers.push_back(peer);
  }
  for (std::size_t i = 0; i < resource.volumes.size(); ++i) {
    config.volumes.push_back(
        {resource.volumes[i].number, volume_sizes_bytes.at(i) / kSectorBytes});
  }
  apply_adjustable_options(config, resource.options);
  config.al_extents = resource.al_extents;
  config.uuid_seed = uuid_seed;
  return config;
}

std::vector<std::string> changed_option_names(const adjustable_options& a,
                                              const adjustable_options& b) {
  std::vector<std::string> names;
  auto note = [&](bool differs, const char* name) {
    if (differs) names.emplace_back(name);
  };
  note(a.quorum != b.quorum, "quorum");
  note(a.quorum_minimum_redundancy != b.quorum_minimum_redundancy, "quorum-minimum-redundancy");
  note(a.on_no_quorum_policy != b.on_no_quorum_policy, "on-no-quorum");
  note(a.split_brain.zero_primaries != b.split_brain.zero_primaries, "after-sb-0pri");
  note(a.split_brain.one_primary != b.split_brain.one_primary, "after-sb-1pri");
  note(a.split_brain.two_primaries != b.split_brain.two_primaries, "after-sb-2pri");
  note(a.split_brain.always_asbp != b.split_brain.always_asbp, "always-asbp");
  note(a.split_brain.on_rr_conflict != b.split_brain.on_rr_conflict, "rr-conflict");
  note(a.allow_two_primaries != b.allow_two_primaries, "allow-two-primaries");
  note(a.checksum_resync != b.checksum_resync, "csums-alg");
  note(a.resync_rate != b.resync_rate, "the resync rate options");
  note(a.congestion != b.congestion, "on-congestion");
  note(a.io_error_policy != b.io_error_policy, "on-io-error");
  return names;
}

}  // namespace tandem::engine
