#include "engine/api/request_parse.h"

#include "core/cluster/props.h"

namespace tandem::api {

using nlohmann::json;
namespace cl = tandem::cluster;

json parse_body(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    throw bad_request(std::string("Unable to parse input json: ") + e.what());
  }
}

json parse_object(const std::string& body) {
  json j = parse_body(body);
  if (!j.is_object())
    throw bad_request("The request body must be a JSON object, not " + std::string(j.type_name()));
  return j;
}

std::optional<std::uint64_t> get_u64(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return std::nullopt;
  const json& v = j[key];
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    if (v.get<std::int64_t>() < 0) throw bad_request(std::string("'") + key + "' is negative");
    return v.get<std::uint64_t>();
  }
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 19) {
      throw bad_request(std::string("'") + key + "' is not a whole number: \"" + s + "\"");
    }
    return std::stoull(s);
  }
  throw bad_request(std::string("'") + key + "' must be a number");
}

std::optional<bool> get_bool(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return std::nullopt;
  const json& v = j[key];
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    auto b = cl::parse_bool(v.get<std::string>());
    if (b) return b;
  }
  throw bad_request(std::string("'") + key + "' must be true or false");
}

std::optional<std::string> get_string(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return std::nullopt;
  if (j[key].is_string()) return j[key].get<std::string>();
  if (j[key].is_number()) return j[key].dump();
  throw bad_request(std::string("'") + key + "' must be a string");
}

std::vector<std::string> get_strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return out;
  if (!j[key].is_array()) throw bad_request(std::string("'") + key + "' must be a list");
  for (const json& item : j[key]) {
    if (!item.is_string()) throw bad_request(std::string("'") + key + "' must hold strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

cl::props get_props(const json& j, const char* key) {
  cl::props out;
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return out;
  if (!j[key].is_object()) throw bad_request(std::string("'") + key + "' must be an object");
  for (const auto& [k, v] : j[key].items()) {
    if (v.is_string()) {
      out[k] = v.get<std::string>();
    } else if (v.is_number() || v.is_boolean()) {
      out[k] = v.dump();
    } else {
      throw bad_request(std::string("property '") + k + "' must be a string");
    }
  }
  return out;
}

cl::props_change get_props_change(const json& j) {
  cl::props_change change;
  change.override_props = get_props(j, "override_props");
  change.delete_props = get_strings(j, "delete_props");
  change.delete_namespaces = get_strings(j, "delete_namespaces");
  return change;
}

cl::select_filter get_filter(const json& j) {
  cl::select_filter f;
  if (!j.is_object()) throw bad_request("'select_filter' must be an object");
  if (auto v = get_u64(j, "place_count")) f.place_count = static_cast<std::uint32_t>(*v);
  if (auto v = get_u64(j, "additional_place_count")) {
    f.additional_place_count = static_cast<std::uint32_t>(*v);
  }
  f.node_name_list = get_strings(j, "node_name_list");
  f.storage_pool_list = get_strings(j, "storage_pool_list");
  if (f.storage_pool_list.empty()) {
    if (auto single = get_string(j, "storage_pool")) f.storage_pool_list = {*single};
  }
  f.storage_pool_diskless_list = get_strings(j, "storage_pool_diskless_list");
  f.not_place_with_rsc = get_strings(j, "not_place_with_rsc");
  f.replicas_on_same = get_strings(j, "replicas_on_same");
  f.replicas_on_different = get_strings(j, "replicas_on_different");
  if (j.contains("x_replicas_on_different_map") && j["x_replicas_on_different_map"].is_object()) {
    for (const auto& [k, v] : j["x_replicas_on_different_map"].items()) {
      json wrapper = {{"n", v}};
      f.x_replicas_on_different[k] = static_cast<std::uint32_t>(get_u64(wrapper, "n").value_or(1));
    }
  }
  for (const std::string& p : get_strings(j, "provider_list")) {
    auto kind = cl::parse_pool_kind(p);
    if (!kind) throw bad_request("unknown provider '" + p + "' in provider_list");
    f.provider_list.push_back(*kind);
  }
  f.layer_stack = get_strings(j, "layer_stack");
  f.diskless_on_remaining = get_bool(j, "diskless_on_remaining");
  return f;
}

bool query_bool(const std::multimap<std::string, std::string>& query, const std::string& key,
                bool fallback) {
  auto it = query.find(key);
  if (it == query.end()) return fallback;
  return cl::parse_bool(it->second).value_or(fallback);
}

std::vector<std::string> query_all(const std::multimap<std::string, std::string>& query,
                                   const std::string& key) {
  std::vector<std::string> out;
  auto [begin, end] = query.equal_range(key);
  for (auto it = begin; it != end; ++it) {
    // Accept comma lists too (some clients send nodes=a,b).
    std::string value = it->second;
    std::size_t start = 0;
    while (start <= value.size()) {
      const std::size_t comma = value.find(',', start);
      const std::string part =
          value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace tandem::api
