// tandemd's event stream (`tandemadm events`, in the manner of `drbdsetup events2`): the core's
// state_changed and event outputs as JSON objects, the current state as "exists" objects, and
// the one-line text form tandemadm prints. docs/tandemd.md ("Events") describes the fields.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/replica/replica.h"

namespace tandem::engine {

using peer_names = std::vector<std::pair<node_id, std::string>>;

std::string change_event_json(std::string_view resource, const state_changed& change,
                              const peer_names& names);
std::string event_json(std::string_view resource, const event& e, const peer_names& names);
// "exists" objects for the resource, its devices, connections and peer devices.
std::vector<std::string> exists_events_json(std::string_view resource, const replica_view& view,
                                            const peer_names& names);
// {"type": "create"|"destroy", "object": "resource", "name": ...}
std::string lifecycle_event_json(std::string_view type, std::string_view resource);
// The text line for one event object, e.g.
//   change peer-device name:r0 peer-node-id:2 conn-name:n2 volume:0 replication:SyncTarget
// Throws std::runtime_error when the text is not an event object.
std::string event_text(const std::string& json_object);

}  // namespace tandem::engine
