#include "engine/metrics/replica_metrics.h"

#include <string>

namespace tandem::metrics {

namespace {

constexpr metric_type gauge = metric_type::gauge;
constexpr metric_type counter = metric_type::counter;

double as_double(std::uint64_t value) { return static_cast<double>(value); }

std::string_view peer_name(const replica_identity& id, node_id peer, std::string& scratch) {
  for (const auto& [node, name] : id.peer_names) {
    if (node == peer) return name;
  }
  scratch = std::to_string(peer);
  return scratch;
}

bool resyncing(repl_state state) {
  return state != repl_state::off && state != repl_state::established &&
         state != repl_state::verify_s && state != repl_state::verify_t;
}

void write_device(exposition& out, const replica_identity& id, const volume_view& vol,
                  std::size_t index, const device_io_stats* io) {
  const std::string volume = std::to_string(vol.number);
  const label_list labels = {{"node", id.node}, {"name", id.resource}, {"volume", volume}};
  out.add("drbd_device_state",
          {{"node", id.node},
           {"name", id.resource},
           {"volume", volume},
           {"drbd_device_state", to_string(vol.disk)}},
          1);
  out.add("drbd_device_quorum", labels, vol.quorum ? 1 : 0);
  const bool diskless = vol.disk == disk_state::diskless;
  out.add("drbd_device_client", labels, diskless && id.intentionally_diskless ? 1 : 0);
  out.add("drbd_device_unintentionaldiskless", labels,
          diskless && !id.intentionally_diskless ? 1 : 0);
  if (index < id.volume_sizes_bytes.size()) {
    out.add("drbd_device_size_bytes", labels, as_double(id.volume_sizes_bytes[index]));
  }
  out.add("drbd_device_alwrites_total", labels, as_double(vol.al_transactions));
  out.add("tandem_device_al_extents_active", labels, as_double(vol.active_extents));
  out.add("tandem_device_suspended_requests", labels, as_double(vol.suspended_requests));
  if (io == nullptr) return;
  out.add("drbd_device_read_bytes_total", labels, as_double(io->read_bytes));
  out.add("drbd_device_written_bytes_total", labels, as_double(io->written_bytes));
  out.add("tandem_device_reads_total", labels, as_double(io->reads));
  out.add("tandem_device_writes_total", labels, as_double(io->writes));
  out.add("drbd_device_bmwrites_total", labels, as_double(io->bitmap_writes));
  out.add("drbd_device_upperpending", labels, as_double(io->upper_pending));
  out.add("drbd_device_lowerpending", labels, as_double(io->lower_pending));
  // Histograms only once something was measured: idle resources cost no bucket lines.
  if (io->client_write_latency.count() > 0) {
    out.add("tandem_device_write_latency_seconds", labels, io->client_write_latency);
  }
  if (io->disk_write_latency.count() > 0) {
    out.add("tandem_device_disk_write_latency_seconds", labels, io->disk_write_latency);
  }
}

void write_connection(exposition& out, const replica_identity& id, const replica_view& view,
                      const connection_view& c, const peer_io_stats* io) {
  std::string scratch;
  const std::string_view conn_name = peer_name(id, c.peer, scratch);
  const std::string peer_id = std::to_string(c.peer);
  const label_list labels = {
      {"node", id.node}, {"name", id.resource}, {"conn_name", conn_name}, {"peer_node_id", peer_id}};
  out.add("drbd_connection_state",
          {{"node", id.node},
           {"name", id.resource},
           {"conn_name", conn_name},
           {"peer_node_id", peer_id},
           {"drbd_connection_state", to_string(c.conn)}},
          1);
  out.add("tandem_connection_peer_role",
          {{"node", id.node},
           {"name", id.resource},
           {"conn_name", conn_name},
           {"peer_node_id", peer_id},
           {"peer_role", to_string(c.peer_role)}},
          1);
  if (io != nullptr) {
    out.add("tandem_connection_sent_bytes_total", labels, as_double(io->sent_bytes));
    out.add("tandem_connection_received_bytes_total", labels, as_double(io->received_bytes));
    if (io->ack_latency.count() > 0) {
      out.add("tandem_connection_ack_latency_seconds", labels, io->ack_latency);
      out.add("tandem_connection_rtt_seconds", labels,
              static_cast<double>(io->last_ack_latency_ns) / 1e9);
    }
  }
  for (std::size_t i = 0; i < c.volumes.size(); ++i) {
    const peer_device_view& pv = c.volumes[i];
    const std::string volume =
        std::to_string(i < view.volumes.size() ? view.volumes[i].number : i);
    const label_list pd = {{"node", id.node},
                           {"name", id.resource},
                           {"conn_name", conn_name},
                           {"peer_node_id", peer_id},
                           {"volume", volume}};
    out.add("drbd_peerdevice_replication_state",
            {{"node", id.node},
             {"name", id.resource},
             {"conn_name", conn_name},
             {"peer_node_id", peer_id},
             {"volume", volume},
             {"drbd_peerdevice_replication_state", to_string(pv.repl)}},
            1);
    out.add("drbd_peerdevice_peer_disk_state",
            {{"node", id.node},
             {"name", id.resource},
             {"conn_name", conn_name},
             {"peer_node_id", peer_id},
             {"volume", volume},
             {"drbd_peerdevice_peer_disk_state", to_string(pv.peer_disk)}},
            1);
    out.add("drbd_peerdevice_outofsync_bytes", pd, as_double(pv.out_of_sync_blocks * kBlockBytes));
    out.add("tandem_peerdevice_resynced_bytes", pd, as_double(pv.resynced_blocks * kBlockBytes));
    out.add("tandem_peerdevice_resync_skipped_bytes", pd,
            as_double(pv.resync_skipped_blocks * kBlockBytes));
    out.add("tandem_peerdevice_verified_bytes", pd, as_double(pv.verified_blocks * kBlockBytes));
    out.add("tandem_peerdevice_verify_outofsync_bytes", pd,
            as_double(pv.verify_out_of_sync_blocks * kBlockBytes));
    const double total = as_double(pv.out_of_sync_blocks + pv.resynced_blocks);
    const double done = !resyncing(pv.repl) || total == 0
                            ? 1.0
                            : as_double(pv.resynced_blocks) / total;
    out.add("tandem_peerdevice_resync_done_ratio", pd, done);
  }
}

}  // namespace

void declare_replica_families(exposition& out) {
  out.declare("drbd_resource_role", gauge,
              "The role of the resource on this node (label drbd_resource_role), value 1.");
  out.declare("drbd_resource_suspended", gauge,
              "1 while client I/O of the resource is suspended (on-no-quorum suspend-io).");
  out.declare("drbd_device_state", gauge,
              "The local disk state of the volume (label drbd_device_state), value 1.");
  out.declare("drbd_device_quorum", gauge, "1 if the volume has quorum.");
  out.declare("drbd_device_client", gauge, "1 if the volume is intentionally diskless here.");
  out.declare("drbd_device_unintentionaldiskless", gauge,
              "1 if the volume is Diskless on a node that should have a disk (detached).");
  out.declare("drbd_device_size_bytes", gauge, "Usable size of the volume.");
  out.declare("drbd_device_alwrites_total", counter,
              "Activity-log transactions (an extent made hot, each one metadata write).");
  out.declare("tandem_device_al_extents_active", gauge, "Extents in the activity log.");
  out.declare("tandem_device_suspended_requests", gauge,
              "Client requests frozen until quorum returns.");
  out.declare("drbd_device_read_bytes_total", counter, "Bytes read by block clients.");
  out.declare("drbd_device_written_bytes_total", counter, "Bytes written by block clients.");
  out.declare("tandem_device_reads_total", counter, "Read requests of block clients.");
  out.declare("tandem_device_writes_total", counter, "Write requests of block clients.");
  out.declare("drbd_device_bmwrites_total", counter,
              "Metadata commits (bitmap and activity-log area) of the volume.");
  out.declare("drbd_device_upperpending", gauge, "Client requests not yet completed.");
  out.declare("drbd_device_lowerpending", gauge, "Requests in flight at the backing disk.");
  out.declare("tandem_device_write_latency_seconds", metric_type::histogram,
              "Client write latency: submitted until completed (local disk and peer acks).");
  out.declare("tandem_device_disk_write_latency_seconds", metric_type::histogram,
              "Write latency of the local backing disk.");
  out.declare("drbd_connection_state", gauge,
              "The connection state toward a peer (label drbd_connection_state), value 1.");
  out.declare("tandem_connection_peer_role", gauge,
              "The peer's role as this node sees it (label peer_role), value 1.");
  out.declare("tandem_connection_sent_bytes_total", counter, "Bytes sent to the peer.");
  out.declare("tandem_connection_received_bytes_total", counter, "Bytes received from the peer.");
  out.declare("tandem_connection_ack_latency_seconds", metric_type::histogram,
              "Replicated write sent until the peer's recv/write ack arrived.");
  out.declare("tandem_connection_rtt_seconds", gauge,
              "The most recent replicated-write round trip to the peer.");
  out.declare("drbd_peerdevice_replication_state", gauge,
              "Replication state toward the peer (label drbd_peerdevice_replication_state), "
              "value 1.");
  out.declare("drbd_peerdevice_peer_disk_state", gauge,
              "The peer's disk state (label drbd_peerdevice_peer_disk_state), value 1.");
  out.declare("drbd_peerdevice_outofsync_bytes", gauge,
              "Bytes marked out of sync toward the peer (this node's bitmap).");
  out.declare("tandem_peerdevice_resynced_bytes", gauge,
              "Bytes the current (or last) resync with the peer has moved.");
  out.declare("tandem_peerdevice_resync_done_ratio", gauge,
              "Progress of a running resync, 0..1 (1 when none runs).");
  out.declare("tandem_peerdevice_resync_skipped_bytes", gauge,
              "Bytes of the current (or last) resync found equal by checksum and not sent "
              "(csums-alg).");
  out.declare("tandem_peerdevice_verified_bytes", gauge,
              "Bytes the current (or last) online verify with the peer has compared.");
  out.declare("tandem_peerdevice_verify_outofsync_bytes", gauge,
              "Bytes the current (or last) online verify found different on the peer.");
}

void write_replica_metrics(exposition& out, const replica_identity& id, const replica_view& view,
                           const std::vector<const device_io_stats*>& devices,
                           const std::vector<const peer_io_stats*>& peers) {
  out.add("drbd_resource_role",
          {{"node", id.node}, {"name", id.resource}, {"drbd_resource_role", to_string(view.local_role)}},
          1);
  bool suspended = false;
  for (const auto& vol : view.volumes) suspended = suspended || vol.suspended_requests > 0;
  out.add("drbd_resource_suspended", {{"node", id.node}, {"name", id.resource}}, suspended ? 1 : 0);
  for (std::size_t i = 0; i < view.volumes.size(); ++i) {
    write_device(out, id, view.volumes[i], i, i < devices.size() ? devices[i] : nullptr);
  }
  for (std::size_t i = 0; i < view.connections.size(); ++i) {
    write_connection(out, id, view, view.connections[i], i < peers.size() ? peers[i] : nullptr);
  }
}

}  // namespace tandem::metrics
