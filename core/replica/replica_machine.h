// The implementation behind Replica, split over replica.cpp (I/O path), replica_handshake.cpp
// (connections, UUIDs, roles) and replica_resync.cpp (bitmap-based resync). Private to
// core/replica.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "core/replica/replica.h"

namespace tandem {

// Resync pipeline bounds: at most this many requests in flight per peer device, each covering a run
// of at most kResyncRequestBlocks set bits (128 KiB).
inline constexpr std::uint32_t kResyncWindow = 8;
inline constexpr std::uint64_t kResyncRequestBlocks = 32;
// With checksum resync a range whose digests differ anywhere is sent whole, so requests are shorter
// (32 KiB): a few differing blocks cost little more than themselves. (DRBD digests a whole request
// of up to its maximal size as one.)
inline constexpr std::uint64_t kChecksumRequestBlocks = 8;

struct local_volume {
  volume_nr number = 0;
  std::uint64_t size_sectors = 0;
  std::uint64_t size_blocks = 0;
  disk_state disk = disk_state::inconsistent;
  uuid_set uuids;
  std::map<node_id, block_bitmap> bitmaps;  // toward each diskful peer
  bool new_uuid_pending = false;  // rotate the generation at the next write (DRBD new-current-uuid)
  // The last write of the current generation this node holds, by its writer's numbering: the last
  // number given out on the writer, the last one received on a replica (wire::volume_state).
  std::uint64_t writes_seen = kWritesSeenUnknown;
  // While this node is a sync target: blocks that received writes from a writer other than the
  // active source. A non-Primary source may not have those writes yet, so these blocks are fetched
  // from their writer, never from the source (DRBD orders this with dagtags).
  std::map<std::uint64_t, node_id> fetch_from_writer;
  // While this node is a sync target: the writer's write_seq of the newest write each block got
  // directly. A resync reply the source read before it held that write is older than the block.
  std::map<std::uint64_t, std::uint64_t> written_during_resync;
  // While this node is a sync target: blocks whose resync reply was older than a write this node
  // holds and its writer has not settled yet (no peer_ack): not asked for again until it settles,
  // when the source holds the write or is known to miss it.
  std::set<std::uint64_t> awaiting_settled_write;
  bool have_quorum = true;
  // Activity log: hot 4 MiB extent -> (last use, writes in flight).
  struct al_extent {
    std::uint64_t last_use = 0;
    std::uint32_t in_flight = 0;
  };
  std::map<std::uint64_t, al_extent> activity_log;
  std::uint64_t al_clock = 0;
  std::uint64_t al_transactions = 0;
  // Restored after a crash as Primary (DRBD MDF_CRASHED_PRIMARY), told to peers at handshake. It
  // stays set, and persisted, until every diskful peer got the activity-log extents from this node
  // (or this node took a newer copy of them as a sync target): a peer the crashed node has not
  // reached yet may hold a different version of those blocks under the same generation, and only
  // this flag makes the crashed node its source. A second crash before then must not forget it.
  bool crashed_primary = false;
  node_mask crash_resync_owed = 0;  // diskful peers that still lack this node's AL extents
  // invalidate / attach asked a peer for a full sync (resync_request) and no resync toward this
  // node has started yet: if that peer cannot serve it, another UpToDate peer is asked.
  bool full_sync_wanted = false;
  node_id full_sync_asked = 0;        // the peer asked last,
  std::uint64_t full_sync_epoch = 0;  // on its connection of this epoch
  // The generation UUIDs of the disk when a detach (admin or on-io-error) took it away. While Diskless the node
  // follows its peers' generations in `uuids`, which its disk does not hold; attach restores these.
  std::optional<uuid_set> detached_uuids;
  // The application wrote to this disk since the resync rate controller's last step (c-min-rate).
  bool application_io = false;
};

// This node is the peer's sync source (about to send, sending, or paused) / its sync target.
constexpr bool is_sync_source_state(repl_state repl) {
  return repl == repl_state::sync_source || repl == repl_state::paused_sync_s ||
         repl == repl_state::wf_bitmap_s;
}
constexpr bool is_sync_target_state(repl_state repl) {
  return repl == repl_state::sync_target || repl == repl_state::paused_sync_t ||
         repl == repl_state::wf_bitmap_t;
}

inline constexpr std::uint64_t kAlExtentBytes = 4 << 20;  // DRBD AL_EXTENT_SHIFT 22
inline constexpr std::uint64_t kBlocksPerAlExtent = kAlExtentBytes / kBlockBytes;

struct peer_volume {
  repl_state repl = repl_state::off;
  disk_state peer_disk = disk_state::dunknown;
  bool state_sent = false;
  bool sent_quorate = false;  // the quorum flag in the last volume_state sent to this peer
  bool state_received = false;
  wire::volume_state sent_snapshot;  // what the peer's decision is based on
  wire::volume_state peer_state;     // latest state the peer reported
  // Diskless client Primary: the peer holds my generation without all of its writes, and no other
  // peer held them when it connected (see decide_sync). It serves nothing until then.
  bool missing_writes = false;
  // Sync-target side.
  generation_uuid source_uuid = 0;  // adopted when the resync completes
  generation_uuid sync_uuid = 0;    // my generation while this source fills me
  bool clear_own_bits = false;      // target-clear-bitmap: ignore my bits toward the source
  bool full_sync_target = false;    // target-set-bitmap: every block of mine gets overwritten
  std::uint64_t next_block = 0;
  // Outstanding rs_data_requests by block_id. `touched`: a newer write hit these blocks while the
  // request was out, so the reply may be older than what is on disk and must not be written.
  struct resync_request {
    block_range blocks;
    bool touched = false;
    bool from_writer = false;  // a fetch_from_writer block, not part of this peer's own resync
  };
  std::map<std::uint64_t, resync_request> resync_requests;
  // Sync-source side: replies sent and not yet acknowledged. `touched`: the block was marked out of
  // sync after it was read, so the acknowledgement must not clear the mark.
  std::map<std::uint64_t, resync_request> served;
  // Both sides: blocks marked out of sync while a resync with this peer was under way. The resync
  // that is running may already have moved past them, so they are resynced again afterwards.
  block_bitmap late_marks;
  // Receiver side: the last write of this peer as a writer that reached me directly, by the
  // generation it reported for it and its data::write_seq (what a sync target names in the
  // dagtag of its resync requests).
  generation_uuid received_write_generation = 0;
  std::uint64_t received_write_seq = 0;
  // Sync-source side: reads this target asked for that wait until the write their dagtag names
  // has reached me (replica_resync_dagtag.cpp), in the order they came.
  struct parked_resync_read {
    wire::block_ack_fields request;
    bool checksum = false;
    std::vector<std::uint32_t> target_digests;  // with `checksum`
    wire::resync_dagtag dagtag;
  };
  std::deque<parked_resync_read> parked_resync_reads;
  // Blocks were marked toward this Established peer while its last report named a generation older
  // than mine: its next report may show it current, and then they are sent (send_missed_writes).
  bool marked_while_report_stale = false;
  // resync_start messages sent to / received from this peer on this connection (see
  // wire::volume_state::resync_starts_seen).
  std::uint32_t resync_starts_sent = 0;
  std::uint32_t resync_starts_received = 0;
  std::uint64_t resynced_blocks = 0;
  std::uint64_t resync_skipped_blocks = 0;
  // Sync-target side, with the resync rate controller (replica_resync_rate.cpp): the sectors this
  // step may still request (negative: a request overshot it, repaid by the next step), the data
  // that arrived since the last step, and the id of this peer device's armed step timer (0: none;
  // a timer armed before the connection was reset has another id and is ignored).
  resync_rate_plan rate_plan;
  std::int64_t rate_budget_sectors = 0;
  std::uint64_t rate_arrived_sectors = 0;
  std::uint64_t rate_timer = 0;  // checksum resync: found equal, not transferred
  std::uint64_t peer_max_size_sectors = 0;  // the peer's backing_size (0: no limit known)
  // Online verify (replica_verify.cpp). A verify runs on top of an Established connection: `repl`
  // stays Established for the I/O path, and the view shows VerifyS/VerifyT while `verify` is set.
  enum class verify_role : std::uint8_t { none, source, target };
  verify_role verify = verify_role::none;
  struct verify_request {
    block_range blocks;
    std::vector<std::uint32_t> local;   // my digests, once my read is done
    std::vector<std::uint32_t> remote;  // the peer's, once its ov_reply arrived
    bool have_local = false;
    bool have_remote = false;
    bool touched = false;  // a write reached these blocks meanwhile: compare again
    int attempts = 1;
  };
  std::map<std::uint64_t, verify_request> verify_requests;  // by block_id
  std::deque<std::pair<block_range, int>> verify_again;     // touched ranges and their attempts
  std::uint64_t verify_next_block = 0;
  std::uint64_t verified_blocks = 0;
  std::uint64_t verify_out_of_sync_blocks = 0;
  std::uint64_t verify_skipped_blocks = 0;  // could not be compared (read failed, always written)
};

// Cluster-wide transactions (replica_twopc.cpp, replica_connect.cpp). A coordinator whose
// participant was busy asks again after 10..80 ms (DRBD twopc-retry-timeout, randomized by the
// transaction id); `primary`, `resize` and `invalidate` wait for others' transactions up to 2 s,
// as DRBD's auto-promote-timeout. Timer ids: a tag, a node id and the low bits of the due time, so
// that a timer of an earlier connection never passes for the current one.
inline constexpr std::uint64_t kTransactionRetryStepNs = 10'000'000;
inline constexpr std::uint64_t kChangeWaitNs = 2'000'000'000;
inline constexpr std::uint64_t kConnectRetryTimerTag = 0x43ull << 56;    // "C"
inline constexpr std::uint64_t kChangeRetryTimerTag = 0x50ull << 56;  // "P"
inline constexpr std::uint64_t kTimerTagMask = 0xffull << 56;
constexpr std::uint64_t transaction_retry_due_ns(std::uint64_t now_ns, std::uint64_t tid) {
  return now_ns + kTransactionRetryStepNs * (1 + tid % 8);
}
constexpr std::uint64_t transaction_retry_timer(std::uint64_t tag, node_id node,
                                                std::uint64_t due_ns) {
  return tag | (std::uint64_t{node} & 0xff) << 48 | (due_ns & ((1ull << 48) - 1));
}
constexpr node_id node_of_timer(std::uint64_t timer) {
  return static_cast<node_id>((timer >> 48) & 0xff);
}

// The generation UUIDs a handshake state describes, as compare_uuids takes them.
uuid_set uuids_of(const wire::volume_state& state);

struct peer_link {
  node_id node = 0;
  bool diskful = true;
  protocol proto = protocol::c;
  bool tiebreaker = true;
  conn_state conn = conn_state::connecting;
  role peer_role = role::unknown;
  role sent_role = role::secondary;  // the role this node described in its handshake
  std::uint64_t epoch = 0;           // incremented per connection; stale completions are dropped
  bool features_sent = false;
  bool features_received = false;
  bool role_received = false;
  // The cluster-wide connect transaction for this connection committed: the handshake may finish.
  bool connect_agreed = false;
  std::uint64_t connect_retry_timer = 0;  // armed after a busy refusal; 0 = none
  // When a connect to this peer was first refused for joining two Primaries. A role change on its
  // way (a migration) is given kChangeWaitNs to arrive before both ends give up and stay
  // StandAlone.
  std::optional<std::uint64_t> two_primaries_since_ns;
  // Votes for quorum: every peer of the configuration, and an added one once it completed a
  // handshake (DRBD MDF_NODE_EXISTS). A peer being removed stops voting before its requests settle.
  bool voter = true;
  std::vector<peer_volume> volumes;
  // Writes this peer sent me as their writer that its peer_ack has not covered yet, by write_seq.
  // If the writer is lost first, nobody knows which replicas hold them (DRBD
  // cleanup_unacked_peer_requests): they are marked out of sync toward everyone.
  struct unacked_write {
    std::size_t volume_index = 0;
    block_range blocks;
  };
  std::map<std::uint64_t, unacked_write> unacked_writes;
  // Protocol A and B writes sent to this peer that its disk has not confirmed yet (write_ack), by
  // client tag: DRBD's transfer log. Their clients were answered without waiting for the peer's
  // disk, so if the connection is lost first these are the blocks it may lack. Their bytes are
  // also the backlog that congestion-fill measures.
  struct sent_write {
    std::size_t volume_index = 0;
    block_range blocks;
    std::uint32_t length_bytes = 0;
  };
  std::map<std::uint64_t, sent_write> transfer_log;
  std::uint64_t transfer_log_bytes = 0;
};

enum class disk_purpose : std::uint8_t {
  client_write,
  client_read,
  client_flush,
  peer_write,    // replicated write from a peer (P_DATA)
  serve_read,    // read on behalf of a peer without usable data (P_DATA_REQUEST)
  resync_read,   // sync source reads a block for the target
  resync_write,  // sync target writes a resynced block
  verify_read,   // verify source digests its own blocks
  verify_serve,  // verify target digests its blocks for the peer (P_OV_REQUEST)
  csum_read,     // checksum-resync target digests its own blocks before asking for them
};

struct disk_request {
  std::uint64_t id = 0;
  disk_purpose purpose = disk_purpose::client_write;
  std::size_t volume_index = 0;
  block_range blocks;
  bool ordered = false;  // writes and resync reads: never overlap another ordered request
  bool is_write = false;
  // Who to answer.
  std::uint64_t client_tag = 0;
  node_id peer = 0;
  std::uint64_t peer_epoch = 0;
  std::uint64_t sector = 0;
  std::uint32_t length_bytes = 0;
  std::uint64_t block_id = 0;
  std::uint32_t data_flags = 0;
  bool from_writer = false;  // resync_write of a block fetched from its writer
  // resync_read: my writes_seen when the request came; resync_write: the source's, from its reply.
  std::uint64_t writes_seen = kWritesSeenUnknown;
  // resync_read for a checksum request: the target's digests, compared when the read is done.
  bool checksum = false;
  std::vector<std::uint32_t> peer_digests;
  disk_submit submit;        // what is (or will be) handed to the driver
};

struct client_request {
  std::uint64_t tag = 0;
  io_op op = io_op::read;
  std::size_t volume_index = 0;
  std::uint64_t offset_bytes = 0;
  std::uint32_t length_bytes = 0;
  buffer_ref buffer;
  bool local_pending = false;
  bool local_ok = false;
  node_mask acks_pending = 0;
  node_mask acked = 0;
  node_mask replicated_to = 0;   // nodes the write was sent to (plus self with a disk)
  std::uint64_t write_seq = 0;   // data::write_seq, repeated in the peer_ack
  node_mask unacknowledged = 0;  // protocol A peers: counted as holding the write
  // Peers that were UpToDate when they took the write (acked it, or got it under protocol A): a
  // write held only by copies that are not is not acknowledged as written.
  node_mask uptodate_copies = 0;
  node_mask read_tried = 0;      // peers already asked for a forwarded read
  bool suspended = false;        // frozen by on-no-quorum suspend-io (before or after the disk)
};

class replica_machine {
 public:
  replica_machine(replica_config config, std::vector<local_volume> volumes);

