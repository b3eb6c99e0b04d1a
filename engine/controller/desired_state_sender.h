// What the controller sends one satellite connection for its node's desired state
// (docs/satellite-protocol.md §3.1-3.2): the full state when the satellite's hello arrives and
// when it asks for one (resync_request), and after that only a desired_state_delta against the
// state this connection sent last. Keeps just the latest state of the node (the base of the next
// delta, since every change is sent the moment it is made). Pure: the link does the I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/cluster/desired_state.h"

namespace tandem::controller {

class desired_state_sender {
 public:
  // The node's desired state as of now. Returns the line to send (without its newline), or ""
  // when nothing is to be sent: the state did not change, or the satellite is not online (it
  // gets the whole state with its hello).
  std::string update(cluster::node_desired_state state);

  // The satellite's hello was accepted: its full state (generation 1), or "" while no state is
  // known yet (then the first update() sends the full state).
  std::string on_online();
  // The satellite asked for a full state: it, with the next generation.
  std::string on_resync_request();
  // The connection is gone: the next one starts over with a full state.
  void on_offline();

  std::uint64_t generation() const { return generation_; }

 private:
  std::string full_state();

  std::optional<cluster::node_desired_state> state_;
  bool online_ = false;
  bool full_state_sent_ = false;  // on this connection: deltas may follow
  std::uint64_t generation_ = 0;  // of the last message on this connection
};

}  // namespace tandem::controller
