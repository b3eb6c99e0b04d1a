#include "sim/metrics.h"

#include <string_view>
#include <vector>

#include "engine/metrics/replica_metrics.h"
#include "sim/metrics_links.h"

namespace tandem::sim {
namespace {

// The labelled-state families: a state that changed reads 0 in later snapshots (see
// exposition::end_snapshot), so a dashboard over imported blocks shows one state at a time.
constexpr std::string_view kStateFamilies[] = {
    "drbd_resource_role",          "drbd_device_state",
    "drbd_connection_state",       "tandem_connection_peer_role",
    "drbd_peerdevice_replication_state", "drbd_peerdevice_peer_disk_state"};

std::string node_name(node_id node) { return "n" + std::to_string(node); }

}  // namespace

metrics_recorder::metrics_recorder(std::string resource, std::int64_t start_ms)
    : resource_(std::move(resource)), start_ms_(start_ms) {
  metrics::declare_replica_families(out_);
  declare_link_families(out_);
}

void metrics_recorder::snapshot(const cluster& c, std::uint64_t time_ns) {
  if (snapshots_ >= kMaxSnapshots) {
    truncated_ = true;
    return;
  }
  ++snapshots_;
  // Whole milliseconds: the CLI's interval is in ms, so no point loses precision.
  out_.set_timestamp_ms(start_ms_ + static_cast<std::int64_t>(time_ns / 1'000'000));
  const cluster_options& options = c.options();
  const std::vector<std::uint64_t> sizes(static_cast<std::size_t>(options.volumes),
                                         options.volume_size_bytes);
  for (int n = 0; n < c.node_count(); ++n) {
    const auto node = static_cast<node_id>(n);
    if (!c.is_up(node)) continue;  // a crashed tandemd serves no /metrics either
    const std::string name = node_name(node);
    metrics::replica_identity id;
    id.node = name;
    id.resource = resource_;
    id.intentionally_diskless = mask_has(options.diskless_nodes, node);
    id.volume_sizes_bytes = sizes;
    const replica_view view = c.view(node);
    for (const connection_view& conn : view.connections) {
      id.peer_names.emplace_back(conn.peer, node_name(conn.peer));
    }
    metrics::write_replica_metrics(out_, id, view, {}, {});
  }
  write_link_metrics(out_, c, resource_);
  out_.end_snapshot(kStateFamilies);
}

}  // namespace tandem::sim
