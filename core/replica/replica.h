// core::Replica — one resource's replication state on one node, as a pure state machine (sans-IO).
//
// THE CORE CONTRACT (frozen; DESIGN.md §3 and §6). Changing it means changing every driver.
//
//   void Replica::step(const input& in, std::vector<output>& out);
//
// * Deterministic: the same sequence of inputs yields the same sequence of outputs. Time enters
// only as
//   input::now_ns; randomness (new generation UUIDs) only from replica_config::uuid_seed.
// * Outputs are appended to `out`, which the caller owns and reuses between steps (clear() keeps
// the
//   capacity, so a steady state allocates nothing per step).
// * Ordering: the driver executes outputs in order. A disk_submit that depends on an earlier one is
// only
//   emitted after the earlier one's disk_done arrived, so the driver may run every disk_submit in
//   parallel, and the disk may complete them in any order.
// * Buffers are opaque handles (buffer_ref) owned by the driver:
//     - a buffer named in an input is valid during that step;
//     - a client WRITE's buffer stays valid until the matching complete_client;
//     - an output that names a buffer keeps it valid until its effect is done (send_to: until the
//       driver encoded the message; disk_submit: until its disk_done);
//     - disk_submit READ with an empty buffer asks the driver to allocate one; disk_done returns
//     it;
//     - when the core keeps a buffer beyond the step (a write waiting for an overlapping one), it
//     emits
//       retain_buffer, and release_buffer once the later output that uses it has been emitted.
//   Payload bytes are never copied by the core.
// * Restart: the driver decodes the persisted state and builds the Replica from it with restore();
//   the engine and the simulator use the same path.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/base/ids.h"
#include "core/base/states.h"
#include "core/replica/bitmap.h"
#include "core/replica/congestion.h"
#include "core/replica/io_error_policy.h"
#include "core/replica/planted_bugs.h"
#include "core/replica/quorum.h"
#include "core/replica/resync_rate.h"
#include "core/replica/split_brain.h"
#include "core/replica/uuid_compare.h"
#include "core/wire/messages.h"

