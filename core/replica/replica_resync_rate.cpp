// The resync rate controller in the replica: a sync target's requests are paced by a budget of
// sectors per 100 ms step (resync_rate.h computes it). Each peer device being resynced has its own
// step timer; it stops by itself once the peer device is no longer SyncTarget.
#include <algorithm>

#include "core/replica/replica_machine.h"

namespace tandem {

namespace {

// Timer ids: a tag in the high bits, then the peer's node id and the volume's index.
constexpr std::uint64_t kResyncRateTimerTag = 0x5253ull << 48;  // "RS"
constexpr std::uint64_t kTagMask = 0xffffull << 48;

std::uint64_t resync_rate_timer(node_id node, std::size_t vi) {
  return kResyncRateTimerTag | (std::uint64_t{node} << 24) | vi;
}

}  // namespace

// A fresh resync starts with an empty plan and a first step's budget, then steps every 100 ms.
void replica_machine::start_resync_rate(peer_link& peer, std::size_t vi) {
  if (!config_.resync_rate) return;
  auto& pv = peer.volumes[vi];
  pv.rate_plan = resync_rate_plan{};
  pv.rate_budget_sectors = 0;
  pv.rate_arrived_sectors = 0;
  step_resync_rate(peer, vi);
  // A timer still armed from an earlier resync of this peer device keeps stepping this one.
  if (pv.rate_timer_armed) return;
  pv.rate_timer_armed = true;
  emit(arm_timer{resync_rate_timer(peer.node, vi), now_ns_ + kResyncStepNs});
}

void replica_machine::step_resync_rate(peer_link& peer, std::size_t vi) {
  auto& pv = peer.volumes[vi];
  std::uint64_t in_flight_blocks = 0;
  for (const auto& [id, request] : pv.resync_requests) in_flight_blocks += request.blocks.count;
  const resync_rate_step step{pv.rate_arrived_sectors, in_flight_blocks * kSectorsPerBlock,
                              volumes_[vi].application_io};
  const auto allowance =
      static_cast<std::int64_t>(plan_resync_step(*config_.resync_rate, pv.rate_plan, step));
  // An unspent budget is not saved up (that would burst past the rate); an overshoot is repaid.
  pv.rate_budget_sectors = std::min<std::int64_t>(pv.rate_budget_sectors, 0) + allowance;
  pv.rate_arrived_sectors = 0;
  volumes_[vi].application_io = false;
}

void replica_machine::on_resync_rate_timer(std::uint64_t timer) {
  if ((timer & kTagMask) != kResyncRateTimerTag || !config_.resync_rate) return;
  peer_link* peer = find_peer(static_cast<node_id>((timer >> 24) & 0xffffff));
  const std::size_t vi = timer & 0xffffff;
  if (peer == nullptr || vi >= volumes_.size()) return;
  auto& pv = peer->volumes[vi];
  pv.rate_timer_armed = false;
  if (pv.repl != repl_state::sync_target) return;  // resync over, paused or broken: stop stepping
  step_resync_rate(*peer, vi);
  request_resync_blocks(*peer, vi);
  if (pv.repl != repl_state::sync_target) return;
  pv.rate_timer_armed = true;
  emit(arm_timer{timer, now_ns_ + kResyncStepNs});
}

// How many blocks the next request may cover, at most max_blocks: 0 once the step's budget is
// spent. A budget smaller than a block still allows one block; the overshoot is repaid next step.
std::uint64_t replica_machine::resync_blocks_allowed(const peer_volume& pv,
                                                     std::uint64_t max_blocks) const {
  if (!config_.resync_rate) return max_blocks;
  if (pv.rate_budget_sectors <= 0) return 0;
  const auto budget_blocks = static_cast<std::uint64_t>(pv.rate_budget_sectors) / kSectorsPerBlock;
  return std::clamp<std::uint64_t>(budget_blocks, 1, max_blocks);
}

void replica_machine::spend_resync_budget(peer_volume& pv, std::uint64_t blocks) {
  if (config_.resync_rate) {
    pv.rate_budget_sectors -= static_cast<std::int64_t>(blocks * kSectorsPerBlock);
  }
}

}  // namespace tandem
