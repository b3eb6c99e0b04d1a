#include <doctest/doctest.h>

#include "cluster_fixture.h"
#include "core/cluster/automation.h"
#include "core/cluster/autoplacer.h"
#include "core/cluster/desired_state.h"

using namespace tandem::cluster;
using namespace tandem::cluster::testing;

namespace {

placement_request request_for(const std::string& rd, std::uint32_t count) {
  placement_request req;
  req.definition = rd;
  req.count = count;
  req.volume_sizes_kib = {1048576};
  return req;
}

}  // namespace

TEST_CASE("autoplacer prefers free space, one replica per node") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "alpha", "127.0.0.2", pool_kind::lvm, 10ULL << 20);
  add_node(c, env, "beta", "127.0.0.3", pool_kind::lvm, 30ULL << 20);
  add_node(c, env, "gamma", "127.0.0.4", pool_kind::lvm, 20ULL << 20);
  add_definition(c, env, "res1");
  placement_result r = autoplace(c, request_for("res1", 2));
  REQUIRE(r.ok);
  CHECK(r.chosen == std::vector<pool_choice>{{"beta", "pool1"}, {"gamma", "pool1"}});
}

TEST_CASE("autoplacer names the rule that rejected each pool") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "alpha", "127.0.0.2", pool_kind::lvm, 100);  // too small
  add_node(c, env, "beta", "127.0.0.3", pool_kind::lvm);
  add_node(c, env, "gamma", "127.0.0.4", pool_kind::lvm);
  add_node(c, env, "delta", "127.0.0.5", pool_kind::lvm);
  c.find_node("gamma")->connection = connection_status::offline;
  c.find_node("delta")->properties["AutoplaceTarget"] = "false";
  add_definition(c, env, "res1");
  placement_result r = autoplace(c, request_for("res1", 2));
  CHECK_FALSE(r.ok);
  CHECK(mentions(r.message, "Not enough available nodes"));
  CHECK(mentions(r.message, "alpha/pool1: needs 1052672 KiB, free 100 KiB"));
  CHECK(mentions(r.message, "gamma: satellite is OFFLINE"));
  CHECK(mentions(r.message, "delta: AutoplaceTarget is false"));
  CHECK(mentions(r.message, "alpha/DfltDisklessStorPool: diskless pool"));
  // Filters: storage pool list, provider list, node list.
  placement_request req = request_for("res1", 1);
  req.filter.storage_pool_list = {"other"};
  CHECK(mentions(autoplace(c, req).message, "beta/pool1: not in storage_pool_list"));
  req = request_for("res1", 1);
  req.filter.provider_list = {pool_kind::zfs};
  CHECK(mentions(autoplace(c, req).message, "provider LVM not in provider_list"));
  req = request_for("res1", 1);
  req.filter.node_name_list = {"alpha"};
  CHECK(mentions(autoplace(c, req).message, "beta: not in node_name_list"));
}

TEST_CASE("autoplacer: thin pools oversubscribe, not_place_with_rsc, already placed nodes") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "alpha", "127.0.0.2", pool_kind::lvm_thin, 100ULL << 10);  // 100 MiB free
  add_node(c, env, "beta", "127.0.0.3", pool_kind::lvm, 100ULL << 20);
  add_definition(c, env, "res1");  // 1 GiB: fits alpha only x20
  add_definition(c, env, "other");
  create_resources(c, env, "other", {{"beta", 0, {{"StorPoolName", "pool1"}}, {}}});
  placement_result r = autoplace(c, request_for("res1", 2));
  CHECK(r.ok);
  placement_request req = request_for("res1", 1);
  req.filter.not_place_with_rsc = {"other"};
  r = autoplace(c, req);
  REQUIRE(r.ok);
  CHECK(r.chosen[0].node_name == "alpha");
  c.find_pool("alpha", "pool1")->properties["MaxOversubscriptionRatio"] = "1.0";
  CHECK(mentions(autoplace(c, req).message, "thin, before oversubscription"));
  // A node that already has the resource is skipped.
  create_resources(c, env, "res1", {{"beta", 0, {{"StorPoolName", "pool1"}}, {}}});
  CHECK(mentions(autoplace(c, request_for("res1", 2)).message, "already has a resource"));
}

