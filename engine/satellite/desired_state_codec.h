// Satellite side of docs/satellite-protocol.md: decoding the controller's desired_state and
// desired_state_delta messages into the control plane's own value types, so both ends share one
// definition of the state.
// Pure (no I/O); bad input is an error naming the field, never a crash (fuzzed).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <variant>

#include "core/cluster/desired_state.h"
#include "core/cluster/desired_state_delta.h"

namespace tandem::satellite {

// 2: the controller sends desired_state_delta after the first full state (a version 1 satellite
// would ignore them and never converge again).
inline constexpr int kProtocolVersion = 2;

struct decoded_state {
  std::uint64_t generation = 0;
  cluster::node_desired_state state;
};

// Either the state or a message like "resources[2].volumes[0].size_kib: expected an unsigned
// integer". Unknown fields are ignored (forward compatibility); missing optional fields take the
// protocol's defaults.
std::variant<decoded_state, std::string> decode_desired_state(const nlohmann::json& message);

struct decoded_delta {
  std::uint64_t generation = 0;
  std::uint64_t base_generation = 0;  // the generation the delta patches
  cluster::desired_state_delta delta;
};

// The same for a desired_state_delta: "pools" and "resources" are decoded like a full state's.
std::variant<decoded_delta, std::string> decode_desired_state_delta(const nlohmann::json& message);

}  // namespace tandem::satellite
