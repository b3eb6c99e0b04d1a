#include "sim/run_outcome.h"

#include <cstdio>

namespace tandem::sim {
namespace {

std::string escaped(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '\\') {
      out += "\\\\";
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out += ch;
    }
  }
  return out;
}

std::optional<std::string> unescaped(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    if (text[i] == '\\') {
      out += '\\';
    } else if (text[i] == 'n') {
      out += '\n';
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace

std::string encode_outcome(const run_outcome& outcome) {
  std::string text = "outcome " + std::string(outcome.ok ? "1" : "0") + " " +
                     std::to_string(outcome.events) + " " + std::to_string(outcome.simulated_ns) +
                     "\n";
  for (const auto& line : outcome.lines) text += "line " + escaped(line) + "\n";
  return text;
}

std::optional<run_outcome> decode_outcome(std::string_view text) {
  run_outcome outcome;
  bool headed = false;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    if (end == std::string_view::npos) return std::nullopt;  // every line ends in '\n'
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    if (!headed) {
      int ok = 0;
      unsigned long long events = 0, simulated_ns = 0;
      const std::string head(line);
      char rest = 0;
      if (std::sscanf(head.c_str(), "outcome %d %llu %llu%c", &ok, &events, &simulated_ns, &rest) !=
              3 ||
          (ok != 0 && ok != 1)) {
        return std::nullopt;
      }
      outcome.ok = ok == 1;
      outcome.events = events;
      outcome.simulated_ns = simulated_ns;
      headed = true;
      continue;
    }
    if (line.substr(0, 5) != "line ") return std::nullopt;
    auto content = unescaped(line.substr(5));
    if (!content) return std::nullopt;
    outcome.lines.push_back(std::move(*content));
  }
  if (!headed) return std::nullopt;
  return outcome;
}

}  // namespace tandem::sim
