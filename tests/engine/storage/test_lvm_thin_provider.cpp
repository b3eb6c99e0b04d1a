// LVM_THIN needs device-mapper's thin-pool target, which this machine lacks: these tests check the
// exact lvm2 commands the provider issues and how it reads lvm2's reports, replaying recorded
// output (data/lvm_thin_*.json). Production commands: no test-only arguments.
#include <doctest/doctest.h>

#include <memory>

#include "engine/storage/provider_factory.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::data_path;
using tandem::storage::testing::mentions;
using tandem::storage::testing::read_text_file;
using tandem::storage::testing::recorded_runner;

namespace {

using argv_list = std::vector<std::string>;

const argv_list kVgs{"vgs", "--reportformat", "json", "--units",
                     "b",   "--nosuffix",     "-o",   "vg_name,vg_extent_size,vg_size,vg_free",
                     "vg0"};
const argv_list kLvs{
    "lvs", "--reportformat", "json", "--units",
    "b",   "--nosuffix",     "-o",   "lv_name,vg_name,lv_size,lv_attr,pool_lv,origin,data_percent",
    "vg0"};
const argv_list kLvsPool{"lvs",     "--reportformat",
                         "json",    "--units",
                         "b",       "--nosuffix",
                         "-o",      "lv_name,vg_name,lv_size,lv_attr,pool_lv,origin,data_percent",
                         "vg0/thin"};

// lvm_thin_lvs.json plus one more LV line.
std::string lvs_with(const std::string& extra_row) {
  std::string text = read_text_file(data_path("lvm_thin_lvs.json"));
  const auto last_row_end = text.rfind('}', text.find("]"));
  text.insert(last_row_end + 1, ",\n" + extra_row);
  return text;
}

std::unique_ptr<storage_provider> thin_pool(recorded_runner& runner,
                                            provider_settings settings = {}) {
  settings.lvm_zero_metadata_area = false;  // the recorded LVs have no device nodes here
  auto made = make_provider(provider_kind::lvm_thin, "thinpool", "vg0/thin", settings, runner);
  REQUIRE(made.ok());
  return std::move(made.value());
}

void check_script_done(const recorded_runner& runner) {
  for (const std::string& mismatch : runner.mismatches()) FAIL_CHECK(mismatch);
  CHECK(runner.pending() == 0);
}

}  // namespace

TEST_CASE("LVM_THIN capacity: the thin pool's size and what data_percent leaves free") {
  recorded_runner runner;
  runner.expect_file(kLvsPool, "lvm_thin_pool.json");
  auto pool = thin_pool(runner);
  const auto capacity = pool->capacity();
  REQUIRE(capacity.ok());
  CHECK(capacity.value().total_kib == 10485760);         // 10 GiB
  CHECK(capacity.value().free_kib == 10485760 / 8 * 7);  // 12.5 % used
  CHECK(pool->source() == "vg0/thin");
  check_script_done(runner);
}

TEST_CASE("LVM_THIN lists its thin volumes only: no pool, thick LV, foreign name or snapshot") {
  recorded_runner runner;
  runner.expect_file(kLvs, "lvm_thin_lvs.json");
  auto pool = thin_pool(runner);
  const auto volumes = pool->list_volumes(kDefaultPeerSlots);
  REQUIRE(volumes.ok());
  REQUIRE(volumes.value().size() == 1);
  const volume_info& volume = volumes.value()[0];
  CHECK(volume.volume == volume_id{"vm-100-disk-1", 0});
  CHECK(volume.device_path == "/dev/vg0/vm-100-disk-1_00000");
  CHECK(volume.gross_kib == 1052672);
  CHECK(volume.usable_kib == 1052408);
  CHECK(volume.allocated_kib == 1052672 / 2);  // data_percent 50.00
  check_script_done(runner);
}

