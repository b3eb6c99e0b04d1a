#include <doctest/doctest.h>

#include "cluster_fixture.h"
#include "core/cluster/allocation.h"
#include "core/cluster/props.h"
#include "core/cluster/sizes.h"

using namespace tandem::cluster;
using namespace tandem::cluster::testing;

TEST_CASE("names are case-insensitive, validated, and displayed as created") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "Alpha", "127.0.0.2");
  CHECK(c.find_node("alpha") != nullptr);
  CHECK(c.find_node("ALPHA")->name == "Alpha");
  node dup;
  dup.name = "ALPHA";
  dup.net_interfaces.push_back({"default", "127.0.0.9", 3366, "PLAIN", true});
  auto rcs = create_node(c, env, dup);
  REQUIRE(rcs.size() == 1);
  CHECK(rcs[0].ret_code == (rc::kMaskError | rc::kCreate | rc::kNode | rc::kFailExistsNode));
  CHECK(static_cast<std::int64_t>(rcs[0].ret_code) < 0);  // errors are negative in JSON
  node bad;
  bad.name = "1bad name";
  bad.net_interfaces.push_back({"default", "127.0.0.9", 3366, "PLAIN", true});
  rcs = create_node(c, env, bad);
  CHECK(mentions(rcs[0].message, "must start with a letter"));
  bad.name = "ok-name";
  bad.net_interfaces[0].address = "not an address";
  rcs = create_node(c, env, bad);
  CHECK((rcs[0].ret_code & rc::kCodeMask) == rc::kFailInvalidNetAddress);
}

TEST_CASE("a successful node create is LINSTOR's 0x13C0001 and brings the diskless pool") {
  cluster c = initial_cluster();
  op_env env = test_env();
  node n;
  n.name = "alpha";
  n.net_interfaces.push_back({"", "127.0.0.2", 3366, "PLAIN", false});
  auto rcs = create_node(c, env, n);
  REQUIRE(rcs.size() == 1);
  CHECK(rcs[0].ret_code == 0x13C0001);
  CHECK(c.find_node("alpha")->net_interfaces[0].name == "default");
  CHECK(c.find_node("alpha")->net_interfaces[0].is_active);
  CHECK(c.find_pool("alpha", "DfltDisklessStorPool") != nullptr);
}

TEST_CASE("property keys outside the accepted namespaces and bad values are refused") {
  CHECK(check_property("Aux/site", "dc1").empty());
  CHECK(check_property("DrbdOptions/Resource/quorum", "majority").empty());
  CHECK(mentions(check_property("Bogus", "x"), "not whitelisted"));
  CHECK(mentions(check_property("DrbdOptions/Resource/quorum", "sometimes"), "sometimes"));
  CHECK(mentions(check_property("DrbdOptions/auto-diskful", "ten"), "whole number"));
  cluster c = initial_cluster();
  props_change change;
  change.override_props["Nope/x"] = "1";
  auto rcs = modify_controller_props(c, change);
  CHECK((rcs[0].ret_code & rc::kCodeMask) == rc::kFailInvalidProperty);
}

TEST_CASE("properties inherit controller -> group -> definition -> resource, closest wins") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "alpha", "127.0.0.2");
  add_definition(c, env, "res1");
  c.controller_properties["Aux/level"] = "controller";
  c.controller_properties["Aux/only-ctrl"] = "yes";
  c.find_group("DfltRscGrp")->properties["Aux/level"] = "group";
  c.find_definition("res1")->properties["Aux/level"] = "definition";
  REQUIRE_FALSE(
      has_error(create_resources(c, env, "res1", {{"alpha", 0, {{"StorPoolName", "pool1"}}, {}}})));
  resource* rsc = c.find_resource("res1", "alpha");
  REQUIRE(rsc != nullptr);
  CHECK(effective_resource_props(c, *rsc).at("Aux/level") == "definition");
  rsc->properties["Aux/level"] = "resource";
  CHECK(effective_resource_props(c, *rsc).at("Aux/level") == "resource");
  CHECK(effective_resource_props(c, *rsc).at("Aux/only-ctrl") == "yes");
  CHECK(definition_prop(c, *c.find_definition("res1"), "Aux/level") == "definition");
}

