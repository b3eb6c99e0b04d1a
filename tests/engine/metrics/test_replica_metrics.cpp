#include <doctest/doctest.h>

#include "engine/metrics/replica_metrics.h"

using namespace tandem;
using namespace tandem::metrics;

namespace {

replica_view syncing_view() {
  replica_view v;
  v.self = 1;
  v.local_role = role::primary;
  volume_view vol;
  vol.number = 0;
  vol.disk = disk_state::uptodate;
  vol.al_transactions = 7;
  v.volumes.push_back(vol);
  connection_view c;
  c.peer = 2;
  c.conn = conn_state::connected;
  c.peer_role = role::secondary;
  peer_device_view pv;
  pv.repl = repl_state::sync_source;
  pv.peer_disk = disk_state::inconsistent;
  pv.out_of_sync_blocks = 3;
  pv.resynced_blocks = 1;
  c.volumes.push_back(pv);
  v.connections.push_back(c);
  return v;
}

bool has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("replica metrics: states as labelled gauges, resync progress from the view") {
  exposition e;
  declare_replica_families(e);
  replica_identity id{"n1", "r0", false, {{2, "n2"}}, {1 << 20}};
  write_replica_metrics(e, id, syncing_view(), {}, {});
  const std::string t = e.text();
  CHECK(has(t, "drbd_resource_role{node=\"n1\",name=\"r0\",drbd_resource_role=\"Primary\"} 1"));
  CHECK(has(t, "drbd_device_state{node=\"n1\",name=\"r0\",volume=\"0\","
               "drbd_device_state=\"UpToDate\"} 1"));
  CHECK(has(t, "drbd_device_size_bytes{node=\"n1\",name=\"r0\",volume=\"0\"} 1048576"));
  CHECK(has(t, "drbd_device_alwrites_total{node=\"n1\",name=\"r0\",volume=\"0\"} 7"));
  CHECK(has(t, "drbd_connection_state{node=\"n1\",name=\"r0\",conn_name=\"n2\",peer_node_id=\"2\","
               "drbd_connection_state=\"Connected\"} 1"));
  const std::string pd = "{node=\"n1\",name=\"r0\",conn_name=\"n2\",peer_node_id=\"2\",volume=\"0\"";
  CHECK(has(t, "drbd_peerdevice_replication_state" + pd +
                   ",drbd_peerdevice_replication_state=\"SyncSource\"} 1"));
  CHECK(has(t, "drbd_peerdevice_outofsync_bytes" + pd + "} 12288"));
  CHECK(has(t, "tandem_peerdevice_resynced_bytes" + pd + "} 4096"));
  CHECK(has(t, "tandem_peerdevice_resync_done_ratio" + pd + "} 0.25"));
  CHECK(has(t, "tandem_peerdevice_resync_skipped_bytes" + pd + "} 0"));
  CHECK(has(t, "tandem_peerdevice_verified_bytes" + pd + "} 0"));
  CHECK(has(t, "tandem_peerdevice_verify_outofsync_bytes" + pd + "} 0"));
  // No driver statistics given: none of the driver-only families appear.
  CHECK(t.find("drbd_device_written_bytes_total") == std::string::npos);
  CHECK(t.find("tandem_connection_sent_bytes_total") == std::string::npos);
}

TEST_CASE("replica metrics: a detached disk is unintentionally diskless, a client is not") {
  replica_view v = syncing_view();
  v.volumes[0].disk = disk_state::diskless;
  for (bool client : {false, true}) {
    exposition e;
    declare_replica_families(e);
    replica_identity id{"n1", "r0", client, {}, {}};
    write_replica_metrics(e, id, v, {}, {});
    const std::string t = e.text();
    const std::string labels = "{node=\"n1\",name=\"r0\",volume=\"0\"} ";
    CHECK(has(t, "drbd_device_client" + labels + (client ? "1" : "0")));
    CHECK(has(t, "drbd_device_unintentionaldiskless" + labels + (client ? "0" : "1")));
    // An unnamed peer is labelled with its node id.
    CHECK(t.find("conn_name=\"2\"") != std::string::npos);
  }
}

TEST_CASE("replica metrics: driver statistics add counters and latency histograms") {
  exposition e;
  declare_replica_families(e);
  device_io_stats device;
  device.written_bytes = 8192;
  device.writes = 2;
  device.client_write_latency.observe_ns(700'000);
  peer_io_stats peer;
  peer.sent_bytes = 100;
  peer.ack_latency.observe_ns(200'000);
  peer.last_ack_latency_ns = 200'000;
  replica_identity id{"n1", "r0", false, {{2, "n2"}}, {}};
  write_replica_metrics(e, id, syncing_view(), {&device}, {&peer});
  const std::string t = e.text();
  CHECK(has(t, "drbd_device_written_bytes_total{node=\"n1\",name=\"r0\",volume=\"0\"} 8192"));
  CHECK(has(t, "tandem_device_write_latency_seconds_bucket{node=\"n1\",name=\"r0\",volume=\"0\","
               "le=\"0.001\"} 1"));
  // Nothing measured at the disk yet: no empty histogram.
  CHECK(t.find("tandem_device_disk_write_latency_seconds_bucket") == std::string::npos);
  CHECK(has(t, "tandem_connection_rtt_seconds{node=\"n1\",name=\"r0\",conn_name=\"n2\","
               "peer_node_id=\"2\"} 2e-04"));
}

TEST_CASE("replica metrics: an online verify shows its figures and no resync progress") {
  replica_view v = syncing_view();
  auto& pv = v.connections[0].volumes[0];
  pv.repl = repl_state::verify_s;
  pv.verified_blocks = 100;
  pv.verify_out_of_sync_blocks = 2;
  exposition e;
  declare_replica_families(e);
  replica_identity id{"n1", "r0", false, {{2, "n2"}}, {1 << 20}};
  write_replica_metrics(e, id, v, {}, {});
  const std::string t = e.text();
  const std::string pd =
      "{node=\"n1\",name=\"r0\",conn_name=\"n2\",peer_node_id=\"2\",volume=\"0\"";
  CHECK(has(t, "tandem_peerdevice_verified_bytes" + pd + "} 409600"));
  CHECK(has(t, "tandem_peerdevice_verify_outofsync_bytes" + pd + "} 8192"));
  CHECK(has(t, "tandem_peerdevice_resync_done_ratio" + pd + "} 1"));
}