TEST_CASE("autoplacer honours replicas_on_same and replicas_on_different") {
  cluster c = initial_cluster();
  op_env env = test_env();
  const char* sites[] = {"dc1", "dc1", "dc2", "dc2", "dc3"};
  for (int i = 0; i < 5; ++i) {
    const std::string name = "n" + std::to_string(i);
    // n4 has the most space, then n3...
    add_node(c, env, name, "127.0.0." + std::to_string(10 + i), pool_kind::lvm, (10ULL + i) << 20);
    c.find_node(name)->properties["Aux/site"] = sites[i];
  }
  add_definition(c, env, "res1");
  placement_request same = request_for("res1", 2);
  same.filter.replicas_on_same = {"Aux/site"};
  placement_result r = autoplace(c, same);
  REQUIRE(r.ok);
  CHECK(r.chosen == std::vector<pool_choice>{{"n3", "pool1"}, {"n2", "pool1"}});  // both dc2
  same.filter.replicas_on_same = {"Aux/site=dc1"};
  r = autoplace(c, same);
  REQUIRE(r.ok);
  CHECK(r.chosen == std::vector<pool_choice>{{"n1", "pool1"}, {"n0", "pool1"}});
  placement_request different = request_for("res1", 3);
  different.filter.replicas_on_different = {"Aux/site"};
  r = autoplace(c, different);
  REQUIRE(r.ok);
  CHECK(r.chosen == std::vector<pool_choice>{{"n4", "pool1"}, {"n3", "pool1"}, {"n1", "pool1"}});
  different.count = 4;  // only three sites
  r = autoplace(c, different);
  CHECK_FALSE(r.ok);
  CHECK(mentions(r.message, "no combination"));
  placement_request x = request_for("res1", 4);
  x.filter.x_replicas_on_different = {{"Aux/site", 2}};
  r = autoplace(c, x);
  REQUIRE(r.ok);
  CHECK(r.chosen.size() == 4);
}

TEST_CASE("tie-breaker: 2 diskful -> one on a third node, 3 diskful -> removed") {
  cluster c = initial_cluster();
  op_env env = test_env();
  for (int i = 0; i < 4; ++i) {
    add_node(c, env, "n" + std::to_string(i), "127.0.0." + std::to_string(10 + i));
  }
  add_definition(c, env, "res1");
  c.find_group("DfltRscGrp")->properties["StorPoolName"] = "pool1";
  auto rcs = create_resources(c, env, "res1", {{"n0", 0, {}, {}}, {"n1", 0, {}, {}}});
  REQUIRE_FALSE(has_error(rcs));
  CHECK(mentions(all_messages(rcs), "Tie breaker resource 'res1' created"));
  replica_counts counts = count_replicas(c, "res1");
  CHECK(counts.diskful == 2);
  CHECK(counts.tie_breakers == 1);
  // Auto-quorum sees 2 diskful + 1 diskless voter: majority.
  CHECK(c.find_definition("res1")->properties.at("DrbdOptions/Resource/quorum") == "majority");
  const resource* tb = nullptr;
  for (const resource* rsc : c.resources_of("res1")) {
    if (rsc->is_tie_breaker()) tb = rsc;
  }
  REQUIRE(tb != nullptr);
  CHECK(resource_flag_names(tb->flags) ==
        std::vector<std::string>{"DISKLESS", "DRBD_DISKLESS", "TIE_BREAKER"});
  // A third diskful replica (on a fourth node) makes the tie-breaker unnecessary.
  const std::string tb_node = tb->node_name;
  const std::string fourth = tb_node == "n2" ? "n3" : "n2";
  rcs = create_resources(c, env, "res1", {{fourth, 0, {}, {}}});
  CHECK(mentions(all_messages(rcs), "no longer needed"));
  CHECK(count_replicas(c, "res1").tie_breakers == 0);
  CHECK(c.find_resource("res1", tb_node) == nullptr);
  // Quorum stays majority with 3 diskful.
  CHECK(c.find_definition("res1")->properties.at("DrbdOptions/Resource/quorum") == "majority");
}