TEST_CASE("LVM rounds to 4 MiB extents: 1 GiB -> 1052672 KiB LV -> 1052408 KiB usable") {
  storage_pool lvm;
  lvm.kind = pool_kind::lvm;
  auto plan = plan_volume_size(1048576, lvm, 7);
  REQUIRE(plan.ok());
  CHECK(plan.value().gross_kib == 1048840);
  CHECK(plan.value().allocated_kib == 1052672);
  CHECK(plan.value().usable_kib == 1052408);
  storage_pool zfs;
  zfs.kind = pool_kind::zfs;
  CHECK(plan_volume_size(1048576, zfs, 7).value().allocated_kib == 1048840);
  storage_pool diskless;
  CHECK(plan_volume_size(1048576, diskless, 7).value() == volume_size_plan{0, 0, 1048576});
  // The satellite's measured extent size wins over the kind's default.
  lvm.properties["StorDriver/internal/AllocationGranularity"] = "32768";
  CHECK(plan_volume_size(1048576, lvm, 7).value().allocated_kib == 1081344);
  CHECK(mentions(plan_volume_size(0, lvm, 7).message(), "outside"));
}

TEST_CASE("ports, minors and node ids take the lowest free number and are reused") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "alpha", "127.0.0.2");
  add_node(c, env, "beta", "127.0.0.3");
  add_definition(c, env, "res1");
  add_definition(c, env, "res2");
  CHECK(c.find_definition("res1")->port == 7000);
  CHECK(c.find_definition("res2")->port == 7001);
  CHECK(c.find_definition("res1")->volumes[0].minor == 1000);
  CHECK(c.find_definition("res2")->volumes[0].minor == 1001);
  CHECK(c.find_definition("res1")->secret == "secret-1");
  create_resources(c, env, "res1",
                   {{"alpha", 0, {{"StorPoolName", "pool1"}}, {}},
                    {"beta", 0, {{"StorPoolName", "pool1"}}, {}}});
  CHECK(c.find_resource("res1", "alpha")->node_id == 0);
  CHECK(c.find_resource("res1", "beta")->node_id == 1);
  delete_resource_definition(c, "res1");
  CHECK(allocate_port(c) == 7000);
  CHECK(allocate_minor(c) == 1000);
  for (std::uint32_t port = 7000; port <= 7999; ++port) {
    resource_definition rd;
    rd.name = "p" + std::to_string(port);
    rd.port = static_cast<std::uint16_t>(port);
    c.definitions[rd.name] = rd;
  }
  CHECK_FALSE(allocate_port(c).has_value());
  definition_request more;
  more.name = "one-too-many";
  auto rcs = create_resource_definition(c, env, more);
  CHECK((rcs[0].ret_code & rc::kCodeMask) == rc::kFailPoolExhaustedTcpPort);
}

TEST_CASE("TcpPortAutoRange widens the replication port pool, as LINSTOR's controller property") {
  CHECK(parse_port_range("7000-17999").has_value());
  CHECK(parse_port_range("8000-8000").has_value());
  for (const char* bad : {"", "7000", "7000-", "-7999", "8000-7000", "0-10", "7000-65536",
                          "7000-79x9", " 7000-7999", "7000:7999"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_port_range(bad).has_value());
    CHECK(mentions(check_property("TcpPortAutoRange", bad), "port range"));
  }
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "alpha", "127.0.0.2");
  add_definition(c, env, "before");  // keeps its port when the range moves
  CHECK(c.find_definition("before")->port == 7000);

  props_change change;
  change.override_props["TcpPortAutoRange"] = "9000-9001";
  REQUIRE((modify_controller_props(c, change)[0].ret_code & rc::kCodeMask) == rc::kModified);
  add_definition(c, env, "first");
  add_definition(c, env, "second");
  CHECK(c.find_definition("before")->port == 7000);
  CHECK(c.find_definition("first")->port == 9000);
  CHECK(c.find_definition("second")->port == 9001);
  definition_request full;
  full.name = "third";
  auto rcs = create_resource_definition(c, env, full);
  CHECK((rcs[0].ret_code & rc::kCodeMask) == rc::kFailPoolExhaustedTcpPort);
  CHECK(mentions(rcs[0].message, "9000..9001"));
  definition_request outside;
  outside.name = "outside";
  outside.port = 7001;
  rcs = create_resource_definition(c, env, outside);
  CHECK((rcs[0].ret_code & rc::kCodeMask) == rc::kFailInvalidNetPort);

  props_change malformed;
  malformed.override_props["TcpPortAutoRange"] = "lots";
  rcs = modify_controller_props(c, malformed);
  CHECK((rcs[0].ret_code & rc::kCodeMask) == rc::kFailInvalidProperty);
  CHECK(c.controller_properties.at("TcpPortAutoRange") == "9000-9001");
}

