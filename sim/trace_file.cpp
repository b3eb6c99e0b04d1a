#include "sim/trace_file.h"

#include <cstdio>
#include <fstream>

namespace tandem::sim {
namespace {

std::string json_escaped(const std::string& text) {
  std::string escaped;
  for (char ch : text) {
    if (ch == '"' || ch == '\\') {
      escaped += '\\';
      escaped += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char code[8];
      std::snprintf(code, sizeof code, "\\u%04x", static_cast<unsigned char>(ch));
      escaped += code;
    } else {
      escaped += ch;
    }
  }
  return escaped;
}

}  // namespace

bool write_trace_jsonl(const std::string& path, const std::vector<std::string>& log) {
  std::ofstream out(path);
  if (!out) return false;
  for (const auto& line : log) out << "{\"line\":\"" << json_escaped(line) << "\"}\n";
  return static_cast<bool>(out);
}

}  // namespace tandem::sim
