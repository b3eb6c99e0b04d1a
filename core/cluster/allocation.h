// Number pools of the control plane: replication TCP ports (one per resource definition, from
// 7000..7999 unless the controller property TcpPortAutoRange names another range), device minors (1000..49999, one per volume definition) and node ids (0..31, unique
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

// LINSTOR's controller property for the replication port pool, "MIN-MAX" (e.g. "7000-17999"):
// an installation with more than 1000 resource definitions widens it (`tandem controller
// set-property TcpPortAutoRange 7000-17999`). Ports already handed out keep their number when
// the range changes; new definitions take the lowest free port of the current range.
inline constexpr std::string_view kTcpPortAutoRangeKey = "TcpPortAutoRange";

struct port_range {
  std::uint16_t first = kFirstReplicationPort;
  std::uint16_t last = kLastReplicationPort;
};

// "MIN-MAX" with 1 <= MIN <= MAX <= 65535; nullopt for anything else.
std::optional<port_range> parse_port_range(std::string_view text);
// The controller's TcpPortAutoRange, or 7000..7999 when it is unset (a malformed value cannot be
// stored: check_property refuses it).
port_range replication_port_range(const cluster& c);

std::optional<std::uint16_t> allocate_port(const cluster& c);
std::optional<std::uint32_t> allocate_minor(const cluster& c);
std::optional<std::uint32_t> allocate_node_id(const cluster& c, std::string_view definition);

}  // namespace tandem::cluster
