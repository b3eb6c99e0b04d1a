// The satellite's copy of the desired state the controller sent on one connection
// (docs/satellite-protocol.md §3.1-3.2): a full desired_state replaces it, a desired_state_delta
// patches it when the delta's base_generation is the copy's generation. Either way the converger
// gets a whole state, so it converges the same way for both. A delta on any other base (a message
// the satellite could not decode, a controller bug) asks for a full state instead of guessing.
// Pure (no I/O), one per connection: a new connection starts with a full state anyway.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <variant>

#include "engine/satellite/desired_state_codec.h"

namespace tandem::satellite {

class desired_state_tracker {
 public:
  struct converge {  // hand this whole state to the converger
    decoded_state state;
  };
  struct refuse {  // a full state that does not decode: answer `applied` with ok false
    std::uint64_t generation = 0;
    std::string why;
  };
  // Answer `resync_request`.
  struct ask_for_full_state {
    std::uint64_t generation = 0;  // what the copy is at (0: no copy)
    std::string why;
  };
  struct wait_for_full_state {};  // a delta after a resync_request, before the full state came
  using outcome = std::variant<converge, refuse, ask_for_full_state, wait_for_full_state>;

  // `message` is a desired_state or desired_state_delta (its "type" says which).
  outcome accept(const nlohmann::json& message);

  std::uint64_t generation() const { return copy_ ? copy_->generation : 0; }

 private:
  outcome accept_full_state(const nlohmann::json& message);
  outcome accept_delta(const nlohmann::json& message);
  outcome ask(std::string why);

  std::optional<decoded_state> copy_;  // none before the first full state or after a bad one
  bool asked_ = false;  // a resync_request is out; deltas until the full state are stale
};

}  // namespace tandem::satellite
