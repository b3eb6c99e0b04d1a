// The resync rate controller (DRBD's c-plan-ahead / c-fill-target family), as pure arithmetic.
//
// A sync target asks for resync data in steps of kResyncStepNs (100 ms, DRBD SLEEP_TIME). Each step
// it is allowed a number of sectors to request. With c-plan-ahead = 0 that is simply resync-rate's
// share of a step. Otherwise a feedback controller decides: it aims to keep c-fill-target sectors
// of requests in flight (or, with c-fill-target = 0, what arrives within c-delay-target), asks for
// as much as arrived in the last step plus a correction toward that aim, and spreads each
// correction evenly over the c-plan-ahead horizon so one slow step does not make it overreact.
// c-max-rate caps every step; while the application uses the target's disk, the step is cut to
// c-min-rate's share, leaving the rest of the disk to the application.
#pragma once

#include <cstdint>
#include <vector>

namespace tandem {

inline constexpr std::uint64_t kResyncStepNs = 100'000'000;  // DRBD SLEEP_TIME, HZ / 10

// The resource options, in DRBD's units and with DRBD's defaults.
struct resync_rate_settings {
  std::uint32_t resync_rate_kib_s = 250;    // resync-rate: the static rate (c-plan-ahead = 0)
  std::uint32_t plan_ahead_ds = 20;         // c-plan-ahead, 0.1 s units; 0: static rate
  std::uint32_t fill_target_sectors = 100;  // c-fill-target: sectors to keep in flight
  std::uint32_t delay_target_ds = 10;       // c-delay-target, 0.1 s (when c-fill-target = 0)
  std::uint32_t max_rate_kib_s = 102400;    // c-max-rate: never more than this
  std::uint32_t min_rate_kib_s = 250;       // c-min-rate: application I/O throttles down to this
  bool operator==(const resync_rate_settings&) const = default;
};

// What the controller remembers between steps: the corrections planned for the coming steps.
struct resync_rate_plan {
  std::vector<std::int64_t> slots;  // one correction per coming step, slots[next] is the next one
  std::size_t next = 0;
  std::int64_t total = 0;  // sum of slots: corrections already planned but not yet applied
};

struct resync_rate_step {
  std::uint64_t arrived_sectors = 0;    // resync data that arrived since the last step
  std::uint64_t in_flight_sectors = 0;  // requested and not yet answered
  bool application_io = false;          // the application used the target's disk in that step
};

// Sectors a share of a rate in KiB/s covers in one step (2 sectors per KiB, 10 steps a second).
std::uint64_t sectors_per_step(std::uint32_t rate_kib_s);

// The sectors the sync target may request during the coming step. Updates `plan`.
std::uint64_t plan_resync_step(const resync_rate_settings& settings, resync_rate_plan& plan,
                               const resync_rate_step& step);

}  // namespace tandem
