// resource_driver — tandemd's driver of one resource: a core::Replica wired to real disks
// (uring_disk), real peers (peer_transport) and block clients (the NBD backend calls in here).
//
// Everything runs on the daemon's single io_context thread. Inputs are queued and stepped one at
// a time, so an output's effect (a completion callback, say) that leads to a new input never
// nests one step inside another.
//
// Metadata discipline: after every step the driver compares the replica's durable facts (role,
// disk states, current UUIDs, activity-log transactions) with what it last committed; when they
// changed, it commits the metadata (volume_metadata::commit, fdatasync included) BEFORE it executes
// the step's outputs. So an extent is in the on-disk activity log before any write to it is
// submitted, and a new generation is durable before data of that generation is written. Bitmaps
// are also committed every few seconds while they change, and at shutdown.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/replica/replica.h"
#include "engine/daemon/resource_file.h"
#include "engine/nbd/backend.h"

namespace boost::asio {
class io_context;
}
namespace tandem::metrics {
class exposition;
}

namespace tandem::engine {

class disk_ring;
using log_function = std::function<void(const std::string& line)>;
// Receives every state change and event of a resource as one JSON object (docs/tandemd.md,
// "Events"), in the order the core emitted them.
using event_sink = std::function<void(const std::string& json_object)>;

struct admin_result {
  bool ok = true;
  std::string message;
};
using admin_callback = std::function<void(const admin_result&)>;

class resource_driver {
 public:
  // Opens the local disks and their metadata, rebuilds the replica from it and starts connecting.
  // The disks do their I/O through `disks`, the ring every resource of the daemon shares.
  // Throws std::runtime_error with a clear message (missing metadata, unusable device, port in use).
  resource_driver(boost::asio::io_context& io, disk_ring& disks, resource_definition definition,
                  const std::string& node_name, log_function log);
  ~resource_driver();
  resource_driver(const resource_driver&) = delete;
  resource_driver& operator=(const resource_driver&) = delete;

  const resource_definition& definition() const;
  const std::string& name() const;

  // Operator commands (tandemadm): primary, primary --force, secondary, connect, disconnect.
  void admin(admin_op op, std::optional<node_id> peer, admin_callback done);
  // Live membership (tandemadm adjust, DRBD new-peer / del-peer), allowed while Primary and in
  // use. add_peer: the transport learns the node's address, a diskful peer gets a free bitmap slot
  // of the metadata, the core's add_peer runs (a fresh bitmap, connect) and the metadata is
  // committed with the slot. remove_peer: the core's remove_peer settles every request that waited
  // for the node as a lost connection does, then its connection and bitmap slot are freed and the
  // metadata committed. `done` gets a refusal naming the reason (unknown node, no free slot...).
  void add_peer(const resource_node& node, admin_callback done);
  void remove_peer(node_id node, admin_callback done);
  // DRBD `resize`: backing devices that grew get their metadata moved to the new end (every
  // node does that on its own within seconds; here it happens first), then volume `volume`
  // (every volume when nullopt) grows to size_bytes on every node, 0 meaning as large as every
  // node's backing device allows. The new area is synced from here unless assume_clean.
  void resize(std::optional<volume_nr> volume, std::uint64_t size_bytes, bool assume_clean,
              admin_callback done);
  // adjust of options (admin_op::set_options); the running definition takes them on success.
  void set_options(const adjustable_options& options, admin_callback done);

  // Tests only (the resource file must set fault-injection): every later write to the local disk
  // of `volume` fails, as if the disk died.
  admin_result inject_disk_failure(volume_nr volume, bool fail);
  // Tests only (volatile-write-cache): what no flush made durable is undone on the local disks,
  // as a power cut would lose it. Returns the number of write records undone.
  std::size_t power_cut_disks();

  // Block clients (the NBD backend): one request on `volume`.
  void submit(volume_nr volume, nbd::io_request request, nbd::io_completion done);
  std::uint64_t volume_size_bytes(volume_nr volume) const;
  std::vector<volume_nr> volume_numbers() const;
  // Auto-promote bookkeeping: a writer opened / closed an export of this resource.
  void writer_opened(admin_callback done);
  void writer_closed();
  std::size_t writers() const;

  replica_view view() const;
  // Status as JSON text (tandemadm status --json): roles, disk and replication states, resync
  // progress, counters.
  std::string status_json() const;
  // Status like `drbdadm status` prints it.
  std::string status_text() const;

  // Observability (docs/metrics.md): this resource's series, written into `out` whose replica
  // families are declared; the current states as "exists" events (events2 --now); and the sink
  // that gets each change as it happens (empty = none).
  void write_metrics(metrics::exposition& out) const;
  std::vector<std::string> exists_events() const;
  void set_event_sink(event_sink sink);

  // Demotes if it can, commits the metadata and closes the connections.
  void shut_down();

  class impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace tandem::engine