  void step(const input& in, std::vector<output>& out);
  replica_view view() const;
  std::vector<volume_persistent_state> persistent_state() const;
  const replica_config& config() const { return config_; }

 private:
  // replica.cpp — client I/O and the disk.
  void on_client(const client_io& io);
  void start_client_request(client_request& request);
  void on_client_flush(client_request& request);
  void on_client_write(client_request& request);
  void dispatch_client_write(client_request& request);
  bool write_blocked_by_resync_read(const client_request& request,
                                    std::size_t waiting_before) const;
  void on_client_read(client_request& request);
  bool forward_read(client_request& request);
  void on_disk_done(const disk_done& done);
  void on_peer_data(peer_link& peer, const wire::data& msg);
  void on_peer_write_ack(peer_link& peer, const wire::block_ack_fields& ack, bool ok);
  void on_data_request(peer_link& peer, const wire::data_request& msg);
  void on_data_reply(peer_link& peer, const wire::data_reply& msg);
  void on_neg_dreply(peer_link& peer, const wire::neg_dreply& msg);
  void maybe_complete(std::uint64_t tag);
  disk_request make_disk_request(disk_purpose purpose, std::size_t volume_index, io_op op,
                                 std::uint64_t offset_bytes, std::uint32_t length_bytes,
                                 buffer_ref buffer) const;
  disk_request make_peer_disk_request(disk_purpose purpose, const peer_link& peer,
                                      std::size_t volume_index, io_op op, std::uint64_t sector,
                                      std::uint32_t length_bytes, std::uint64_t block_id,
                                      buffer_ref buffer) const;
  bool in_volume(std::size_t volume_index, std::uint64_t sector, std::uint32_t length_bytes) const;
  void submit(disk_request request);
  void release_ordered(std::uint64_t request_id);
  bool conflicts(const disk_request& request, std::size_t deferred_before) const;

