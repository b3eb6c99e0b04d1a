#include <doctest/doctest.h>

#include "engine/storage/provider_factory.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::mentions;
using tandem::storage::testing::recorded_runner;

TEST_CASE("the factory builds each kind from its source and names the pool") {
  recorded_runner runner;
  struct row {
    provider_kind kind;
    const char* source;
    bool snapshots;
  };
  for (const row& r :
       {row{provider_kind::file, "/var/lib/tandem/pool/", true},
        row{provider_kind::file_thin, "/srv/thin", true}, row{provider_kind::lvm, "vg0", false},
        row{provider_kind::lvm_thin, "vg0/thin", true}, row{provider_kind::zfs, "tank", true},
        row{provider_kind::zfs_thin, "tank/linstor", true},
        row{provider_kind::diskless, "", false}}) {
    CAPTURE(to_string(r.kind));
    auto made = make_provider(r.kind, "pool1", r.source, {}, runner);
    REQUIRE(made.ok());
    CHECK(made.value()->kind() == r.kind);
    CHECK(made.value()->pool_name() == "pool1");
    CHECK(made.value()->supports_snapshots() == r.snapshots);
  }
  // Trailing slashes of a directory are dropped, so paths compare equal.
  CHECK(make_provider(provider_kind::file, "p", "/srv/pool//", {}, runner).value()->source() ==
        "/srv/pool");
  CHECK(runner.calls().empty());  // building a provider runs nothing
}

TEST_CASE("the factory refuses a source that does not fit the kind, naming both") {
  recorded_runner runner;
  struct row {
    provider_kind kind;
    const char* source;
    const char* why;
  };
  for (const row& r : {row{provider_kind::file, "relative/dir", "not an absolute directory"},
                       row{provider_kind::file_thin, "", "not an absolute directory"},
                       row{provider_kind::file, "/srv/../etc", "contains '..'"},
                       row{provider_kind::lvm, "vg0/thin", "not a volume group name"},
                       row{provider_kind::lvm, "-vg", "not a volume group name"},
                       row{provider_kind::lvm_thin, "vg0", "'<volume group>/<thin pool>'"},
                       row{provider_kind::lvm_thin, "vg0/a/b", "'<volume group>/<thin pool>'"},
                       row{provider_kind::zfs, "/tank", "not a zpool or dataset name"},
                       row{provider_kind::zfs_thin, "tank@snap", "not a zpool or dataset name"},
                       row{provider_kind::zfs, "tank; rm -rf /", "not a zpool or dataset name"}}) {
    CAPTURE(r.source);
    auto made = make_provider(r.kind, "pool1", r.source, {}, runner);
    REQUIRE_FALSE(made.ok());
    CHECK(made.kind() == error_kind::invalid_argument);
    CHECK(mentions(made.message(), {"pool 'pool1'", r.why}));
    CHECK(made.message().find(std::string(to_string(r.kind)) + " pool") != std::string::npos);
  }
  CHECK(mentions(make_provider(provider_kind::lvm, "bad name", "vg0", {}, runner).message(),
                 {"storage pool name 'bad name'"}));
  provider_settings no_time;
  no_time.command_timeout = std::chrono::milliseconds(0);
  CHECK(mentions(make_provider(provider_kind::lvm, "p", "vg0", no_time, runner).message(),
                 {"command timeout must be positive"}));
}

TEST_CASE("pool properties StorDriver/LvcreateOptions and ZfscreateOptions become arguments") {
  const auto settings =
      settings_from_properties({{"StorDriver/LvcreateOptions", " -i 2  -I 64 "},
                                {"StorDriver/ZfscreateOptions", "-o compression=lz4"},
                                {"StorDriver/StorPoolName", "vg0"}});
  REQUIRE(settings.ok());
  CHECK(settings.value().lvcreate_options == std::vector<std::string>{"-i", "2", "-I", "64"});
  CHECK(settings.value().zfs_create_options == std::vector<std::string>{"-o", "compression=lz4"});
  const auto quoted = settings_from_properties({{"StorDriver/LvcreateOptions", "--tag 'a b'"}});
  REQUIRE_FALSE(quoted.ok());
  CHECK(mentions(quoted.message(),
                 {"StorDriver/LvcreateOptions", "quotes", "never passed through a shell"}));
}

TEST_CASE("DISKLESS: no capacity, device-less volumes, no snapshots") {
  recorded_runner runner;
  auto made = make_provider(provider_kind::diskless, "DfltDisklessStorPool", "", {}, runner);
  REQUIRE(made.ok());
  storage_provider& diskless = *made.value();
  CHECK(diskless.capacity().value().total_kib == 0);
  CHECK(diskless.capacity().value().free_kib == 0);
  const auto volume = diskless.create_volume({{"vm-1", 0}, 1048576});
  REQUIRE(volume.ok());
  CHECK(volume.value().device_path.empty());
  CHECK(volume.value().gross_kib == 0);
  CHECK(diskless.list_volumes(kDefaultPeerSlots).value().empty());
  CHECK(diskless.delete_volume({"vm-1", 0}).ok());
  CHECK(diskless.create_volume({{"../x", 0}, 1}).kind() == error_kind::invalid_argument);
  const auto snapshot = diskless.create_snapshot({"vm-1", 0}, "s");
  CHECK(snapshot.kind() == error_kind::unsupported);
  CHECK(mentions(snapshot.message(), {"DISKLESS pool 'DfltDisklessStorPool'"}));
  CHECK(runner.calls().empty());
}
