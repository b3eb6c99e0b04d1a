// The Markov models on cases whose answer is known in closed form.
#include <doctest/doctest.h>

#include <stdexcept>

#include "analysis/availability_model.h"
#include "analysis/durability_model.h"

using namespace tandem;
using namespace tandem::analysis;

namespace {

availability_params crash_only(int replicas, int tiebreakers, quorum_setting::kind quorum) {
  availability_params p;
  p.diskful_replicas = replicas;
  p.tiebreakers = tiebreakers;
  p.quorum = {quorum, 0};
  p.node_mtbf_hours = 40.0;
  p.node_restart_hours = 3.0;
  p.resync_hours = 0.05;
  return p;
}

constexpr double kUp = 40.0 / 43.0;  // one node's share of time running

}  // namespace

TEST_CASE("one replica is available exactly while its node runs") {
  const auto r = solve_availability(crash_only(1, 0, quorum_setting::kind::off));
  CHECK(r.availability == doctest::Approx(kUp).epsilon(1e-12));
  CHECK(r.split_brain_prone == 0.0);
}

TEST_CASE("two replicas with quorum majority need both nodes: A = p^2") {
  const auto r = solve_availability(crash_only(2, 0, quorum_setting::kind::majority));
  CHECK(r.availability == doctest::Approx(kUp * kUp).epsilon(1e-12));
}

TEST_CASE("three replicas with quorum majority need two nodes: A = p^3 + 3p^2(1-p)") {
  // Exact only with instant resync: otherwise two running nodes can both be stale (the one that
  // held the newest data crashed while the other was still a SyncTarget), which the model counts.
  auto p = crash_only(3, 0, quorum_setting::kind::majority);
  p.resync_hours = 1e-9;
  const double closed_form = kUp * kUp * kUp + 3 * kUp * kUp * (1 - kUp);
  CHECK(solve_availability(p).availability == doctest::Approx(closed_form).epsilon(1e-7));
  p.resync_hours = 0.5;
  CHECK(solve_availability(p).availability < closed_form - 1e-6);
}

TEST_CASE("two replicas without quorum: the hand-solved four-state chain with stale restarts") {
  // States: both up (2); one up and current, one down (1); both down (0); only the stale one up
  // (x). Resync is made instant. Balance equations solved by hand relative to pi1.
  auto p = crash_only(2, 0, quorum_setting::kind::off);
  p.resync_hours = 1e-9;
  const double l = 1.0 / p.node_mtbf_hours;
  const double m = 1.0 / p.node_restart_hours;
  const double pi1 = 1.0;
  const double pi0 = l * (l + m) * pi1 / (m * (l + 2 * m));
  const double pix = pi0 * m / (l + m);
  const double pi2 = (pi1 * m + pix * m) / (2 * l);
  const double expected = (pi2 + pi1) / (pi2 + pi1 + pi0 + pix);
  const auto r = solve_availability(p);
  CHECK(r.availability == doctest::Approx(expected).epsilon(1e-7));
  // Less than 1 - q^2, the figure that forgets a lone restarted replica may hold stale data.
  CHECK(r.availability < 1 - (1 - kUp) * (1 - kUp));
  CHECK(r.split_brain_prone == 0.0);  // crashes alone never leave two writable sides
}

TEST_CASE("two replicas without quorum are split-brain prone exactly while both run and the link is down") {
  auto p = crash_only(2, 0, quorum_setting::kind::off);
  p.link_mtbf_hours = 20.0;
  p.link_repair_hours = 0.5;
  const double link_down = 0.5 / 20.5;
  const auto r = solve_availability(p);
  CHECK(r.split_brain_prone == doctest::Approx(kUp * kUp * link_down).epsilon(1e-9));
}

TEST_CASE("with quorum no configuration is ever split-brain prone even with failing links") {
  for (int replicas = 2; replicas <= 3; ++replicas) {
    for (int tiebreakers = 0; tiebreakers <= 1; ++tiebreakers) {
      auto p = crash_only(replicas, tiebreakers, quorum_setting::kind::majority);
      p.link_mtbf_hours = 10.0;
      p.link_repair_hours = 1.0;
      CAPTURE(replicas);
      CAPTURE(tiebreakers);
      const auto r = solve_availability(p);
      CHECK(r.split_brain_prone == 0.0);
      CHECK(r.availability > 0.5);
    }
  }
}

TEST_CASE("a tie-breaker makes two replicas with quorum better than two without and close to three") {
  const auto two = solve_availability(crash_only(2, 0, quorum_setting::kind::majority));
  const auto two_tb = solve_availability(crash_only(2, 1, quorum_setting::kind::majority));
  const auto three = solve_availability(crash_only(3, 0, quorum_setting::kind::majority));
  CHECK(two_tb.availability > two.availability);
  CHECK(three.availability >= two_tb.availability);
  // The tie-breaker only keeps quorum, never grants it: still below "any one of two nodes up".
  CHECK(two_tb.availability < 1 - (1 - kUp) * (1 - kUp));
}

TEST_CASE("MTTDL: one replica lives as long as its disk and two or three match the closed forms") {
  durability_params p;
  p.disk_mtbf_hours = 1000.0;
  p.disk_replace_hours = 20.0;
  p.volume_size_gib = 0.0;
  const double l = 1.0 / 1000.0;
  const double m = 1.0 / 20.0;
  p.diskful_replicas = 1;
  CHECK(solve_durability(p).mttdl_hours == doctest::Approx(1000.0).epsilon(1e-12));
  p.diskful_replicas = 2;
  CHECK(solve_durability(p).mttdl_hours == doctest::Approx((3 * l + m) / (2 * l * l)).epsilon(1e-9));
  p.diskful_replicas = 3;
  const double three = (11 * l * l + 7 * l * m + 2 * m * m) / (6 * l * l * l);
  CHECK(solve_durability(p).mttdl_hours == doctest::Approx(three).epsilon(1e-9));
}

TEST_CASE("the rebuild time comes from the replacement delay plus volume size over resync bandwidth") {
  durability_params p;
  p.disk_replace_hours = 1.0;
  p.volume_size_gib = 360.0;
  p.resync_mib_per_s = 102.4;  // 360 GiB = 368640 MiB -> 3600 s
  CHECK(p.rebuild_hours() == doctest::Approx(2.0));
  const double slow = solve_durability(p).mttdl_hours;
  p.resync_mib_per_s = 1024.0;
  CHECK(solve_durability(p).mttdl_hours > slow);
}

TEST_CASE("bad model parameters name the parameter") {
  auto p = crash_only(2, 0, quorum_setting::kind::off);
  p.node_mtbf_hours = 0.0;
  CHECK_THROWS_WITH_AS(solve_availability(p), doctest::Contains("node_mtbf_hours"),
                       std::invalid_argument);
  durability_params d;
  d.resync_mib_per_s = -1;
  CHECK_THROWS_WITH_AS(solve_durability(d), doctest::Contains("resync_mib_per_s"),
                       std::invalid_argument);
}