  // replica_handshake.cpp — connections, generation UUIDs, roles.
  void on_peer_connected(peer_link& peer);
  void on_peer_lost(peer_link& peer);
  void lose_peer(peer_link& peer, bool was_connected);
  void on_admin(const admin& cmd);
  void on_admin_add_peer(const admin& cmd);
  void on_admin_remove_peer(const admin& cmd);
  std::string promotion_refusal(admin_op op) const;
  void promote_now(admin_op op);
  node_mask primary_nodes_seen() const;
  // replica_twopc.cpp — cluster-wide changes that exclude every other transaction: promote,
  // resize, invalidate.
  void begin_exclusive_change(const admin& cmd);
  struct waiting_change;
  void start_exclusive_change(const waiting_change& request);
  std::optional<admin_done> settled_without_change(const admin& cmd) const;
  void carry_out(const admin& cmd);
  wire::twopc_refusal participant_refusal(const peer_link& initiator,
                                          const wire::twopc_prepare& msg);
  void conclude_exclusive_change(wire::twopc_refusal refusal, node_id refused_by);
  void on_twopc_prepare(peer_link& peer, const wire::twopc_prepare& msg);
  void on_twopc_reply(peer_link& peer, const wire::twopc_reply& msg);
  void on_twopc_end(peer_link& peer, std::uint64_t tid, node_id initiator,
                    wire::twopc_refusal refusal);
  bool in_exclusive_change() const { return changing_ || prepared_; }
  void on_change_retry_timer(std::uint64_t timer);
  bool in_transaction() const {
    return in_exclusive_change() || connecting_ || !prepared_connects_.empty();
  }
  void transaction_ended();
  node_mask primary_nodes_known() const;
  // The connect transaction (replica_connect.cpp).
  bool handshake_exchanged(const peer_link& peer) const;
  bool diverged_from(const peer_link& peer) const;
  void start_connect_transaction(peer_link& peer);
  void start_pending_connects();
  void on_connect_prepare(peer_link& peer, const wire::twopc_prepare& msg);
  void on_connect_reply(peer_link& peer, const wire::twopc_reply& msg);
  void end_prepared_connect(peer_link& peer, std::uint64_t tid, wire::twopc_refusal refusal);
  void conclude_connect(wire::twopc_refusal refusal);
  void on_connect_retry_timer(std::uint64_t timer);
  void on_message(peer_link& peer, const wire::message& msg);
  void on_features(peer_link& peer, const wire::features& msg);
  void on_role_state(peer_link& peer, const wire::role_state& msg);
  void on_volume_state(peer_link& peer, const wire::volume_state& msg);
  void on_current_uuid(peer_link& peer, const wire::current_uuid& msg);
  void maybe_finish_handshake(peer_link& peer);
  void decide_sync(peer_link& peer, std::size_t volume_index);
  sync_decision recover_split_brain(const peer_link& peer, std::size_t volume_index,
                                    sync_decision decision);
  void drop_connection(peer_link& peer, conn_state reason, bool reconnect);
  wire::volume_state make_volume_state(std::size_t volume_index, const peer_link& peer) const;
  void send_volume_state(peer_link& peer, std::size_t volume_index);
  void broadcast_volume_state(std::size_t volume_index);
  void check_client_copies(peer_link& peer, std::size_t volume_index);
  // Whether the current generation's data exists somewhere: my disk is UpToDate, or a connected
  // peer in sync is.
  bool generation_held(std::size_t volume_index) const;
  void rotate_current_uuid(std::size_t volume_index, node_mask weak_nodes);
  void adopt_uuid(local_volume& volume, generation_uuid uuid, node_mask weak_nodes);
  static void note_peer_generation(peer_volume& pv, generation_uuid uuid);
  void retire_bitmap_uuid(local_volume& volume, node_id peer);
  generation_uuid next_uuid();
  void mix_restored_generations();  // see replica.cpp: a restart must not replay the stream
  bool has_uptodate_access(const local_volume& volume, std::size_t volume_index) const;
  node_mask replication_targets(std::size_t volume_index) const;
  void set_role(role value);
  void set_disk(std::size_t volume_index, disk_state value);
  void set_conn(peer_link& peer, conn_state value);
  void set_peer_role(peer_link& peer, role value);
  void set_repl(peer_link& peer, std::size_t volume_index, repl_state value);
  void set_peer_disk(peer_link& peer, std::size_t volume_index, disk_state value);

