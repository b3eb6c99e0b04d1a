// ZFS and ZFS_THIN: no ZFS on this machine, so these tests check the exact zfs commands and how
// their output is read, replaying "zfs list -Hp" output (data/zfs_*.txt). Untested on real ZFS.
#include <doctest/doctest.h>

#include <memory>

#include "engine/storage/provider_factory.h"
#include "engine/storage/zfs_report.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::data_path;
using tandem::storage::testing::mentions;
using tandem::storage::testing::read_text_file;
using tandem::storage::testing::recorded_runner;

namespace {

using argv_list = std::vector<std::string>;

const argv_list kList{
    "zfs", "list", "-Hp", "-o", "name,type,volsize,used,referenced", "-t", "volume,snapshot",
    "-r",  "tank"};
const argv_list kSpace{"zfs", "list", "-Hp", "-o", "name,used,available", "-t", "filesystem,volume",
                       "tank"};

std::string list_with(const std::string& extra_line) {
  return read_text_file(data_path("zfs_list.txt")) + extra_line + "\n";
}

std::unique_ptr<storage_provider> zfs_pool(provider_kind kind, recorded_runner& runner,
                                           provider_settings settings = {}) {
  auto made = make_provider(kind, "zpool1", "tank", settings, runner);
  REQUIRE(made.ok());
  return std::move(made.value());
}

void check_script_done(const recorded_runner& runner) {
  for (const std::string& mismatch : runner.mismatches()) FAIL_CHECK(mismatch);
  CHECK(runner.pending() == 0);
}

}  // namespace

TEST_CASE("zfs list -Hp output parses and malformed lines are errors naming the line") {
  const auto rows = parse_zfs_list(read_text_file(data_path("zfs_list.txt")));
  REQUIRE(rows.ok());
  REQUIRE(rows.value().size() == 5);
  CHECK(rows.value()[1].name == "tank/vm-100-disk-1_00000");
  CHECK(rows.value()[1].volsize_bytes == 1074012160);
  CHECK(rows.value()[2].type == "snapshot");
  const auto space = parse_zfs_space(read_text_file(data_path("zfs_space.txt")));
  REQUIRE(space.ok());
  CHECK(space.value()[0].available_bytes == 9579376640);

  const auto human = parse_zfs_list("tank/x\tvolume\t1G\t1G\t1G\n");
  REQUIRE_FALSE(human.ok());
  CHECK(mentions(human.message(), {"volsize '1G' is not a byte count", "was -p given?"}));
  const auto columns = parse_zfs_space("tank 1 2\n");
  CHECK(mentions(columns.message(), {"'tank 1 2'", "1 tab-separated columns, expected 3"}));
  CHECK(parse_zfs_list("").value().empty());
  CHECK(parse_zfs_list("tank/fs\tfilesystem\t-\t1\t1\n").value()[0].volsize_bytes == 0);
  CHECK(classify_zfs_failure("cannot open 'tank/x': dataset does not exist") ==
        error_kind::not_found);
  CHECK(classify_zfs_failure("cannot create 'tank/x': out of space") ==
        error_kind::insufficient_space);
}

TEST_CASE("ZFS capacity is used + available of the pool dataset, granularity 8 KiB") {
  recorded_runner runner;
  runner.expect_file(kSpace, "zfs_space.txt");
  auto pool = zfs_pool(provider_kind::zfs, runner);
  const auto capacity = pool->capacity();
  REQUIRE(capacity.ok());
  CHECK(capacity.value().total_kib == (1153433600ull + 9579376640ull) / 1024);
  CHECK(capacity.value().free_kib == 9579376640ull / 1024);
  CHECK(pool->allocation_granularity_kib().value() == 8);
  check_script_done(runner);
}

TEST_CASE(
    "ZFS lists LINSTOR-named zvols directly in the pool, thick counts used, thin referenced") {
  recorded_runner runner;
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect_file(kList, "zfs_list.txt");
  auto thick = zfs_pool(provider_kind::zfs, runner);
  auto thin = zfs_pool(provider_kind::zfs_thin, runner);
  const auto thick_volumes = thick->list_volumes(kDefaultPeerSlots);
  const auto thin_volumes = thin->list_volumes(kDefaultPeerSlots);
  REQUIRE(thick_volumes.ok());
  REQUIRE(thin_volumes.ok());
  REQUIRE(thick_volumes.value().size() == 2);  // not scratch, not nested/x_00000, no snapshot
  const volume_info& first = thick_volumes.value()[0];
  CHECK(first.volume == volume_id{"vm-100-disk-1", 0});
  CHECK(first.device_path == "/dev/zvol/tank/vm-100-disk-1_00000");
  CHECK(first.gross_kib == 1048840);
  CHECK(first.allocated_kib == 1111883776 / 1024);
  CHECK(thin_volumes.value()[0].allocated_kib == 57344 / 1024);
  check_script_done(runner);
}

