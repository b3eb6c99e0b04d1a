// A simulated cluster: N Replicas of one resource wired together through in-memory disks and a
// message network, all driven by one event queue in virtual time. Every message really goes through
// the wire codec (encode at send, decode at delivery), and every payload byte really lands on the
// simulated disk, so checksums compare real data.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/replica/replica.h"
#include "sim/disk_model.h"
#include "sim/event_queue.h"
#include "sim/link_model.h"
#include "sim/prng.h"

namespace tandem::sim {

struct cluster_options {
  int nodes = 3;
  node_mask diskless_nodes = 0;  // intentionally diskless clients
  int volumes = 1;
  std::uint64_t volume_size_bytes = 4 << 20;
  protocol proto = protocol::c;
  bool allow_two_primaries = false;
  quorum_setting quorum;
  quorum_setting quorum_minimum_redundancy;
  on_no_quorum on_no_quorum_policy = on_no_quorum::suspend_io;
  split_brain_policy split_brain;
  planted_bug planted = planted_bug::none;  // the self-test's deliberate bug (tandem-sim only)
  std::uint64_t seed = 1;
  // Day 0: every diskful node starts UpToDate on one shared generation (like `new-current-uuid
  // --clear-bitmap` after create-md), so no initial full sync is needed.
  bool start_uptodate = true;
  std::uint64_t link_latency_min_ns = 50'000;
  std::uint64_t link_latency_max_ns = 200'000;
  std::uint64_t disk_latency_min_ns = 20'000;
  std::uint64_t disk_latency_max_ns = 400'000;
  // How latencies spread within those ranges (sim/latency_distribution.h); uniform by default.
  latency_shape link_latency;
  latency_shape disk_latency;
  // The segment-level network model (sim/link_model.h) of every link; all off by default.
  link_faults link;
  // Links with their own latency and faults, key (min, max) node id; the others use the above.
  std::map<std::pair<node_id, node_id>, link_params> link_overrides;
  std::uint64_t disk_bandwidth_bytes_per_s = 0;  // every disk; 0: unlimited
  // Nodes whose disk has its own latency and bandwidth; the others use the above.
  std::map<node_id, disk_params> disk_overrides;
  // A crash tears writes in flight: each piece of torn_write_granularity_bytes (a sector by
  // default: what a disk writes atomically) reaches the medium or not on its own. Off: each write
  // in flight lands whole or not at all (one coin flip per write).
  bool torn_writes = false;
  std::uint64_t torn_write_granularity_bytes = kSectorBytes;  // 512..4096, a power of two
  std::uint64_t reconnect_delay_ns = 100'000'000;
  // Nodes that are replicas of the resource at the start (0 = all `nodes`). The others are spare
  // machines that add_replica() can bring in later.
  node_mask members = 0;
  bool checksum_resync = false;  // replica_config::checksum_resync on every node (DRBD csums-alg)
  // replica_config::resync_rate on every node (unset: no rate controller).
  std::optional<resync_rate_settings> resync_rate;
  // replica_config::congestion on every node (on-congestion for protocol A peers).
  congestion_settings congestion;
  on_io_error io_error_policy = on_io_error::detach;  // replica_config's, on every node
  // How far each node's backing devices let a volume grow (volume_config::max_size_sectors); a
  // node not listed has no limit.
  std::map<node_id, std::uint64_t> backing_bytes;
};

struct client_result {
  bool done = false;
  io_status status = io_status::ok;
  std::vector<std::byte> data;
  std::uint64_t issued_at_ns = 0;
  std::uint64_t completed_at_ns = 0;
  bool quorum_at_completion = true;  // the completing node's quorum when it answered
  bool crashed = false;              // the node crashed before answering: outcome unknown
};

// Counted by the network, outside the core: what really crossed each directed link.
struct link_counters {
  std::map<wire::msg_type, std::uint64_t> messages;
  std::uint64_t resync_payload_bytes = 0;  // rs_data_reply payloads
  std::uint64_t data_payload_bytes = 0;    // replicated application writes
  // The segment model (sim/link_model.h), seen by the sending side of the direction.
  std::uint64_t retransmissions = 0;       // segments sent again after a retransmission timeout
  std::uint64_t duplicates_discarded = 0;  // copies the receiving stream threw away
  std::uint64_t reordered = 0;             // segments that arrived late
  std::uint64_t head_of_line_waits = 0;    // frames that arrived early and waited for an older one
  std::uint64_t partition_stalls = 0;      // frames that waited for a cut direction to heal
  std::uint64_t connection_timeouts = 0;   // the sender gave up on unacknowledged data
};

class cluster {
 public:
  explicit cluster(cluster_options options);