TEST_CASE("tie-breaker: an ordinary diskless already votes and deleting a TB turns it off") {
  cluster c = initial_cluster();
  op_env env = test_env();
  for (int i = 0; i < 3; ++i) {
    add_node(c, env, "n" + std::to_string(i), "127.0.0." + std::to_string(10 + i));
  }
  add_definition(c, env, "res1");
  c.find_group("DfltRscGrp")->properties["StorPoolName"] = "pool1";
  create_resources(
      c, env, "res1",
      {{"n0", 0, {}, {}}, {"n1", 0, {}, {}}, {"n2", resource_flag::kDrbdDiskless, {}, {}}});
  CHECK(count_replicas(c, "res1").tie_breakers == 0);
  CHECK(count_replicas(c, "res1").diskless == 1);
  // keep_tiebreaker converts the diskless into the tie-breaker instead of deleting it.
  auto rcs = delete_resource(c, env, "res1", "n2", true);
  CHECK(mentions(all_messages(rcs), "taken over"));
  CHECK(c.find_resource("res1", "n2")->is_tie_breaker());
  // Deleting the tie-breaker itself disables the automation for this definition.
  rcs = delete_resource(c, env, "res1", "n2", false);
  CHECK_FALSE(has_error(rcs));
  CHECK(c.find_resource("res1", "n2") == nullptr);
  CHECK(c.find_definition("res1")->properties.at("DrbdOptions/auto-add-quorum-tiebreaker") ==
        "False");
  CHECK(c.find_definition("res1")->properties.at("DrbdOptions/Resource/quorum") == "off");
}

TEST_CASE("tie-breaker without a third node gives a warning, not an error") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "n0", "127.0.0.10");
  add_node(c, env, "n1", "127.0.0.11");
  add_definition(c, env, "res1");
  c.find_group("DfltRscGrp")->properties["StorPoolName"] = "pool1";
  auto rcs = create_resources(c, env, "res1", {{"n0", 0, {}, {}}, {"n1", 0, {}, {}}});
  CHECK_FALSE(has_error(rcs));
  bool warned = false;
  for (const api_call_rc& r : rcs) {
    if ((r.ret_code & rc::kCodeMask) == rc::kWarnNotEnoughNodesForTieBreaker) {
      warned = rc::is_warning(r.ret_code);
    }
  }
  CHECK(warned);
  CHECK(c.find_definition("res1")->properties.at("DrbdOptions/Resource/quorum") == "off");
}

TEST_CASE("auto-quorum leaves a user's quorum alone") {
  cluster c = initial_cluster();
  op_env env = test_env();
  for (int i = 0; i < 3; ++i)
    add_node(c, env, "n" + std::to_string(i), "127.0.0.1" + std::to_string(i));
  add_definition(c, env, "res1");
  props_change change;
  change.override_props["DrbdOptions/Resource/quorum"] = "all";
  modify_resource_definition(c, env, "res1", change, std::nullopt);
  CHECK(quorum_set_by_user(c, *c.find_definition("res1")));
  c.find_group("DfltRscGrp")->properties["StorPoolName"] = "pool1";
  create_resources(c, env, "res1", {{"n0", 0, {}, {}}, {"n1", 0, {}, {}}, {"n2", 0, {}, {}}});
  CHECK(c.find_definition("res1")->properties.at("DrbdOptions/Resource/quorum") == "all");
  CHECK_FALSE(auto_quorum_value(c, *c.find_definition("res1")).has_value());
  // quorum=all is not majority: no tie-breaker automation either.
  CHECK_FALSE(tie_breaker_enabled(c, *c.find_definition("res1")));
}

TEST_CASE("auto-diskful: a diskless Primary for long enough becomes diskful") {
  cluster c = initial_cluster();
  op_env env = test_env();
  for (int i = 0; i < 3; ++i)
    add_node(c, env, "n" + std::to_string(i), "127.0.0.1" + std::to_string(i));
  add_definition(c, env, "res1");
  c.find_group("DfltRscGrp")->properties["StorPoolName"] = "pool1";
  create_resources(
      c, env, "res1",
      {{"n0", 0, {}, {}}, {"n1", 0, {}, {}}, {"n2", resource_flag::kDrbdDiskless, {}, {}}});
  resource* client = c.find_resource("res1", "n2");
  client->reported = resource_report{"Primary", true, {}, env.now_ms, {}};
  CHECK(auto_diskful_due(c, env.now_ms + 3'600'000).empty());  // not configured
  c.find_node("n2")->properties["DrbdOptions/auto-diskful"] = "5";
  CHECK(auto_diskful_minutes(c, *client) == 5);
  CHECK(auto_diskful_due(c, env.now_ms + 4 * 60'000).empty());
  op_env later = env;
  later.now_ms = env.now_ms + 5 * 60'000;
  CHECK(auto_diskful_due(c, later.now_ms).size() == 1);
  auto rcs = run_auto_diskful(c, later);
  CHECK_FALSE(has_error(rcs));
  CHECK_FALSE(c.find_resource("res1", "n2")->is_diskless());
  CHECK(c.find_resource("res1", "n2")->properties.at("DiskfulBy") == "auto-diskful");
  // Nothing is cleaned up before the new replica is UpToDate.
  CHECK(count_replicas(c, "res1").diskful == 3);
  REQUIRE(auto_diskful_cleanup(c).empty());
  for (const char* name : {"n0", "n1", "n2"}) {
    resource* rsc = c.find_resource("res1", name);
    rsc->reported = resource_report{"Secondary", false, {}, std::nullopt, {}};
    rsc->volumes[0].reported = volume_report{"UpToDate", {}, std::nullopt, std::nullopt};
  }
  c.find_resource("res1", "n0")->reported->in_use = true;  // in use: never removed
  const auto decisions = auto_diskful_cleanup(c);
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].settled_node == "n2");
  CHECK(decisions[0].remove_node == "n1");
  rcs = run_auto_diskful(c, later);
  CHECK(mentions(all_messages(rcs), "auto-diskful cleanup"));
  CHECK(count_replicas(c, "res1").diskful == 2);
  // Two diskful replicas left: n1, the only other node, comes back as their tie-breaker.
  REQUIRE(c.find_resource("res1", "n1") != nullptr);
  CHECK(c.find_resource("res1", "n1")->is_tie_breaker());
  CHECK_FALSE(c.find_resource("res1", "n2")->has(resource_flag::kAutoDiskful));
  CHECK(auto_diskful_cleanup(c).empty());
}