  // replica_resync.cpp — bitmap-based resync, both sides.
  void start_resync_as_source(peer_link& peer, std::size_t volume_index, const sync_decision& d);
  void on_resync_start(peer_link& peer, const wire::resync_start& msg);
  void on_bitmap_chunk(peer_link& peer, const wire::bitmap_chunk& msg);
  void activate_sync_target(peer_link& peer, std::size_t volume_index);
  bool syncing_from_another(const peer_link& peer, std::size_t vi) const;
  void request_resync_blocks(peer_link& peer, std::size_t volume_index);
  void continue_resync(std::size_t volume_index);
  // The resync rate controller (replica_resync_rate.cpp).
  void start_resync_rate(peer_link& peer, std::size_t volume_index);
  void step_resync_rate(peer_link& peer, std::size_t volume_index);
  void arm_resync_rate_timer(peer_link& peer, std::size_t volume_index);
  void on_resync_rate_timer(std::uint64_t timer);
  std::uint64_t resync_blocks_allowed(const peer_volume& pv, std::uint64_t max_blocks) const;
  void spend_resync_budget(peer_volume& pv, std::uint64_t blocks);
  void on_rs_data_request(peer_link& peer, const wire::rs_data_request& msg);
  // Resync reads ordered after the writes the target holds (replica_resync_dagtag.cpp).
  wire::resync_dagtag resync_dagtag_toward(const peer_link& source, std::size_t volume_index) const;
  void note_writes_held_from(peer_link& writer, std::size_t volume_index,
                             generation_uuid generation, std::uint64_t writes_seen);
  bool holds_dagtag(std::size_t volume_index, const wire::resync_dagtag& dagtag) const;
  bool may_wait_for_dagtag(std::size_t volume_index, const wire::resync_dagtag& dagtag) const;
  void take_resync_request(peer_link& peer, const wire::block_ack_fields& request,
                           const std::vector<std::uint32_t>* target_digests,
                           const wire::resync_dagtag& dagtag);
  void release_parked_resync_reads();
  void read_for_resync(peer_link& peer, const wire::block_ack_fields& msg,
                       const std::vector<std::uint32_t>* target_digests);
  void on_rs_data_reply(peer_link& peer, const wire::rs_data_reply& msg);
  void on_rs_write_ack(peer_link& peer, const wire::rs_write_ack& msg);
  void on_neg_rs_dreply(peer_link& peer, const wire::neg_rs_dreply& msg);
  void finish_resync_as_target(peer_link& peer, std::size_t volume_index);
  void check_source_finished(peer_link& peer, std::size_t volume_index);
  void resume_paused_targets(std::size_t volume_index);
  void renegotiate(peer_link& peer, std::size_t volume_index,
                   const char* why = "the peer's generation changed during the resync");
  void note_local_write(std::size_t volume_index, block_range blocks, node_id writer);
  void al_begin_write(std::size_t volume_index, block_range blocks);
  void al_end_write(std::size_t volume_index, block_range blocks);
  void mark_out_of_sync(std::size_t volume_index, node_id peer, block_range blocks);
  bool send_missed_writes(peer_link& peer, std::size_t volume_index);
  void send_peer_ack(const client_request& request, node_mask have);
  // A peer whose copy can serve this node's I/O: UpToDate and, for a diskless client Primary, on the
  // generation it exposes to its application (DRBD's exposed data UUID). An UpToDate copy of an
  // older generation would roll the application's data back, and writing only there would fork
  // it from the nodes that hold the newer one (sweep --diskless-client).
  bool serves_my_data(const peer_link& peer, std::size_t volume_index) const;
  // A diskless node becoming Primary exposes the newest generation its UpToDate peers hold.
  void expose_newest_generation(std::size_t volume_index);
  bool reaches_uptodate_copy(std::size_t volume_index, node_mask targets) const;
  bool await_unsettled_writes(const peer_link& source, std::size_t volume_index,
                              block_range blocks, std::uint64_t source_writes_seen);
  bool older_than_direct_writes(std::size_t volume_index, block_range blocks,
                                std::uint64_t source_writes_seen);
  void settle_unacked_writes_of_lost_writer(peer_link& writer);
  void on_out_of_sync(peer_link& peer, const wire::out_of_sync& msg);
  // on-congestion (replica_congestion.cpp)
  void maybe_pull_ahead(std::size_t volume_index);
  void on_pull_ahead(peer_link& peer, const wire::pull_ahead& msg);
  // the transfer log of protocol A and B writes (replica.cpp)
  void log_sent_write(peer_link& peer, const client_request& request);
  void confirm_sent_write(peer_link& peer, std::uint64_t tag, bool written);
  void settle_sent_write(std::uint64_t tag, node_id node, bool written);
  struct pending_peer_ack;
  void deliver_peer_ack(const pending_peer_ack& pending);
  void on_peer_ack(peer_link& peer, const wire::peer_ack& msg);
  void settle_diskless_writes(peer_link& writer, std::size_t volume_index, block_range blocks,
                              node_mask have);
  peer_link* active_source(std::size_t volume_index);
  void fetch_blocks_from_writers(std::size_t volume_index, const peer_link& source);

