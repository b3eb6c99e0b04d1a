#include "analysis/sim_driver.h"

namespace tandem::analysis {

void current_replicas::update(const sim::cluster& c, node_id primary) {
  if (!c.is_up(primary)) return;
  const replica_view view = c.view(primary);
  if (view.local_role != role::primary || view.volumes[0].disk != disk_state::uptodate) return;
  nodes_.clear();
  nodes_.insert(primary);
  for (const auto& conn : view.connections) {
    const auto& pv = conn.volumes[0];
    if (conn.conn == conn_state::connected && pv.repl == repl_state::established &&
        pv.peer_disk == disk_state::uptodate && pv.out_of_sync_blocks == 0) {
      nodes_.insert(conn.peer);
    }
  }
}

std::optional<node_id> promotion_candidate(const sim::cluster& c, const current_replicas& current,
                                           int diskful) {
  for (int n = 0; n < diskful; ++n) {
    const auto node = static_cast<node_id>(n);
    if (!c.is_up(node) || !current.contains(node)) continue;
    const replica_view view = c.view(node);
    if (view.volumes[0].disk == disk_state::uptodate && view.volumes[0].quorum) return node;
  }
  return std::nullopt;
}

}  // namespace tandem::analysis
