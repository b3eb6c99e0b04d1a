#include "engine/satellite/desired_state_codec.h"

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <type_traits>
#include <utility>

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

// An optional array of objects, each decoded by `decode_one`.
template <typename Decode>
auto decode_list(const reader& r, const std::string& key, Decode decode_one) {
  std::vector<std::invoke_result_t<Decode, const reader&>> out;
  const json& items = r.array(key);
  for (std::size_t i = 0; i < items.size(); ++i) {
    out.push_back(decode_one(reader(items[i], r.element(key, i))));
  }
  return out;
}

std::vector<std::string> decode_names(const reader& r, const std::string& key) {
  std::vector<std::string> out;
  const json& items = r.array(key);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) throw bad_field(r.element(key, i) + ": expected a string");
    out.push_back(items[i].get<std::string>());
  }
  return out;
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
  d.volumes = decode_list(r, "volumes", decode_volume);
  d.nodes = decode_list(r, "nodes", decode_peer);
  if (const json* nbd = r.find("nbd")) {
    const reader n(*nbd, r.where("nbd"));
    d.nbd.enabled = n.boolean("enabled");
    d.nbd.address = n.text("address");
    d.nbd.port = static_cast<std::uint16_t>(n.unsigned_number("port", kMaxPort));
    d.nbd.export_name = n.text("export_name", d.name);
  }
  d.snapshots = decode_names(r, "snapshots");
  d.day0_uuid = r.text("day0_uuid");
  if (d.day0_uuid.size() > 16 ||
      d.day0_uuid.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    throw bad_field(r.where("day0_uuid") + ": expected up to 16 hex digits");
  }
  return d;
}

cluster::desired_pool decode_pool(const reader& p) {
  cluster::desired_pool pool;
  pool.name = p.text("name", "", true);
  pool.kind = kind_of(p, "kind");
  pool.source = p.text("source");
  pool.properties = p.string_map("props");
  return pool;
}

// The node's "nbd" member over `fallback` (the protocol default, or the state a delta patches).
cluster::nbd_listen decode_nbd_listen(const reader& r, cluster::nbd_listen fallback) {
  const reader n(*r.find("nbd"), "nbd");
  fallback.address = n.text("address", fallback.address);
  fallback.port = static_cast<std::uint16_t>(n.unsigned_number("port", kMaxPort, fallback.port));
  return fallback;
}

reader message_of_type(const json& message, const std::string& type) {
  const reader r(message, "");
  if (r.text("type") != type) throw bad_field("type: expected '" + type + "'");
  return r;
}

decoded_state decode(const json& message) {
  const reader r = message_of_type(message, "desired_state");
  decoded_state out;
  out.generation = r.unsigned_number("generation", UINT64_MAX, 0, true);
  out.state.node_name = r.text("node_name", "", true);
  if (r.find("nbd") != nullptr) {
    const cluster::nbd_listen listen =
        decode_nbd_listen(r, {out.state.nbd_address, out.state.nbd_port});
    out.state.nbd_address = listen.address;
    out.state.nbd_port = listen.port;
  }
  out.state.pools = decode_list(r, "pools", decode_pool);
  out.state.resources = decode_list(r, "resources", decode_resource);
  return out;
}

decoded_delta decode_delta(const json& message) {
  const reader r = message_of_type(message, "desired_state_delta");
  decoded_delta out;
  out.generation = r.unsigned_number("generation", UINT64_MAX, 0, true);
  out.base_generation = r.unsigned_number("base_generation", UINT64_MAX, 0, true);
  // A delta's "nbd" is the whole listen address: absent means unchanged, absent members defaults.
  if (r.find("nbd") != nullptr) {
    out.delta.nbd = decode_nbd_listen(r, {"127.0.0.1", cluster::kDefaultNbdPort});
  }
  out.delta.changed_pools = decode_list(r, "pools", decode_pool);
  out.delta.removed_pools = decode_names(r, "removed_pools");
  out.delta.changed_resources = decode_list(r, "resources", decode_resource);
  out.delta.removed_resources = decode_names(r, "removed_resources");
  return out;
}

// Decoding errors as values: bad_field names the field, json errors come from odd numbers.
template <typename Decoded>
std::variant<Decoded, std::string> decode_or_explain(const json& message,
                                                     Decoded (*decode_one)(const json&),
                                                     const std::string& what) {
  try {
    return decode_one(message);
  } catch (const bad_field& e) {
    return std::string(e.what());
  } catch (const json::exception& e) {
    return "malformed " + what + ": " + e.what();
  }
}

}  // namespace

std::variant<decoded_state, std::string> decode_desired_state(const nlohmann::json& message) {
  return decode_or_explain(message, decode, "desired_state");
}

std::variant<decoded_delta, std::string> decode_desired_state_delta(const nlohmann::json& message) {
  return decode_or_explain(message, decode_delta, "desired_state_delta");
}

}  // namespace tandem::satellite