  // replica_verify.cpp — online verify (VerifyS / VerifyT).
  void on_admin_verify(const admin& cmd);
  std::string verify_refusal(const peer_link& peer) const;
  void start_verify(peer_link& peer, std::size_t volume_index);
  void request_verify_blocks(peer_link& peer, std::size_t volume_index);
  void on_ov_request(peer_link& peer, const wire::ov_request& msg);
  void on_ov_reply(peer_link& peer, const wire::ov_reply& msg);
  void on_ov_done(peer_link& peer, const wire::ov_done& msg);
  void on_verify_read_done(const disk_request& request, const disk_done& done, bool peer_current);
  void compare_verified(peer_link& peer, std::size_t volume_index, std::uint64_t block_id);
  void finish_verify(peer_link& peer, std::size_t volume_index, const char* why);
  void note_write_for_verify(std::size_t volume_index, block_range blocks);
  // A read of blocks on behalf of `peer` that returns their digests, ordered against writes to the
  // same blocks like a resync read (verify and checksum resync).
  void submit_digest_read(disk_purpose purpose, const peer_link& peer, std::size_t volume_index,
                          std::uint64_t sector, std::uint32_t size_bytes, std::uint64_t block_id);
  repl_state shown_repl(const peer_volume& pv) const;

  // replica_checksum_resync.cpp — checksum-based resync (DRBD csums-alg).
  void request_checksummed_blocks(peer_link& peer, std::size_t volume_index, block_range blocks,
                                  std::uint32_t size_bytes);
  void on_csum_read_done(const disk_request& request, const disk_done& done, bool peer_current);
  void on_rs_csum_request(peer_link& peer, const wire::rs_csum_request& msg);
  void answer_checksum_request(peer_link& peer, const disk_request& request, const disk_done& done);
  void on_rs_is_in_sync(peer_link& peer, const wire::rs_is_in_sync& msg);
  void resync_blocks_landed(peer_link& peer, const disk_request& request, bool peer_current);
  std::size_t expected_resync_answer(peer_link& peer, volume_nr volume, std::uint64_t block_id,
                                     std::uint64_t sector, std::uint32_t length_bytes,
                                     const char* what);

