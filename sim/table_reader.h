// Reading one TOML table of a scenario file with every mistake reported as "FILE:LINE: what",
// naming the key: the scenario parser's tool, shared by the files that read its parts.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/base/ids.h"

namespace tandem::sim {

struct load_error {
  std::string message;
};

inline int line_of(const toml::node& node) {
  return static_cast<int>(node.source().begin.line);
}

// The node's value as T, or nullopt when it holds another type. An integral T takes only an
// integer: toml++ would convert a float, and one beyond T's range (1e24) is undefined behaviour
// there (found by fuzz_scenario).
template <typename T>
std::optional<T> value_of(const toml::node& node) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (!node.is_integer()) return std::nullopt;
  }
  return node.value<T>();
}

inline std::optional<std::int64_t> integer_value(const toml::node& node) {
  return value_of<std::int64_t>(node);
}

// Reads the keys of one table, remembering which were used so the rest can be reported.
class table_reader {
 public:
  table_reader(const toml::table& table, std::string path, std::string where)
      : table_(table), path_(std::move(path)), where_(std::move(where)) {}

  [[noreturn]] void fail(const toml::node& node, const std::string& what) const {
    throw load_error{path_ + ":" + std::to_string(line_of(node)) + ": " + where_ + what};
  }
  [[noreturn]] void fail_here(const std::string& what) const { fail(table_, what); }

  const toml::node* get(const std::string& key) {
    used_.insert(key);
    return table_.get(key);
  }

  template <typename T>
  std::optional<T> value(const std::string& key) {
    const toml::node* node = get(key);
    if (!node) return std::nullopt;
    auto v = value_of<T>(*node);
    if (!v) fail(*node, "'" + key + "' has the wrong type");
    return v;
  }

  template <typename T>
  T required(const std::string& key) {
    auto v = value<T>(key);
    if (!v) fail_here("missing required key '" + key + "'");
    return *v;
  }

  std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t low,
                       std::int64_t high) {
    const toml::node* node = table_.get(key);
    const std::int64_t v = value<std::int64_t>(key).value_or(fallback);
    if (v < low || v > high) {
      fail(node ? *node : static_cast<const toml::node&>(table_),
           "'" + key + "' = " + std::to_string(v) + " is outside " + std::to_string(low) + ".." +
               std::to_string(high));
    }
    return v;
  }

  node_id node(const std::string& key, int nodes) {
    return static_cast<node_id>(integer(key, 0, 0, nodes - 1));
  }

  // An enumerated string value; `parse` returns nullopt for values it does not know.
  template <typename Parse>
  auto choice(const std::string& key, Parse parse, const char* allowed)
      -> std::optional<std::decay_t<decltype(*parse(std::string_view{}))>> {
    auto text = value<std::string>(key);
    if (!text) return std::nullopt;
    auto parsed = parse(*text);
    if (!parsed) fail(*table_.get(key), "'" + key + "' = \"" + *text + "\": expected " + allowed);
    return *parsed;
  }

  void reject_unknown() const {
    for (const auto& [key, node] : table_) {
      if (!used_.count(std::string(key.str())))
        fail(node, "unknown key '" + std::string(key.str()) + "'");
    }
  }

 private:
  const toml::table& table_;
  std::string path_;
  std::string where_;
  std::set<std::string> used_;
};

}  // namespace tandem::sim
