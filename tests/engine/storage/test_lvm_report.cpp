#include <doctest/doctest.h>

#include "engine/storage/lvm_report.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::data_path;
using tandem::storage::testing::mentions;
using tandem::storage::testing::read_text_file;

TEST_CASE("vgs and lvs JSON reports recorded from lvm2 2.03 parse into exact byte counts") {
  const auto vgs = parse_vgs_report(read_text_file(data_path("lvm_vgs_recorded.json")));
  REQUIRE(vgs.ok());
  REQUIRE(vgs.value().size() == 1);
  CHECK(vgs.value()[0].name == "tvg1");
  CHECK(vgs.value()[0].extent_size_bytes == 4194304);
  CHECK(vgs.value()[0].size_bytes == 1069547520);
  CHECK(vgs.value()[0].free_bytes == 1061158912);

  const auto lvs = parse_lvs_report(read_text_file(data_path("lvm_lvs_recorded.json")));
  REQUIRE(lvs.ok());
  REQUIRE(lvs.value().size() == 1);
  CHECK(lvs.value()[0].name == "a_00000");
  CHECK(lvs.value()[0].size_bytes == 8388608);
  CHECK(lvs.value()[0].type() == '-');
  CHECK_FALSE(lvs.value()[0].data_percent.has_value());
  CHECK_FALSE(lvs.value()[0].activation_skipped());
}

TEST_CASE("lvs report of a thin pool: pool, thin volumes, snapshot with activation skipped") {
  const auto lvs = parse_lvs_report(read_text_file(data_path("lvm_thin_lvs.json")));
  REQUIRE(lvs.ok());
  REQUIRE(lvs.value().size() == 5);
  const lvm_lv_row& pool = lvs.value()[2];
  CHECK(pool.type() == 't');
  REQUIRE(pool.data_percent.has_value());
  CHECK(*pool.data_percent == doctest::Approx(12.5));
  const lvm_lv_row& snapshot = lvs.value()[4];
  CHECK(snapshot.activation_skipped());
  CHECK(snapshot.origin == "vm-100-disk-1_00000");
  CHECK(snapshot.pool_lv == "thin");
}

TEST_CASE("malformed lvm2 reports give errors that say what is wrong") {
  const auto not_json = parse_vgs_report("  WARNING: something\n");
  REQUIRE_FALSE(not_json.ok());
  CHECK(mentions(not_json.message(), {"not JSON", "WARNING: something"}));
  CHECK(mentions(parse_vgs_report("{}").message(), {"no \"report\" array"}));
  const auto units = parse_vgs_report(
      R"({"report":[{"vg":[{"vg_name":"v","vg_extent_size":"4.00m","vg_size":"1","vg_free":"1"}]}]})");
  REQUIRE_FALSE(units.ok());
  CHECK(mentions(units.message(), {"vg_extent_size", "'4.00m'", "--units b --nosuffix"}));
  const auto missing = parse_lvs_report(R"({"report":[{"lv":[{"lv_name":"x"}]}]})");
  REQUIRE_FALSE(missing.ok());
  CHECK(mentions(missing.message(), {"field 'vg_name' missing"}));
  const auto percent = parse_lvs_report(
      R"({"report":[{"lv":[{"lv_name":"x","vg_name":"v","lv_size":"1","lv_attr":"","pool_lv":"","origin":"","data_percent":"abc"}]}]})");
  CHECK(mentions(percent.message(), {"data_percent", "not a percentage"}));
  // An empty report is an empty list, not an error.
  CHECK(parse_lvs_report(R"({"report":[{"lv":[]}]})").value().empty());
}

TEST_CASE("lvm2 error messages map onto error kinds") {
  CHECK(classify_lvm_failure("  Volume group \"vg9\" not found") == error_kind::not_found);
  CHECK(classify_lvm_failure("  Failed to find logical volume \"vg0/x\"") == error_kind::not_found);
  CHECK(classify_lvm_failure("  Volume group \"tvg1\" has insufficient free space (253 extents): "
                             "2000 required.") == error_kind::insufficient_space);
  CHECK(classify_lvm_failure("  Insufficient free space: 257 extents needed, but only 254 "
                             "available") == error_kind::insufficient_space);
  CHECK(classify_lvm_failure("  Logical Volume \"a_00000\" already exists in volume group "
                             "\"tvg1\"") == error_kind::already_exists);
  CHECK(classify_lvm_failure("  Can't create thin-pool without using device-mapper kernel "
                             "driver.") == error_kind::command_failed);
}
