// tandem-controller's /metrics text and /v1/events log, without sockets: a status report goes in
// through apply_status as the satellite link does, and what comes out is checked.
#include <doctest/doctest.h>

#include "engine/controller/controller_observability.h"
#include "engine/controller/satellite_messages.h"
#include "tests/engine/controller/controller_fixture.h"

using namespace tandem;
using nlohmann::json;
namespace cl = tandem::cluster;

namespace {

cl::cluster one_node_cluster() {
  return controller::testing::cluster_with_res1({"alpha"}, "/srv/tandem/pools/pool1-backing-files");
}

json report(const char* disk, const char* replication) {
  json r = json::parse(R"({"type":"status","pools":[],"resources":[{"name":"res1",
    "role":"Secondary","in_use":false,"connections":{"beta":true},
    "volumes":[{"number":0,"allocated_kib":1048840,
      "peers":{"beta":{"done_percentage":10.0,"out_of_sync_bytes":4096}}}]}]})");
  r["resources"][0]["volumes"][0]["disk_state"] = disk;
  r["resources"][0]["volumes"][0]["peers"]["beta"]["replication_state"] = replication;
  return r;
}

}  // namespace

TEST_CASE("controller metrics carry each pool's backing path as a label") {
  // The label once viewed a temporary string and printed freed memory.
  const cl::cluster c = one_node_cluster();
  const std::string text = controller::render_controller_metrics(c, {}, 0);
  CHECK(text.find(R"(storage_pool="pool1",node="alpha",driver="FILE_THIN",)"
                  R"(backing_pool="/srv/tandem/pools/pool1-backing-files"} )") != std::string::npos);
}

TEST_CASE("one report changing disk and replication records them in events2 order") {
  cl::cluster c = one_node_cluster();
  controller::controller_events events;
  auto before = controller::controller_events::node_state(c, "alpha");
  controller::apply_status(c, "alpha", report("Inconsistent", "SyncTarget"), 1000);
  events.record_changes("alpha", before, controller::controller_events::node_state(c, "alpha"),
                        1000);
  before = controller::controller_events::node_state(c, "alpha");
  controller::apply_status(c, "alpha", report("UpToDate", "Established"), 2000);
  events.record_changes("alpha", before, controller::controller_events::node_state(c, "alpha"),
                        2000);
  const json all = json::parse(events.json_since(0, 100))["events"];
  REQUIRE(all.size() == 5);
  CHECK(all[0]["role"] == "Secondary");
  CHECK(all[1]["disk"] == "Inconsistent");
  CHECK(all[1]["old"]["disk"] == "DUnknown");
  CHECK(all[2]["replication"] == "SyncTarget");
  CHECK(all[2]["peer"] == "beta");
  CHECK(all[3]["disk"] == "UpToDate");
  CHECK(all[4]["replication"] == "Established");
  CHECK(all[4]["old"]["replication"] == "SyncTarget");
  CHECK(all[4]["time_ms"] == 2000);
  // since= returns only later events, and next says where to poll from.
  const json later = json::parse(events.json_since(3, 1));
  REQUIRE(later["events"].size() == 1);
  CHECK(later["events"][0]["seq"] == 4);
  CHECK(later["next"] == 4);
}
