#include "core/replica/planted_bugs.h"

namespace tandem {

bool planted_bugs_available() {
  return planted_bugs_compiled;
}

std::string_view to_string(planted_bug bug) {
  switch (bug) {
    case planted_bug::none: return "none";
    case planted_bug::ack_before_peer: return "ack-before-peer";
    case planted_bug::no_bitmap_while_away: return "no-bitmap-while-away";
    case planted_bug::ignore_quorum: return "ignore-quorum";
    case planted_bug::reversed_bitmap_rule: return "reversed-bitmap-rule";
    case planted_bug::stale_resync_reply: return "stale-resync-reply";
    case planted_bug::forget_activity_log: return "forget-activity-log";
  }
  return "?";
}

std::optional<planted_bug> planted_bug_from(std::string_view name) {
  if (name == "none") return planted_bug::none;
  for (planted_bug bug : kAllPlantedBugs) {
    if (to_string(bug) == name) return bug;
  }
  return std::nullopt;
}

}  // namespace tandem
