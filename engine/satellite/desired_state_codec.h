// Satellite side of docs/satellite-protocol.md: decoding the controller's desired_state message
// into the control plane's own value type, so both ends share one definition of the state.
// Pure (no I/O); bad input is an error naming the field, never a crash (fuzzed).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <variant>

#include "core/cluster/desired_state.h"

namespace tandem::satellite {

inline constexpr int kProtocolVersion = 1;

struct decoded_state {
  std::uint64_t generation = 0;
  cluster::node_desired_state state;
};

// Either the state or a message like "resources[2].volumes[0].size_kib: expected an unsigned
// integer". Unknown fields are ignored (forward compatibility); missing optional fields take the
// protocol's defaults.
std::variant<decoded_state, std::string> decode_desired_state(const nlohmann::json& message);

}  // namespace tandem::satellite
