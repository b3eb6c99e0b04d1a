// The simulated network's counters in a run's metrics: per direction node -> peer, what the link
// model counted (retransmissions, discarded duplicates, reordering, head-of-line waits, stalls in
// a cut, connection timeouts, payload bytes) and the frames sent per message type. tandemd has no
// such series (the kernel's TCP keeps these), hence the tandem_sim_link_ prefix; the labels are
// those of the connection series (node, name, conn_name, peer_node_id), so the two join.
#pragma once

#include <string_view>

#include "engine/metrics/exposition.h"
#include "sim/cluster.h"

namespace tandem::sim {

void declare_link_families(metrics::exposition& out);

// One sample per counter of every direction that carried anything, from each node that is up
// (a crashed tandemd serves no /metrics either).
void write_link_metrics(metrics::exposition& out, const cluster& c, std::string_view resource);

}  // namespace tandem::sim