  // replica_invalidate_resize.cpp — invalidate and online grow.
  void on_admin_invalidate(const admin& cmd);
  std::optional<admin_done> invalidate_settled(const admin& cmd) const;
  void invalidate_now(const admin& cmd);
  void on_admin_resize(const admin& cmd);
  std::optional<admin_done> resize_settled(const admin& cmd) const;
  void resize_now(const admin& cmd);
  void on_admin_backing_grown(const admin& cmd);
  void grow_volume(std::size_t volume_index, std::uint64_t size_sectors);
  const peer_link* full_sync_source(node_id named, bool any) const;
  void request_full_sync(peer_link& source, std::size_t volume_index);
  void on_resync_request(peer_link& peer, const wire::resync_request& msg);
  std::uint64_t max_size_sectors(std::size_t volume_index) const;
  // The smallest backing limit of this node and every connected peer (0: none has one).
  std::uint64_t largest_common_size(std::size_t volume_index) const;
  void send_backing_sizes(const peer_link& peer);
  void on_backing_size(peer_link& peer, const wire::backing_size& msg);
  void retry_full_sync(std::size_t volume_index);

  // replica_attach.cpp — admin detach / attach of the local disk, on-io-error.
  void on_admin_detach(const admin& cmd);
  void on_admin_attach(const admin& cmd);
  // replica_options.cpp — options changed by adjust.
  void on_admin_set_options(const admin& cmd);
  void detach_disk(std::size_t volume_index, disk_state passing, const std::string& why);
  void on_local_io_error(std::size_t volume_index, block_range blocks, bool read);