TEST_CASE("auto-diskful cleanup respects DiskfulBy and allow-cleanup") {
  cluster c = initial_cluster();
  op_env env = test_env();
  for (int i = 0; i < 3; ++i)
    add_node(c, env, "n" + std::to_string(i), "127.0.0.1" + std::to_string(i));
  add_definition(c, env, "res1");
  c.find_group("DfltRscGrp")->properties["StorPoolName"] = "pool1";
  create_resources(c, env, "res1", {{"n0", 0, {}, {}}, {"n1", 0, {}, {}}, {"n2", 0, {}, {}}});
  c.controller_properties["DrbdOptions/auto-diskful-allow-cleanup"] = "False";
  c.find_resource("res1", "n2")->flags |= resource_flag::kAutoDiskful;
  for (const char* name : {"n0", "n1", "n2"}) {
    resource* rsc = c.find_resource("res1", name);
    rsc->reported = resource_report{"Secondary", false, {}, std::nullopt, {}};
    rsc->volumes[0].reported = volume_report{"UpToDate", {}, std::nullopt, std::nullopt};
  }
  // Placed by the user and cleanup not allowed: the flag settles, nothing goes.
  auto decisions = auto_diskful_cleanup(c);
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].remove_node.empty());
  c.find_resource("res1", "n1")->properties["DiskfulBy"] = "make-available";
  decisions = auto_diskful_cleanup(c);
  CHECK(decisions[0].remove_node == "n1");
}

TEST_CASE("toggle-disk never removes the last disk") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "n0", "127.0.0.10");
  add_node(c, env, "n1", "127.0.0.11");
  add_definition(c, env, "res1");
  c.find_group("DfltRscGrp")->properties["StorPoolName"] = "pool1";
  create_resources(c, env, "res1", {{"n0", 0, {}, {}}});
  auto rcs = toggle_disk(c, env, "res1", "n0", false, std::nullopt);
  CHECK(mentions(all_messages(rcs), "last replica with a disk"));
  create_resources(c, env, "res1", {{"n1", resource_flag::kDrbdDiskless, {}, {}}});
  CHECK_FALSE(has_error(toggle_disk(c, env, "res1", "n1", true, std::string("pool1"))));
  CHECK(c.find_resource("res1", "n1")->volumes[0].allocated_kib == 1052672);
  CHECK_FALSE(has_error(toggle_disk(c, env, "res1", "n0", false, std::nullopt)));
  CHECK(c.find_resource("res1", "n0")->volumes[0].allocated_kib == 0);
}

