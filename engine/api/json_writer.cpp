#include "engine/api/json_writer.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace tandem::api {

namespace {

bool needs_escape(unsigned char byte) {
  return byte < 0x20 || byte == '"' || byte == '\\';
}

void append_escape(std::string& out, unsigned char byte) {
  switch (byte) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";  // nlohmann writes lower case
      const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xF]};
      out.append(escaped, sizeof escaped);
    }
  }
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  out += '"';
  std::size_t run_start = 0;  // bytes are copied in runs between escapes
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (!needs_escape(byte)) continue;
    out.append(text.data() + run_start, i - run_start);
    append_escape(out, byte);
    run_start = i + 1;
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out += '"';
}

void json_writer::before_value() {
  if (needs_comma_) out_ += ',';
  needs_comma_ = true;
}

json_writer& json_writer::open(char bracket) {
  before_value();
  out_ += bracket;
  needs_comma_ = false;
  return *this;
}

json_writer& json_writer::close(char bracket) {
  out_ += bracket;
  needs_comma_ = true;
  return *this;
}

json_writer& json_writer::begin_object() {
  return open('{');
}
json_writer& json_writer::end_object() {
  return close('}');
}
json_writer& json_writer::begin_array() {
  return open('[');
}
json_writer& json_writer::end_array() {
  return close(']');
}

json_writer& json_writer::key(std::string_view name) {
  before_value();
  append_json_escaped(out_, name);
  out_ += ':';
  needs_comma_ = false;  // the member's value follows without a comma
  return *this;
}

json_writer& json_writer::string(std::string_view text) {
  before_value();
  append_json_escaped(out_, text);
  return *this;
}

json_writer& json_writer::unsigned_number(std::uint64_t value) {
  before_value();
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out_.append(digits, end);
  return *this;
}

json_writer& json_writer::real(double value) {
  before_value();
  // Whole numbers (a resync's 0.0 and 100.0, nearly every percentage reported) are written as
  // nlohmann writes them, "100.0", without a tree; anything else goes through nlohmann itself,
  // whose shortest round-trip notation std::to_chars does not match in every case.
  constexpr double kExactIntegerLimit = 1e15;  // nlohmann switches to exponents beyond this
  if (std::isfinite(value) && std::trunc(value) == value && std::fabs(value) < kExactIntegerLimit) {
    if (std::signbit(value)) out_ += '-';
    char digits[24];
    const auto whole = static_cast<std::uint64_t>(std::fabs(value));
    const auto end = std::to_chars(digits, digits + sizeof digits, whole).ptr;
    out_.append(digits, end);
    out_ += ".0";
    return *this;
  }
  out_ += nlohmann::json(value).dump();
  return *this;
}

json_writer& json_writer::boolean(bool value) {
  before_value();
  out_ += value ? "true" : "false";
  return *this;
}

json_writer& json_writer::null() {
  before_value();
  out_ += "null";
  return *this;
}

json_writer& json_writer::raw(std::string_view json_text) {
  before_value();
  out_ += json_text;
  return *this;
}

json_writer& json_writer::string_map(const std::map<std::string, std::string>& map) {
  begin_object();
  for (const auto& [name, value] : map) key(name).string(value);
  return end_object();
}

}  // namespace tandem::api
