#include "core/cluster/desired_state.h"

#include <algorithm>
#include <limits>

#include "core/cluster/props.h"

namespace tandem::cluster {

namespace {

constexpr std::string_view kDrbdOptionsPrefix = "DrbdOptions/";

// Resource -> RD -> RG -> Node -> controller, like LINSTOR's .res rendering.
props resource_option_scope(const cluster& c, const resource& rsc) {
  props out = c.controller_properties;
  auto overlay = [&out](const props* layer) {
    if (layer == nullptr) return;
    for (const auto& [k, v] : *layer) out[k] = v;
  };
  const resource_definition* rd = c.find_definition(rsc.definition);
  const resource_group* rg = rd == nullptr ? nullptr : c.find_group(rd->resource_group);
  const node* n = c.find_node(rsc.node_name);
  overlay(n == nullptr ? nullptr : &n->properties);
  overlay(rg == nullptr ? nullptr : &rg->properties);
  overlay(rd == nullptr ? nullptr : &rd->properties);
  overlay(&rsc.properties);
  return out;
}

std::string get_or(const props& p, const std::string& key, std::string fallback) {
  auto it = p.find(key);
  return it == p.end() ? fallback : it->second;
}

// Options are "<Section>/<option>" below DrbdOptions/; LINSTOR's own knobs directly under
// DrbdOptions/ (auto-diskful, auto-add-quorum-tiebreaker...) are not DRBD options.
std::map<std::string, std::string> drbd_options(const props& scope) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : scope) {
    if (!k.starts_with(kDrbdOptionsPrefix)) continue;
    std::string rest = k.substr(kDrbdOptionsPrefix.size());
    if (rest.find('/') == std::string::npos) continue;
    out[rest] = v;
  }
  return out;
}

desired_peer peer_of(const cluster& c, const resource& rsc, std::uint16_t port) {
  desired_peer peer;
  peer.node_name = rsc.node_name;
  peer.node_id = rsc.node_id;
  peer.port = port;
  peer.diskless = rsc.is_diskless();
  peer.tie_breaker = rsc.is_tie_breaker();
  if (const node* n = c.find_node(rsc.node_name)) {
    // PrefNic names the interface replication uses; else the active one.
    const net_interface* nic = n->active_interface();
    auto pref = n->properties.find("PrefNic");
    if (pref != n->properties.end()) {
      for (const net_interface& candidate : n->net_interfaces) {
        if (name_key(candidate.name) == name_key(pref->second)) nic = &candidate;
      }
    }
    if (nic != nullptr) peer.address = nic->address;
  }
  return peer;
}

// Digits only (the property setter validates Nbd/Port); anything else falls back.
std::uint16_t parse_port(const std::string& text, std::uint16_t fallback) {
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return fallback;
  }
  const unsigned long value = std::stoul(text);
  return value > 0 && value <= 65535 ? static_cast<std::uint16_t>(value) : fallback;
}

bool in_day0(const resource& rsc) {
  return !rsc.is_diskless() && !rsc.is_deleting() &&
         rsc.properties.contains(std::string(kDay0Property));
}

// Day 0 skips the initial sync only where every day-0 replica starts as zeros; otherwise (a thick
// LV among them) the lowest node id is declared UpToDate and the others sync from it in full.
std::string day0_uuid_for(const cluster& c, const resource& rsc, const resource_definition& rd) {
  auto uuid = rd.properties.find(std::string(kDay0UuidProperty));
  if (!in_day0(rsc) || uuid == rd.properties.end()) return "";
  bool all_zeroed = true;
  std::uint32_t lowest_node_id = rsc.node_id;
  for (const resource* peer : c.resources_of(rd.name)) {
    if (!in_day0(*peer)) continue;
    lowest_node_id = std::min(lowest_node_id, peer->node_id);
    for (const volume& v : peer->volumes) {
      const storage_pool* pool = c.find_pool(peer->node_name, v.storage_pool);
      if (pool == nullptr || !zero_initialised(pool->kind)) all_zeroed = false;
    }
  }
  return all_zeroed || rsc.node_id == lowest_node_id ? uuid->second : "";
}

