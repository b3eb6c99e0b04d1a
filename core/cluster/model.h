// The control plane's object model as one plain value (LINSTOR's model, research/linstor.md §1):
// nodes with net interfaces, storage pools, resource groups with volume groups, resource
// definitions with volume definitions, resources with volumes, snapshots, and the controller's own
// properties. Pure data: the policies (autoplacer, tie-breaker, quorum, sizes, desired state) are
// free functions over a `cluster` value, and the controller persists and serves exactly this value.
//
// Names are case-insensitive like LINSTOR's and displayed as created: every map is keyed by
// name_key(name) (ASCII lower case) while the object keeps its display name.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::cluster {

using props = std::map<std::string, std::string>;

// ASCII lower case: the map key of a name.
std::string name_key(std::string_view name);

// LINSTOR names: 2..48 characters, a letter or '_' first, then letters, digits, '_' and '-'.
// Returns an empty string when valid, else a message naming what is wrong.
std::string check_name(std::string_view what, std::string_view name);

// ------------------------------------------------------------------ nodes

enum class node_type : std::uint8_t { controller, satellite, combined, auxiliary };
std::string_view to_string(node_type type);                       // "SATELLITE", ...
std::optional<node_type> parse_node_type(std::string_view text);  // any case

// As LINSTOR's ConnectionStatus; the numbers are the Prometheus values.
enum class connection_status : std::uint8_t {
  offline = 0,
  connected = 1,
  online = 2,
  version_mismatch = 3,
  unknown = 6,
  hostname_mismatch = 7,
};
std::string_view to_string(connection_status status);

inline constexpr std::uint16_t kDefaultSatellitePort = 3366;

struct net_interface {
  std::string name;  // "default" for the first one
  std::string address;
  std::uint16_t satellite_port = kDefaultSatellitePort;
  std::string encryption_type = "PLAIN";
  bool is_active = false;  // the interface the controller connects to
  friend bool operator==(const net_interface&, const net_interface&) = default;
};

struct node {
  std::string name;
  node_type type = node_type::satellite;
  std::vector<net_interface> net_interfaces;
  props properties;
  std::string uuid;
  // Runtime only (not persisted): the controller's connection to the node's satellite.
  connection_status connection = connection_status::offline;

  const net_interface* active_interface() const;  // the active one, else the first, else null
  friend bool operator==(const node&, const node&) = default;
};

// ------------------------------------------------------------------ storage pools

enum class pool_kind : std::uint8_t { diskless, lvm, lvm_thin, zfs, zfs_thin, file, file_thin };
std::string_view to_string(pool_kind kind);                       // "LVM_THIN", ...
std::optional<pool_kind> parse_pool_kind(std::string_view text);  // any case, "lvmthin" too
bool is_thin(pool_kind kind);
bool supports_snapshots(pool_kind kind);
bool has_backing_device(pool_kind kind);  // everything but DISKLESS
// A brand-new volume of this kind reads as zeros everywhere (files, thin LVs, zvols), so replicas
// created together are identical without an initial sync. Thick LVs hold whatever was on the disk.
bool zero_initialised(pool_kind kind);

inline constexpr std::string_view kDefaultDisklessPool = "DfltDisklessStorPool";
inline constexpr std::string_view kDefaultPool = "DfltStorPool";

struct storage_pool {
  std::string node_name;
  std::string name;
  pool_kind kind = pool_kind::diskless;
  props properties;  // StorDriver/StorPoolName = VG, VG/thinpool, zpool or directory
  std::string uuid;
  // Reported by the satellite (runtime, also kept in the database as the last known value).
  std::optional<std::uint64_t> free_capacity_kib;
  std::optional<std::uint64_t> total_capacity_kib;

  // The backing source the satellite uses: StorDriver/StorPoolName (or FileDir for FILE pools).
  std::string source() const;
  friend bool operator==(const storage_pool&, const storage_pool&) = default;
};

// ------------------------------------------------------------------ groups

// LINSTOR's AutoSelectFilter (placement rules). Unset optionals mean "not given" so that a
// filter can be merged onto a resource group's filter (spawn, autoplace).
struct select_filter {
  std::optional<std::uint32_t> place_count;
  std::optional<std::uint32_t> additional_place_count;
  std::vector<std::string> node_name_list;
  std::vector<std::string> storage_pool_list;
  std::vector<std::string> storage_pool_diskless_list;
  std::vector<std::string> not_place_with_rsc;
  std::vector<std::string> replicas_on_same;                     // "Aux/site" or "Aux/site=dc1"
  std::vector<std::string> replicas_on_different;                // "Aux/rack"
  std::map<std::string, std::uint32_t> x_replicas_on_different;  // {"Aux/site": 2}
  std::vector<pool_kind> provider_list;
  std::vector<std::string> layer_stack;
  std::optional<bool> diskless_on_remaining;

