// JSON -> table rows, fed with answers in the shapes LINSTOR's REST API v1 sends.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "engine/cli/filtered_parse.h"
#include "engine/cli/views.h"

using namespace tandem::cli;
using nlohmann::json;

namespace {
std::vector<std::string> texts(const std::vector<table_cell>& row) {
  std::vector<std::string> out;
  for (const auto& cell : row) out.push_back(cell.text);
  return out;
}
}  // namespace

TEST_CASE("node list: type, addresses with port and encryption, state") {
  const json nodes = json::parse(R"([
    {"name":"alpha","type":"SATELLITE","connection_status":"ONLINE","flags":[],
     "net_interfaces":[{"name":"default","address":"127.0.0.2","satellite_port":3366,
                        "satellite_encryption_type":"PLAIN","is_active":true}]},
    {"name":"beta","type":"COMBINED","connection_status":"OFFLINE",
     "net_interfaces":[{"name":"default","address":"127.0.0.3"}]},
    {"name":"gamma","type":"SATELLITE","connection_status":"ONLINE","flags":["EVICTED","DELETE"]}])");
  const table t = node_table(nodes);
  REQUIRE(t.rows().size() == 3);
  CHECK(texts(t.rows()[0]) ==
        std::vector<std::string>{"alpha", "SATELLITE", "127.0.0.2:3366 (PLAIN)", "Online"});
  CHECK(t.rows()[0][3].color == text_color::green);
  CHECK(texts(t.rows()[1]) == std::vector<std::string>{"beta", "COMBINED", "127.0.0.3", "OFFLINE"});
  CHECK(t.rows()[1][3].color == text_color::red);
  CHECK(t.rows()[2][3].text == "EVICTED");
}

TEST_CASE("storage pool list: KiB capacities as sizes, diskless without capacity") {
  const json pools = json::parse(R"([
    {"storage_pool_name":"pool1","node_name":"alpha","provider_kind":"LVM_THIN",
     "props":{"StorDriver/StorPoolName":"vg0/thin"},"free_capacity":10485760,
     "total_capacity":20971520,"supports_snapshots":true,"free_space_mgr_name":"alpha;pool1",
     "reports":[]},
    {"storage_pool_name":"DfltDisklessStorPool","node_name":"alpha","provider_kind":"DISKLESS",
     "supports_snapshots":false,
     "reports":[{"ret_code":-4611686018427387904,"message":"broken"}]}])");
  const table t = storage_pool_table(pools);
  REQUIRE(t.rows().size() == 2);
  CHECK(texts(t.rows()[0]) == std::vector<std::string>{"pool1", "alpha", "LVM_THIN", "vg0/thin",
                                                       "10 GiB", "20 GiB", "True", "Ok",
                                                       "alpha;pool1"});
  CHECK(t.rows()[1][4].text.empty());
  CHECK(t.rows()[1][7].text == "Error");
}

TEST_CASE("resource group list shows the select filter and volume numbers") {
  const json groups = json::parse(R"([
    {"name":"rg1","description":"vms","select_filter":{"place_count":2,
     "storage_pool_list":["pool1","pool2"],"replicas_on_different":["Aux/site"],
     "diskless_on_remaining":true}},
    {"name":"DfltRscGrp","select_filter":{"place_count":"3"}}])");
  const std::vector<json> volume_groups = {
      json::parse(R"([{"volume_number":0},{"volume_number":1}])")};
  const table t = resource_group_table(groups, volume_groups);
  REQUIRE(t.rows().size() == 2);
  CHECK(t.rows()[0][1].text ==
        "PlaceCount: 2, StoragePool(s): pool1, pool2, ReplicasOnDifferent: Aux/site, "
        "DisklessOnRemaining: True");
  CHECK(t.rows()[0][2].text == "0,1");
  CHECK(t.rows()[0][3].text == "vms");
  CHECK(t.rows()[1][1].text == "PlaceCount: 3");  // LINSTOR's CLI sends place_count as a string
  CHECK(t.rows()[1][2].text.empty());
}

