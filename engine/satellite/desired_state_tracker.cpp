#include "engine/satellite/desired_state_tracker.h"

#include <nlohmann/json.hpp>

namespace tandem::satellite {

desired_state_tracker::outcome desired_state_tracker::accept(const nlohmann::json& message) {
  if (message.value("type", std::string()) == "desired_state_delta") return accept_delta(message);
  return accept_full_state(message);
}

desired_state_tracker::outcome desired_state_tracker::accept_full_state(
    const nlohmann::json& message) {
  asked_ = false;
  auto decoded = decode_desired_state(message);
  if (auto* why = std::get_if<std::string>(&decoded)) {
    // The controller believes this state arrived; a delta on it must not patch an older copy.
    copy_.reset();
    const nlohmann::json generation = message.value("generation", nlohmann::json(0));
    return refuse{generation.is_number_unsigned() ? generation.get<std::uint64_t>() : 0, *why};
  }
  copy_ = std::move(std::get<decoded_state>(decoded));
  return converge{*copy_};
}

desired_state_tracker::outcome desired_state_tracker::accept_delta(const nlohmann::json& message) {
  if (asked_) return wait_for_full_state{};
  auto decoded = decode_desired_state_delta(message);
  if (auto* why = std::get_if<std::string>(&decoded)) return ask("delta refused: " + *why);
  const decoded_delta& delta = std::get<decoded_delta>(decoded);
  if (!copy_) {
    return ask("delta on generation " + std::to_string(delta.base_generation) +
               ", but this satellite has no state from this connection");
  }
  if (delta.base_generation != copy_->generation) {
    return ask("delta on generation " + std::to_string(delta.base_generation) +
               ", but this satellite is at generation " + std::to_string(copy_->generation));
  }
  copy_->state = cluster::apply_desired_state_delta(std::move(copy_->state), delta.delta);
  copy_->generation = delta.generation;
  return converge{*copy_};
}

desired_state_tracker::outcome desired_state_tracker::ask(std::string why) {
  asked_ = true;
  // The copy is kept: it still is the last state converged to, only no longer the controller's.
  return ask_for_full_state{generation(), std::move(why)};
}

}  // namespace tandem::satellite