TEST_CASE("spawn creates the definition, volumes and places place_count replicas") {
  cluster c = initial_cluster();
  op_env env = test_env();
  for (int i = 0; i < 3; ++i)
    add_node(c, env, "n" + std::to_string(i), "127.0.0.1" + std::to_string(i));
  resource_group rg;
  rg.name = "rg1";
  rg.filter.place_count = 2;
  rg.filter.storage_pool_list = {"pool1"};
  REQUIRE_FALSE(has_error(create_resource_group(c, env, rg)));
  spawn_request req;
  req.definition = "vm-1";
  req.volume_sizes_kib = {1048576};
  auto rcs = spawn(c, env, "rg1", req);
  REQUIRE_FALSE(has_error(rcs));
  const replica_counts counts = count_replicas(c, "vm-1");
  CHECK(counts.diskful == 2);
  CHECK(counts.tie_breakers == 1);
  // Without place_count only the definition is created.
  resource_group bare;
  bare.name = "bare";
  create_resource_group(c, env, bare);
  req.definition = "vm-2";
  rcs = spawn(c, env, "bare", req);
  CHECK(mentions(all_messages(rcs), "No autoplace configuration"));
  CHECK(c.resources_of("vm-2").empty());
  // Autoplace later reaches the requested count; asking for fewer than exist is an error.
  select_filter three;
  three.place_count = 3;
  CHECK_FALSE(has_error(autoplace_definition(c, env, "vm-2", three)));
  CHECK(count_replicas(c, "vm-2").diskful == 3);
  select_filter one;
  one.place_count = 1;
  CHECK(has_error(autoplace_definition(c, env, "vm-2", one)));
  // Raising the group's place_count reaches its placed definitions; too high only warns.
  select_filter three_in_group;
  three_in_group.place_count = 3;
  auto rcs2 = modify_resource_group(c, env, "rg1", std::nullopt, three_in_group, {});
  CHECK_FALSE(has_error(rcs2));
  CHECK(count_replicas(c, "vm-1").diskful == 3);
  CHECK(count_replicas(c, "vm-1").tie_breakers == 0);
  select_filter four;
  four.place_count = 4;
  rcs2 = modify_resource_group(c, env, "rg1", std::nullopt, four, {});
  CHECK_FALSE(has_error(rcs2));
  CHECK(mentions(all_messages(rcs2), "Not enough available nodes"));
  CHECK(c.find_group("rg1")->filter.place_count == 4u);
}

TEST_CASE("desired state carries everything a resource file needs") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "n0", "127.0.0.10", pool_kind::file_thin);
  add_node(c, env, "n1", "127.0.0.11", pool_kind::lvm);
  add_node(c, env, "n2", "127.0.0.12", pool_kind::lvm);
  c.find_pool("n0", "pool1")->properties["StorDriver/StorPoolName"] = "/srv/pool1";
  add_definition(c, env, "res1");
  c.find_group("DfltRscGrp")->properties["StorPoolName"] = "pool1";
  c.find_definition("res1")->properties["DrbdOptions/Net/protocol"] = "B";
  c.find_node("n0")->properties["Nbd/Port"] = "10900";
  create_resources(c, env, "res1", {{"n0", 0, {}, {}}, {"n1", 0, {}, {}}});
  const node_desired_state state = desired_state_for_node(c, "n0");
  CHECK(state.node_name == "n0");
  REQUIRE(state.resources.size() == 1);
  const desired_resource& r = state.resources[0];
  CHECK(r.name == "res1");
  CHECK(r.port == 7000);
  CHECK(r.secret == "secret-1");
  CHECK(r.protocol == "B");
  CHECK(r.quorum == "majority");
  CHECK(r.options.at("Net/protocol") == "B");
  CHECK_FALSE(r.options.contains("auto-add-quorum-tiebreaker"));
  REQUIRE(r.volumes.size() == 1);
  CHECK(r.volumes[0].kind == pool_kind::file_thin);
  CHECK(r.volumes[0].pool_source == "/srv/pool1");
  CHECK(r.volumes[0].allocated_kib == 1048840);  // FILE: 4 KiB unit
  CHECK(r.volumes[0].usable_kib == 1048576);     // the smallest usable of all diskful replicas
  REQUIRE(r.nodes.size() == 3);                  // n0, n1 and the tie-breaker on n2
  CHECK(r.nodes[0].node_name == "n0");
  CHECK(r.nodes[1].address == "127.0.0.11");
  CHECK(r.nodes[2].tie_breaker);
  CHECK(r.nbd.enabled);
  CHECK(r.nbd.port == 10900);
  CHECK(r.nbd.export_name == "res1");
  CHECK(state.nbd_port == 10900);  // the node's Nbd/Port is tandemd's listen port
  CHECK(state.nbd_address == "127.0.0.1");
  const node_desired_state tb_state = desired_state_for_node(c, "n2");
  REQUIRE(tb_state.resources.size() == 1);
  CHECK(tb_state.resources[0].tie_breaker);
  CHECK_FALSE(tb_state.resources[0].nbd.enabled);
  CHECK(tb_state.resources[0].volumes[0].allocated_kib == 0);
}

