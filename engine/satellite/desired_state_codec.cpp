#include "engine/satellite/desired_state_codec.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace tandem::satellite {

namespace {

using nlohmann::json;

struct bad_field : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads one member of an object with a path for messages; nullptr when absent.
class reader {
 public:
  reader(const json& object, std::string path) : object_(object), path_(std::move(path)) {
    if (!object_.is_object()) throw bad_field(where() + ": expected an object");
  }

  std::string where(const std::string& key = "") const {
    if (key.empty()) return path_.empty() ? "message" : path_;
    return path_.empty() ? key : path_ + "." + key;
  }

  const json* find(const std::string& key) const {
    auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }

  std::string text(const std::string& key, std::string fallback = "", bool required = false) const {
    const json* value = find(key);
    if (value == nullptr) {
      if (required) throw bad_field(where(key) + ": missing");
      return fallback;
    }
    if (!value->is_string()) throw bad_field(where(key) + ": expected a string");
    return value->get<std::string>();
  }

  std::uint64_t unsigned_number(const std::string& key, std::uint64_t max,
                                std::uint64_t fallback = 0, bool required = false) const {
    const json* value = find(key);
    if (value == nullptr) {
      if (required) throw bad_field(where(key) + ": missing");
      return fallback;
    }
    const bool non_negative = value->is_number_unsigned() ||
                              (value->is_number_integer() && value->get<std::int64_t>() >= 0);
    if (!non_negative) throw bad_field(where(key) + ": expected an unsigned integer");
    const auto number = value->get<std::uint64_t>();
    if (number > max) {
      throw bad_field(where(key) + ": " + std::to_string(number) + " is larger than " +
                      std::to_string(max));
    }
    return number;
  }

  bool boolean(const std::string& key, bool fallback = false) const {
    const json* value = find(key);
    if (value == nullptr) return fallback;
    if (!value->is_boolean()) throw bad_field(where(key) + ": expected true or false");
    return value->get<bool>();
  }

  const json& array(const std::string& key) const {
    static const json empty = json::array();
    const json* value = find(key);
    if (value == nullptr) return empty;
    if (!value->is_array()) throw bad_field(where(key) + ": expected an array");
    return *value;
  }

  std::map<std::string, std::string> string_map(const std::string& key) const {
    std::map<std::string, std::string> out;
    const json* value = find(key);
    if (value == nullptr) return out;
    if (!value->is_object()) throw bad_field(where(key) + ": expected an object");
    for (const auto& [k, v] : value->items()) {
      if (!v.is_string()) throw bad_field(where(key) + "." + k + ": expected a string");
      out[k] = v.get<std::string>();
    }
    return out;
  }

  std::string element(const std::string& key, std::size_t index) const {
    return where(key) + "[" + std::to_string(index) + "]";
  }

