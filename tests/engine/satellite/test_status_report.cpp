// tandemd's `status json` answer becomes the protocol's status message.
#include <doctest/doctest.h>

#include "engine/satellite/status_report.h"

using namespace tandem;
using nlohmann::json;

TEST_CASE("status maps roles, disk and replication states, allocations and snapshots") {
  satellite::storage_facts storage;
  storage.pools.push_back({"pool1", 1000, 2000, ""});
  storage.allocated_kib[{"res1", 0}] = 4096;
  storage.snapshots["res1"] = {"snap1"};
  const json tandemd = json::parse(R"([{
    "name":"res1","node-id":0,"node-name":"alpha","role":"Primary","writers":1,
    "devices":[{"volume":0,"disk-state":"UpToDate","quorum":true,"size-bytes":1073741824}],
    "connections":[
      {"peer-node-id":1,"name":"beta","connection-state":"Connected","peer-role":"Secondary",
       "peer-devices":[{"volume":0,"replication-state":"SyncSource","peer-disk-state":"Inconsistent",
                        "out-of-sync-bytes":8192,"resynced-bytes":4096,"done-percent":33.3}]},
      {"peer-node-id":2,"name":"gamma","connection-state":"Connecting","peer-role":"Unknown",
       "peer-devices":[{"volume":0,"replication-state":"Off","peer-disk-state":"DUnknown",
                        "out-of-sync-bytes":0,"resynced-bytes":0}]}]}])");
  const json s = satellite::status_message(storage, tandemd);
  CHECK(s["type"] == "status");
  CHECK(s["pools"][0] == json::parse(R"({"name":"pool1","free_capacity_kib":1000,
                                          "total_capacity_kib":2000,"error":""})"));
  const json& r = s["resources"][0];
  CHECK(r["role"] == "Primary");
  CHECK(r["in_use"] == true);
  CHECK(r["connections"] == json::parse(R"({"beta":true,"gamma":false})"));
  const json& v = r["volumes"][0];
  CHECK(v["disk_state"] == "UpToDate");
  CHECK(v["usable_kib"] == 1048576);
  CHECK(v["allocated_kib"] == 4096);
  CHECK(v["peers"]["beta"]["replication_state"] == "SyncSource");
  CHECK(v["peers"]["beta"]["done_percentage"] == doctest::Approx(33.3));
  CHECK(v["peers"]["beta"]["out_of_sync_bytes"] == 8192);
  CHECK(v["peers"]["gamma"]["replication_state"] == "Off");
  CHECK(r["snapshots"] == json::array({"snap1"}));
}

TEST_CASE("odd tandemd answers give unknown states, not exceptions") {
  const satellite::storage_facts none;
  CHECK(satellite::status_message(none, json("garbage"))["resources"].empty());
  const json s = satellite::status_message(
      none, json::parse(R"([{"name":"r","role":7,"devices":[{"volume":"x"}],"connections":[5]},
                            {"no-name":true}])"));
  REQUIRE(s["resources"].size() == 1);
  CHECK(s["resources"][0]["role"] == "Unknown");
  CHECK(s["resources"][0]["volumes"][0]["disk_state"] == "DUnknown");
  CHECK(s["resources"][0]["in_use"] == false);
}
