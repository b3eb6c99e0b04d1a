// What changed in one node's desired state between two generations (docs/satellite-protocol.md
// §3.2): the controller sends this instead of the whole state once a connection has had a full
// one, and the satellite patches its copy of the last state with it, so that it converges on a
// whole state exactly as before. The unit of change is a whole resource or pool entry: simple to
// get right, and a change to a 1000-resource node still costs only the entries it touches.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/cluster/desired_state.h"

namespace tandem::cluster {

struct nbd_listen {
  std::string address;
  std::uint16_t port = 0;
  friend bool operator==(const nbd_listen&, const nbd_listen&) = default;
};

struct desired_state_delta {
  std::optional<nbd_listen> nbd;            // the node's NBD listen address, when it changed
  std::vector<desired_pool> changed_pools;  // added or changed, whole entries
  std::vector<std::string> removed_pools;   // by name
  std::vector<desired_resource> changed_resources;  // added or changed, whole entries
  std::vector<std::string> removed_resources;       // by name
  bool empty() const {
    return !nbd && changed_pools.empty() && removed_pools.empty() && changed_resources.empty() &&
           removed_resources.empty();
  }
  friend bool operator==(const desired_state_delta&, const desired_state_delta&) = default;
};

// Entries are matched by name_key(name). The node name is not part of a delta: a connection
// serves one node.
desired_state_delta diff_desired_states(const node_desired_state& from,
                                        const node_desired_state& to);

// `base` with the delta applied: removed entries go, changed ones replace the entry of the same
// name or are inserted before the first entry whose name sorts after theirs (name_key order,
// which is how desired_state_for_node lists them). So for states in that order,
// apply_desired_state_delta(a, diff_desired_states(a, b)) == b.
node_desired_state apply_desired_state_delta(node_desired_state base,
                                             const desired_state_delta& delta);

}  // namespace tandem::cluster
