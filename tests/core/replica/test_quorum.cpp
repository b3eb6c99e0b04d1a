#include "core/replica/quorum.h"

#include <string>

#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

const quorum_setting kOff{};
const quorum_setting kMajority{quorum_setting::kind::majority, 0};
const quorum_setting kAll{quorum_setting::kind::all, 0};

quorum_votes votes(int up_to_date, int present, int unknown, int outdated = 0, int diskless = 0,
                   int missing_diskless = 0) {
  return {up_to_date, present, unknown, outdated, diskless, missing_diskless};
}

}  // namespace

TEST_CASE("quorum settings parse DRBD's option values and reject others") {
  CHECK(parse_quorum_setting("off") == kOff);
  CHECK(parse_quorum_setting("majority") == kMajority);
  CHECK(parse_quorum_setting("all") == kAll);
  CHECK(parse_quorum_setting("2")->count == 2);
  CHECK(to_string(*parse_quorum_setting("31")) == "31");
  CHECK_FALSE(parse_quorum_setting("0").has_value());
  CHECK_FALSE(parse_quorum_setting("32").has_value());
  CHECK_FALSE(parse_quorum_setting("most").has_value());
  CHECK_FALSE(parse_quorum_setting("").has_value());
}

TEST_CASE("quorum decision table") {
  struct row {
    const char* name;
    quorum_votes v;
    quorum_setting quorum;
    quorum_setting redundancy;
    bool had;
    bool expected;
    const char* reason;
  };
  const row rows[] = {
      {"off always has quorum", votes(0, 0, 5), kOff, kOff, false, true, "quorum off"},
      {"3 nodes, 2 reachable: majority", votes(2, 0, 1), kMajority, kOff, false, true, "votes"},
      {"3 nodes, 1 reachable: lost", votes(1, 0, 2), kMajority, kOff, true, false, "too few votes"},
      {"Inconsistent disks vote too", votes(1, 1, 1), kMajority, kOff, false, true, "votes"},
      {"all: one missing is enough to lose", votes(2, 0, 1), kAll, kOff, true, false,
       "too few votes"},
      {"fixed number 2 of 5", votes(2, 0, 3), {quorum_setting::kind::count, 2}, kOff, false, true,
       "votes"},
      {"minimum redundancy counts only UpToDate", votes(1, 1, 1), kMajority, kMajority, true,
       false, "too little redundancy"},
      {"last man standing: the absent are Outdated", votes(1, 0, 0, 2), kMajority, kOff, false,
       true, "last man standing"},
      {"2 diskful + tie-breaker: the side with the tie-breaker keeps quorum", votes(1, 0, 1, 0, 1),
       kMajority, kOff, true, true, "tie-breaker"},
      {"tie-breaker never grants a quorum not held before", votes(1, 0, 1, 0, 1), kMajority, kOff,
       false, false, "too few votes"},
      {"the side without the tie-breaker loses", votes(1, 0, 1, 0, 0, 1), kMajority, kOff, true,
       false, "too few votes"},
      {"tie-breaker does not help an odd split", votes(1, 0, 2, 0, 1), kMajority, kOff, true, false,
       "too few votes"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    const auto d = decide_quorum(r.v, r.quorum, r.redundancy, r.had, false);
    CHECK(d.have == r.expected);
    CHECK(std::string(d.reason) == r.reason);
  }
  // A diskless node borrows the quorum of a quorate UpToDate peer.
  CHECK(decide_quorum(votes(0, 0, 2), kMajority, kOff, false, true).have);
}

namespace {

sim::cluster quorate_cluster(on_no_quorum policy, node_mask diskless = 0, int nodes = 3) {
  sim::cluster_options options;
  options.nodes = nodes;
  options.diskless_nodes = diskless;
  options.volume_size_bytes = 1 << 20;
  options.quorum = kMajority;
  options.on_no_quorum_policy = policy;
  sim::cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  return c;
}

}  // namespace

TEST_CASE("an isolated Primary with on-no-quorum io-error fails writes, the majority takes over") {
  auto c = quorate_cluster(on_no_quorum::io_error);
  volume_model model(1 << 20);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  CHECK(c.view(0).volumes[0].quorum);
  c.isolate(0);
  c.run_until_quiet();
  CHECK_FALSE(c.view(0).volumes[0].quorum);
  CHECK(c.events_named("quorum-lost").size() == 1);
  const auto lost = c.write(0, 0, kBlockBytes, payload(2, kBlockBytes));
  c.run_until_quiet();
  CHECK(c.result(lost).status == io_status::no_quorum);
  // The majority side keeps quorum and may promote: no split brain is possible.
  CHECK(c.view(1).volumes[0].quorum);
  REQUIRE(c.admin_command(1, admin_op::primary).ok);
  write_ok(c, model, 1, 2 * kBlockBytes, payload(3, kBlockBytes));
  // The old Primary steps down and rejoins as a target: nothing it failed survives.
  REQUIRE(c.admin_command(0, admin_op::secondary).ok);
  c.rejoin(0);
  c.run_until_quiet();
  CHECK(c.events_named("split-brain").empty());
  CHECK(c.view(0).volumes[0].disk == disk_state::uptodate);
  check_all_match(c, model);
}

TEST_CASE("a write in flight when quorum is lost is never acknowledged as written") {
  auto c = quorate_cluster(on_no_quorum::io_error);
  c.hold(1, 0, wire::msg_type::write_ack);
  c.hold(2, 0, wire::msg_type::write_ack);
  const auto tag = c.write(0, 0, 0, payload(1, kBlockBytes));
  c.run_until_quiet();
  CHECK_FALSE(c.result(tag).done);
  c.isolate(0);
  c.run_until_quiet();
  CHECK(c.result(tag).status == io_status::no_quorum);
}

TEST_CASE("on-no-quorum suspend-io freezes I/O and resumes it when quorum returns") {
  auto c = quorate_cluster(on_no_quorum::suspend_io);
  volume_model model(1 << 20);
  c.isolate(0);
  c.run_until_quiet();
  const auto frozen = c.write(0, 0, 0, payload(7, kBlockBytes));
  const auto frozen_read = c.read(0, 0, 0, kBlockBytes);
  c.run_for(1'000'000'000);
  CHECK_FALSE(c.result(frozen).done);
  CHECK_FALSE(c.result(frozen_read).done);
  CHECK(c.view(0).volumes[0].suspended_requests == 2);
  c.rejoin(0);
  c.run_until_quiet();
  REQUIRE(c.result(frozen).status == io_status::ok);
  REQUIRE(c.result(frozen_read).status == io_status::ok);
  model.apply(0, payload(7, kBlockBytes));
  check_all_match(c, model);
}

TEST_CASE("promotion needs quorum") {
  sim::cluster_options options;
  options.nodes = 3;
  options.volume_size_bytes = 1 << 20;
  options.quorum = kMajority;
  sim::cluster c(options);
  c.start();
  c.isolate(2);
  c.run_until_quiet();
  const auto refused = c.admin_command(2, admin_op::primary);
  CHECK_FALSE(refused.ok);
  CHECK(refused.message.find("no quorum") != std::string::npos);
  CHECK(c.admin_command(1, admin_op::primary).ok);
}

TEST_CASE("two diskful nodes and a diskless tie-breaker: the Primary's side keeps quorum") {
  // n0, n1 diskful; n2 a diskless tie-breaker.
  auto c = quorate_cluster(on_no_quorum::io_error, mask_of(2));
  volume_model model(1 << 20);
  c.cut_link(0, 1);
  c.cut_link(1, 2);  // n1 alone; n0 still reaches the tie-breaker
  c.run_until_quiet();
  CHECK(c.view(0).volumes[0].quorum);
  CHECK_FALSE(c.view(1).volumes[0].quorum);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  CHECK_FALSE(c.admin_command(1, admin_op::primary).ok);
}

TEST_CASE("without a tie-breaker a two-node cluster freezes on a split") {
  auto c = quorate_cluster(on_no_quorum::io_error, 0, 2);
  c.cut_link(0, 1);
  c.run_until_quiet();
  CHECK_FALSE(c.view(0).volumes[0].quorum);
  CHECK_FALSE(c.view(1).volumes[0].quorum);
}
