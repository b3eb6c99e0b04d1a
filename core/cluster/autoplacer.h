// The autoplacer (research/linstor.md §4.1): which storage pools on which nodes get the new
// replicas of a resource definition. Three phases like LINSTOR's: filter every pool (recording
// the first rule that rejected it, so "Not enough available nodes" can say why - the most common
// user complaint, linstor.md §8.1), rate the survivors (most free space first, then fewest
// resources on the node, then by name), and select a combination of one pool per node that
// honours replicas-on-same / replicas-on-different / x-replicas-on-different with the highest
// total score. Pure and deterministic: same cluster and request, same answer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cluster/model.h"

namespace tandem::cluster {

// A node that holds a tie-breaker of the definition can be chosen for a diskful replica: the
// caller then gives that tie-breaker a disk instead of creating a resource.
struct placement_request {
  std::string definition;   // the resource definition to place
  select_filter filter;     // already merged with the resource group's filter
  std::uint32_t count = 0;  // how many new resources
  bool diskless = false;    // place diskless resources (tie-breakers, diskless-on-remaining)
  // Sizes of the volumes to create (net KiB, as the volume definitions hold them).
  std::vector<std::uint64_t> volume_sizes_kib;
  // Also place on nodes whose satellite is not connected (used when nothing is connected yet
  // and by definitions-only workflows; LINSTOR itself never does this).
  bool allow_offline_nodes = false;
};

struct pool_choice {
  std::string node_name;
  std::string pool;
  friend bool operator==(const pool_choice&, const pool_choice&) = default;
};

struct pool_rejection {
  std::string node_name;
  std::string pool;  // empty when the whole node was rejected
  std::string reason;
};

struct placement_result {
  bool ok = false;
  std::vector<pool_choice> chosen;  // in selection order (best first)
  std::vector<pool_rejection> rejected;
  std::string message;  // on failure: "Not enough available nodes" + why
};

placement_result autoplace(const cluster& c, const placement_request& request);

// Thin pools may promise more than they have: free x ratio (LINSTOR's MaxOversubscriptionRatio,
// default 20).
inline constexpr double kDefaultMaxOversubscriptionRatio = 20.0;

}  // namespace tandem::cluster
