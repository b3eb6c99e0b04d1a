#include <doctest/doctest.h>

#include "engine/storage/size_rounding.h"
#include "engine/storage/storage_provider.h"
#include "engine/storage/volume_naming.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::mentions;

TEST_CASE("volume names follow LINSTOR: <resource>_<5-digit volume number>") {
  CHECK(volume_name({"vm-100-disk-1", 0}) == "vm-100-disk-1_00000");
  CHECK(volume_name({"db", 12}) == "db_00012");
  CHECK(volume_name({"x", kMaxVolumeNumber}) == "x_99999");

  const auto parsed = parse_volume_name("vm-100-disk-1_00000");
  REQUIRE(parsed.has_value());
  CHECK(*parsed == volume_id{"vm-100-disk-1", 0});
  // A resource name may itself end in digits and underscores; only the last 6 characters count.
  CHECK(*parse_volume_name("r_00001_00002") == volume_id{"r_00001", 2});
  CHECK_FALSE(parse_volume_name("vm-100-disk-1").has_value());
  CHECK_FALSE(parse_volume_name("vm_0000a").has_value());
  CHECK_FALSE(parse_volume_name("_00000").has_value());
  CHECK_FALSE(parse_volume_name("lost+found").has_value());
  CHECK_FALSE(parse_volume_name("9lives_00000").has_value());
}

TEST_CASE("names that could escape a pool or confuse a tool are refused with a reason") {
  CHECK(check_resource_name("vm-100-disk-1").ok());
  CHECK(check_resource_name("_private").ok());
  CHECK(mentions(check_resource_name("").message(), {"resource name is empty"}));
  CHECK(mentions(check_resource_name("../../etc/passwd").message(),
                 {"'../../etc/passwd'", "contains a character"}));
  CHECK(mentions(check_resource_name("a b").message(), {"contains a character"}));
  CHECK(mentions(check_resource_name("1st").message(), {"must not start with a digit"}));
  CHECK(mentions(check_resource_name("-rf").message(), {"must not start with a digit or '-'"}));
  CHECK(mentions(check_resource_name(std::string(49, 'a')).message(), {"longer than 48"}));
  CHECK(check_resource_name(std::string(48, 'a')).ok());
  CHECK(mentions(check_snapshot_name("snap@1").message(), {"snapshot name", "snap@1"}));
  CHECK(
      mentions(check_volume_id({"r", 100000}).message(), {"volume number 100000", "above 99999"}));
  CHECK(check_volume_id({"r", 99999}).kind() == error_kind::invalid_argument);
}

TEST_CASE("gross size: usable + DRBD internal metadata, rounded to the allocation unit") {
  // linstor.md section 5: 1 GiB with 7 peer slots on 4 MiB extents is 257 extents.
  const auto lvm = gross_size_kib(1048576, 7, 4096);
  REQUIRE(lvm.ok());
  CHECK(lvm.value() == 1052672);
  CHECK(lvm.value() / 4096 == 257);
  CHECK(usable_size_kib(lvm.value(), 7) == 1052408);
  // ZFS (8 KiB): the allocated_size_kib 1048840 of linstor-server#421.
  CHECK(gross_size_kib(1048576, 7, 8).value() == 1048840);
  // FILE (1 KiB) takes the metadata sum as it is.
  CHECK(gross_size_kib(1048576, 7, 1).value() == 1048840);
  CHECK(gross_size_kib(3072, 7, 4096).value() == 4096);
  // No internal metadata: only the rounding.
  CHECK(gross_size_kib(1048576, 0, 4096).value() == 1048576);
  CHECK(gross_size_kib(1, 0, 4096).value() == 4096);
  CHECK(usable_size_kib(4096, 0) == 4096);
  // A volume too small for the metadata has nothing usable.
  CHECK(usable_size_kib(8, 7) == 0);

  CHECK(mentions(gross_size_kib(0, 7, 4096).message(), {"usable size is 0"}));
  CHECK(mentions(gross_size_kib(1024, 32, 4096).message(), {"peer_slots 32 outside 1..31"}));
  CHECK(mentions(gross_size_kib(1024, 7, 0).message(), {"granularity is 0"}));
  CHECK(gross_size_kib(std::uint64_t{1} << 62, 7, 4096).kind() == error_kind::invalid_argument);
}

TEST_CASE("provider kinds parse from LINSTOR's REST and CLI spellings") {
  CHECK(parse_provider_kind("LVM_THIN").value() == provider_kind::lvm_thin);
  CHECK(parse_provider_kind("lvmthin").value() == provider_kind::lvm_thin);
  CHECK(parse_provider_kind("zfs_thin").value() == provider_kind::zfs_thin);
  CHECK(parse_provider_kind("FileThin").value() == provider_kind::file_thin);
  CHECK(parse_provider_kind("Diskless").value() == provider_kind::diskless);
  for (provider_kind kind :
       {provider_kind::diskless, provider_kind::lvm, provider_kind::lvm_thin, provider_kind::zfs,
        provider_kind::zfs_thin, provider_kind::file, provider_kind::file_thin}) {
    CHECK(parse_provider_kind(to_string(kind)).value() == kind);
  }
  const auto unknown = parse_provider_kind("SPDK");
  REQUIRE_FALSE(unknown.ok());
  CHECK(mentions(unknown.message(), {"unknown storage provider kind 'SPDK'", "LVM_THIN", "FILE"}));
  CHECK(is_thin(provider_kind::file_thin));
  CHECK_FALSE(is_thin(provider_kind::lvm));
}
