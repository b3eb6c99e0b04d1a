#include "core/cluster/allocation.h"

#include <set>

namespace tandem::cluster {

std::optional<std::uint16_t> allocate_port(const cluster& c) {
  std::set<std::uint16_t> used;
  for (const auto& [key, rd] : c.definitions) used.insert(rd.port);
  for (std::uint32_t port = kFirstReplicationPort; port <= kLastReplicationPort; ++port) {
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
