// Number pools of the control plane: replication TCP ports (7000..7999, one per resource
// definition), device minors (1000..49999, one per volume definition) and node ids (0..31, unique
// within one resource definition). Each takes the lowest free number so that allocation is
// deterministic and numbers freed by deletes are reused.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/cluster/model.h"

namespace tandem::cluster {

inline constexpr std::uint16_t kFirstReplicationPort = 7000;
inline constexpr std::uint16_t kLastReplicationPort = 7999;
inline constexpr std::uint32_t kFirstMinor = 1000;
inline constexpr std::uint32_t kLastMinor = 49999;
inline constexpr std::uint32_t kMaxNodeId = 31;

std::optional<std::uint16_t> allocate_port(const cluster& c);
std::optional<std::uint32_t> allocate_minor(const cluster& c);
std::optional<std::uint32_t> allocate_node_id(const cluster& c, std::string_view definition);

}  // namespace tandem::cluster
