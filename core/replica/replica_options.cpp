// Options changed while the resource runs (DRBD `adjust` of resource, net and disk options).
#include <algorithm>
#include <string>

#include "core/replica/replica_machine.h"

namespace tandem {

adjustable_options adjustable_options_of(const replica_config& config) {
  return {config.quorum,         config.quorum_minimum_redundancy, config.on_no_quorum_policy,
          config.split_brain,    config.allow_two_primaries,        config.checksum_resync,
          config.resync_rate,    config.congestion,                 config.io_error_policy};
}

void apply_adjustable_options(replica_config& config, const adjustable_options& options) {
  config.quorum = options.quorum;
  config.quorum_minimum_redundancy = options.quorum_minimum_redundancy;
  config.on_no_quorum_policy = options.on_no_quorum_policy;
  config.split_brain = options.split_brain;
  config.allow_two_primaries = options.allow_two_primaries;
  config.checksum_resync = options.checksum_resync;
  config.resync_rate = options.resync_rate;
  config.congestion = options.congestion;
  config.io_error_policy = options.io_error_policy;
}

void replica_machine::on_admin_set_options(const admin& cmd) {
  const adjustable_options& wanted = cmd.options;
  if (!wanted.allow_two_primaries && role_ == role::primary) {
    const bool other_primary = std::any_of(peers_.begin(), peers_.end(), [this](const peer_link& p) {
      return handshake_done(p) && p.peer_role == role::primary;
    });
    if (other_primary) {
      emit(admin_done{cmd.tag, false,
                      "allow-two-primaries off while another node is Primary too: demote one "
                      "first"});
      return;
    }
  }
  const bool quorum_was_on = config_.quorum.enabled();
  apply_adjustable_options(config_, wanted);
  for (std::size_t vi = 0; vi < volumes_.size(); ++vi) {
    local_volume& volume = volumes_[vi];
    if (config_.quorum.enabled()) {
      update_quorum(vi);
    } else if (quorum_was_on && !volume.have_quorum) {
      // Without quorum nothing waits for it: frozen I/O goes on.
      emit(state_changed{state_object::device, 0, volume.number, "quorum", "no", "yes"});
      volume.have_quorum = true;
      emit_event("quorum-regained", config_.self, volume.number, 0, "quorum turned off");
      broadcast_volume_state(vi);
      resume_suspended(vi);
    }
  }
  emit_event("options-changed", config_.self, 0, 0, "adjust");
  emit(admin_done{cmd.tag, true, ""});
}

}  // namespace tandem
