// The resync rate controller in the replica: a sync target's requests are paced by a budget of
// sectors per 100 ms step (resync_rate.h computes it). Each peer device being resynced has its own
// step timer; it stops by itself once the peer device is no longer SyncTarget.
#include <algorithm>

#include "core/replica/replica_machine.h"

namespace tandem {

namespace {

// Timer ids: a tag, the peer's node id, the volume's index, and the low bits of the time the
// timer is due, so that a timer left over from an earlier connection (or an earlier life of the
// node, in the simulator) never passes for the current one.
constexpr std::uint64_t kResyncRateTimerTag = 0x52ull << 56;  // "R"
constexpr std::uint64_t kDueMask = (1ull << 32) - 1;

std::uint64_t resync_rate_timer(node_id node, std::size_t vi, std::uint64_t due_ns) {
  return kResyncRateTimerTag | (std::uint64_t{node} & 0xff) << 48 | (vi & 0xffff) << 32 |
         (due_ns & kDueMask);
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
  // A timer still armed from an earlier resync on this connection keeps stepping this one.
  if (pv.rate_timer == 0) arm_resync_rate_timer(peer, vi);
}

void replica_machine::arm_resync_rate_timer(peer_link& peer, std::size_t vi) {
  const std::uint64_t due_ns = now_ns_ + kResyncStepNs;
  peer.volumes[vi].rate_timer = resync_rate_timer(peer.node, vi, due_ns);
  emit(arm_timer{peer.volumes[vi].rate_timer, due_ns});
}

void replica_machine::step_resync_rate(peer_link& peer, std::size_t vi) {
  auto& pv = peer.volumes[vi];
  std::uint64_t in_flight_blocks = 0;
  for (const auto& [id, request] : pv.resync_requests) in_flight_blocks += request.blocks.count;
  for (const auto& [id, request] : pv.verify_requests) in_flight_blocks += request.blocks.count;
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
  if ((timer & kTimerTagMask) != kResyncRateTimerTag || !config_.resync_rate) return;
  peer_link* peer = find_peer(static_cast<node_id>((timer >> 48) & 0xff));
  const std::size_t vi = (timer >> 32) & 0xffff;
  if (peer == nullptr || vi >= volumes_.size() || peer->volumes[vi].rate_timer != timer) return;
  auto& pv = peer->volumes[vi];
  pv.rate_timer = 0;
  const auto paced = [&] {
    return pv.repl == repl_state::sync_target || pv.verify == peer_volume::verify_role::source;
  };
  if (!paced()) return;  // resync or verify over, paused or broken: stop stepping
  step_resync_rate(*peer, vi);
  if (pv.repl == repl_state::sync_target) request_resync_blocks(*peer, vi);
  if (pv.verify == peer_volume::verify_role::source) request_verify_blocks(*peer, vi);
  if (paced()) arm_resync_rate_timer(*peer, vi);
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
