// The controller's automatic decisions for one resource definition, as pure functions:
//  - tie-breaker (research/linstor.md §4.2): with an even number (>= 2) of diskful replicas and
//    no other diskless resource to vote, a diskless TIE_BREAKER on a third node keeps a majority
//    possible when one side fails; it is removed again when no longer needed;
//  - auto-quorum (§4.3): quorum=majority on the definition once a majority can exist
//    (>= 3 diskful, or 2 diskful + a diskless), else off - unless a user set quorum himself;
//  - auto-diskful (§4.4): a diskless resource that has been Primary for
//    DrbdOptions/auto-diskful minutes becomes diskful.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster/model.h"

namespace tandem::cluster {

struct replica_counts {
  std::uint32_t diskful = 0;
  std::uint32_t diskless = 0;  // ordinary diskless (clients), not tie-breakers
  std::uint32_t tie_breakers = 0;
};
// Counts resources of the definition that are not being deleted.
replica_counts count_replicas(const cluster& c, std::string_view definition);

// DrbdOptions/auto-add-quorum-tiebreaker (RD -> RG -> controller) is true and quorum is either
// managed by auto-quorum or set to majority.
bool tie_breaker_enabled(const cluster& c, const resource_definition& rd);

// Diskful count even and >= 2, and no ordinary diskless resource that already votes.
bool tie_breaker_needed(const replica_counts& counts);

enum class tie_breaker_action : std::uint8_t { none, create, remove };
struct tie_breaker_decision {
  tie_breaker_action action = tie_breaker_action::none;
  std::string node_name;  // for remove: which tie-breaker
};
tie_breaker_decision decide_tie_breaker(const cluster& c, const resource_definition& rd);

// Whether a user owns the quorum setting: DrbdOptions/Resource/quorum set on the RG or the
// controller, or on the RD without Internal/Drbd/QuorumSetBy=linstor.
bool quorum_set_by_user(const cluster& c, const resource_definition& rd);

// The value auto-quorum wants on the RD ("majority" or "off"), nullopt if a user owns it.
std::optional<std::string> auto_quorum_value(const cluster& c, const resource_definition& rd);

// DrbdOptions/auto-diskful in minutes (Resource -> Node -> RD -> RG -> controller); nullopt when
// unset or not a positive number.
std::optional<std::uint64_t> auto_diskful_minutes(const cluster& c, const resource& rsc);

// Diskless, non-tie-breaker resources whose satellite reports them Primary for at least their
// auto-diskful time. Returns (definition, node) display names in key order.
std::vector<std::pair<std::string, std::string>> auto_diskful_due(const cluster& c,
                                                                  std::uint64_t now_ms);

// After auto-diskful (LINSTOR's AutoUnplacer, research/linstor.md §4.4): once a resource that
// auto-diskful gave a disk (flag AUTO_DISKFUL) reports UpToDate on every volume, it has settled;
// if its definition now has more diskful replicas than the group's place_count (default 2), one
// excess replica is removed: diskful, reported not in use, not the settled one, and allowed to go
// (DiskfulBy auto-diskful or make-available, or DrbdOptions/auto-diskful-allow-cleanup true,
// resolved resource -> node -> RD -> RG -> controller). Replicas without a report never go.
struct cleanup_decision {
  std::string definition;
  std::string settled_node;  // its AUTO_DISKFUL flag is cleared
  std::string remove_node;   // empty: nothing in excess (or nothing allowed to go)
};
std::vector<cleanup_decision> auto_diskful_cleanup(const cluster& c);

}  // namespace tandem::cluster