  // Connects every pair whose link is up and runs until the cluster is quiet.
  void start();

  // ---- operator and fault actions
  // Runs the cluster until the command is answered (a promotion asks every connected peer first).
  admin_done admin_command(node_id node, admin_op op, node_id peer = 0);
  // Issues a command without waiting; its answer appears in admin_result(tag) once given.
  std::uint64_t admin_async(node_id node, admin_op op, node_id peer = 0);
  std::uint64_t admin_async(node_id node, admin cmd);
  std::optional<admin_done> admin_result(std::uint64_t tag) const;
  // Any admin command (verify, invalidate, ...); its tag is assigned here.
  admin_done admin_command(node_id node, admin cmd);
  // `resize` as an operator runs it: `node` runs the admin command, and when it is accepted every
  // diskful node's backing device holds the new size before anything else happens (the new area
  // holds leftovers that differ per node, or zeros with assume_clean, when the operator vouches
  // that it is clean). Later restarts and added replicas use the new size. new_size_bytes 0: as
  // large as every node's backing device allows.
  admin_done resize(node_id node, volume_nr volume, std::uint64_t new_size_bytes,
                    bool assume_clean);
  // The backing devices' part of that: every diskful node's disk grows to new_size_bytes (with
  // leftovers, or zeros with assume_clean), for a test that runs the admin commands itself.
  void grow_backing_devices(volume_nr volume, std::uint64_t new_size_bytes, bool assume_clean);
  // Bit rot: flips the bytes of [offset, offset + length) on node's disk behind the replication's
  // back (what online verify exists to find).
  void corrupt(node_id node, volume_nr volume, std::uint64_t offset_bytes,
               std::uint32_t length_bytes);
  void cut_link(node_id a, node_id b);   // both directions
  void heal_link(node_id a, node_id b);  // both directions, one-way cuts included
  // One-way partition: frames from -> to are lost (and retransmitted); frames to -> from still
  // arrive. Each end notices on its own: an end gives up once something it sent stays
  // unacknowledged for link.timeout_ns (frames to a cut direction, or the acknowledgements of
  // frames whose way back is cut); an idle end pings within link.ping_interval_ns of the cut. The
  // end whose reset cannot reach the other (its outgoing direction is cut) breaks alone, and the
  // other keeps its half of the connection until its own timeout. No connection is made while
  // either direction is cut.
  void cut_one_way(node_id from, node_id to);
  void heal_one_way(node_id from, node_id to);
  // Replaces the faults of the link a-b (both directions); takes effect for frames sent from now.
  void set_link_faults(node_id a, node_id b, const link_faults& faults);
  const link_faults& faults_of(node_id a, node_id b) const;
  // Slow node: its disk latency is multiplied by latency_percent / 100 and every frame it sends
  // leaves send_delay_ns later (a busy CPU). slow_node(n, 100, 0) makes it normal again.
  void slow_node(node_id node, std::uint32_t latency_percent, std::uint64_t send_delay_ns);
  // Latent sector errors: reads touching [offset, offset + length) of node's volume fail until a
  // write covers the sectors.
  void add_read_errors(node_id node, volume_nr volume, std::uint64_t offset_bytes,
                       std::uint64_t length_bytes);
  std::uint64_t read_errors(node_id node) const { return nodes_.at(node).read_errors; }
  void isolate(node_id node);  // cut every link of node
  void rejoin(node_id node);
  // Crash: the node stops at once; each of its disk writes still in flight reaches the medium or
  // not (a coin flip); its clients get no answer. Restart: a new Replica rebuilt from the persisted
  // metadata (Replica::restore), which then reconnects.
  void crash(node_id node);
  void restart(node_id node);
  // The node's disk dies: the node stops as in a crash, and the next restart() brings it back with
  // an empty replacement disk and fresh metadata (as after create-md), to be rebuilt by a full
  // resync. The durability Monte-Carlo of analysis/ uses it.
  void destroy_disk(node_id node);
  bool is_up(node_id node) const { return nodes_.at(node).up; }
  // Live membership (`drbdadm adjust` after the resource file changed): add_replica starts
  // `node` as a brand-new replica (fresh metadata, diskful or diskless) whose configuration lists
  // the current members, and tells every member that is up (admin add_peer); remove_replica tells
  // every other member that is up (admin remove_peer) and takes the node down. Both act at one
  // virtual instant; the answers are returned (refusals included), one per member asked.
  std::vector<admin_done> add_replica(node_id node, bool diskful = true);
  // `adjust` of options on every running member (admin_op::set_options); a node restarted later
  // starts with them too.
  std::vector<admin_done> adjust_options(const adjustable_options& wanted);
  adjustable_options current_options() const;
  replica_config config_of(node_id node) const;
  std::vector<admin_done> remove_replica(node_id node);
  bool is_member(node_id node) const { return mask_has(members_, node); }
  // Every later write to node's disk fails with an I/O error (reads keep working).
  void fail_disk_writes(node_id node, bool fail = true) { nodes_.at(node).writes_fail = fail; }
  // Messages of this type from `from` to `to` are held back (not lost) until release_held().
  void hold(node_id from, node_id to, wire::msg_type type);
  void release_held();

