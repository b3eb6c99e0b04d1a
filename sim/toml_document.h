// Parses a TOML document for the simulator's file formats (scenarios, sweep reproducers), with a
// syntax error reported as "FILE:LINE: what" like their other errors.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>
#include <string_view>

namespace tandem::sim {

inline std::optional<toml::table> parse_toml_document(std::string_view text, const std::string& path,
                                                      std::string& error) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    error = path + ":" + std::to_string(e.source().begin.line) + ": " +
            std::string(e.description());
    return std::nullopt;
  }
}

}  // namespace tandem::sim
