// `tandemadm events`: subscribes on tandemd's admin socket and prints one line per event, like
// `drbdsetup events2` (text) or one JSON object per line (--json).
#pragma once

#include <string>

namespace tandem::engine {

// Prints the current state ("exists" lines, then "exists -"), then every change until tandemd
// closes the connection; with `now`, stops after "exists -". `resource` (non-empty) filters.
// Returns tandemadm's exit code: 0, or 3 when tandemd cannot be reached or answers garbage.
int follow_events(const std::string& socket_path, const std::string& resource, bool now,
                  bool as_json);

}  // namespace tandem::engine