desired_resource resource_state(const cluster& c, const resource& rsc,
                                const resource_definition& rd) {
  desired_resource out;
  out.name = rd.name;
  out.node_id = rsc.node_id;
  out.port = rd.port;
  out.secret = rd.secret;
  out.peer_slots = rd.peer_slots;
  out.diskless = rsc.is_diskless();
  out.tie_breaker = rsc.is_tie_breaker();
  out.day0_uuid = day0_uuid_for(c, rsc, rd);
  const props scope = resource_option_scope(c, rsc);
  out.options = drbd_options(scope);
  out.protocol = get_or(scope, "DrbdOptions/Net/protocol", "C");
  out.quorum = get_or(scope, "DrbdOptions/Resource/quorum", "off");
  out.on_no_quorum = get_or(scope, "DrbdOptions/Resource/on-no-quorum", "io-error");
  out.after_sb_0pri = get_or(scope, "DrbdOptions/Net/after-sb-0pri", "disconnect");
  out.after_sb_1pri = get_or(scope, "DrbdOptions/Net/after-sb-1pri", "disconnect");
  out.after_sb_2pri = get_or(scope, "DrbdOptions/Net/after-sb-2pri", "disconnect");
  out.allow_two_primaries =
      parse_bool(get_or(scope, "DrbdOptions/Net/allow-two-primaries", "no")).value_or(false);

  std::vector<const resource*> members;
  for (const resource* peer : c.resources_of(rd.name)) {
    if (!peer->is_deleting()) members.push_back(peer);
  }
  for (const volume_definition& vd : rd.volumes) {
    desired_volume v;
    v.number = vd.number;
    v.minor = vd.minor;
    v.size_kib = vd.size_kib;
    std::uint64_t smallest = std::numeric_limits<std::uint64_t>::max();
    for (const resource* peer : members) {
      for (const volume& pv : peer->volumes) {
        if (pv.number == vd.number && !peer->is_diskless())
          smallest = std::min(smallest, pv.usable_kib);
      }
    }
    v.usable_kib = smallest == std::numeric_limits<std::uint64_t>::max() ? vd.size_kib : smallest;
    for (const volume& own : rsc.volumes) {
      if (own.number != vd.number) continue;
      v.allocated_kib = own.allocated_kib;
      v.pool = own.storage_pool;
      auto restore = own.properties.find("Restore/FromSnapshot");
      if (restore != own.properties.end()) v.restore_from_snapshot = restore->second;
      if (const storage_pool* pool = c.find_pool(rsc.node_name, own.storage_pool)) {
        v.kind = pool->kind;
        v.pool_source = pool->source();
      }
    }
    out.volumes.push_back(v);
  }
  for (const resource* peer : members) out.nodes.push_back(peer_of(c, *peer, rd.port));
  std::sort(out.nodes.begin(), out.nodes.end(),
            [](const desired_peer& a, const desired_peer& b) { return a.node_id < b.node_id; });

  // NBD export: never on a tie-breaker (it only votes).
  out.nbd.export_name = rd.name;
  out.nbd.enabled =
      !rsc.is_tie_breaker() && parse_bool(get_or(scope, "Nbd/Enabled", "yes")).value_or(true);
  out.nbd.address = get_or(scope, "Nbd/ListenAddress", "127.0.0.1");
  out.nbd.port = parse_port(get_or(scope, "Nbd/Port", ""), kDefaultNbdPort);
  const std::string rd_key = name_key(rd.name);
  for (auto it = c.snapshots.lower_bound({rd_key, std::string()});
       it != c.snapshots.end() && it->first.first == rd_key; ++it) {
    for (const std::string& holder : it->second.nodes) {
      if (name_key(holder) == name_key(rsc.node_name)) out.snapshots.push_back(it->second.name);
    }
  }
  return out;
}

}  // namespace

node_desired_state desired_state_for_node(const cluster& c, std::string_view node_name) {
  node_desired_state state;
  const node* n = c.find_node(node_name);
  state.node_name = n == nullptr ? std::string(node_name) : n->name;
  const props* node_props = n == nullptr ? nullptr : &n->properties;
  state.nbd_address = first_hit({node_props, &c.controller_properties}, "Nbd/ListenAddress")
                          .value_or(state.nbd_address);
  state.nbd_port = parse_port(
      first_hit({node_props, &c.controller_properties}, "Nbd/Port").value_or(""), kDefaultNbdPort);
  for (const storage_pool* pool : c.pools_of(node_name)) {
    state.pools.push_back({pool->name, pool->kind, pool->source(), pool->properties});
  }
  for (const resource* rsc : c.resources_on(node_name)) {
    if (rsc->is_deleting()) continue;
    const resource_definition* rd = c.find_definition(rsc->definition);
    if (rd == nullptr) continue;
    state.resources.push_back(resource_state(c, *rsc, *rd));
  }
  return state;
}

}  // namespace tandem::cluster