TEST_CASE("LVM_THIN create: lvcreate --virtualsize of the extent-rounded gross size") {
  recorded_runner runner;
  runner.expect_file(kVgs, "lvm_thin_vgs.json");
  runner.expect_file(kLvs, "lvm_thin_lvs.json");
  runner.expect({"lvcreate", "-Wy", "--virtualsize", "1052672k", "--thinpool", "thin", "--name",
                 "vm-101-disk-1_00000", "--yes", "vg0"},
                0, "", "  Logical volume \"vm-101-disk-1_00000\" created.\n");
  runner.expect(kLvs, 0,
                lvs_with(R"({"lv_name":"vm-101-disk-1_00000", "vg_name":"vg0", )"
                         R"("lv_size":"1077936128", "lv_attr":"Vwi-a-tz--", "pool_lv":"thin", )"
                         R"("origin":"", "data_percent":"0.00"})"));
  provider_settings settings;
  settings.lvcreate_options = {"-Wy"};  // StorDriver/LvcreateOptions
  auto pool = thin_pool(runner, settings);
  const auto created = pool->create_volume({{"vm-101-disk-1", 0}, 1048576});
  REQUIRE(created.ok());
  CHECK(created.value().gross_kib == 1052672);
  CHECK(created.value().allocated_kib == 0);
  CHECK(created.value().device_path == "/dev/vg0/vm-101-disk-1_00000");
  check_script_done(runner);
}

TEST_CASE("LVM_THIN create of an existing volume is refused before lvcreate runs") {
  recorded_runner runner;
  runner.expect_file(kVgs, "lvm_thin_vgs.json");
  runner.expect_file(kLvs, "lvm_thin_lvs.json");
  auto pool = thin_pool(runner);
  const auto created = pool->create_volume({{"vm-100-disk-1", 0}, 1048576});
  CHECK(created.kind() == error_kind::already_exists);
  CHECK(mentions(created.message(), {"LVM_THIN pool 'thinpool' (vg0/thin)", "already exists"}));
  check_script_done(runner);
}

TEST_CASE("LVM_THIN passes lvm2's failure on with the command and its stderr") {
  recorded_runner runner;
  runner.expect_file(kVgs, "lvm_thin_vgs.json");
  runner.expect_file(kLvs, "lvm_thin_lvs.json");
  runner.expect({"lvcreate", "--virtualsize", "4096k", "--thinpool", "thin", "--name", "r_00000",
                 "--yes", "vg0"},
                5, "",
                "  Cannot create new thin volume, free space in thin pool vg0/thin reached "
                "threshold.\n");
  auto pool = thin_pool(runner);
  const auto created = pool->create_volume({{"r", 0}, 1024});
  REQUIRE_FALSE(created.ok());
  CHECK(created.kind() == error_kind::command_failed);
  CHECK(mentions(created.message(), {"lvcreate --virtualsize 4096k", "exited with 5",
                                     "free space in thin pool vg0/thin reached threshold"}));
  check_script_done(runner);

  recorded_runner inactive;
  std::string pool_text = read_text_file(data_path("lvm_thin_pool.json"));
  const std::string active = R"("twi-aotz--", "pool_lv":"", "origin":"", "data_percent":"12.50")";
  pool_text.replace(pool_text.find(active), active.size(),
                    R"("twi---tz--", "pool_lv":"", "origin":"", "data_percent":"")");
  inactive.expect(kLvsPool, 0, pool_text);
  const auto unknown = thin_pool(inactive)->capacity();
  CHECK(unknown.kind() == error_kind::command_failed);
  CHECK(mentions(unknown.message(), {"no data_percent (is it active?)"}));
  check_script_done(inactive);

  recorded_runner missing;
  missing.expect(kLvsPool, 5, "", "  Failed to find logical volume \"vg0/thin\"\n");
  auto no_pool = thin_pool(missing);
  const auto capacity = no_pool->capacity();
  CHECK(capacity.kind() == error_kind::not_found);
  CHECK(mentions(capacity.message(), {"Failed to find logical volume \"vg0/thin\""}));
  check_script_done(missing);
}

TEST_CASE("LVM_THIN resize grows with lvresize to the new extent-rounded size") {
  recorded_runner runner;
  runner.expect_file(kLvs, "lvm_thin_lvs.json");
  runner.expect_file(kVgs, "lvm_thin_vgs.json");
  runner.expect({"lvresize", "--size", "2101248k", "vg0/vm-100-disk-1_00000"}, 0, "");
  std::string grown = read_text_file(data_path("lvm_thin_lvs.json"));
  const std::string old_size = R"("lv_size":"1077936128", "lv_attr":"Vwi-aotz--")";
  grown.replace(grown.find(old_size), old_size.size(),
                R"("lv_size":"2151677952", "lv_attr":"Vwi-aotz--")");
  runner.expect(kLvs, 0, grown);
  auto pool = thin_pool(runner);
  const auto resized = pool->resize_volume({"vm-100-disk-1", 0}, 2 * 1048576, kDefaultPeerSlots);
  REQUIRE(resized.ok());
  CHECK(resized.value().gross_kib == 2101248);  // 513 extents
  check_script_done(runner);
}

