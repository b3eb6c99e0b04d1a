// A small deterministic cluster for the policy tests: nodes with FILE_THIN / LVM pools, online
// satellites, counters instead of random UUIDs and secrets.
#pragma once

#include <string>

#include "core/cluster/operations.h"

namespace tandem::cluster::testing {

inline op_env test_env() {
  op_env env;
  env.now_ms = 1'700'000'000'000ULL;
  env.new_uuid = [n = 0]() mutable { return "uuid-" + std::to_string(++n); };
  env.new_secret = [n = 0]() mutable { return "secret-" + std::to_string(++n); };
  return env;
}

// Adds an online satellite with a pool `pool` of `kind` and free/total capacity.
inline void add_node(cluster& c, const op_env& env, const std::string& name,
                     const std::string& address, pool_kind kind = pool_kind::lvm,
                     std::uint64_t free_kib = 100ULL << 20, const std::string& pool = "pool1") {
  node n;
  n.name = name;
  n.net_interfaces.push_back({"default", address, 3366, "PLAIN", true});
  auto rcs = create_node(c, env, n);
  c.find_node(name)->connection = connection_status::online;
  storage_pool sp;
  sp.node_name = name;
  sp.name = pool;
  sp.kind = kind;
  sp.properties["StorDriver/StorPoolName"] = "vg0";
  create_storage_pool(c, env, sp);
  c.find_pool(name, pool)->free_capacity_kib = free_kib;
  c.find_pool(name, pool)->total_capacity_kib = free_kib;
}

// A definition with one volume of size_kib in the default group.
inline void add_definition(cluster& c, const op_env& env, const std::string& name,
                           std::uint64_t size_kib = 1048576) {
  definition_request rd;
  rd.name = name;
  create_resource_definition(c, env, rd);
  volume_definition_request vd;
  vd.size_kib = size_kib;
  create_volume_definition(c, env, name, vd);
}

inline bool mentions(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline std::string all_messages(const api_call_rcs& rcs) {
  std::string out;
  for (const api_call_rc& r : rcs) out += r.message + "\n";
  return out;
}

}  // namespace tandem::cluster::testing
