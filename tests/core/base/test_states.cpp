#include <doctest/doctest.h>

#include "core/base/ids.h"
#include "core/base/states.h"

using namespace tandem;

TEST_CASE("disk states keep DRBD's numeric order and names") {
  CHECK(disk_state::inconsistent < disk_state::outdated);
  CHECK(disk_state::outdated < disk_state::uptodate);
  CHECK(static_cast<int>(disk_state::uptodate) == 9);
  CHECK(to_string(disk_state::uptodate) == "UpToDate");
  CHECK(to_string(disk_state::dunknown) == "DUnknown");
  CHECK(to_string(conn_state::standalone) == "StandAlone");
  CHECK(to_string(repl_state::sync_target) == "SyncTarget");
  CHECK(to_string(repl_state::paused_sync_t) == "PausedSyncT");
  CHECK(to_string(role::primary) == "Primary");
  CHECK(to_string(protocol::c) == "C");
}

TEST_CASE("raw values from outside are range-checked") {
  CHECK(disk_state_from(9) == disk_state::uptodate);
  CHECK_FALSE(disk_state_from(10).has_value());
  CHECK_FALSE(role_from(3).has_value());
  CHECK_FALSE(repl_state_from(15).has_value());
  CHECK_FALSE(protocol_from(0).has_value());
  CHECK(protocol_from(2) == protocol::b);
}

TEST_CASE("node masks cover node ids 0..31") {
  CHECK(mask_of(0) == 1u);
  CHECK(mask_of(31) == 0x80000000u);
  CHECK(mask_has(mask_of(5) | mask_of(31), 31));
  CHECK_FALSE(mask_has(mask_of(5), 4));
  CHECK(uuid_value(0x1235) == 0x1234);
}