namespace tandem {

// ----------------------------------------------------------------------------------------- config

struct volume_config {
  volume_nr number = 0;
  std::uint64_t size_sectors = 0;
  // What the backing device could hold: a `resize` beyond it is refused. 0: the driver grows the
  // backing storage on demand (the simulator), so any size is accepted.
  std::uint64_t max_size_sectors = 0;
};

struct peer_config {
  node_id node = 0;
  bool diskful = true;  // false: an intentionally diskless client (no bitmap slot toward it)
  protocol proto = protocol::c;
  bool tiebreaker = true;  // a diskless peer's vote breaks even quorum splits (peer-tiebreaker)
};

struct replica_config {
  node_id self = 0;
  bool self_diskful = true;
  std::vector<peer_config> peers;
  std::vector<volume_config> volumes;
  bool allow_two_primaries = false;
  quorum_setting quorum;  // off by default, as in DRBD
  quorum_setting quorum_minimum_redundancy;
  on_no_quorum on_no_quorum_policy = on_no_quorum::suspend_io;
  split_brain_policy split_brain;           // after-sb-0pri/1pri/2pri, always-asbp, rr-conflict
  planted_bug planted = planted_bug::none;  // honoured only by tandem-sim's core build
  std::uint32_t al_extents = 1237;  // hot 4 MiB extents kept in the activity log (DRBD al-extents)
  // Seeds the generator of new generation UUIDs, together with the metadata a restored replica
  // starts from: a restart with the same seed does not replay the UUIDs minted before it.
  std::uint64_t uuid_seed = 1;
  // DRBD csums-alg: a sync target sends the digests of its own blocks with each resync request,
  // and the source answers "in sync" without the data where they match (crc32c, see
  // replica_verify.cpp). Set per resource here; DRBD sets it per connection.
  bool checksum_resync = false;
  // The resync rate controller (resync-rate, c-plan-ahead, c-fill-target, ...; resync_rate.h).
  // Unset: a sync target keeps its request window full at all times, as fast as the wire and the
  // disks go (tandem's default; DRBD always runs the controller).
  std::optional<resync_rate_settings> resync_rate;
  // on-congestion, congestion-fill, congestion-extents for the protocol A peers (congestion.h).
  // Set per resource here; DRBD sets them per connection.
  congestion_settings congestion;
  // DRBD on-io-error: what a failed read or write of the local disk does to it (io_error_policy.h).
  on_io_error io_error_policy = on_io_error::detach;
};

// The options an `adjust` changes while the resource runs, Primary and in use included (DRBD
// applies resource-options, net-options and disk-options live the same way). The others (protocol,
// volumes, peer slots, activity-log size) need the resource taken down and up again.
struct adjustable_options {
  quorum_setting quorum;
  quorum_setting quorum_minimum_redundancy;
  on_no_quorum on_no_quorum_policy = on_no_quorum::suspend_io;
  split_brain_policy split_brain;
  bool allow_two_primaries = false;
  bool checksum_resync = false;
  std::optional<resync_rate_settings> resync_rate;  // from the next resync on
  congestion_settings congestion;
  on_io_error io_error_policy = on_io_error::detach;
  friend bool operator==(const adjustable_options&, const adjustable_options&) = default;
};
adjustable_options adjustable_options_of(const replica_config& config);
void apply_adjustable_options(replica_config& config, const adjustable_options& options);

// What survives a restart for one volume (encoded on disk by core/meta).
struct volume_persistent_state {
  volume_nr number = 0;
  disk_state disk = disk_state::inconsistent;  // uptodate / outdated / inconsistent / diskless
  uuid_set uuids;
  std::map<node_id, block_bitmap> bitmaps;  // per diskful peer
  // The activity log: 4 MiB extents that may have writes in flight (DRBD AL). After a crash as
  // Primary (primary_indicator still set) they are resynced, because their writes may have reached
  // only some replicas.
  std::vector<std::uint64_t> active_extents;
  bool primary_indicator = false;  // DRBD MDF_PRIMARY_IND: Primary and not cleanly demoted
};

// ----------------------------------------------------------------------------------------- inputs

enum class io_op : std::uint8_t { read, write, flush, trim, write_zeroes };

enum class io_status : std::uint8_t {
  ok,
  io_error,      // the disk (and every copy that could have served it) failed
  not_primary,   // a write on a Secondary (DRBD answers EROFS / "wrong medium type")
  no_data,       // no access to UpToDate data (local or via a connected peer)
  out_of_range,  // beyond the end of the volume, or bad volume number
  invalid,       // malformed request (zero length, too large)
  no_quorum,     // quorum is enabled and this node has none (on-no-quorum io-error)
};
const char* to_string(io_status status);

struct client_io {
  std::uint64_t tag = 0;  // the driver's id, echoed in complete_client
  io_op op = io_op::read;
  volume_nr volume = 0;
  std::uint64_t offset_bytes = 0;
  std::uint32_t length_bytes = 0;
  buffer_ref buffer;  // WRITE: the data; READ: where the driver wants the data (may be empty)
  bool fua = false;
};

struct peer_message {
  node_id peer = 0;
  wire::message msg;  // payload.id set by the driver for data-carrying messages
};

struct peer_connected {  // the transport to peer is up
  node_id peer = 0;
};

struct peer_lost {  // the transport to peer broke (or was closed)
  node_id peer = 0;
};

struct disk_done {
  std::uint64_t request = 0;  // disk_submit::request
  bool ok = true;
  buffer_ref buffer;  // for reads: the buffer holding the data
  // For a read submitted with want_digests: block_digests() of the bytes read (one CRC-32C per
  // 4 KiB block). The core never reads payload bytes, so the driver computes them.
  std::vector<std::uint32_t> digests{};
};

struct timer_fired {  // reserved for the resync rate controller and timeouts
  std::uint64_t timer = 0;
};

enum class admin_op : std::uint8_t {
  primary,        // promote (refused without UpToDate data or when another node is Primary)
  primary_force,  // promote and declare the local data UpToDate (day-0 / disaster recovery)
  secondary,      // demote
  connect,        // leave StandAlone and connect to `peer`
  disconnect,     // drop the connection to `peer` and stay StandAlone
  // Live membership (DRBD new-peer / del-peer + forget-peer, what `drbdadm adjust` runs); allowed
  // while Primary and under I/O:
  //  * add_peer: node `peer` joins with the settings of `added` (its `node` field is ignored). It
  //    starts Connecting (connect_to is emitted). Toward a diskful peer a fresh bitmap is made and
  //    the blocks of every write already in flight are marked in it; later writes mark it while
  //    the peer is not in sync. Its data is judged at the handshake like any peer's: a brand-new
  //    replica (just-created UUID, Inconsistent) is a full sync target of an UpToDate node. A peer
  //    that never completed a handshake since it was added does not vote for quorum (DRBD counts
  //    only nodes that exist, MDF_NODE_EXISTS), so adding a replica never costs a quorum.
  //  * remove_peer: node `peer` leaves. Its connection is dropped (disconnect_from), every request
  //    waiting for it settles exactly as on a lost connection (a write completes from the copies
  //    that acknowledged it, a forwarded read tries another peer), then its bitmap and bitmap UUID
  //    are forgotten (the UUID goes to the history, so a stale copy of the node that comes back is
  //    fully resynced) and quorum is recounted without it: it is excluded from the vote before the
  //    requests settle, so its going never costs a quorum the remaining members hold.
  //  Changing a peer between diskless and diskful (toggle-disk, tie-breaker take-over) is
  //  remove_peer followed by add_peer.
  add_peer,
  remove_peer,
  // Online verify (DRBD `verify`): compare every block with `peer` (or with every connected peer
  // in sync, `all_peers`) by digest; differing blocks are marked out of sync toward it and counted
  // in a verify-done event. They are not resynced by the verify itself (as in DRBD): the next
  // handshake with the peer does that (see docs/replication.md).
  verify,
  // DRBD `invalidate`: this node's data becomes Inconsistent and is fully resynced from a
  // connected UpToDate peer (`peer`, or the first one found with `all_peers`).
  invalidate,
  // DRBD `resize`: grow volume `volume` to `size_sectors` on every node (all diskful peers must be
  // connected); size_sectors 0: as large as every node's backing device allows. The new area is
  // synced from this node unless `assume_clean`.
  resize,
  // The local backing device of volume `volume` now holds `size_sectors` (it was grown under
  // the running replica, as DRBD notices a grown backing device on `resize`): the new limit is
  // sent to every connected peer, so a `resize` anywhere can use it. Never below the volume.
  backing_grown,
  // DRBD `detach`: the local disk goes Diskless (as after an I/O error) and the node serves I/O
  // through its peers; peers mark what it misses. `attach`: the disk comes back and is resynced
  // fully from an UpToDate peer (see replica_attach.cpp for why not by bitmap).
  detach,
  attach,
  // DRBD `adjust` of options: `options` replace the running ones (refused when they would forbid
  // a state the cluster is in, e.g. two Primaries). Quorum is counted again at once: I/O frozen
  // for want of quorum resumes if it is now held, and a node that no longer has it stops
  // completing writes.
  set_options,
};

struct admin {
  std::uint64_t tag = 0;
  admin_op op = admin_op::primary;
  node_id peer = 0;   // connect / disconnect / add_peer / remove_peer
  peer_config added = {};  // add_peer: diskful, protocol, tie-breaker of the new peer
  bool all_peers = false;  // verify / invalidate: not one named peer
  volume_nr volume = 0;    // resize, backing_grown
  std::uint64_t size_sectors = 0;  // resize: the new size; backing_grown: the new limit
  bool assume_clean = false;       // resize: the new area needs no sync (DRBD --assume-clean)
  adjustable_options options = {};  // set_options
};

using input_kind =
    std::variant<client_io, peer_message, peer_connected, peer_lost, disk_done, timer_fired, admin>;

struct input {
  std::uint64_t now_ns = 0;
  input_kind kind;
};

// ----------------------------------------------------------------------------------------- outputs

struct send_to {
  node_id peer = 0;
  wire::message msg;
};

struct disk_submit {
  std::uint64_t request = 0;
  io_op op = io_op::read;
  volume_nr volume = 0;
  std::uint64_t offset_bytes = 0;
  std::uint32_t length_bytes = 0;
  buffer_ref buffer;  // WRITE: data to write; READ: destination, or empty = driver allocates
  bool fua = false;
  bool want_digests = false;  // READ: return block_digests() of the data in disk_done::digests
};

struct complete_client {
  std::uint64_t tag = 0;
  io_status status = io_status::ok;
  buffer_ref data;  // READ: the buffer holding the data (may differ from the one the client gave)
};

struct arm_timer {
  std::uint64_t timer = 0;
  std::uint64_t at_ns = 0;
};

// Transport control: the core decides when to (re)connect or hang up; the driver does it.
struct connect_to {
  node_id peer = 0;
};
struct disconnect_from {
  node_id peer = 0;
};

// One state transition, named like `drbdsetup events2` prints it.
enum class state_object : std::uint8_t { resource, device, connection, peer_device };
struct state_changed {
  state_object object = state_object::resource;
  node_id peer = 0;        // connection / peer_device
  volume_nr volume = 0;    // device / peer_device
  const char* field = "";  // "role", "disk", "connection", "replication", "peer-disk", "peer-role"
  std::string_view from;
  std::string_view to;
};

// Something worth telling the operator that is not a state: resync finished, split brain, errors.
struct event {
  std::string name;  // e.g. "resync-finished", "split-brain", "handshake-decision"
  node_id peer = 0;
  volume_nr volume = 0;
  std::uint64_t blocks = 0;
  std::string detail;
};

// Buffer lifetime beyond one step (see the contract at the top).
struct retain_buffer {
  std::uint64_t buffer = 0;
};
struct release_buffer {
  std::uint64_t buffer = 0;
};

struct admin_done {
  std::uint64_t tag = 0;
  bool ok = true;
  std::string message;  // why it was refused
};

using output =
    std::variant<send_to, disk_submit, complete_client, arm_timer, connect_to, disconnect_from,
                 state_changed, event, admin_done, retain_buffer, release_buffer>;

// ------------------------------------------------------------------------------- observable state

struct peer_device_view {
  repl_state repl = repl_state::off;
  disk_state peer_disk = disk_state::dunknown;
  std::uint64_t out_of_sync_blocks = 0;  // my bitmap toward this peer
  std::uint64_t resynced_blocks = 0;     // blocks this node received (target) or sent (source)
  // Checksum-based resync: blocks found equal by digest, so not transferred (included above).
  std::uint64_t resync_skipped_blocks = 0;
  std::uint64_t verified_blocks = 0;  // online verify: blocks compared in the current/last run
  std::uint64_t verify_out_of_sync_blocks = 0;  // ... and found different
};

struct connection_view {
  node_id peer = 0;
  conn_state conn = conn_state::connecting;
  role peer_role = role::unknown;
  std::vector<peer_device_view> volumes;
};

struct volume_view {
  volume_nr number = 0;
  disk_state disk = disk_state::diskless;
  generation_uuid current = 0;
  bool quorum = true;
  std::size_t suspended_requests = 0;  // client requests frozen by on-no-quorum suspend-io
  std::size_t active_extents = 0;      // extents in the activity log
  std::uint64_t al_transactions = 0;   // extents made hot (each needs an AL write before its data)
  std::uint64_t size_sectors = 0;      // grows with `resize`
};

struct replica_view {
  node_id self = 0;
  role local_role = role::secondary;
  std::vector<volume_view> volumes;
  std::vector<connection_view> connections;
};

// ----------------------------------------------------------------------------------------- Replica

class replica_machine;  // the implementation, private to core/replica

class Replica {
 public:
  // A new replica: metadata as `create-md` leaves it (current UUID "just created", disk
  // Inconsistent, or Diskless for a diskless node).
  explicit Replica(replica_config config);
  // A replica rebuilt from its persisted state after a (re)start.
  static Replica restore(replica_config config,
                         const std::vector<volume_persistent_state>& volumes);

  void step(const input& in, std::vector<output>& out);

  replica_view view() const;
  std::vector<volume_persistent_state> persistent_state() const;
  node_id self() const;

  ~Replica();
  Replica(Replica&&) noexcept;
  Replica& operator=(Replica&&) noexcept;

 private:
  explicit Replica(std::unique_ptr<replica_machine> machine);
  std::unique_ptr<replica_machine> machine_;
};

}  // namespace tandem
