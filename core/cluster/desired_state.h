// What one satellite must converge to (docs/satellite-protocol.md): every resource with a replica
// on the node, each with everything needed to write a tandemd resource file - volumes with sizes
// and storage pool (name, kind, source), every node of the resource with node id, address and
// port, protocol, quorum and split-brain options, the shared secret and the NBD export settings.
// The controller pushes this value whole on connect and then what changed in it
// (desired_state_delta.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster/model.h"

namespace tandem::cluster {

struct desired_volume {
  std::uint32_t number = 0;
  std::uint32_t minor = 0;
  std::uint64_t size_kib = 0;    // requested net size (volume definition)
  std::uint64_t usable_kib = 0;  // device size to export: smallest usable of all diskful replicas
  std::uint64_t allocated_kib = 0;  // backing volume to create on this node (0 when diskless)
  std::string pool;                 // storage pool name on this node
  pool_kind kind = pool_kind::diskless;
  std::string pool_source;            // VG, VG/thinpool, zpool or directory
  std::string restore_from_snapshot;  // "<resource>/<snapshot>" to create the volume from, or ""
  friend bool operator==(const desired_volume&, const desired_volume&) = default;
};

struct desired_peer {
  std::string node_name;
  std::uint32_t node_id = 0;
  std::string address;
  std::uint16_t port = 0;
  bool diskless = false;
  bool tie_breaker = false;
  friend bool operator==(const desired_peer&, const desired_peer&) = default;
};

struct nbd_export {
  bool enabled = false;
  std::string address;  // listen address
  std::uint16_t port = 0;
  std::string export_name;
  friend bool operator==(const nbd_export&, const nbd_export&) = default;
};

inline constexpr std::uint16_t kDefaultNbdPort = 10809;

struct desired_resource {
  std::string name;
  std::uint32_t node_id = 0;  // this node's id
  std::uint16_t port = 0;
  std::string secret;
  std::uint32_t peer_slots = kDefaultPeerSlots;
  bool diskless = false;
  bool tie_breaker = false;
  std::string protocol = "C";
  std::string quorum = "off";             // off | majority | all | <n>
  std::string on_no_quorum = "io-error";  // io-error | suspend-io
  std::string after_sb_0pri = "disconnect";
  std::string after_sb_1pri = "disconnect";
  std::string after_sb_2pri = "disconnect";
  bool allow_two_primaries = false;
  // Every DrbdOptions/<Section>/<option> in effect (Resource -> RD -> RG -> Node -> controller),
  // keyed "<Section>/<option>".
  std::map<std::string, std::string> options;
  std::vector<desired_volume> volumes;
  std::vector<desired_peer> nodes;  // every node of the resource, this one included, by node id
  nbd_export nbd;
  std::vector<std::string> snapshots;  // snapshots of this resource that must exist on this node
  // Hex generation UUID to write as UpToDate when the satellite creates this replica's metadata
  // (day 0, no initial sync), or "": start Inconsistent and sync from a peer. See kDay0Property.
  std::string day0_uuid;
  friend bool operator==(const desired_resource&, const desired_resource&) = default;
};

struct desired_pool {
  std::string name;
  pool_kind kind = pool_kind::diskless;
  std::string source;
  props properties;
  friend bool operator==(const desired_pool&, const desired_pool&) = default;
};

struct node_desired_state {
  std::string node_name;
  // tandemd's --nbd-listen on this node: Nbd/ListenAddress and Nbd/Port of the node, else the
  // controller, else 127.0.0.1:10809. (Per-resource values in desired_resource::nbd may differ
  // only if a resource or definition overrides them; one tandemd serves every export.)
  std::string nbd_address = "127.0.0.1";
  std::uint16_t nbd_port = kDefaultNbdPort;
  std::vector<desired_pool> pools;
  std::vector<desired_resource> resources;  // by name; resources being deleted are absent
  friend bool operator==(const node_desired_state&, const node_desired_state&) = default;
};

node_desired_state desired_state_for_node(const cluster& c, std::string_view node_name);

}  // namespace tandem::cluster