TEST_CASE("LVM_THIN snapshots: create, list, restore into a new resource, delete") {
  recorded_runner runner;
  runner.expect_file(kLvs, "lvm_thin_lvs.json");
  runner.expect({"lvcreate", "--snapshot", "--setactivationskip", "y", "--name",
                 "vm-100-disk-1_00000_snap2", "vg0/vm-100-disk-1_00000"},
                0, "");
  runner.expect_file(kLvs, "lvm_thin_lvs.json");  // list_snapshots
  runner.expect_file(kLvs, "lvm_thin_lvs.json");  // restore: checks
  runner.expect({"lvcreate", "--snapshot", "--setactivationskip", "n", "--activate", "y", "--name",
                 "vm-200-disk-1_00000", "vg0/vm-100-disk-1_00000_snap1"},
                0, "");
  runner.expect(kLvs, 0,
                lvs_with(R"({"lv_name":"vm-200-disk-1_00000", "vg_name":"vg0", )"
                         R"("lv_size":"1077936128", "lv_attr":"Vwi-a-tz--", "pool_lv":"thin", )"
                         R"("origin":"vm-100-disk-1_00000_snap1", "data_percent":"50.00"})"));
  runner.expect_file(kLvs, "lvm_thin_lvs.json");  // delete_snapshot
  runner.expect({"lvremove", "--force", "vg0/vm-100-disk-1_00000_snap1"}, 0, "");

  auto pool = thin_pool(runner);
  CHECK(pool->supports_snapshots());
  const volume_id source{"vm-100-disk-1", 0};
  const auto snapshot = pool->create_snapshot(source, "snap2");
  REQUIRE(snapshot.ok());
  CHECK(snapshot.value().provider_name == "vm-100-disk-1_00000_snap2");
  CHECK(snapshot.value().method == copy_method::lvm_thin_snapshot);
  CHECK(snapshot.value().gross_kib == 1052672);

  const auto snapshots = pool->list_snapshots();
  REQUIRE(snapshots.ok());
  REQUIRE(snapshots.value().size() == 1);
  CHECK(snapshots.value()[0].volume == source);
  CHECK(snapshots.value()[0].name == "snap1");

  const auto restored =
      pool->restore_snapshot(source, "snap1", {"vm-200-disk-1", 0}, kDefaultPeerSlots);
  REQUIRE(restored.ok());
  CHECK(restored.value().method == copy_method::lvm_thin_snapshot);
  CHECK(restored.value().volume.device_path == "/dev/vg0/vm-200-disk-1_00000");
  CHECK(restored.value().volume.gross_kib == 1052672);

  REQUIRE(pool->delete_snapshot(source, "snap1").ok());
  check_script_done(runner);
}

TEST_CASE("LVM_THIN snapshot errors: missing volume, duplicate, missing snapshot, taken target") {
  recorded_runner runner;
  for (int i = 0; i < 5; ++i) runner.expect_file(kLvs, "lvm_thin_lvs.json");
  auto pool = thin_pool(runner);
  const volume_id source{"vm-100-disk-1", 0};
  const auto no_volume = pool->create_snapshot({"vm-999", 0}, "s");
  CHECK(no_volume.kind() == error_kind::not_found);
  CHECK(mentions(no_volume.message(), {"volume 'vm-999_00000' does not exist"}));
  CHECK(pool->create_snapshot(source, "snap1").kind() == error_kind::already_exists);
  CHECK(pool->delete_snapshot(source, "nope").kind() == error_kind::not_found);
  CHECK(pool->restore_snapshot(source, "nope", {"new", 0}, kDefaultPeerSlots).kind() ==
        error_kind::not_found);
  const auto taken =
      pool->restore_snapshot(source, "snap1", {"vm-100-disk-1", 0}, kDefaultPeerSlots);
  CHECK(taken.kind() == error_kind::already_exists);
  // Invalid names never reach lvm2.
  CHECK(pool->create_snapshot(source, "a/b").kind() == error_kind::invalid_argument);
  check_script_done(runner);
}
