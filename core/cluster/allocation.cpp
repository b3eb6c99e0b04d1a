#include "core/cluster/allocation.h"

#include <charconv>
#include <set>
#include <string>

namespace tandem::cluster {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<port_range> parse_port_range(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto first = parse_port(text.substr(0, dash));
  const auto last = parse_port(text.substr(dash + 1));
  if (!first || !last || *first > *last) return std::nullopt;
  return port_range{*first, *last};
}

port_range replication_port_range(const cluster& c) {
  const auto found = c.controller_properties.find(std::string(kTcpPortAutoRangeKey));
  if (found == c.controller_properties.end()) return {};
  return parse_port_range(found->second).value_or(port_range{});
}

std::optional<std::uint16_t> allocate_port(const cluster& c) {
  std::set<std::uint16_t> used;
  for (const auto& [key, rd] : c.definitions) used.insert(rd.port);
  const port_range range = replication_port_range(c);
  for (std::uint32_t port = range.first; port <= range.last; ++port) {
    if (!used.contains(static_cast<std::uint16_t>(port))) return static_cast<std::uint16_t>(port);
  }
  return std::nullopt;
}

std::optional<std::uint32_t> allocate_minor(const cluster& c) {
  std::set<std::uint32_t> used;
  for (const auto& [key, rd] : c.definitions) {
    for (const volume_definition& vd : rd.volumes) used.insert(vd.minor);
  }
  for (std::uint32_t minor = kFirstMinor; minor <= kLastMinor; ++minor) {
    if (!used.contains(minor)) return minor;
  }
  return std::nullopt;
}

std::optional<std::uint32_t> allocate_node_id(const cluster& c, std::string_view definition) {
  std::set<std::uint32_t> used;
  for (const resource* rsc : c.resources_of(definition)) used.insert(rsc->node_id);
  for (std::uint32_t id = 0; id <= kMaxNodeId; ++id) {
    if (!used.contains(id)) return id;
  }
  return std::nullopt;
}

}  // namespace tandem::cluster
