// The controller side of docs/satellite-protocol.md without sockets: the desired state message
// carries every documented field, and status reports land in the model's runtime fields.
#include <doctest/doctest.h>

#include "engine/controller/satellite_messages.h"
#include "tests/engine/controller/controller_fixture.h"

using namespace tandem;
using nlohmann::json;
namespace cl = tandem::cluster;

namespace {

cl::cluster two_node_cluster() { return controller::testing::cluster_with_res1({"alpha", "beta"}); }

}  // namespace

TEST_CASE("hello and desired state carry the documented fields") {
  const json hello = controller::hello_message("alpha");
  CHECK(hello["type"] == "hello");
  CHECK(hello["protocol_version"] == 2);
  CHECK(hello["node_name"] == "alpha");
  const cl::cluster c = two_node_cluster();
  const json state = controller::desired_state_message(cl::desired_state_for_node(c, "alpha"), 7);
  CHECK(state["type"] == "desired_state");
  CHECK(state["generation"] == 7);
  CHECK(state["pools"].size() == 2);
  CHECK(state["nbd"]["port"] == 10809);
  REQUIRE(state["resources"].size() == 1);
  const json& r = state["resources"][0];
  for (const char* key :
       {"name", "node_id", "port", "secret", "peer_slots", "diskless", "tie_breaker", "protocol",
        "quorum", "on_no_quorum", "after_sb_0pri", "after_sb_1pri", "after_sb_2pri",
        "allow_two_primaries", "options", "volumes", "nodes", "nbd", "snapshots", "day0_uuid"}) {
    CHECK_MESSAGE(r.contains(key), key);
  }
  CHECK(r["secret"] == "topsecret");
  CHECK(r["volumes"][0]["kind"] == "FILE_THIN");
  CHECK(r["volumes"][0]["pool_source"] == "/srv/pool1");
  CHECK(r["nodes"].size() == 2);
  CHECK(r["nodes"][1]["address"] == "127.0.0.3");
  CHECK(r["nbd"]["export_name"] == "res1");
}

TEST_CASE("status reports fill pool capacities and resource states, absence clears them") {
  cl::cluster c = two_node_cluster();
  const json status = json::parse(R"({
    "type":"status",
    "pools":[{"name":"pool1","free_capacity_kib":1000,"total_capacity_kib":2000,"error":""},
             {"name":"unknown-pool","free_capacity_kib":1,"total_capacity_kib":1}],
    "resources":[{"name":"RES1","role":"Primary","in_use":true,"connections":{"beta":true},
      "volumes":[{"number":0,"disk_state":"UpToDate","allocated_kib":1048840,
        "peers":{"beta":{"replication_state":"SyncSource","done_percentage":42.5,
                         "out_of_sync_bytes":4096}}}]}]})");
  const bool day0_before =
      c.find_resource("res1", "alpha")->properties.contains(std::string(cl::kDay0Property));
  CHECK(controller::apply_status(c, "alpha", status, 5000));
  CHECK(c.find_pool("alpha", "pool1")->free_capacity_kib == 1000u);
  const cl::resource* rsc = c.find_resource("res1", "alpha");
  // Reported up once: the replica leaves day 0, its peer (not reported yet) keeps it.
  CHECK(day0_before);
  CHECK_FALSE(rsc->properties.contains(std::string(cl::kDay0Property)));
  CHECK(c.find_resource("res1", "beta")->properties.contains(std::string(cl::kDay0Property)));
  REQUIRE(rsc->reported.has_value());
  CHECK(rsc->reported->role == "Primary");
  CHECK(rsc->reported->primary_since_ms == 5000u);
  REQUIRE(rsc->volumes[0].reported.has_value());
  CHECK(rsc->volumes[0].reported->disk_state == "UpToDate");
  CHECK(rsc->volumes[0].reported->peers.at("beta").done_percentage == doctest::Approx(42.5));
  // The same capacities again change nothing persistent; Primary-since is kept.
  CHECK_FALSE(controller::apply_status(c, "alpha", status, 9000));
  CHECK(c.find_resource("res1", "alpha")->reported->primary_since_ms == 5000u);
  // A report without the resource forgets its state.
  CHECK_FALSE(controller::apply_status(c, "alpha", json::parse(R"({"type":"status"})"), 9000));
  CHECK_FALSE(c.find_resource("res1", "alpha")->reported.has_value());
  controller::apply_status(c, "alpha", status, 5000);
  controller::clear_reports(c, "alpha");
  CHECK_FALSE(c.find_resource("res1", "alpha")->reported.has_value());
}

TEST_CASE("malformed status reports name the field") {
  cl::cluster c = two_node_cluster();
  try {
    controller::apply_status(
        c, "alpha", json::parse(R"({"pools":[{"name":"pool1","free_capacity_kib":"lots"}]})"), 0);
    FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("free_capacity_kib") != std::string::npos);
  }
}

TEST_CASE("applied errors become the reports of the volumes they name, the next applied clears them") {
  cl::cluster c = two_node_cluster();
  controller::apply_applied(c, "alpha", json::parse(R"({"type":"applied","generation":3,"ok":false,
    "errors":[{"resource":"res1","volume":0,"message":"pool1: /srv/pool1 does not exist"},
              {"resource":"","message":"tandemd at /run/tandem/tandemd.sock is not reachable"},
              {"resource":"no-such-resource","message":"ignored"},
              "not an object"]})"));
  const cl::resource* alpha = c.find_resource("res1", "alpha");
  REQUIRE(alpha->volumes.size() == 1);
  CHECK(alpha->volumes[0].apply_errors ==
        std::vector<std::string>{"pool1: /srv/pool1 does not exist"});
  CHECK(c.find_resource("res1", "beta")->volumes[0].apply_errors.empty());
  // An error without a volume concerns every volume of the resource.
  controller::apply_applied(c, "alpha", json::parse(R"({"type":"applied","ok":false,
    "errors":[{"resource":"res1","message":"adjust: refused"}]})"));
  CHECK(c.find_resource("res1", "alpha")->volumes[0].apply_errors ==
        std::vector<std::string>{"adjust: refused"});
  controller::apply_applied(c, "alpha", json::parse(R"({"type":"applied","ok":true,"errors":[]})"));
  CHECK(c.find_resource("res1", "alpha")->volumes[0].apply_errors.empty());
}
