#include "engine/controller/desired_state_sender.h"

#include <utility>

#include "core/cluster/desired_state_delta.h"
#include "engine/controller/satellite_messages.h"

namespace tandem::controller {

std::string desired_state_sender::update(cluster::node_desired_state state) {
  if (state_ && *state_ == state) return "";
  if (!online_ || !full_state_sent_) {
    state_ = std::move(state);
    return online_ ? full_state() : "";
  }
  const cluster::desired_state_delta delta = cluster::diff_desired_states(*state_, state);
  state_ = std::move(state);
  if (delta.empty()) return "";  // a difference no message carries (the node's name)
  const std::uint64_t base = generation_;
  return desired_state_delta_message(delta, base, ++generation_).dump();
}

std::string desired_state_sender::on_online() {
  online_ = true;
  full_state_sent_ = false;
  generation_ = 0;
  return full_state();
}

std::string desired_state_sender::on_resync_request() {
  return online_ ? full_state() : "";
}

void desired_state_sender::on_offline() {
  online_ = false;
  full_state_sent_ = false;
  generation_ = 0;
}

std::string desired_state_sender::full_state() {
  if (!state_) return "";
  full_state_sent_ = true;
  return desired_state_message(*state_, ++generation_).dump();
}

}  // namespace tandem::controller
