// Tolerant field access on the controller's JSON: a missing or mistyped field reads as empty,
// so a view shows a blank cell instead of failing on an older or newer controller's shape.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::cli {

inline const nlohmann::json& empty_json() {
  static const nlohmann::json kNull;
  return kNull;
}

inline const nlohmann::json& field(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return empty_json();
  const auto it = object.find(key);
  return it == object.end() ? empty_json() : *it;
}

inline std::string string_of(const nlohmann::json& object, std::string_view key) {
  const auto& value = field(object, key);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  return {};
}

inline std::optional<std::uint64_t> unsigned_of(const nlohmann::json& object,
                                                std::string_view key) {
  const auto& value = field(object, key);
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  }
  return std::nullopt;
}

inline std::optional<bool> bool_of(const nlohmann::json& object, std::string_view key) {
  const auto& value = field(object, key);
  if (value.is_boolean()) return value.get<bool>();
  return std::nullopt;
}

inline std::vector<std::string> strings_of(const nlohmann::json& object, std::string_view key) {
  std::vector<std::string> values;
  const auto& list = field(object, key);
  if (!list.is_array()) return values;
  for (const auto& item : list) {
    if (item.is_string()) values.push_back(item.get<std::string>());
  }
  return values;
}

// Without copying the flags out: the tables ask this several times for every one of 10 000
// resources.
inline bool has_flag(const nlohmann::json& object, std::string_view flag) {
  const auto& flags = field(object, "flags");
  if (!flags.is_array()) return false;
  for (const auto& value : flags) {
    if (value.is_string() && value.get_ref<const std::string&>() == flag) return true;
  }
  return false;
}

// props["key"] as a string, empty when absent.
inline std::string prop_of(const nlohmann::json& object, std::string_view key) {
  return string_of(field(object, "props"), key);
}

inline std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

}  // namespace tandem::cli