  // Fields set in `over` replace those of `base` (AutoSelectFilterPojo.merge).
  static select_filter merged(const select_filter& base, const select_filter& over);
  friend bool operator==(const select_filter&, const select_filter&) = default;
};

struct volume_group {
  std::uint32_t number = 0;
  props properties;
  std::string uuid;
  friend bool operator==(const volume_group&, const volume_group&) = default;
};

inline constexpr std::string_view kDefaultResourceGroup = "DfltRscGrp";

struct resource_group {
  std::string name;
  std::string description;
  props properties;
  select_filter filter;
  std::vector<volume_group> volume_groups;  // ascending numbers
  std::string uuid;
  friend bool operator==(const resource_group&, const resource_group&) = default;
};

// ------------------------------------------------------------------ definitions

struct volume_definition {
  std::uint32_t number = 0;
  std::uint64_t size_kib = 0;  // net size the user sees (LINSTOR semantics)
  std::uint32_t minor = 0;     // device minor, 1000..49999
  props properties;
  std::vector<std::string> flags;  // "GROSS_SIZE", "RESIZE", ...
  std::string uuid;
  friend bool operator==(const volume_definition&, const volume_definition&) = default;
};

inline constexpr std::uint32_t kDefaultPeerSlots = 7;

struct resource_definition {
  std::string name;
  std::string resource_group = std::string(kDefaultResourceGroup);
  props properties;
  std::vector<std::string> flags;          // "DELETE", ...
  std::vector<volume_definition> volumes;  // ascending numbers
  std::uint16_t port = 0;                  // replication port, from TcpPortAutoRange (7000..7999)
  std::string secret;                      // per-resource shared secret (controller generated)
  std::uint32_t peer_slots = kDefaultPeerSlots;
  std::string uuid;

  const volume_definition* find_volume(std::uint32_t number) const;
  friend bool operator==(const resource_definition&, const resource_definition&) = default;
};

// ------------------------------------------------------------------ resources

// Bit values of LINSTOR's Resource flags; composite flags include their parts, so a tie-breaker
// also has DRBD_DISKLESS and DISKLESS set (research/linstor.md §1.4).
namespace resource_flag {
inline constexpr std::uint64_t kClean = 1ULL << 0;
inline constexpr std::uint64_t kDelete = 1ULL << 1;
inline constexpr std::uint64_t kDiskless = 1ULL << 2;
inline constexpr std::uint64_t kTieBreaker = kDiskless | (1ULL << 8) | (1ULL << 7);
inline constexpr std::uint64_t kDrbdDiskless = kDiskless | (1ULL << 8);
inline constexpr std::uint64_t kInactive = 1ULL << 10;
inline constexpr std::uint64_t kAutoDiskful = 1ULL << 21;
}  // namespace resource_flag

// A snapshot is SUCCESSFUL once the satellite of every node it was taken on lists it.
struct cluster;
bool snapshot_complete(const cluster& c, const struct snapshot& snap);
// Every diskful replica of the definition reports UpToDate on every volume (`rd wait-sync`);
// false while any is unreported, and for a definition without diskful replicas.
bool definition_synced(const cluster& c, std::string_view definition);

// Every flag whose bits are all set, in LINSTOR's order ("DISKLESS","DRBD_DISKLESS","TIE_BREAKER").
std::vector<std::string> resource_flag_names(std::uint64_t flags);
// Unknown names give nullopt (the caller reports which one).
std::optional<std::uint64_t> parse_resource_flag(std::string_view name);

// What the satellite last reported for one volume (runtime only).
struct peer_replication {
  std::string replication_state;  // "Established", "SyncSource", ...
  double done_percentage = 0;     // resync progress when syncing
  std::uint64_t out_of_sync_bytes = 0;
  friend bool operator==(const peer_replication&, const peer_replication&) = default;
};

struct volume_report {
  std::string disk_state;                         // "UpToDate", "Inconsistent", "Diskless", ...
  std::map<std::string, peer_replication> peers;  // by peer node name
  std::optional<std::uint64_t> allocated_kib;     // real size of the backing volume
  std::optional<std::uint64_t> usable_kib;
  friend bool operator==(const volume_report&, const volume_report&) = default;
};

