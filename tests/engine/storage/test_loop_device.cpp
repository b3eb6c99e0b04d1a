#include <doctest/doctest.h>

#include "engine/storage/loop_device.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::mentions;
using tandem::storage::testing::recorded_runner;

TEST_CASE("losetup --list --raw output maps backing files to devices, escapes undone") {
  // util-linux 2.38 raw mode: one "NAME BACK-FILE" line per device, spaces in names as \x20.
  const auto devices = parse_losetup_list(
      "/dev/loop0 /srv/pool/vm-1_00000.img\n"
      "/dev/loop1 /srv/my\\x20pool/vm-2_00000.img\n"
      "/dev/loop2\n"
      "\n");
  REQUIRE(devices.size() == 2);
  CHECK(devices.at("/srv/pool/vm-1_00000.img") == "/dev/loop0");
  CHECK(devices.at("/srv/my pool/vm-2_00000.img") == "/dev/loop1");
}

TEST_CASE("loop_devices issues losetup commands and checks what attach printed") {
  recorded_runner runner;
  runner.expect({"losetup", "--find", "--show", "/srv/p/a_00000.img"}, 0, "/dev/loop7\n");
  runner.expect({"losetup", "--find", "--show", "/srv/p/b_00000.img"}, 0, "");
  runner.expect({"losetup", "--find", "--show", "/srv/p/c_00000.img"}, 1, "",
                "losetup: /srv/p/c_00000.img: failed to set up loop device: No such device\n");
  runner.expect({"losetup", "--set-capacity", "/dev/loop7"}, 0, "");
  runner.expect({"losetup", "--detach", "/dev/loop7"}, 0, "");
  loop_devices loops(runner, std::chrono::seconds(5));
  CHECK(loops.attach("/srv/p/a_00000.img").value() == "/dev/loop7");
  const auto silent = loops.attach("/srv/p/b_00000.img");
  REQUIRE_FALSE(silent.ok());
  CHECK(mentions(silent.message(), {"printed no device"}));
  const auto failed = loops.attach("/srv/p/c_00000.img");
  REQUIRE_FALSE(failed.ok());
  CHECK(mentions(failed.message(), {"losetup --find --show", "failed to set up loop device"}));
  CHECK(loops.refresh_size("/dev/loop7").ok());
  CHECK(loops.detach("/dev/loop7").ok());
  CHECK(runner.mismatches().empty());
  CHECK(runner.pending() == 0);
}