TEST_CASE("resource and volume definitions") {
  const json definitions = json::parse(R"([
    {"name":"res1","resource_group_name":"rg1","flags":[],
     "layer_data":[{"type":"DRBD","data":{"port":7000}},{"type":"STORAGE"}],
     "volume_definitions":[{"volume_number":0,"size_kib":1048576,"flags":[],
       "layer_data":[{"type":"DRBD","data":{"volume_number":0,"minor_number":1000}}]},
       {"volume_number":1,"size_kib":2097152,"flags":["GROSS_SIZE","RESIZE"]}]},
    {"name":"res2","resource_group_name":"DfltRscGrp","flags":["DELETE"]}])");
  const table rd = resource_definition_table(definitions);
  CHECK(texts(rd.rows()[0]) == std::vector<std::string>{"res1", "rg1", "DRBD,STORAGE", "ok"});
  CHECK(rd.rows()[1][3].text == "DELETING");
  const table vd = volume_definition_table(definitions);
  REQUIRE(vd.rows().size() == 2);
  CHECK(texts(vd.rows()[0]) == std::vector<std::string>{"res1", "0", "1000", "1 GiB", "", "ok"});
  CHECK(texts(vd.rows()[1]) == std::vector<std::string>{"res1", "1", "", "2 GiB", "+", "resizing"});
}

TEST_CASE("properties are sorted by key") {
  const table t = properties_table(json::parse(R"({"b":"2","Aux/a":"1","n":3})"));
  REQUIRE(t.rows().size() == 3);
  CHECK(texts(t.rows()[0]) == std::vector<std::string>{"Aux/a", "1"});
  CHECK(texts(t.rows()[2]) == std::vector<std::string>{"n", "3"});
  CHECK(properties_table(json::array()).rows().empty());
}

namespace {
// Three replicas: alpha UpToDate and Primary, beta resyncing from alpha, gamma diskless.
json three_replicas(bool gamma_in_use) {
  json resources = json::parse(R"([
    {"name":"vm1","node_name":"alpha","flags":[],"state":{"in_use":true},
     "create_timestamp":1764138675000,
     "layer_object":{"type":"DRBD","drbd":{"tcp_ports":[7001],"connections":{
        "beta":{"connected":true,"message":"Connected"},
        "gamma":{"connected":true,"message":"Connected"}}}},
     "volumes":[{"volume_number":0,"storage_pool_name":"pool1","device_path":"/dev/nbd0",
        "allocated_size_kib":1052672,
        "layer_data_list":[{"type":"DRBD","data":{"drbd_volume_definition":{"minor_number":1000}}}],
        "state":{"disk_state":"UpToDate","replication_states":{
          "beta":{"replication_state":"SyncSource","done_percentage":34.5},
          "gamma":{"replication_state":"Established"}}}}]},
    {"name":"vm1","node_name":"beta","flags":[],"state":{"in_use":false},
     "layer_object":{"type":"DRBD","drbd":{"connections":{
        "alpha":{"connected":true},"gamma":{"connected":false,"message":"Connecting"}}}},
     "volumes":[{"volume_number":0,"state":{"disk_state":"Inconsistent","replication_states":{
          "alpha":{"replication_state":"SyncTarget","done_percentage":34.5}}}}]},
    {"name":"vm1","node_name":"gamma","flags":["DISKLESS","DRBD_DISKLESS"],
     "state":{"in_use":false},
     "volumes":[{"volume_number":0,"allocated_size_kib":0,"state":{"disk_state":"Diskless"}}]}])");
  resources[2]["state"]["in_use"] = gamma_in_use;
  return resources;
}
}  // namespace

TEST_CASE("resource list: port, usage, connections, resync progress") {
  const json definitions = json::parse(R"([{"name":"vm1","layer_data":[{"type":"DRBD",
                                             "data":{"port":7000}}]}])");
  const resource_view view = resource_table(three_replicas(false), definitions, {});
  REQUIRE(view.rows.rows().size() == 3);
  CHECK(texts(view.rows.rows()[0]) == std::vector<std::string>{"vm1", "alpha", "7001", "InUse",
                                                               "Ok", "UpToDate",
                                                               "2025-11-26 06:31:15"});
  CHECK(texts(view.rows.rows()[1]) == std::vector<std::string>{"vm1", "beta", "7000", "Unused",
                                                               "Connecting(gamma)",
                                                               "SyncTarget(34.5%)", ""});
  CHECK(view.rows.rows()[1][5].color == text_color::red);  // a peer is not connected
  CHECK(texts(view.rows.rows()[2]) ==
        std::vector<std::string>{"vm1", "gamma", "7000", "Unused", "Ok", "Diskless", ""});
  CHECK(view.warnings.empty());
}

