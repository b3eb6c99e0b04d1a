// The per-replica series of tandemd's /metrics, in the spirit of drbd-reactor's exporter
// (drbd_resource_*, drbd_device_*, drbd_connection_*, drbd_peerdevice_*; extras as tandem_*).
// tandemd and tandem-sim both write through here, so a simulated run and a real node expose the
// same names and labels (docs/metrics.md lists them).
//
// States are labelled gauges: one series per object whose state label names the current state
// (value 1), so a scrape of 1000 resources stays small; when the state changes the old series
// goes stale.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/replica/replica.h"
#include "engine/metrics/exposition.h"
#include "engine/metrics/histogram.h"

namespace tandem::metrics {

// What the driver measures per local volume (the simulator leaves these out).
struct device_io_stats {
  std::uint64_t read_bytes = 0;
  std::uint64_t written_bytes = 0;
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
  std::uint64_t bitmap_writes = 0;       // metadata commits (bitmap + activity log area)
  std::uint64_t upper_pending = 0;       // client requests not yet completed
  std::uint64_t lower_pending = 0;       // requests at the backing disk
  histogram client_write_latency;        // client write submitted -> completed (all acks in)
  histogram disk_write_latency;          // data write at the local backing disk
};

// What the driver measures per peer connection.
struct peer_io_stats {
  std::uint64_t sent_bytes = 0;
  std::uint64_t received_bytes = 0;
  std::uint64_t last_ack_latency_ns = 0;  // most recent write ack round trip, 0 = none yet
  histogram ack_latency;                  // data sent -> recv/write ack back from the peer
};

struct replica_identity {
  std::string_view node;      // this node's name
  std::string_view resource;  // resource name
  bool intentionally_diskless = false;
  std::vector<std::pair<node_id, std::string>> peer_names;
  std::vector<std::uint64_t> volume_sizes_bytes;  // by volume index
};

// Declares every family this file writes (call once per exposition, before the first replica),
// so that families appear in a fixed order.
void declare_replica_families(exposition& out);

// One replica's series. `devices` (by volume index) and `peers` (by connection index) may be
// empty: then only what replica_view holds is written.
void write_replica_metrics(exposition& out, const replica_identity& id, const replica_view& view,
                           const std::vector<const device_io_stats*>& devices,
                           const std::vector<const peer_io_stats*>& peers);

}  // namespace tandem::metrics
