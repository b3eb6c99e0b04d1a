// Deliberate bugs for the simulator's self-test: they prove that the checkers can fail. Only the
// core build linked into tandem-sim (compiled with TANDEM_PLANTED_BUGS) honours them; in every
// other build `planted_bugs_compiled` is false and the checks below compile to nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem {

#ifdef TANDEM_PLANTED_BUGS
inline constexpr bool planted_bugs_compiled = true;
#else
inline constexpr bool planted_bugs_compiled = false;
#endif

enum class planted_bug : std::uint8_t {
  none,
  ack_before_peer,       // protocol C completes once the local write is done
  no_bitmap_while_away,  // writes a disconnected peer misses are not marked out of sync
  ignore_quorum,         // a node without quorum behaves as if it had it
  reversed_bitmap_rule,  // the bitmap-based UUID rules pick the wrong direction
  stale_resync_reply,    // resync replies overtaken by newer writes are written anyway
  forget_activity_log,   // a Primary restarted after a crash does not resync its hot extents
};

inline constexpr planted_bug kAllPlantedBugs[] = {
    planted_bug::ack_before_peer, planted_bug::no_bitmap_while_away, planted_bug::ignore_quorum,
    planted_bug::reversed_bitmap_rule, planted_bug::stale_resync_reply,
    planted_bug::forget_activity_log};

// Whether the core linked into this program honours planted bugs (asked at run time, because the
// answer belongs to the core's build, not to the caller's).
bool planted_bugs_available();

std::string_view to_string(planted_bug bug);
std::optional<planted_bug> planted_bug_from(std::string_view name);

}  // namespace tandem