 private:
  const json& object_;
  std::string path_;
};

constexpr std::uint64_t kMaxPort = 65535;
constexpr std::uint64_t kMaxNodeId = 31;
constexpr std::uint64_t kMaxKib = std::uint64_t{1} << 50;

cluster::pool_kind kind_of(const reader& r, const std::string& key) {
  const std::string text = r.text(key, "DISKLESS");
  auto kind = cluster::parse_pool_kind(text);
  if (!kind) throw bad_field(r.where(key) + ": unknown storage pool kind '" + text + "'");
  return *kind;
}

cluster::desired_volume decode_volume(const reader& r) {
  cluster::desired_volume v;
  v.number = static_cast<std::uint32_t>(r.unsigned_number("number", 99'999, 0, true));
  v.minor = static_cast<std::uint32_t>(r.unsigned_number("minor", 1u << 20));
  v.size_kib = r.unsigned_number("size_kib", kMaxKib, 0, true);
  v.usable_kib = r.unsigned_number("usable_kib", kMaxKib, v.size_kib);
  v.allocated_kib = r.unsigned_number("allocated_kib", kMaxKib);
  v.pool = r.text("pool");
  v.kind = kind_of(r, "kind");
  v.pool_source = r.text("pool_source");
  v.restore_from_snapshot = r.text("restore_from_snapshot");
  return v;
}

cluster::desired_peer decode_peer(const reader& r) {
  cluster::desired_peer p;
  p.node_name = r.text("node_name", "", true);
  p.node_id = static_cast<std::uint32_t>(r.unsigned_number("node_id", kMaxNodeId, 0, true));
  p.address = r.text("address", "", true);
  p.port = static_cast<std::uint16_t>(r.unsigned_number("port", kMaxPort, 0, true));
  p.diskless = r.boolean("diskless");
  p.tie_breaker = r.boolean("tie_breaker");
  return p;
}

cluster::desired_resource decode_resource(const reader& r) {
  cluster::desired_resource d;
  d.name = r.text("name", "", true);
  d.node_id = static_cast<std::uint32_t>(r.unsigned_number("node_id", kMaxNodeId, 0, true));
  d.port = static_cast<std::uint16_t>(r.unsigned_number("port", kMaxPort, 0, true));
  d.secret = r.text("secret", "", true);
  d.peer_slots = static_cast<std::uint32_t>(
      r.unsigned_number("peer_slots", kMaxNodeId, cluster::kDefaultPeerSlots));
  d.diskless = r.boolean("diskless");
  d.tie_breaker = r.boolean("tie_breaker");
  d.protocol = r.text("protocol", d.protocol);
  d.quorum = r.text("quorum", d.quorum);
  d.on_no_quorum = r.text("on_no_quorum", d.on_no_quorum);
  d.after_sb_0pri = r.text("after_sb_0pri", d.after_sb_0pri);
  d.after_sb_1pri = r.text("after_sb_1pri", d.after_sb_1pri);
  d.after_sb_2pri = r.text("after_sb_2pri", d.after_sb_2pri);
  d.allow_two_primaries = r.boolean("allow_two_primaries");
  d.options = r.string_map("options");
  const json& volumes = r.array("volumes");
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    d.volumes.push_back(decode_volume(reader(volumes[i], r.element("volumes", i))));
  }
  const json& nodes = r.array("nodes");
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    d.nodes.push_back(decode_peer(reader(nodes[i], r.element("nodes", i))));
  }
  if (const json* nbd = r.find("nbd")) {
    const reader n(*nbd, r.where("nbd"));
    d.nbd.enabled = n.boolean("enabled");
    d.nbd.address = n.text("address");
    d.nbd.port = static_cast<std::uint16_t>(n.unsigned_number("port", kMaxPort));
    d.nbd.export_name = n.text("export_name", d.name);
  }
  const json& snapshots = r.array("snapshots");
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    if (!snapshots[i].is_string()) throw bad_field(r.element("snapshots", i) + ": expected a string");
    d.snapshots.push_back(snapshots[i].get<std::string>());
  }
  d.day0_uuid = r.text("day0_uuid");
  if (d.day0_uuid.size() > 16 ||
      d.day0_uuid.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    throw bad_field(r.where("day0_uuid") + ": expected up to 16 hex digits");
  }
  return d;
}

decoded_state decode(const json& message) {
  const reader r(message, "");
  if (r.text("type") != "desired_state") throw bad_field("type: expected 'desired_state'");
  decoded_state out;
  out.generation = r.unsigned_number("generation", UINT64_MAX, 0, true);
  out.state.node_name = r.text("node_name", "", true);
  if (const json* nbd = r.find("nbd")) {
    const reader n(*nbd, "nbd");
    out.state.nbd_address = n.text("address", out.state.nbd_address);
    out.state.nbd_port =
        static_cast<std::uint16_t>(n.unsigned_number("port", kMaxPort, out.state.nbd_port));
  }
  const json& pools = r.array("pools");
  for (std::size_t i = 0; i < pools.size(); ++i) {
    const reader p(pools[i], r.element("pools", i));
    cluster::desired_pool pool;
    pool.name = p.text("name", "", true);
    pool.kind = kind_of(p, "kind");
    pool.source = p.text("source");
    pool.properties = p.string_map("props");
    out.state.pools.push_back(std::move(pool));
  }
  const json& resources = r.array("resources");
  for (std::size_t i = 0; i < resources.size(); ++i) {
    out.state.resources.push_back(decode_resource(reader(resources[i], r.element("resources", i))));
  }
  return out;
}

}  // namespace

std::variant<decoded_state, std::string> decode_desired_state(const nlohmann::json& message) {
  try {
    return decode(message);
  } catch (const bad_field& e) {
    return std::string(e.what());
  } catch (const json::exception& e) {
    return std::string("malformed desired_state: ") + e.what();
  }
}

}  // namespace tandem::satellite
