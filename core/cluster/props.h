// Property inheritance: "first hit wins" over an ordered list of property maps, closest object
// first (LINSTOR's PriorityProps, research/linstor.md §1.5). Each consumer has its own order; the
// helpers below name the orders the control plane uses.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/cluster/model.h"

namespace tandem::cluster {

// The first map (in order) that has key decides.
std::optional<std::string> first_hit(std::initializer_list<const props*> chain,
                                     std::string_view key);

// Resource -> RD -> RG -> controller: the properties a resource effectively has (shown as
// `effective_props` and used for its options). Missing groups/definitions are skipped.
props effective_resource_props(const cluster& c, const resource& rsc);
// The same properties one at a time in key order, without building the map (the resource
// listing shows them for every resource).
void for_each_effective_resource_prop(
    const cluster& c, const resource& rsc,
    const std::function<void(const std::string& key, const std::string& value)>& visit);

// RD -> RG -> controller (auto-quorum, tie-breaker decisions).
std::optional<std::string> definition_prop(const cluster& c, const resource_definition& rd,
                                           std::string_view key);

// Resource -> Node -> RD -> RG -> controller (auto-diskful, NBD export settings).
std::optional<std::string> resource_node_prop(const cluster& c, const resource& rsc,
                                              std::string_view key);

// "true"/"yes"/"1" (any case) -> true, "false"/"no"/"0" -> false, anything else -> nullopt.
std::optional<bool> parse_bool(std::string_view text);

}  // namespace tandem::cluster