TEST_CASE("resources get volumes sized for their pool and missing pools are named") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "alpha", "127.0.0.2", pool_kind::lvm);
  add_definition(c, env, "res1");
  auto rcs = create_resources(c, env, "res1", {{"alpha", 0, {}, {}}});
  CHECK(mentions(all_messages(rcs), "Storage pool 'DfltStorPool' not found on node 'alpha'"));
  CHECK(c.find_resource("res1", "alpha") == nullptr);
  rcs = create_resources(c, env, "res1", {{"alpha", 0, {{"StorPoolName", "pool1"}}, {}}});
  REQUIRE_FALSE(has_error(rcs));
  const resource* rsc = c.find_resource("res1", "alpha");
  REQUIRE(rsc->volumes.size() == 1);
  CHECK(rsc->volumes[0].allocated_kib == 1052672);
  CHECK(rsc->volumes[0].usable_kib == 1052408);
  // Growing the volume definition grows every volume; shrinking is refused.
  CHECK_FALSE(has_error(modify_volume_definition(c, env, "res1", 0, 2097152, {})));
  CHECK(c.find_resource("res1", "alpha")->volumes[0].allocated_kib == 2101248);
  rcs = modify_volume_definition(c, env, "res1", 0, 1048576, {});
  CHECK(mentions(all_messages(rcs), "Shrinking"));
}

TEST_CASE("deletes refuse to orphan data: node with resources, pool with volumes, group in use") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "alpha", "127.0.0.2");
  add_definition(c, env, "res1");
  create_resources(c, env, "res1", {{"alpha", 0, {{"StorPoolName", "pool1"}}, {}}});
  CHECK((delete_node(c, "alpha")[0].ret_code & rc::kCodeMask) == rc::kFailInUse);
  CHECK((delete_storage_pool(c, "alpha", "pool1")[0].ret_code & rc::kCodeMask) == rc::kFailInUse);
  CHECK((delete_resource_group(c, "DfltRscGrp")[0].ret_code & rc::kCodeMask) == rc::kFailInUse);
  CHECK((delete_node(c, "nope")[0].ret_code & rc::kCodeMask) == rc::kFailNotFoundNode);
  // node lost removes everything on the node.
  CHECK_FALSE(has_error(lose_node(c, env, "alpha")));
  CHECK(c.find_resource("res1", "alpha") == nullptr);
  CHECK(c.find_pool("alpha", "pool1") == nullptr);
}

TEST_CASE("snapshots need pools that have them and a free name") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "alpha", "127.0.0.2", pool_kind::lvm);
  add_node(c, env, "beta", "127.0.0.3", pool_kind::file_thin);
  add_definition(c, env, "res1");
  create_resources(c, env, "res1", {{"alpha", 0, {{"StorPoolName", "pool1"}}, {}}});
  auto rcs = create_snapshot(c, env, "res1", "snap1", {});
  CHECK((rcs[0].ret_code & rc::kCodeMask) == rc::kFailSnapshotsNotSupported);
  CHECK(mentions(rcs[0].message, "LVM"));
  add_definition(c, env, "res2");
  create_resources(c, env, "res2", {{"beta", 0, {{"StorPoolName", "pool1"}}, {}}});
  CHECK_FALSE(has_error(create_snapshot(c, env, "res2", "snap1", {})));
  CHECK((create_snapshot(c, env, "res2", "snap1", {})[0].ret_code & rc::kCodeMask) ==
        rc::kFailExistsSnapshot);
  CHECK((delete_resource_definition(c, "res2")[0].ret_code & rc::kCodeMask) == rc::kFailInUse);
  // Restore into a new definition on the same node.
  definition_request target;
  target.name = "res3";
  create_resource_definition(c, env, target);
  CHECK_FALSE(has_error(restore_snapshot_volume_definitions(c, env, "res2", "snap1", "res3")));
  CHECK(c.find_definition("res3")->volumes.size() == 1);
  CHECK_FALSE(has_error(restore_snapshot_resources(c, env, "res2", "snap1", "res3", {})));
  CHECK(c.find_resource("res3", "beta")->volumes[0].properties.at("Restore/FromSnapshot") ==
        "res2/snap1");
  CHECK_FALSE(has_error(delete_snapshot(c, "res2", "snap1")));
}