  // ---- client I/O (returns the tag; results appear in result(tag))
  std::uint64_t write(node_id node, volume_nr volume, std::uint64_t offset_bytes,
                      std::vector<std::byte> bytes);
  std::uint64_t read(node_id node, volume_nr volume, std::uint64_t offset_bytes,
                     std::uint32_t length_bytes);
  const client_result& result(std::uint64_t tag) const { return results_.at(tag); }

  // ---- running
  void run_for(std::uint64_t duration_ns);
  // Runs until no event is left or max_events ran; returns false if it stopped because of the
  // bound.
  // false when max_events ran, or the next event lies more than max_virtual_ns ahead, first.
  bool run_until_quiet(std::uint64_t max_events = 10'000'000,
                       std::uint64_t max_virtual_ns = ~std::uint64_t{0});
  std::uint64_t now_ns() const { return events_.now_ns(); }
  std::uint64_t events_executed() const { return events_.executed(); }
  // Metrics snapshots over virtual time (event_queue::observe_every): pure observation, the run
  // and its trace hash stay the same. finish_observations() at the end takes the final state.
  void observe_every(std::uint64_t interval_ns, event_queue::observer observe) {
    events_.observe_every(interval_ns, std::move(observe));
  }
  void finish_observations() { events_.finish_observations(); }
  const cluster_options& options() const { return options_; }

  // ---- observing
  replica_view view(node_id node) const { return nodes_.at(node).replica.view(); }
  const std::vector<std::byte>& disk_bytes(node_id node, volume_nr volume) const;
  std::uint64_t checksum(node_id node, volume_nr volume) const;  // FNV-1a of the whole disk
  const link_counters& counters(node_id from, node_id to) const;
  std::uint64_t resync_bytes_received(node_id node) const;
  // Every state change and event, one line each, with the virtual time: the run's story.
  const std::vector<std::string>& log() const { return log_; }
  std::uint64_t trace_hash() const;  // FNV-1a over the log: equal runs give equal hashes
  std::vector<std::string> events_named(const std::string& name) const;
  prng& workload_random() { return workload_random_; }
  int node_count() const { return options_.nodes; }
  std::uint64_t decode_errors() const { return decode_errors_; }

 private:
  struct sim_node {
    Replica replica;
    std::vector<std::vector<std::byte>> disks;  // per volume
    std::vector<output> outputs;                // reused between steps
    bool writes_fail = false;
    bool up = true;
    std::uint64_t generation = 0;  // bumped by a crash: older completions are void
    std::map<std::uint64_t, disk_submit> pending_writes;  // submitted, not yet on the medium
    std::vector<volume_persistent_state> saved;           // the metadata a restart rebuilds from
    disk_channel channel{};                               // the disk's bandwidth
    std::map<volume_nr, latent_errors> bad_sectors{};     // survive crashes: they are the medium's
    std::uint64_t read_errors = 0;                        // reads the disk failed
    std::uint32_t disk_latency_percent = 100;             // slow node
    std::uint64_t send_delay_ns = 0;                      // slow node
  };
  struct link {
    bool up = true;
    bool connected = false;
    std::uint64_t epoch = 0;
    int closed_by = -1;  // node that hung up; what it sent before still arrives, like TCP's FIN
    // The end that gave up while the other still holds its half of the connection (a one-way
    // partition kept its reset from arriving).
    int gone = -1;
  };
  // A frame waiting in a cut direction, retransmitted when the direction heals.
  struct stalled_frame {
    std::uint64_t sequence;
    std::uint64_t epoch;
    std::uint64_t departure_ns;
    std::vector<std::byte> frame;
  };
  // One direction of the link between two nodes (key: (from, to)).
  struct direction {
    stream_direction stream;
    bool cut = false;
    std::uint64_t next_sequence = 0;  // of the next frame sent
    std::uint64_t next_expected = 0;  // of the next frame the receiver hands over
    std::map<std::uint64_t, std::vector<std::byte>> arrived;  // early frames, by sequence
    std::optional<std::uint64_t> first_stalled;  // sequence of the oldest frame that stalled
    std::deque<stalled_frame> stalled;           // in sequence order
    std::uint64_t watchdog_at_ns = 0;            // the sender's pending give-up check (0: none)
  };
  struct held_message {
    node_id from, to;
    std::uint64_t epoch;
    std::vector<std::byte> frame;
  };