TEST_CASE("a diskless Primary is marked and explained") {
  const resource_view ascii = resource_table(three_replicas(true), json::array(), {});
  CHECK(ascii.rows.rows()[2][3].text == "! InUse");
  CHECK(ascii.rows.rows()[2][3].color == text_color::yellow);
  REQUIRE(ascii.warnings.size() == 1);
  CHECK(ascii.warnings[0].find("'vm1' is in use (Primary) on node 'gamma' without a local disk") !=
        std::string::npos);
  CHECK(ascii.warnings[0].find("tandem resource toggle-disk gamma vm1") != std::string::npos);
  const resource_view utf8 = resource_table(three_replicas(true), json::array(), {.utf8 = true});
  CHECK(utf8.rows.rows()[2][3].text == "⚠ InUse");
}

TEST_CASE("--faulty keeps the replicas that need attention") {
  view_options options;
  options.faulty_only = true;
  const resource_view healthy_primary =
      resource_table(three_replicas(false), json::array(), options);
  REQUIRE(healthy_primary.rows.rows().size() == 1);  // beta: resyncing, a peer down
  CHECK(healthy_primary.rows.rows()[0][1].text == "beta");
  const resource_view diskless_primary =
      resource_table(three_replicas(true), json::array(), options);
  REQUIRE(diskless_primary.rows.rows().size() == 2);
  CHECK(diskless_primary.rows.rows()[1][1].text == "gamma");
}

TEST_CASE("the resource table reads nothing that resource_table_fields drops") {
  // The answer as the controller sends it: every member the table does not show, and a peer
  // node named like one of them.
  json resources = three_replicas(true);
  resources[0]["flags"] = {"EVACUATE"};
  for (json& resource : resources) {
    resource["props"] = {{"Aux/x", "1"}};
    resource["effective_props"] = {{"Aux/x", {{"type", "PROPERTY"}, {"value", "1"}}}};
    resource["uuid"] = "u";
    resource["layer_object"]["children"] = json::array({{{"type", "STORAGE"}}});
    resource["layer_object"]["drbd"]["drbd_volumes"] = json::array({{{"disk_state", "x"}}});
    for (json& volume : resource["volumes"]) {
      volume["reports"] = json::array();
      volume["props"] = json::object();
    }
  }
  resources[1]["layer_object"]["drbd"]["connections"]["props"] = {{"connected", false},
                                                                 {"message", "StandAlone"}};
  const auto kept = parse_keeping(resources.dump(), resource_table_fields);
  REQUIRE(kept);
  CHECK_FALSE((*kept)[0].contains("effective_props"));
  CHECK_FALSE((*kept)[0]["volumes"][0].contains("layer_data_list"));
  CHECK((*kept)[1]["layer_object"]["drbd"]["connections"].contains("props"));
  for (bool faulty_only : {false, true}) {
    view_options options;
    options.faulty_only = faulty_only;
    const resource_view whole = resource_table(resources, json::array(), options);
    const resource_view trimmed = resource_table(*kept, json::array(), options);
    REQUIRE(whole.rows.rows().size() == trimmed.rows.rows().size());
    for (std::size_t i = 0; i < whole.rows.rows().size(); ++i) {
      CHECK(texts(whole.rows.rows()[i]) == texts(trimmed.rows.rows()[i]));
    }
    CHECK(whole.warnings == trimmed.warnings);
  }
  CHECK_FALSE(needs_definition_ports(json::array({resources[0]})));
  CHECK(needs_definition_ports(resources));  // beta's layer has no port
}

