// Private helpers shared by the operations_*.cpp files (not part of the library's interface).
#pragma once

#include <string>

#include "core/cluster/operations.h"

namespace tandem::cluster::detail {

// Applies a props change after validating every key; returns false (and appends an error with
// `op_object`) on the first invalid key.
bool apply_props_change(props& target, const props_change& change, std::uint64_t op_object,
                        api_call_rcs& rcs);

inline std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

api_call_rc not_found_node(std::uint64_t op_object, const std::string& name);
api_call_rc not_found_definition(std::uint64_t op_object, const std::string& name);
api_call_rc not_found_group(std::uint64_t op_object, const std::string& name);
api_call_rc not_found_resource(std::uint64_t op_object, const std::string& definition,
                               const std::string& node_name);

// Builds the volumes of a resource on `node_name` for every volume definition of `rd`: diskful
// resources take the pool named by StorPoolName (resource -> RD -> RG props) or DfltStorPool,
// diskless ones the node's DfltDisklessStorPool. Appends an error and returns false when the pool
// is missing or a size does not work.
bool build_volumes(const cluster& c, const resource_definition& rd, resource& rsc,
                   std::uint64_t op_object, api_call_rcs& rcs);

}  // namespace tandem::cluster::detail
