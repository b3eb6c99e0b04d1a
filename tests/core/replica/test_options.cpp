// admin_op::set_options (replica_options.cpp): options an adjust changes while the resource runs.
#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr std::uint64_t kVolumeBytes = 1 << 20;

void two_primaries_allowed(sim::cluster_options& options) { options.allow_two_primaries = true; }

bool all_ok(const std::vector<admin_done>& answers) {
  return std::all_of(answers.begin(), answers.end(), [](const admin_done& d) { return d.ok; });
}

}  // namespace

TEST_CASE("options round-trip through replica_config") {
  replica_config config;
  adjustable_options options;
  options.quorum = *parse_quorum_setting("majority");
  options.on_no_quorum_policy = on_no_quorum::io_error;
  options.split_brain.zero_primaries = after_sb_0pri::discard_zero_changes;
  options.allow_two_primaries = true;
  options.checksum_resync = true;
  options.io_error_policy = on_io_error::pass_on;
  apply_adjustable_options(config, options);
  CHECK(adjustable_options_of(config) == options);
}

TEST_CASE("adjust turns quorum on and off while the Primary writes") {
  auto c = primary_on_n0(3, 2, kVolumeBytes);
  volume_model model(kVolumeBytes);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  adjustable_options quorum_on = c.current_options();
  quorum_on.quorum = *parse_quorum_setting("majority");
  REQUIRE(all_ok(c.adjust_options(quorum_on)));
  CHECK(c.view(0).volumes[0].quorum);
  c.isolate(0);
  c.run_until_quiet();
  CHECK_FALSE(c.view(0).volumes[0].quorum);
  // suspend-io: the write waits instead of completing on the lone Primary.
  auto data = payload(2, kBlockBytes);
  const auto tag = c.write(0, 0, kBlockBytes, data);
  c.run_until_quiet();
  CHECK_FALSE(c.result(tag).done);
  adjustable_options quorum_off = quorum_on;
  quorum_off.quorum = quorum_setting{};
  REQUIRE(all_ok(c.adjust_options(quorum_off)));
  c.run_until_quiet();
  REQUIRE(c.result(tag).done);
  CHECK(c.result(tag).status == io_status::ok);
  model.apply(kBlockBytes, data);
  c.rejoin(0);
  c.run_until_quiet();
  check_all_match(c, model);
}

TEST_CASE("adjust refuses to forbid two Primaries while there are two") {
  auto c = primary_on_n0(2, 3, kVolumeBytes, two_primaries_allowed);
  c.run_until_quiet();
  REQUIRE(c.admin_command(1, admin_op::primary).ok);
  c.run_until_quiet();
  adjustable_options one_primary = c.current_options();
  one_primary.allow_two_primaries = false;
  const auto answers = c.adjust_options(one_primary);
  REQUIRE(answers.size() == 2);
  for (const auto& answer : answers) {
    CHECK_FALSE(answer.ok);
    CHECK(answer.message.find("allow-two-primaries off") != std::string::npos);
  }
  REQUIRE(c.admin_command(1, admin_op::secondary).ok);
  c.run_until_quiet();
  CHECK(all_ok(c.adjust_options(one_primary)));
  c.run_until_quiet();
  CHECK(c.admin_command(1, admin_op::primary).ok == false);  // now refused: n0 is Primary
}