TEST_CASE("resource states LINSTOR shows: deleting, lost disk, tie-breaker, unknown") {
  const json resources = json::parse(R"([
    {"name":"r","node_name":"a","flags":["DELETE"],"volumes":[]},
    {"name":"r","node_name":"b","flags":[],"state":{"in_use":false},
     "volumes":[{"state":{"disk_state":"Diskless"}}]},
    {"name":"r","node_name":"c","flags":["DISKLESS","DRBD_DISKLESS","TIE_BREAKER"],
     "state":{"in_use":false},"volumes":[{"state":{"disk_state":"Diskless"}}]},
    {"name":"r","node_name":"d","flags":[],"state":{"in_use":null},
     "layer_object":{"drbd":{"connections":{"a":{"connected":false,"message":"Unknown"}}}},
     "volumes":[{"state":{"disk_state":"UpToDate"}}]},
    {"name":"r","node_name":"e","flags":["INACTIVE"],"volumes":[]}])");
  const resource_view view = resource_table(resources, json::array(), {});
  CHECK(view.rows.rows()[0][5].text == "DELETING");
  CHECK(view.rows.rows()[1][5].text == "Diskless");
  CHECK(view.rows.rows()[1][5].color == text_color::red);  // diskful resource lost its disk
  CHECK(view.rows.rows()[2][5].text == "TieBreaker");
  CHECK(view.rows.rows()[3][5].text == "Unknown");  // nothing reported: no guessing
  CHECK(view.rows.rows()[4][5].text == "INACTIVE");
  CHECK(view.rows.rows()[3][3].text.empty());  // usage unknown without state.in_use
  CHECK(view.rows.rows()[3][4].text.empty());  // and so are the connections
}

TEST_CASE("volume list: pool, minor, device, allocation and per-peer replication") {
  const resource_view view = volume_table(three_replicas(false), {});
  REQUIRE(view.rows.rows().size() == 3);
  CHECK(texts(view.rows.rows()[0]) ==
        std::vector<std::string>{"alpha", "vm1", "pool1", "0", "1000", "/dev/nbd0", "1.00 GiB",
                                 "InUse", "UpToDate", "SyncSource(34.5%), Established(1)"});
  CHECK(view.rows.rows()[1][8].text == "SyncTarget(34.5%)");
  CHECK(view.rows.rows()[2][6].text.empty());  // nothing allocated: blank, as LINSTOR
  CHECK(view.rows.rows()[1][9].text == "SyncTarget(34.5%)");
}

TEST_CASE("snapshot list") {
  const json snapshots = json::parse(R"([
    {"name":"snap1","resource_name":"vm1","nodes":["alpha","beta"],"flags":["SUCCESSFUL"],
     "volume_definitions":[{"volume_number":0,"size_kib":1048576}],
     "snapshots":[{"snapshot_name":"snap1","node_name":"alpha","create_timestamp":0}]},
    {"name":"snap2","resource_name":"vm1","nodes":[],"flags":["FAILED_DEPLOYMENT"]}])");
  const table t = snapshot_table(snapshots);
  CHECK(texts(t.rows()[0]) == std::vector<std::string>{"vm1", "snap1", "alpha, beta", "0: 1 GiB",
                                                       "1970-01-01 00:00:00", "Successful"});
  CHECK(t.rows()[1][5].text == "Failed");
}

TEST_CASE("node describe draws the node's pools, resources and volumes") {
  const json node =
      json::parse(R"({"name":"alpha","type":"SATELLITE","connection_status":"ONLINE"})");
  const json pools = json::parse(R"([{"storage_pool_name":"pool1","provider_kind":"FILE",
                                      "free_capacity":1024,"total_capacity":2048}])");
  const std::string tree = node_tree(node, pools, three_replicas(false), {});
  CHECK(tree.find("alpha (SATELLITE, Online)\n") == 0);
  CHECK(tree.find("|-- StoragePool pool1 (FILE, 1 MiB free of 2 MiB)") != std::string::npos);
  CHECK(tree.find("+-- Resource vm1 (Diskless, Unused)") != std::string::npos);
  CHECK(tree.find("|   +-- Volume 0 SyncTarget(34.5%)") != std::string::npos);
}

TEST_CASE("missing and mistyped fields read as blanks, never a crash") {
  const json odd = json::parse(R"([{"name":5,"net_interfaces":"x","flags":{"a":1}}, 3, null])");
  CHECK(node_table(odd).rows().size() == 3);
  CHECK(storage_pool_table(odd).rows().size() == 3);
  CHECK(resource_table(odd, json::object(), {}).rows.rows().size() == 3);
  CHECK(volume_table(odd, {}).rows.rows().empty());
  CHECK(snapshot_table(odd).rows().size() == 3);
}
