#include "core/replica/resync_rate.h"

#include <algorithm>

namespace tandem {

std::uint64_t sectors_per_step(std::uint32_t rate_kib_s) {
  return std::uint64_t{rate_kib_s} * 2 / 10;
}

namespace {

// The feedback controller (c-plan-ahead > 0).
std::int64_t planned_sectors(const resync_rate_settings& settings, resync_rate_plan& plan,
                             const resync_rate_step& step) {
  const std::size_t steps = settings.plan_ahead_ds;  // one step per 0.1 s of the horizon
  if (plan.slots.size() != steps) plan = resync_rate_plan{std::vector<std::int64_t>(steps, 0)};
  const auto arrived = static_cast<std::int64_t>(step.arrived_sectors);
  // The amount to keep in flight: fixed, or what arrives over the delay target at the last step's
  // pace.
  const std::int64_t want = settings.fill_target_sectors != 0
                                ? static_cast<std::int64_t>(settings.fill_target_sectors)
                                : arrived * static_cast<std::int64_t>(settings.delay_target_ds);
  // What is still missing, after what is in flight and what earlier steps already plan to add.
  const std::int64_t correction =
      want - static_cast<std::int64_t>(step.in_flight_sectors) - plan.total;
  // Spread evenly over the horizon: every coming step takes its share.
  const std::int64_t per_step = correction / static_cast<std::int64_t>(steps);
  for (auto& slot : plan.slots) slot += per_step;
  plan.total += per_step * static_cast<std::int64_t>(steps);
  // This step applies the share planned for it; its slot becomes the far end of the horizon.
  const std::int64_t now = plan.slots[plan.next];
  plan.slots[plan.next] = 0;
  plan.next = (plan.next + 1) % steps;
  plan.total -= now;
  // Replace what arrived, and correct toward the aim.
  return arrived + now;
}

}  // namespace

std::uint64_t plan_resync_step(const resync_rate_settings& settings, resync_rate_plan& plan,
                               const resync_rate_step& step) {
  std::uint64_t sectors = sectors_per_step(settings.resync_rate_kib_s);
  if (settings.plan_ahead_ds != 0) {
    sectors = static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, planned_sectors(settings, plan, step)));
    sectors = std::min(sectors, sectors_per_step(settings.max_rate_kib_s));
  }
  // The application comes first on a busy disk; c-min-rate 0 never throttles (as in DRBD).
  if (step.application_io && settings.min_rate_kib_s != 0) {
    sectors = std::min(sectors, sectors_per_step(settings.min_rate_kib_s));
  }
  return sectors;
}

}  // namespace tandem