  // replica_quorum.cpp — quorum and its effects on I/O.
  quorum_votes count_votes(std::size_t volume_index) const;
  void update_quorum(std::size_t volume_index);
  bool lacks_quorum(std::size_t volume_index) const;
  void resume_suspended(std::size_t volume_index);

  // helpers
  peer_link* find_peer(node_id node);
  std::size_t volume_index_of(volume_nr number) const;  // volumes_.size() if unknown
  bool handshake_done(const peer_link& peer) const { return peer.conn == conn_state::connected; }
  bool planted(planted_bug bug) const { return planted_bugs_compiled && config_.planted == bug; }
  void send(const peer_link& peer, wire::message msg);
  void emit(output value) { out_->push_back(std::move(value)); }
  void emit_event(std::string name, node_id peer, volume_nr volume, std::uint64_t blocks,
                  std::string detail);

  replica_config config_;
  std::vector<local_volume> volumes_;
  std::vector<peer_link> peers_;
  role role_ = role::secondary;
  std::uint64_t uuid_state_ = 0;
  std::uint64_t next_request_id_ = 1;
  std::map<std::uint64_t, client_request> clients_;
  std::map<std::uint64_t, disk_request> in_flight_;  // submitted to the driver
  std::deque<disk_request> deferred_;                // waiting for an overlapping request
  std::deque<std::uint64_t> waiting_writes_;         // client writes waiting for a resync read
  std::deque<std::uint64_t> suspended_;              // client requests frozen until quorum returns
  // The peer_ack of a completed write waits while a protocol A or B peer has not confirmed the
  // write on its disk (DRBD sends P_PEER_ACK once every peer's part of the request is done): a
  // third node must not learn that the peer holds a write the connection may still lose, or its
  // resync toward that peer would leave the write out (sweep --protocol A seed 865).
  struct pending_peer_ack {
    wire::peer_ack ack;      // `have` without the peers still unconfirmed
    node_mask send_to = 0;   // the nodes the write was sent to
    node_mask unconfirmed = 0;
  };
  std::map<std::uint64_t, pending_peer_ack> pending_peer_acks_;  // by client tag
  // A cluster-wide change by two-phase commit that excludes every other transaction (promote,
  // resize, invalidate): the one this node coordinates, and the one it has agreed to.
  struct exclusive_change {
    admin cmd;  // the operator's command, as it will be carried out
    std::uint64_t tid = 0;
    node_mask asked = 0;
    node_mask awaiting = 0;
    std::uint64_t deadline_ns = 0;  // a busy peer is asked again until then
    node_mask primaries = 0;        // reported by the peers asked
  };
  std::optional<exclusive_change> changing_;
  // A change that waits for another transaction to end (timer 0), or to ask again (timer set).
  struct waiting_change {
    admin cmd;
    std::uint64_t deadline_ns = 0;
    std::uint64_t timer = 0;
  };
  std::optional<waiting_change> waiting_change_;
  std::optional<wire::twopc_prepare> prepared_;  // agreed to: what was asked (a resize's size)
  // Connect transactions (replica_connect.cpp): the one this node coordinates (the lower node id of
  // a new connection does), and those it has agreed to. Connects may overlap one another, each
  // naming the Primaries it knows of, so that together they can never join two Primaries; a
  // promotion excludes every other transaction.
  struct connect_transaction {
    std::uint64_t tid = 0;
    node_id target = 0;
    node_mask asked = 0;
    node_mask awaiting = 0;
    node_mask named = 0;     // the Primaries known when it started, named in the prepare
    node_mask reported = 0;  // by the nodes asked
  };
  std::optional<connect_transaction> connecting_;
  struct prepared_connect {
    std::uint64_t tid = 0;
    node_id initiator = 0;
    node_id target = 0;
    node_mask primaries = 0;  // named by its initiator
  };
  std::vector<prepared_connect> prepared_connects_;
  std::vector<output>* out_ = nullptr;
  std::uint64_t now_ns_ = 0;  // input::now_ns of the step being run
};

}  // namespace tandem