struct volume {
  std::uint32_t number = 0;
  std::string storage_pool;         // empty for diskless
  std::uint64_t allocated_kib = 0;  // planned backing size (gross, rounded to the pool's unit)
  std::uint64_t usable_kib = 0;     // planned usable size
  props properties;
  std::optional<volume_report> reported;  // runtime
  // Runtime: what the node's satellite could not do for this volume in its last `applied`
  // (shown as the volume's reports in REST, as LINSTOR does).
  std::vector<std::string> apply_errors;
  friend bool operator==(const volume&, const volume&) = default;
};

struct resource_report {
  std::string role;  // "Primary", "Secondary", "Unknown"
  bool in_use = false;
  std::map<std::string, bool> connections;        // peer node -> connected
  std::optional<std::uint64_t> primary_since_ms;  // for auto-diskful
  std::vector<std::string> snapshots;             // snapshots that exist on the node
  friend bool operator==(const resource_report&, const resource_report&) = default;
};

// Day 0 (no initial sync): a diskful replica created while no replica of its definition has come up
// yet carries kDay0Property; the definition carries the shared generation in kDay0UuidProperty.
// The flag goes away when the replica's satellite first reports it up, so a replica added later
// starts Inconsistent and gets a full sync.
inline constexpr std::string_view kDay0Property = "Tandem/Day0";
inline constexpr std::string_view kDay0UuidProperty = "Tandem/Day0Uuid";

struct resource {
  std::string definition;  // resource definition name
  std::string node_name;
  std::uint64_t flags = 0;
  props properties;
  std::uint32_t node_id = 0;  // 0..31, unique within the definition
  std::vector<volume> volumes;
  std::uint64_t created_ms = 0;
  std::string uuid;
  std::optional<resource_report> reported;  // runtime

  bool has(std::uint64_t flag) const { return (flags & flag) == flag; }
  bool is_diskless() const { return has(resource_flag::kDiskless); }
  bool is_tie_breaker() const { return has(resource_flag::kTieBreaker); }
  bool is_deleting() const { return has(resource_flag::kDelete); }
  friend bool operator==(const resource&, const resource&) = default;
};

// ------------------------------------------------------------------ snapshots

struct snapshot {
  std::string definition;
  std::string name;
  std::vector<std::string> nodes;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> volume_sizes_kib;  // (number, size)
  std::vector<std::string> flags;                                         // "SUCCESSFUL"
  props properties;
  std::uint64_t created_ms = 0;
  std::string uuid;
  friend bool operator==(const snapshot&, const snapshot&) = default;
};

// ------------------------------------------------------------------ the whole model

using pair_key = std::pair<std::string, std::string>;

struct cluster {
  props controller_properties;
  std::map<std::string, node> nodes;                       // name_key(node)
  std::map<pair_key, storage_pool> pools;                  // (node key, pool key)
  std::map<std::string, resource_group> groups;            // name_key(group)
  std::map<std::string, resource_definition> definitions;  // name_key(definition)
  std::map<pair_key, resource> resources;                  // (definition key, node key)
  std::map<pair_key, snapshot> snapshots;                  // (definition key, snapshot key)

  const node* find_node(std::string_view name) const;
  const storage_pool* find_pool(std::string_view node_name, std::string_view pool) const;
  const resource_group* find_group(std::string_view name) const;
  const resource_definition* find_definition(std::string_view name) const;
  const resource* find_resource(std::string_view definition, std::string_view node_name) const;
  node* find_node(std::string_view name);
  storage_pool* find_pool(std::string_view node_name, std::string_view pool);
  resource_group* find_group(std::string_view name);
  resource_definition* find_definition(std::string_view name);
  resource* find_resource(std::string_view definition, std::string_view node_name);

  // Resources of one definition, in node-name order.
  std::vector<const resource*> resources_of(std::string_view definition) const;
  // Resources on one node, in definition-name order.
  std::vector<const resource*> resources_on(std::string_view node_name) const;
  // Storage pools of one node.
  std::vector<const storage_pool*> pools_of(std::string_view node_name) const;

  friend bool operator==(const cluster&, const cluster&) = default;
};

// A cluster with what LINSTOR's initial database holds: the controller defaults
// (auto tie-breaker on, auto-diskful cleanup allowed) and the default resource group.
cluster initial_cluster();

}  // namespace tandem::cluster