namespace {

// Nodes n0..n<count-1> with a FILE_THIN pool1 each, definition res1 placed on pool1 by the group.
cluster file_thin_cluster(op_env& env, int count) {
  cluster c = initial_cluster();
  for (int i = 0; i < count; ++i) {
    add_node(c, env, "n" + std::to_string(i), "127.0.0.1" + std::to_string(i),
             pool_kind::file_thin);
  }
  add_definition(c, env, "res1");
  c.find_group("DfltRscGrp")->properties["StorPoolName"] = "pool1";
  return c;
}

}  // namespace

TEST_CASE("day 0: replicas created together share one generation, a later replica syncs") {
  op_env env = test_env();
  cluster c = file_thin_cluster(env, 4);
  create_resources(c, env, "res1", {{"n0", 0, {}, {}}, {"n1", 0, {}, {}}});
  const std::string uuid = c.find_definition("res1")->properties.at(std::string(kDay0UuidProperty));
  CHECK(uuid.size() == 16);
  CHECK(desired_state_for_node(c, "n0").resources[0].day0_uuid == uuid);
  CHECK(desired_state_for_node(c, "n1").resources[0].day0_uuid == uuid);
  // The tie-breaker on n2 has no disk and so no generation to start from.
  CHECK(desired_state_for_node(c, "n2").resources[0].day0_uuid.empty());

  // n0 comes up (its satellite reports it): from now on a write may happen, so a replica added
  // later must start Inconsistent, while n1, which has not come up yet, keeps its day 0.
  c.find_resource("res1", "n0")->properties.erase(std::string(kDay0Property));
  create_resources(c, env, "res1", {{"n3", 0, {}, {}}});
  CHECK(desired_state_for_node(c, "n3").resources[0].day0_uuid.empty());
  CHECK(desired_state_for_node(c, "n1").resources[0].day0_uuid == uuid);
  CHECK(desired_state_for_node(c, "n0").resources[0].day0_uuid.empty());
}

TEST_CASE("day 0 with a thick LV: only the lowest node id starts UpToDate") {
  cluster c = initial_cluster();
  op_env env = test_env();
  add_node(c, env, "n0", "127.0.0.10", pool_kind::lvm);
  add_node(c, env, "n1", "127.0.0.11", pool_kind::file_thin);
  add_definition(c, env, "res1");
  c.find_group("DfltRscGrp")->properties["StorPoolName"] = "pool1";
  const api_call_rcs rcs = create_resources(c, env, "res1", {{"n0", 0, {}, {}}, {"n1", 0, {}, {}}});
  INFO(all_messages(rcs));
  REQUIRE(c.find_resource("res1", "n0") != nullptr);
  REQUIRE(c.find_resource("res1", "n1") != nullptr);
  const std::uint32_t id0 = c.find_resource("res1", "n0")->node_id;
  const std::uint32_t id1 = c.find_resource("res1", "n1")->node_id;
  const bool n0_lowest = id0 < id1;
  CHECK(desired_state_for_node(c, "n0").resources[0].day0_uuid.empty() != n0_lowest);
  CHECK(desired_state_for_node(c, "n1").resources[0].day0_uuid.empty() == n0_lowest);
}

TEST_CASE("r c on a tie-breaker's node takes the tie-breaker over") {
  op_env env = test_env();
  cluster c = file_thin_cluster(env, 3);
  create_resources(c, env, "res1", {{"n0", 0, {}, {}}, {"n1", 0, {}, {}}});
  REQUIRE(c.find_resource("res1", "n2") != nullptr);
  REQUIRE(c.find_resource("res1", "n2")->is_tie_breaker());
  const std::uint32_t tie_breaker_id = c.find_resource("res1", "n2")->node_id;

  const api_call_rcs rcs = create_resources(c, env, "res1", {{"n2", 0, {}, {}}});
  INFO(all_messages(rcs));
  CHECK_FALSE(has_error(rcs));
  const resource* taken = c.find_resource("res1", "n2");
  REQUIRE(taken != nullptr);
  CHECK_FALSE(taken->is_diskless());
  CHECK(taken->node_id == tie_breaker_id);  // the same replica, now with a disk
  CHECK(taken->volumes.at(0).storage_pool == "pool1");
  // Three diskful replicas need no tie-breaker; the new disk starts Inconsistent (no day 0).
  CHECK(desired_state_for_node(c, "n2").resources[0].day0_uuid.empty());
  for (const resource* r : c.resources_of("res1")) CHECK_FALSE(r->is_tie_breaker());
}
