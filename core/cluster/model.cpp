#include "core/cluster/model.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace tandem::cluster {

std::string name_key(std::string_view name) {
  std::string key(name);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

std::string check_name(std::string_view what, std::string_view name) {
  const std::string quoted = std::string(what) + " name '" + std::string(name) + "'";
  if (name.size() < 2 || name.size() > 48) {
    return "Invalid " + quoted + ": the length must be 2..48 characters, not " +
           std::to_string(name.size());
  }
  const auto first = static_cast<unsigned char>(name.front());
  if (!std::isalpha(first) && name.front() != '_') {
    return "Invalid " + quoted + ": it must start with a letter or '_'";
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '_' && c != '-') {
      return "Invalid " + quoted + ": character '" + std::string(1, c) +
             "' is not allowed (letters, digits, '_' and '-' only)";
    }
  }
  return {};
}

namespace {

// Upper case with '_' and '-' dropped, so "lvmthin", "LVM_THIN" and "lvm-thin" compare equal.
std::string enum_key(std::string_view text) {
  std::string key;
  for (char c : text) {
    if (c == '_' || c == '-') continue;
    key += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return key;
}

}  // namespace

std::string_view to_string(node_type type) {
  switch (type) {
    case node_type::controller: return "CONTROLLER";
    case node_type::satellite: return "SATELLITE";
    case node_type::combined: return "COMBINED";
    case node_type::auxiliary: return "AUXILIARY";
  }
  return "SATELLITE";
}

std::optional<node_type> parse_node_type(std::string_view text) {
  const std::string key = enum_key(text);
  for (node_type type :
       {node_type::controller, node_type::satellite, node_type::combined, node_type::auxiliary}) {
    if (key == to_string(type)) return type;
  }
  return std::nullopt;
}

std::string_view to_string(connection_status status) {
  switch (status) {
    case connection_status::offline: return "OFFLINE";
    case connection_status::connected: return "CONNECTED";
    case connection_status::online: return "ONLINE";
    case connection_status::version_mismatch: return "VERSION_MISMATCH";
    case connection_status::unknown: return "UNKNOWN";
    case connection_status::hostname_mismatch: return "HOSTNAME_MISMATCH";
  }
  return "UNKNOWN";
}

const net_interface* node::active_interface() const {
  for (const net_interface& nic : net_interfaces) {
    if (nic.is_active) return &nic;
  }
  return net_interfaces.empty() ? nullptr : &net_interfaces.front();
}

std::string_view to_string(pool_kind kind) {
  switch (kind) {
    case pool_kind::diskless: return "DISKLESS";
    case pool_kind::lvm: return "LVM";
    case pool_kind::lvm_thin: return "LVM_THIN";
    case pool_kind::zfs: return "ZFS";
    case pool_kind::zfs_thin: return "ZFS_THIN";
    case pool_kind::file: return "FILE";
    case pool_kind::file_thin: return "FILE_THIN";
  }
  return "DISKLESS";
}

std::optional<pool_kind> parse_pool_kind(std::string_view text) {
  const std::string key = enum_key(text);
  for (pool_kind kind : {pool_kind::diskless, pool_kind::lvm, pool_kind::lvm_thin, pool_kind::zfs,
                         pool_kind::zfs_thin, pool_kind::file, pool_kind::file_thin}) {
    if (key == enum_key(to_string(kind))) return kind;
  }
  return std::nullopt;
}

bool is_thin(pool_kind kind) {
  return kind == pool_kind::lvm_thin || kind == pool_kind::zfs_thin ||
         kind == pool_kind::file_thin || kind == pool_kind::diskless;
}

bool supports_snapshots(pool_kind kind) {
  // Thick LVM deliberately has none (linstor-server#148).
  return kind != pool_kind::lvm && kind != pool_kind::diskless;
}

bool has_backing_device(pool_kind kind) {
  return kind != pool_kind::diskless;
}

bool zero_initialised(pool_kind kind) {
  return kind != pool_kind::diskless && kind != pool_kind::lvm;
}

std::string storage_pool::source() const {
  for (const char* key : {"StorDriver/StorPoolName", "StorDriver/FileDir"}) {
    auto it = properties.find(key);
    if (it != properties.end()) return it->second;
  }
  return {};
}

select_filter select_filter::merged(const select_filter& base, const select_filter& over) {
  select_filter out = base;
  if (over.place_count) out.place_count = over.place_count;
  if (over.additional_place_count) out.additional_place_count = over.additional_place_count;
  if (!over.node_name_list.empty()) out.node_name_list = over.node_name_list;
  if (!over.storage_pool_list.empty()) out.storage_pool_list = over.storage_pool_list;
  if (!over.storage_pool_diskless_list.empty()) {
    out.storage_pool_diskless_list = over.storage_pool_diskless_list;
  }
  if (!over.not_place_with_rsc.empty()) out.not_place_with_rsc = over.not_place_with_rsc;
  if (!over.replicas_on_same.empty()) out.replicas_on_same = over.replicas_on_same;
  if (!over.replicas_on_different.empty()) out.replicas_on_different = over.replicas_on_different;
  if (!over.x_replicas_on_different.empty()) {
    out.x_replicas_on_different = over.x_replicas_on_different;
  }
  if (!over.provider_list.empty()) out.provider_list = over.provider_list;
  if (!over.layer_stack.empty()) out.layer_stack = over.layer_stack;
  if (over.diskless_on_remaining) out.diskless_on_remaining = over.diskless_on_remaining;
  return out;
}

const volume_definition* resource_definition::find_volume(std::uint32_t number) const {
  for (const volume_definition& vd : volumes) {
    if (vd.number == number) return &vd;
  }
  return nullptr;
}

namespace {

struct flag_name {
  std::uint64_t bits;
  std::string_view name;
};

constexpr std::array<flag_name, 7> kResourceFlags = {{
    {resource_flag::kClean, "CLEAN"},
    {resource_flag::kDelete, "DELETE"},
    {resource_flag::kDiskless, "DISKLESS"},
    {resource_flag::kDrbdDiskless, "DRBD_DISKLESS"},
    {resource_flag::kTieBreaker, "TIE_BREAKER"},
    {resource_flag::kInactive, "INACTIVE"},
    {resource_flag::kAutoDiskful, "AUTO_DISKFUL"},
}};

}  // namespace

std::vector<std::string> resource_flag_names(std::uint64_t flags) {
  std::vector<std::string> names;
  for (const flag_name& flag : kResourceFlags) {
    if ((flags & flag.bits) == flag.bits) names.emplace_back(flag.name);
  }
  return names;
}

std::optional<std::uint64_t> parse_resource_flag(std::string_view name) {
  const std::string key = enum_key(name);
  for (const flag_name& flag : kResourceFlags) {
    if (key == enum_key(flag.name)) return flag.bits;
  }
  return std::nullopt;
}

const node* cluster::find_node(std::string_view name) const {
  auto it = nodes.find(name_key(name));
  return it == nodes.end() ? nullptr : &it->second;
}

node* cluster::find_node(std::string_view name) {
  auto it = nodes.find(name_key(name));
  return it == nodes.end() ? nullptr : &it->second;
}

const storage_pool* cluster::find_pool(std::string_view node_name, std::string_view pool) const {
  auto it = pools.find({name_key(node_name), name_key(pool)});
  return it == pools.end() ? nullptr : &it->second;
}

storage_pool* cluster::find_pool(std::string_view node_name, std::string_view pool) {
  auto it = pools.find({name_key(node_name), name_key(pool)});
  return it == pools.end() ? nullptr : &it->second;
}

const resource_group* cluster::find_group(std::string_view name) const {
  auto it = groups.find(name_key(name));
  return it == groups.end() ? nullptr : &it->second;
}

resource_group* cluster::find_group(std::string_view name) {
  auto it = groups.find(name_key(name));
  return it == groups.end() ? nullptr : &it->second;
}

const resource_definition* cluster::find_definition(std::string_view name) const {
  auto it = definitions.find(name_key(name));
  return it == definitions.end() ? nullptr : &it->second;
}

resource_definition* cluster::find_definition(std::string_view name) {
  auto it = definitions.find(name_key(name));
  return it == definitions.end() ? nullptr : &it->second;
}

const resource* cluster::find_resource(std::string_view definition,
                                       std::string_view node_name) const {
  auto it = resources.find({name_key(definition), name_key(node_name)});
  return it == resources.end() ? nullptr : &it->second;
}

resource* cluster::find_resource(std::string_view definition, std::string_view node_name) {
  auto it = resources.find({name_key(definition), name_key(node_name)});
  return it == resources.end() ? nullptr : &it->second;
}

std::vector<const resource*> cluster::resources_of(std::string_view definition) const {
  std::vector<const resource*> out;
  const std::string key = name_key(definition);
  for (auto it = resources.lower_bound({key, std::string()});
       it != resources.end() && it->first.first == key; ++it) {
    out.push_back(&it->second);
  }
  return out;
}

std::vector<const resource*> cluster::resources_on(std::string_view node_name) const {
  std::vector<const resource*> out;
  const std::string key = name_key(node_name);
  for (const auto& [k, rsc] : resources) {
    if (k.second == key) out.push_back(&rsc);
  }
  return out;
}

std::vector<const storage_pool*> cluster::pools_of(std::string_view node_name) const {
  std::vector<const storage_pool*> out;
  const std::string key = name_key(node_name);
  for (auto it = pools.lower_bound({key, std::string()});
       it != pools.end() && it->first.first == key; ++it) {
    out.push_back(&it->second);
  }
  return out;
}

bool snapshot_complete(const cluster& c, const snapshot& snap) {
  if (snap.nodes.empty()) return false;
  for (const std::string& holder : snap.nodes) {
    const resource* rsc = c.find_resource(snap.definition, holder);
    if (rsc == nullptr || !rsc->reported) return false;
    const auto& have = rsc->reported->snapshots;
    if (std::find(have.begin(), have.end(), snap.name) == have.end()) return false;
  }
  return true;
}

bool definition_synced(const cluster& c, std::string_view definition) {
  bool any = false;
  for (const resource* rsc : c.resources_of(definition)) {
    if (rsc->is_diskless() || rsc->is_deleting()) continue;
    any = true;
    for (const volume& v : rsc->volumes) {
      if (!v.reported || v.reported->disk_state != "UpToDate") return false;
    }
  }
  return any;
}

cluster initial_cluster() {
  cluster c;
  c.controller_properties["DrbdOptions/auto-add-quorum-tiebreaker"] = "True";
  c.controller_properties["DrbdOptions/auto-diskful-allow-cleanup"] = "True";
  resource_group dflt;
  dflt.name = std::string(kDefaultResourceGroup);
  c.groups.emplace(name_key(dflt.name), dflt);
  return c;
}

}  // namespace tandem::cluster
