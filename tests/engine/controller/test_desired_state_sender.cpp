// The controller sends a satellite its whole state after the hello and on a resync_request, and
// only what changed in between; and how many bytes that saves on a node with 1000 resources.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/cluster/desired_state.h"
#include "engine/controller/desired_state_sender.h"
#include "tests/core/cluster/desired_state_samples.h"
#include "tests/engine/controller/controller_fixture.h"

using namespace tandem;
using nlohmann::json;
namespace cl = tandem::cluster;
using cl::testing::state_with;
using controller::desired_state_sender;

namespace {

json parsed(const std::string& line) {
  REQUIRE_FALSE(line.empty());
  return json::parse(line);
}

}  // namespace

TEST_CASE("full state after the hello, deltas after that, nothing for an unchanged state") {
  desired_state_sender sender;
  CHECK(sender.update(state_with({"a"})) == "");  // not online: waits for the hello
  CHECK(sender.update(state_with({"a", "b"})) == "");

  const json full = parsed(sender.on_online());
  CHECK(full["type"] == "desired_state");
  CHECK(full["generation"] == 1);
  CHECK(full["resources"].size() == 2);  // the latest state, not the first

  CHECK(sender.update(state_with({"a", "b"})) == "");
  const json delta = parsed(sender.update(state_with({"a", "c"})));
  CHECK(delta["type"] == "desired_state_delta");
  CHECK(delta["base_generation"] == 1);
  CHECK(delta["generation"] == 2);
  REQUIRE(delta["resources"].size() == 1);
  CHECK(delta["resources"][0]["name"] == "c");
  CHECK(delta["removed_resources"] == json::array({"b"}));
  CHECK_FALSE(delta.contains("pools"));
  CHECK_FALSE(delta.contains("removed_pools"));
  CHECK_FALSE(delta.contains("nbd"));

  const json next = parsed(sender.update(state_with({"a"})));
  CHECK(next["base_generation"] == 2);
  CHECK(next["generation"] == 3);
}

TEST_CASE("a resync request and a new connection get the whole state") {
  desired_state_sender sender;
  CHECK(sender.on_online() == "");  // no state known yet: the first update sends it whole
  const json first = parsed(sender.update(state_with({"a"})));
  CHECK(first["type"] == "desired_state");
  CHECK(first["generation"] == 1);
  parsed(sender.update(state_with({"a", "b"})));

  const json resync = parsed(sender.on_resync_request());
  CHECK(resync["type"] == "desired_state");
  CHECK(resync["generation"] == 3);
  CHECK(resync["resources"].size() == 2);
  CHECK(parsed(sender.update(state_with({"b"})))["base_generation"] == 3);

  sender.on_offline();
  CHECK(sender.on_resync_request() == "");  // a request from a closed connection
  CHECK(sender.update(state_with({"b", "c"})) == "");
  const json again = parsed(sender.on_online());
  CHECK(again["type"] == "desired_state");
  CHECK(again["generation"] == 1);
  CHECK(again["resources"].size() == 2);
}

// The figures in docs/satellite-protocol.md §3.2: alpha holds 1000 resources (1000 definitions
// are all the replication ports 7000-7999 give), 999 diskful and the tie-breaker of vm-1999, and
// `tandem r c alpha vm-1999` gives that one a disk. The full state v1 sent for that versus the
// delta v2 sends.
TEST_CASE("one resource created on a node with 1000 costs a delta of one resource") {
  cl::op_env env = controller::testing::test_env();
  env.allow_offline_nodes = true;  // tie-breakers as on a running cluster
  cl::cluster c = controller::testing::cluster_with_nodes({"alpha", "beta", "gamma"}, env);
  for (int i = 0; i < 999; ++i) {
    controller::testing::add_definition(c, env, "vm-" + std::to_string(1000 + i),
                                        {"alpha", i % 2 == 0 ? "beta" : "gamma"});
  }
  controller::testing::add_definition(c, env, "vm-1999", {"beta", "gamma"});
  desired_state_sender sender;
  const cl::node_desired_state before = cl::desired_state_for_node(c, "alpha");
  REQUIRE(before.resources.size() == 1000);
  CHECK(before.resources.back().tie_breaker);
  CHECK(before.resources.front().nodes.size() == 3);  // two diskful replicas and a tie-breaker
  sender.update(before);
  const std::size_t first_full_bytes = sender.on_online().size();

  const cl::api_call_rcs rcs =
      cl::create_resources(c, env, "vm-1999", {{"alpha", 0, {{"StorPoolName", "pool1"}}, {}}});
  REQUIRE_FALSE(cl::has_error(rcs));
  const cl::node_desired_state after = cl::desired_state_for_node(c, "alpha");
  REQUIRE(after.resources.size() == 1000);
  CHECK_FALSE(after.resources.back().tie_breaker);
  const std::string delta = sender.update(after);
  const std::size_t full_bytes = sender.on_resync_request().size();  // what v1 sent instead

  MESSAGE("r c on a node that holds 1000 resources: full desired_state "
          << full_bytes << " bytes, desired_state_delta " << delta.size()
          << " bytes (full state before it " << first_full_bytes << " bytes)");
  CHECK(parsed(delta)["resources"].size() == 1);
  CHECK(delta.size() * 500 < full_bytes);
}