  void step(node_id node, input_kind kind);
  void handle_outputs(node_id node);
  void deliver(node_id from, node_id to, std::uint64_t epoch, std::uint64_t sequence,
               std::uint64_t departure_ns, std::vector<std::byte> frame);
  void hand_over(node_id from, node_id to, const std::vector<std::byte>& frame);
  void stall(node_id from, node_id to, stalled_frame frame);
  void arm_watchdog(node_id end, node_id peer, std::uint64_t at_ns);
  void watchdog(node_id end, node_id peer, std::uint64_t epoch, std::uint64_t at_ns);
  void give_up(node_id end, node_id peer);
  void count_segment(node_id from, node_id to, const segment_outcome& outcome);
  void new_connection(node_id a, node_id b);
  const link_params& params_of(node_id a, node_id b) const;
  const disk_params& disk_of(node_id node) const;
  void schedule_delivery(node_id from, node_id to, std::uint64_t epoch,
                         std::vector<std::byte> frame);
  void disk_io(node_id node, const disk_submit& submit);
  void complete_disk_io(node_id node, const disk_submit& submit);
  // A crash: each write in flight reaches the medium whole, not at all, or (torn_writes) in part.
  void settle_writes_at_crash(node_id node);
  void try_connect(node_id a, node_id b);
  void tear_down(node_id a, node_id b);
  void close_gracefully(node_id closer, node_id peer);
  bool wants_connection(node_id a, node_id b) const;
  link& link_between(node_id a, node_id b);
  std::uint64_t new_buffer(std::vector<std::byte> bytes);
  void acquire(std::uint64_t id);
  void release(std::uint64_t id);
  void record(node_id node, const std::string& line);

  cluster_options options_;
  event_queue events_;
  prng network_random_;
  prng disk_random_;
  prng workload_random_;
  std::vector<sim_node> nodes_;
  std::map<std::pair<node_id, node_id>, link> links_;               // key: (min, max)
  std::map<std::pair<node_id, node_id>, link_counters> counters_;   // key: (from, to)
  std::map<std::pair<node_id, node_id>, direction> directions_;     // key: (from, to)
  std::map<std::pair<node_id, node_id>, link_params> link_params_;  // key: (min, max)
  disk_params disk_default_;
  // Streams of their own for the new models' draws, so a run with those faults off draws exactly
  // what it drew before they existed (same trace hash).
  prng segment_random_;
  prng torn_random_;
  std::set<std::pair<node_id, node_id>> standalone_;  // (node, peer): node will not connect to peer
  std::set<std::tuple<node_id, node_id, wire::msg_type>> held_types_;
  std::vector<held_message> held_;
  struct buffer {
    std::vector<std::byte> bytes;
    int references = 0;
  };
  std::map<std::uint64_t, buffer> buffers_;
  std::uint64_t next_buffer_id_ = 1;
  std::uint64_t next_tag_ = 1;
  std::map<std::uint64_t, client_result> results_;
  std::map<std::uint64_t, std::uint64_t> client_buffers_;  // tag -> buffer held until completion
  std::map<std::uint64_t, node_id> client_node_;           // tag -> node it was issued on
  std::vector<std::string> log_;
  std::map<std::uint64_t, admin_done> admin_results_;  // tag -> answer
  std::uint64_t decode_errors_ = 0;
  node_mask members_ = 0;
  std::optional<adjustable_options> adjusted_;  // by adjust_options: they override options_
};

}  // namespace tandem::sim
