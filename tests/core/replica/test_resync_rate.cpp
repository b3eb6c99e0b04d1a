// The resync rate controller's arithmetic (core/replica/resync_rate.h), one 100 ms step at a time.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "core/replica/resync_rate.h"

using namespace tandem;

namespace {

// A link whose answers take one step: what a step requests is in flight during the next step and
// has arrived by the one after.
std::vector<std::uint64_t> run_one_step_link(const resync_rate_settings& settings, int steps,
                                             bool application_io = false) {
  resync_rate_plan plan;
  std::vector<std::uint64_t> requested;
  std::uint64_t in_flight = 0;
  std::uint64_t arrived = 0;
  for (int i = 0; i < steps; ++i) {
    const std::uint64_t now =
        plan_resync_step(settings, plan, {arrived, in_flight, application_io});
    arrived = in_flight;
    in_flight = now;
    requested.push_back(now);
  }
  return requested;
}

}  // namespace

TEST_CASE("a rate in KiB/s becomes sectors per 100 ms step") {
  CHECK(sectors_per_step(250) == 50);        // DRBD's default resync-rate / c-min-rate
  CHECK(sectors_per_step(102400) == 20480);  // c-max-rate's default: 10 MiB per step
  CHECK(sectors_per_step(0) == 0);
}

TEST_CASE("c-plan-ahead 0: the static resync-rate, whatever is in flight or arrived") {
  resync_rate_settings settings;
  settings.plan_ahead_ds = 0;
  settings.resync_rate_kib_s = 4000;
  resync_rate_plan plan;
  CHECK(plan_resync_step(settings, plan, {0, 0, false}) == 800);
  CHECK(plan_resync_step(settings, plan, {5000, 9000, false}) == 800);
  CHECK(plan.slots.empty());
}

TEST_CASE("steady state: with the fill target in flight, each step replaces what arrived") {
  resync_rate_settings settings;  // fill target 100 sectors, plan ahead 20 steps
  resync_rate_plan plan;
  for (int i = 0; i < 50; ++i) CHECK(plan_resync_step(settings, plan, {100, 100, false}) == 100);
  CHECK(plan.total == 0);
}

TEST_CASE("ramp-up: the correction toward the fill target is spread over the plan-ahead horizon") {
  resync_rate_settings settings;
  settings.fill_target_sectors = 2000;  // 1 MiB in flight
  const auto requested = run_one_step_link(settings, 60);
  CHECK(requested[0] == 100);  // 2000 sectors missing, a twentieth of it now
  for (std::size_t i = 1; i < requested.size(); ++i) CHECK(requested[i] >= requested[i - 1]);
  CHECK(requested[10] < 2000);   // no jump to the target at once
  CHECK(requested[59] > 1900);   // but it gets there
  CHECK(requested[59] <= 2000);  // and does not overshoot
}

TEST_CASE("c-fill-target 0: the aim is what arrives within c-delay-target") {
  resync_rate_settings settings;
  settings.fill_target_sectors = 0;
  settings.delay_target_ds = 10;  // 1 s: ten steps of data in flight
  resync_rate_plan plan;
  // 100 sectors arrived per step, 1000 in flight already: on target, replace what arrived.
  CHECK(plan_resync_step(settings, plan, {100, 1000, false}) == 100);
  // Half the aim in flight: ask for more than arrived.
  CHECK(plan_resync_step(settings, plan, {100, 500, false}) > 100);
}

TEST_CASE("c-max-rate caps every step") {
  resync_rate_settings settings;
  settings.fill_target_sectors = 1'000'000;
  settings.max_rate_kib_s = 1000;  // 200 sectors per step
  const auto requested = run_one_step_link(settings, 100);
  for (auto sectors : requested) CHECK(sectors <= 200);
  CHECK(requested.back() == 200);
}

TEST_CASE("application I/O throttles resync to c-min-rate; c-min-rate 0 never throttles") {
  resync_rate_settings settings;
  settings.fill_target_sectors = 100'000;
  settings.min_rate_kib_s = 500;  // 100 sectors per step
  resync_rate_plan busy;
  CHECK(plan_resync_step(settings, busy, {4000, 4000, true}) == 100);
  resync_rate_plan idle;
  CHECK(plan_resync_step(settings, idle, {4000, 4000, false}) > 100);
  settings.min_rate_kib_s = 0;
  resync_rate_plan unthrottled;
  CHECK(plan_resync_step(settings, unthrottled, {4000, 4000, true}) > 100);
  // The static rate is throttled the same way.
  settings.plan_ahead_ds = 0;
  settings.resync_rate_kib_s = 10000;
  settings.min_rate_kib_s = 250;
  resync_rate_plan fixed;
  CHECK(plan_resync_step(settings, fixed, {0, 0, true}) == 50);
  CHECK(plan_resync_step(settings, fixed, {0, 0, false}) == 2000);
}
