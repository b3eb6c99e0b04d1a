// JSON text appended straight to a string, for the listings that grow with the cluster
// (10 000 resources in `GET /v1/view/resources`): building an nlohmann tree first cost an
// allocation per key and value, ~80 % of serving that view.
//
// The text is what nlohmann's dump() writes for the same tree (compact, strings escaped the same
// way, doubles in the same notation), so clients see no difference. nlohmann keeps object keys
// sorted, so callers write each object's keys in byte order; tests/engine/api/
// test_resource_view.cpp compares the text with the tree-built one.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace tandem::api {

class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out) {}

  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  // The next value is this member's.
  json_writer& key(std::string_view name);

  // Distinct names rather than overloads: a string literal would pick a bool overload.
  json_writer& string(std::string_view text);
  json_writer& unsigned_number(std::uint64_t value);
  json_writer& real(double value);
  json_writer& boolean(bool value);
  json_writer& null();
  // A value already serialised as compact JSON (a rarely taken path built as a tree).
  json_writer& raw(std::string_view json_text);
  // A string -> string map as an object (std::map iterates in byte order, as nlohmann sorts).
  json_writer& string_map(const std::map<std::string, std::string>& map);
  json_writer& empty_array() { return begin_array().end_array(); }

 private:
  void before_value();
  json_writer& open(char bracket);
  json_writer& close(char bracket);

  std::string& out_;
  bool needs_comma_ = false;  // a value or member precedes in the open container
};

// nlohmann's escaping: '"', '\\' and control characters; other bytes (UTF-8) as they are.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace tandem::api