TEST_CASE("ZFS create: zfs create -V for thick, -s -V for thin, rounded to 8 KiB") {
  recorded_runner runner;
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect_file(kSpace, "zfs_space.txt");
  runner.expect(
      {"zfs", "create", "-o", "volblocksize=16k", "-V", "1048840k", "tank/vm-102-disk-1_00000"}, 0,
      "");
  runner.expect(kList, 0,
                list_with("tank/vm-102-disk-1_00000\tvolume\t1074012160\t1111883776\t8192"));
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect({"zfs", "create", "-s", "-V", "1048840k", "tank/vm-103-disk-1_00000"}, 0, "");
  runner.expect(kList, 0, list_with("tank/vm-103-disk-1_00000\tvolume\t1074012160\t8192\t8192"));

  provider_settings settings;
  settings.zfs_create_options = {"-o", "volblocksize=16k"};  // StorDriver/ZfscreateOptions
  auto thick = zfs_pool(provider_kind::zfs, runner, settings);
  auto thin = zfs_pool(provider_kind::zfs_thin, runner);
  const auto made_thick = thick->create_volume({{"vm-102-disk-1", 0}, 1048576});
  REQUIRE(made_thick.ok());
  CHECK(made_thick.value().gross_kib == 1048840);
  CHECK(made_thick.value().usable_kib == 1048576);
  CHECK(made_thick.value().device_path == "/dev/zvol/tank/vm-102-disk-1_00000");
  const auto made_thin = thin->create_volume({{"vm-103-disk-1", 0}, 1048576});
  REQUIRE(made_thin.ok());
  CHECK(made_thin.value().allocated_kib == 8);
  check_script_done(runner);
}

TEST_CASE("ZFS create refuses an existing name and more than the pool has, before zfs create") {
  recorded_runner runner;
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect_file(kSpace, "zfs_space.txt");
  auto pool = zfs_pool(provider_kind::zfs, runner);
  CHECK(pool->create_volume({{"vm-100-disk-1", 0}, 1024}).kind() == error_kind::already_exists);
  const auto huge = pool->create_volume({{"huge", 0}, 20 * 1048576});
  CHECK(huge.kind() == error_kind::insufficient_space);
  CHECK(mentions(huge.message(), {"ZFS pool 'zpool1' (tank)", "'huge_00000' needs"}));
  check_script_done(runner);
}

TEST_CASE("ZFS resize sets volsize, delete destroys, but not while snapshots exist") {
  recorded_runner runner;
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect({"zfs", "set", "volsize=2097640k", "tank/vm-101-disk-1_00000"}, 0, "");
  std::string grown = read_text_file(data_path("zfs_list.txt"));
  const std::string before = "tank/vm-101-disk-1_00000\tvolume\t1074012160";
  grown.replace(grown.find(before), before.size(), "tank/vm-101-disk-1_00000\tvolume\t2147983360");
  runner.expect(kList, 0, grown);
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect({"zfs", "destroy", "tank/vm-101-disk-1_00000"}, 0, "");
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect_file(kList, "zfs_list.txt");

  auto pool = zfs_pool(provider_kind::zfs_thin, runner);
  const auto resized = pool->resize_volume({"vm-101-disk-1", 0}, 2 * 1048576, kDefaultPeerSlots);
  REQUIRE(resized.ok());
  CHECK(resized.value().gross_kib == 2097640);
  REQUIRE(pool->delete_volume({"vm-101-disk-1", 0}).ok());
  const auto with_snapshots = pool->delete_volume({"vm-100-disk-1", 0});
  CHECK(with_snapshots.kind() == error_kind::invalid_argument);
  CHECK(mentions(with_snapshots.message(), {"still has snapshots (snap1)"}));
  CHECK(pool->delete_volume({"vm-404", 0}).kind() == error_kind::not_found);
  check_script_done(runner);
}

TEST_CASE("ZFS snapshots: zfs snapshot, list, restore as a clone, destroy") {
  recorded_runner runner;
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect({"zfs", "snapshot", "tank/vm-101-disk-1_00000@snap7"}, 0, "");
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect({"zfs", "clone", "-o", "refreservation=auto", "tank/vm-100-disk-1_00000@snap1",
                 "tank/vm-200-disk-1_00000"},
                0, "");
  runner.expect(kList, 0,
                list_with("tank/vm-200-disk-1_00000\tvolume\t1074012160\t1111883776\t57344"));
  runner.expect_file(kList, "zfs_list.txt");
  runner.expect({"zfs", "destroy", "tank/vm-100-disk-1_00000@snap1"}, 1, "",
                "cannot destroy 'tank/vm-100-disk-1_00000@snap1': snapshot has dependent clones\n"
                "use '-R' to destroy the following datasets:\ntank/vm-200-disk-1_00000\n");

  auto pool = zfs_pool(provider_kind::zfs, runner);
  const auto snapshot = pool->create_snapshot({"vm-101-disk-1", 0}, "snap7");
  REQUIRE(snapshot.ok());
  CHECK(snapshot.value().provider_name == "tank/vm-101-disk-1_00000@snap7");
  CHECK(snapshot.value().method == copy_method::zfs_snapshot);
  const auto snapshots = pool->list_snapshots();
  REQUIRE(snapshots.ok());
  REQUIRE(snapshots.value().size() == 1);
  CHECK(snapshots.value()[0].volume == volume_id{"vm-100-disk-1", 0});
  CHECK(snapshots.value()[0].gross_kib == 1048840);
  const auto restored = pool->restore_snapshot({"vm-100-disk-1", 0}, "snap1", {"vm-200-disk-1", 0},
                                               kDefaultPeerSlots);
  REQUIRE(restored.ok());
  CHECK(restored.value().method == copy_method::zfs_clone);
  CHECK(restored.value().volume.device_path == "/dev/zvol/tank/vm-200-disk-1_00000");
  // The clone depends on the snapshot; zfs's refusal is passed on with its explanation.
  const auto destroyed = pool->delete_snapshot({"vm-100-disk-1", 0}, "snap1");
  REQUIRE_FALSE(destroyed.ok());
  CHECK(destroyed.kind() == error_kind::command_failed);
  CHECK(mentions(destroyed.message(),
                 {"zfs destroy tank/vm-100-disk-1_00000@snap1", "snapshot has dependent clones"}));
  check_script_done(runner);
}
