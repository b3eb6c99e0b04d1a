// A small control-plane model for the controller's unit tests: nodes on 127.0.0.2.. with one
// FILE_THIN pool "pool1" each, and definition res1 (1 GiB) with a replica on every node.
#pragma once

#include <string>
#include <vector>

#include "core/cluster/operations.h"

namespace tandem::controller::testing {

inline cluster::op_env test_env() {
  cluster::op_env env;
  env.new_uuid = [n = 0]() mutable { return "u" + std::to_string(++n); };
  env.new_secret = [] { return std::string("topsecret"); };
  return env;
}

// Definition `name` with one volume of `size_kib` and a diskful replica in pool1 of each node.
inline void add_definition(cluster::cluster& c, const cluster::op_env& env, const std::string& name,
                           const std::vector<std::string>& nodes,
                           std::uint64_t size_kib = 1048576) {
  namespace cl = tandem::cluster;
  cl::definition_request rd;
  rd.name = name;
  cl::create_resource_definition(c, env, rd);
  cl::volume_definition_request vd;
  vd.size_kib = size_kib;
  cl::create_volume_definition(c, env, name, vd);
  std::vector<cl::resource_request> replicas;
  for (const std::string& node : nodes)
    replicas.push_back({node, 0, {{"StorPoolName", "pool1"}}, {}});
  cl::create_resources(c, env, name, replicas);
}

inline cluster::cluster cluster_with_nodes(const std::vector<std::string>& nodes,
                                           const cluster::op_env& env,
                                           const std::string& pool_dir = "/srv/pool1") {
  namespace cl = tandem::cluster;
  cl::cluster c = cl::initial_cluster();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    cl::node n;
    n.name = nodes[i];
    n.net_interfaces.push_back(
        {"default", "127.0.0." + std::to_string(2 + i), 3366, "PLAIN", true});
    cl::create_node(c, env, n);
    cl::storage_pool p;
    p.node_name = nodes[i];
    p.name = "pool1";
    p.kind = cl::pool_kind::file_thin;
    p.properties["StorDriver/StorPoolName"] = pool_dir;
    cl::create_storage_pool(c, env, p);
  }
  return c;
}

inline cluster::cluster cluster_with_res1(const std::vector<std::string>& nodes,
                                          const std::string& pool_dir = "/srv/pool1") {
  const cluster::op_env env = test_env();
  cluster::cluster c = cluster_with_nodes(nodes, env, pool_dir);
  add_definition(c, env, "res1", nodes);
  return c;
}

}  // namespace tandem::controller::testing
