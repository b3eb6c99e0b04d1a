// assign_changed: the target equals the source afterwards, whatever was added, removed or
// changed in any of the model's maps, and objects that did not change are not copied (they keep
// their addresses, which is what makes it cheap).
#include <doctest/doctest.h>

#include "cluster_fixture.h"
#include "core/cluster/assign_changed.h"

using namespace tandem::cluster;
using namespace tandem::cluster::testing;

namespace {

cluster three_nodes_two_definitions() {
  cluster c = initial_cluster();
  const op_env env = test_env();
  add_node(c, env, "alpha", "127.0.0.2");
  add_node(c, env, "beta", "127.0.0.3");
  add_node(c, env, "gamma", "127.0.0.4");
  for (const std::string name : {"res1", "res2"}) {
    add_definition(c, env, name);
    std::vector<resource_request> requests(2);
    requests[0].node_name = "alpha";
    requests[1].node_name = "beta";
    for (resource_request& r : requests) r.properties["StorPoolName"] = "pool1";
    create_resources(c, env, name, requests);
  }
  return c;
}

}  // namespace

TEST_CASE("assign_changed makes the target equal to the source") {
  cluster target = three_nodes_two_definitions();
  REQUIRE(target.resources.size() >= 4);
  cluster source = target;
  const op_env env = test_env();
  source.controller_properties["Aux/new"] = "1";
  source.nodes.erase("gamma");
  add_node(source, env, "delta", "127.0.0.5");
  source.find_pool("alpha", "pool1")->free_capacity_kib = 7;
  source.groups.clear();
  source.definitions.erase("res1");
  source.definitions["res0"].name = "res0";
  source.find_resource("res2", "alpha")->properties["Aux/x"] = "y";
  source.resources.erase(source.resources.begin());
  snapshot snap;
  snap.definition = "res2";
  snap.name = "snap1";
  source.snapshots[{"res2", "snap1"}] = snap;

  const resource* unchanged = target.find_resource("res2", "beta");
  REQUIRE(unchanged != nullptr);
  std::vector<std::string> told;  // "kind key" for changed, "-kind key" for erased
  struct listener {
    std::vector<std::string>& told;
    void note(const std::string& what, bool erased) { told.push_back((erased ? "-" : "") + what); }
    void operator()(const std::string& k, const props* now) { note("props" + k, !now); }
    void operator()(const std::string& k, const node* now) { note("node " + k, !now); }
    void operator()(const std::string& k, const resource_group* now) { note("group " + k, !now); }
    void operator()(const std::string& k, const resource_definition* now) {
      note("definition " + k, !now);
    }
    void operator()(const pair_key& k, const storage_pool* now) {
      note("pool " + k.first + "/" + k.second, !now);
    }
    void operator()(const pair_key& k, const resource* now) {
      note("resource " + k.first + "/" + k.second, !now);
    }
    void operator()(const pair_key& k, const snapshot* now) {
      note("snapshot " + k.first + "/" + k.second, !now);
    }
  };
  assign_changed(target, source, listener{told});
  CHECK(target == source);
  std::string all;  // one string, so that a failure shows it
  for (const std::string& what : told) all += what + ", ";
  CHECK(all ==
        "props, node delta, -node gamma, pool alpha/pool1, pool delta/dfltdisklessstorpool, "
        "pool delta/pool1, -group dfltrscgrp, definition res0, -definition res1, "
        "-resource res1/alpha, resource res2/alpha, snapshot res2/snap1, ");
  CHECK(target.find_resource("res2", "beta") == unchanged);  // left in place, not copied

  assign_changed(target, cluster{});  // and down to nothing
  CHECK(target == cluster{});
  assign_changed(target, source);
  CHECK(target == source);
}
