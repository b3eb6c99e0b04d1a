// The static resource file tandemd loads: one TOML file per resource (docs/resource-file.md), the
// equivalent of a DRBD .res file. The satellite generates it; an operator may write it by hand.
// Parsing never touches data: a bad file is an error naming the file, the key and the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/replica/replica.h"
#include "engine/io/uring_disk.h"

namespace tandem::engine {

struct resource_node {
  std::string name;
  node_id id = 0;
  std::string address;  // replication address (IPv4/IPv6 literal)
  std::uint16_t port = 0;
  bool diskless = false;
  // This node's backing devices, one per volume in volume order (diskful nodes only). Only the
  // local node's entries are used; the others document the cluster.
  std::vector<std::string> disks;
};

struct resource_volume {
  volume_nr number = 0;
  std::uint64_t size_bytes = 0;  // usable size; 0 = take it from the local backing device
};

struct resource_definition {
  std::string path;  // where it was loaded from (for messages)
  std::string name;
  std::string shared_secret;
  protocol proto = protocol::c;
  // quorum, quorum-minimum-redundancy, on-no-quorum, after-sb-*, always-asbp, rr-conflict,
  // allow-two-primaries, csums-alg (crc32c: checksum-based resync), the resync rate options
  // (resync-rate, c-plan-ahead, ...: any of them turns the controller on), on-congestion and its
  // limits (protocol A only), on-io-error: what `adjust` changes while the resource runs.
  adjustable_options options;
  bool auto_promote = true;
  std::uint32_t al_extents = 1237;
  std::uint32_t max_peers = 7;  // bitmap slots in the metadata (LINSTOR's peer slots)
  std::uint32_t ping_interval_ms = 1000;
  std::uint32_t ping_timeout_ms = 5000;
  bool fault_injection = false;  // allows `tandemadm inject-fault` (tests only)
  // Tests only: the local disks model a volatile write cache that `tandemadm power-cut` loses.
  bool volatile_write_cache = false;
  direct_io direct = direct_io::automatic;  // how the backing devices are opened (O_DIRECT)
  std::vector<resource_volume> volumes;
  std::vector<resource_node> nodes;

  const resource_node* node_named(const std::string& node_name) const;
};

// Throws std::runtime_error("<path>: <key>: <why>") on any problem: TOML syntax, a missing or
// unknown key, a value out of range, duplicate node ids / names / addresses, a diskful node
// without a disk per volume.
resource_definition parse_resource_file(const std::string& path);
resource_definition parse_resource_text(const std::string& text, const std::string& origin);

// The core's configuration of this resource on node `self_name`.
// The names of the adjustable options (resource_definition::options) as the file spells them, where `a` and `b` differ (for adjust's answer).
std::vector<std::string> changed_option_names(const adjustable_options& a,
                                              const adjustable_options& b);

replica_config replica_config_for(const resource_definition& resource,
                                  const resource_node& self,
                                  const std::vector<std::uint64_t>& volume_sizes_bytes,
                                  std::uint64_t uuid_seed);

}  // namespace tandem::engine
