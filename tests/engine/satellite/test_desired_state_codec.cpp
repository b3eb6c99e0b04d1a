// The satellite decodes exactly what the controller encodes, full states and deltas, and names
// the field of bad input.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "engine/controller/satellite_messages.h"
#include "engine/satellite/desired_state_codec.h"
#include "tests/core/cluster/desired_state_samples.h"

using namespace tandem;
using nlohmann::json;

namespace {

cluster::node_desired_state sample_state() {
  cluster::node_desired_state s;
  s.node_name = "alpha";
  s.nbd_address = "127.0.0.2";
  s.nbd_port = 10900;
  s.pools.push_back({"DfltDisklessStorPool", cluster::pool_kind::diskless, "", {}});
  s.pools.push_back({"pool1", cluster::pool_kind::file_thin, "/srv/pool1",
                     {{"StorDriver/StorPoolName", "/srv/pool1"}}});
  cluster::desired_resource r;
  r.name = "vm-100-disk-1";
  r.node_id = 1;
  r.port = 7001;
  r.secret = "c2VjcmV0";
  r.peer_slots = 7;
  r.protocol = "B";
  r.quorum = "majority";
  r.on_no_quorum = "suspend-io";
  r.after_sb_0pri = "discard-zero-changes";
  r.allow_two_primaries = true;
  r.options = {{"Resource/quorum", "majority"}, {"Disk/al-extents", "6007"}};
  r.volumes.push_back({0, 1000, 1048576, 1048576, 1048840, "pool1", cluster::pool_kind::file_thin,
                       "/srv/pool1", "old/snap1"});
  r.nodes.push_back({"alpha", 1, "127.0.0.2", 7001, false, false});
  r.nodes.push_back({"gamma", 2, "127.0.0.4", 7001, true, true});
  r.nbd = {true, "127.0.0.2", 10900, "vm-100-disk-1"};
  r.snapshots = {"snap1", "snap2"};
  r.day0_uuid = "00c0ffee12345678";
  s.resources.push_back(r);
  return s;
}

std::string decode_error(const json& message) {
  auto decoded = satellite::decode_desired_state(message);
  auto* why = std::get_if<std::string>(&decoded);
  return why == nullptr ? std::string("(decoded)") : *why;
}

}  // namespace

TEST_CASE("satellite decodes the controller's desired state field for field") {
  const cluster::node_desired_state original = sample_state();
  const json message = controller::desired_state_message(original, 42);
  auto decoded = satellite::decode_desired_state(json::parse(message.dump()));
  REQUIRE(std::holds_alternative<satellite::decoded_state>(decoded));
  const auto& got = std::get<satellite::decoded_state>(decoded);
  CHECK(got.generation == 42u);
  CHECK(got.state == original);
}

TEST_CASE("missing optional fields take the protocol defaults, unknown ones are ignored") {
  const json message = json::parse(R"({"type":"desired_state","generation":1,"node_name":"a",
    "future_field":{"x":1},
    "resources":[{"name":"r","node_id":0,"port":7000,"secret":"s","surprise":true}]})");
  auto decoded = satellite::decode_desired_state(message);
  REQUIRE(std::holds_alternative<satellite::decoded_state>(decoded));
  const auto& r = std::get<satellite::decoded_state>(decoded).state.resources.at(0);
  CHECK(r.protocol == "C");
  CHECK(r.peer_slots == 7u);
  CHECK(r.on_no_quorum == "io-error");
  CHECK(r.volumes.empty());
  CHECK(r.day0_uuid.empty());
}

TEST_CASE("bad desired states are errors naming the field") {
  json good = controller::desired_state_message(sample_state(), 1);
  auto with = [&](auto change) {
    json m = good;
    change(m);
    return decode_error(m);
  };
  CHECK(decode_error(json::array()) == "message: expected an object");
  CHECK(with([](json& m) { m.erase("generation"); }) == "generation: missing");
  CHECK(with([](json& m) { m["resources"][0]["volumes"][0]["size_kib"] = -5; }) ==
        "resources[0].volumes[0].size_kib: expected an unsigned integer");
  CHECK(with([](json& m) { m["resources"][0]["node_id"] = 32; }) ==
        "resources[0].node_id: 32 is larger than 31");
  CHECK(with([](json& m) { m["pools"][1]["kind"] = "TAPE"; }) ==
        "pools[1].kind: unknown storage pool kind 'TAPE'");
  CHECK(with([](json& m) { m["resources"][0]["nodes"][1]["port"] = "7000"; }) ==
        "resources[0].nodes[1].port: expected an unsigned integer");
  CHECK(with([](json& m) { m["resources"][0]["day0_uuid"] = "xyz"; }) ==
        "resources[0].day0_uuid: expected up to 16 hex digits");
  CHECK(with([](json& m) { m["resources"][0]["options"]["Disk/al-extents"] = 5; }) ==
        "resources[0].options.Disk/al-extents: expected a string");
  CHECK(with([](json& m) { m["resources"] = "none"; }) == "resources: expected an array");
}

TEST_CASE("satellite decodes the controller's deltas field for field, random ones too") {
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    CAPTURE(seed);
    cluster::testing::random_states random(seed);
    const cluster::node_desired_state before = random.state();
    const cluster::desired_state_delta original =
        cluster::diff_desired_states(before, random.next(before));
    const json message = controller::desired_state_delta_message(original, 6, 7);
    auto decoded = satellite::decode_desired_state_delta(json::parse(message.dump()));
    REQUIRE(std::holds_alternative<satellite::decoded_delta>(decoded));
    const auto& got = std::get<satellite::decoded_delta>(decoded);
    CHECK(got.base_generation == 6u);
    CHECK(got.generation == 7u);
    CHECK(got.delta == original);
  }
}

TEST_CASE("bad deltas are errors naming the field") {
  cluster::desired_state_delta delta;
  delta.changed_resources = sample_state().resources;
  delta.removed_resources = {"old"};
  const json good = controller::desired_state_delta_message(delta, 1, 2);
  auto error_with = [&](auto change) {
    json m = good;
    change(m);
    auto decoded = satellite::decode_desired_state_delta(m);
    auto* why = std::get_if<std::string>(&decoded);
    return why == nullptr ? std::string("(decoded)") : *why;
  };
  CHECK(error_with([](json&) {}) == "(decoded)");
  CHECK(error_with([](json& m) { m.erase("base_generation"); }) == "base_generation: missing");
  CHECK(error_with([](json& m) { m["type"] = "desired_state"; }) ==
        "type: expected 'desired_state_delta'");
  CHECK(error_with([](json& m) { m["removed_resources"] = json::array({1}); }) ==
        "removed_resources[0]: expected a string");
  CHECK(error_with([](json& m) { m["resources"][0]["node_id"] = 40; }) ==
        "resources[0].node_id: 40 is larger than 31");
  CHECK(error_with([](json& m) {
          m["nbd"] = {{"port", 70000}};
        }) == "nbd.port: 70000 is larger than 65535");
}
