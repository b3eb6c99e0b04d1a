// Peer-protocol messages. Modelled on DRBD 9's packets (named in the comments) but in tandem's own
// versioned format; docs/format-wire.md documents the byte layout.
#pragma once

#include <array>
#include <cstdint>
#include <variant>
#include <vector>

#include "core/base/ids.h"
#include "core/base/states.h"

namespace tandem::wire {

// Range of peer-protocol versions this build speaks; the handshake agrees on min(max_a, max_b).
inline constexpr std::uint16_t kProtocolMin = 1;
inline constexpr std::uint16_t kProtocolMax = 1;

enum class msg_type : std::uint16_t {
  features = 0x01,         // P_CONNECTION_FEATURES
  role_state = 0x02,       // P_STATE (resource part)
  volume_state = 0x03,     // P_UUIDS110 + P_SIZES + P_STATE (volume part)
  current_uuid = 0x04,     // P_CURRENT_UUID
  resync_start = 0x05,     // P_BECOME_SYNC_TARGET / P_SYNC_UUID
  bitmap_chunk = 0x06,     // P_BITMAP
  data = 0x10,             // P_DATA
  write_ack = 0x11,        // P_WRITE_ACK
  recv_ack = 0x12,         // P_RECV_ACK
  neg_ack = 0x13,          // P_NEG_ACK
  data_request = 0x14,     // P_DATA_REQUEST (read forwarded by a node without usable local data)
  data_reply = 0x15,       // P_DATA_REPLY
  neg_dreply = 0x16,       // P_NEG_DREPLY
  rs_data_request = 0x20,  // P_RS_DATA_REQUEST
  rs_data_reply = 0x21,    // P_RS_DATA_REPLY
  rs_write_ack = 0x22,     // P_RS_WRITE_ACK
  neg_rs_dreply = 0x23,    // P_NEG_RS_DREPLY
  out_of_sync = 0x24,      // P_OUT_OF_SYNC
  peer_ack = 0x25,         // P_PEER_ACK
  ov_request = 0x26,       // P_OV_REQUEST (online verify: "digest this range for me")
  ov_reply = 0x27,         // P_OV_REPLY (the verify target's digests)
  ov_done = 0x28,          // end of an online verify run (DRBD ends it with a state change)
  rs_csum_request = 0x29,  // P_CSUM_RS_REQUEST (resync request carrying the target's digests)
  rs_is_in_sync = 0x2a,    // P_RS_IS_IN_SYNC (digests matched: nothing to send)
  resync_request = 0x2c,   // "be my full sync source" (DRBD: a state change to StartingSyncT)
  backing_size = 0x2d,     // P_SIZES d_size: how far the sender's backing device lets it grow
  twopc_prepare = 0x2e,    // P_TWOPC_PREPARE
  twopc_abort = 0x2f,      // P_TWOPC_ABORT
  twopc_reply = 0x45,      // P_TWOPC_YES / P_TWOPC_NO
  twopc_commit = 0x47,     // P_TWOPC_COMMIT
  ping = 0x30,             // P_PING
  ping_ack = 0x31,         // P_PING_ACK
  pull_ahead = 0x32,       // on-congestion pull-ahead (DRBD: a state change to Ahead / Behind)
};

struct features {
  std::uint16_t protocol_min = kProtocolMin;
  std::uint16_t protocol_max = kProtocolMax;
  node_id sender = 0;
  node_id receiver = 0;
  friend bool operator==(const features&, const features&) = default;
};

struct role_state {
  role sender_role = role::secondary;
  friend bool operator==(const role_state&, const role_state&) = default;
};

// uuid_flags bits (DRBD P_UUIDS110 uuid_flags, subset).
inline constexpr std::uint32_t kUuidFlagCrashedPrimary = 1u << 1;
inline constexpr std::uint32_t kUuidFlagInconsistent = 1u << 2;
inline constexpr std::uint32_t kUuidFlagQuorate = 1u << 13;  // the sender has quorum (P_STATE quorum)

inline constexpr std::size_t kHistoryUuids = 32;

struct volume_state {
  volume_nr volume = 0;
  disk_state disk = disk_state::diskless;
  std::uint64_t size_sectors = 0;
  generation_uuid current = 0;
  std::uint32_t uuid_flags = 0;
  std::uint64_t dirty_blocks = 0;   // bits set in the sender's bitmap toward the receiver
  // Sequence number of the last write of the current generation the sender holds (its own as the
  // writer, received as a replica; 0 = none yet, kWritesSeenUnknown = unknown). A generation has
  // one writer, which numbers its writes in the order it sends them to every peer, so of two
  // replicas on one generation the one with the higher number holds everything the other holds
  // (DRBD's dagtag).
  std::uint64_t writes_seen = 0;
  // How many resync_start messages the sender received from the receiver on this connection. TCP
  // keeps a connection's messages in order, so a sync source knows which of its target's reports
  // were written after the target learned of the resync: only those can say it finished.
  std::uint32_t resync_starts_seen = 0;
  node_mask bitmap_uuid_nodes = 0;  // which entries of bitmap_uuids are meaningful
  std::array<generation_uuid, kMaxNodes> bitmap_uuids{};
  std::vector<generation_uuid> history;  // newest first, at most kHistoryUuids
  friend bool operator==(const volume_state&, const volume_state&) = default;
};

struct current_uuid {
  volume_nr volume = 0;
  generation_uuid uuid = 0;
  generation_uuid previous = 0;  // the generation it follows; only holders of it may adopt uuid
  node_mask weak_nodes = 0;      // diskful nodes the sender cannot replicate to
  friend bool operator==(const current_uuid&, const current_uuid&) = default;
};

// Sent by the sync source: "I am source, you are target", followed by the bitmap chunks.
struct resync_start {
  volume_nr volume = 0;
  generation_uuid source_uuid = 0;  // adopted by the target when the resync completes
  // A fresh generation for the target while it is partly synced (DRBD P_SYNC_UUID): a half-synced
  // disk must not look like the generation it started from to anybody's bitmap UUIDs.
  generation_uuid sync_uuid = 0;
  std::uint64_t total_blocks = 0;
  // The source's volume_state::writes_seen as it starts: every later write of the generation it
  // sends to the target directly, every earlier one the target lacks is in the bitmap that
  // follows. (The count in its handshake state is older: writes made before the handshake
  // completed were marked, not sent.)
  std::uint64_t source_writes_seen = kWritesSeenUnknown;
  friend bool operator==(const resync_start&, const resync_start&) = default;
};

inline constexpr std::size_t kMaxBitmapWordsPerChunk = 4096;

struct bitmap_chunk {
  volume_nr volume = 0;
  std::uint64_t first_word = 0;
  bool last = false;
  std::vector<std::uint64_t> words;
  friend bool operator==(const bitmap_chunk&, const bitmap_chunk&) = default;
};

// data.flags bits (DRBD dp_flags subset).
inline constexpr std::uint32_t kDataFlagFua = 1u << 0;
inline constexpr std::uint32_t kDataFlagWantRecvAck = 1u << 7;   // protocol B
inline constexpr std::uint32_t kDataFlagWantWriteAck = 1u << 8;  // protocol C

struct data {
  volume_nr volume = 0;
  std::uint64_t sector = 0;
  std::uint64_t block_id = 0;  // opaque, echoed in the ack
  std::uint32_t flags = 0;
  node_mask replicated_to = 0;  // every node this write is sent to (plus the writer if diskful)
  std::uint64_t write_seq = 0;  // the writer's number for this write (volume_state::writes_seen)
  buffer_ref payload;
  friend bool operator==(const data&, const data&) = default;
};

struct block_ack_fields {
  volume_nr volume = 0;
  std::uint64_t sector = 0;
  std::uint64_t block_id = 0;
  std::uint32_t size_bytes = 0;
  friend bool operator==(const block_ack_fields&, const block_ack_fields&) = default;
};
struct write_ack : block_ack_fields {};
struct recv_ack : block_ack_fields {};
struct neg_ack : block_ack_fields {};
struct data_request : block_ack_fields {};
struct neg_dreply : block_ack_fields {};

// The newest write a resync reply must include (DRBD 9.2's dagtag in P_RS_DATA_REQUEST): a sync
// target names the Primary whose writes reach it, the generation and the write_seq of the last
// of them it received; the source reads the range only once that write has reached it too, so a
// source whose link to the Primary lags cannot send a block older than the target's copy.
// `writer` kNoDagtagWriter: the target knows of no such write (the other two fields are 0).
inline constexpr node_id kNoDagtagWriter = 0xff;
struct resync_dagtag {
  node_id writer = kNoDagtagWriter;
  generation_uuid generation = 0;
  std::uint64_t write_seq = 0;
  friend bool operator==(const resync_dagtag&, const resync_dagtag&) = default;
};
struct rs_data_request : block_ack_fields {
  resync_dagtag dagtag;
  friend bool operator==(const rs_data_request&, const rs_data_request&) = default;
};
struct rs_write_ack : block_ack_fields {};
struct neg_rs_dreply : block_ack_fields {};
// "These blocks changed and you do not have the change": sent to a sync target by its sources.
struct out_of_sync : block_ack_fields {};

// Sent by a writer to every receiver that holds a write once the write completed (DRBD P_PEER_ACK):
// the nodes outside `have` miss it, and every receiver marks it out of sync toward them. Until it
// arrives a receiver cannot tell a write its writer completed from one the writer crashed under.
struct peer_ack {
  volume_nr volume = 0;
  std::uint64_t sector = 0;
  std::uint32_t size_bytes = 0;
  node_mask have = 0;
  std::uint64_t write_seq = 0;  // data::write_seq of the write
  friend bool operator==(const peer_ack&, const peer_ack&) = default;
};

// Online verify and checksum-based resync compare blocks by digest instead of by content: one
// CRC-32C per 4 KiB block of the range (the last one may be shorter). See core/replica/
// replica_verify.cpp for why CRC-32C is the digest.
inline constexpr std::size_t kMaxDigestsPerRequest = kMaxIoBytes / kBlockBytes;
struct digest_fields {
  volume_nr volume = 0;
  std::uint64_t sector = 0;
  std::uint64_t block_id = 0;
  std::uint32_t size_bytes = 0;
  std::vector<std::uint32_t> digests;  // one per 4 KiB block; empty: the sender could not read
  friend bool operator==(const digest_fields&, const digest_fields&) = default;
};
// The number of digests a range of size_bytes carries.
constexpr std::size_t digests_for(std::uint32_t size_bytes) {
  return (size_bytes + kBlockBytes - 1) / kBlockBytes;
}
struct ov_request : block_ack_fields {};
struct ov_reply : digest_fields {};
struct rs_csum_request : digest_fields {
  resync_dagtag dagtag;
  friend bool operator==(const rs_csum_request&, const rs_csum_request&) = default;
};
struct rs_is_in_sync : block_ack_fields {};

// Sent by a verify source when its run over the volume ended (or was stopped): the target leaves
// VerifyT and reports the same figures.
struct ov_done {
  volume_nr volume = 0;
  std::uint64_t checked_blocks = 0;
  std::uint64_t out_of_sync_blocks = 0;
  friend bool operator==(const ov_done&, const ov_done&) = default;
};

// Sent by a node whose disk just became Inconsistent (invalidate, attach) to the UpToDate peer it
// wants its data from: the receiver starts a full resync toward it.
struct resync_request {
  volume_nr volume = 0;
  friend bool operator==(const resync_request&, const resync_request&) = default;
};

// Sent by a diskful node when a connection's handshake completes: the largest size its backing
// device can hold for `volume`. Not sent without a limit. A `resize` must fit every node.
struct backing_size {
  volume_nr volume = 0;
  std::uint64_t max_size_sectors = 0;
  friend bool operator==(const backing_size&, const backing_size&) = default;
};

// Sent by a Primary whose protocol A connection is congested (on-congestion pull-ahead): "I am
// Ahead of you, you are Behind". Until it resyncs the receiver, its writes arrive as out_of_sync
// notices instead of data.
struct pull_ahead {
  volume_nr volume = 0;
  friend bool operator==(const pull_ahead&, const pull_ahead&) = default;
};

struct reply_fields {
  volume_nr volume = 0;
  std::uint64_t sector = 0;
  std::uint64_t block_id = 0;
  buffer_ref payload;
  friend bool operator==(const reply_fields&, const reply_fields&) = default;
};
struct data_reply : reply_fields {};
struct rs_data_reply : reply_fields {
  // The source's volume_state::writes_seen when it took the request: the block holds at least the
  // writer's writes up to this number (a target compares it with what other sources reported).
  std::uint64_t source_writes_seen = kWritesSeenUnknown;
  friend bool operator==(const rs_data_reply&, const rs_data_reply&) = default;
};

// Two-phase commit of a cluster-wide state change (DRBD change_cluster_wide_state). Transactions
// are identified by (initiator, tid).
// A connect asks the nodes on both sides of a new connection; `target` is the peer being connected
// (the initiator itself for a promotion and a resize, the sync source for an invalidate).
enum class twopc_change : std::uint8_t { promote = 1, connect = 2, resize = 3, invalidate = 4 };
enum class twopc_refusal : std::uint8_t {
  none = 0,
  busy = 1,           // part of another transaction
  primary = 2,        // the sender is Primary (a promotion without allow-two-primaries)
  two_primaries = 3,  // a connect would join more Primaries than allowed
  not_uptodate = 4,   // an invalidate's source has no UpToDate data in sync with the initiator
  too_small = 5,      // a resize beyond the sender's backing device
};

// A resize's new area needs no sync (DRBD --assume-clean).
inline constexpr std::uint32_t kResizeAssumeClean = 1u << 0;

struct twopc_prepare {
  std::uint64_t tid = 0;
  node_id initiator = 0;
  twopc_change change = twopc_change::promote;
  node_id target = 0;
  node_mask primary_nodes = 0;  // connect: the Primaries known on the initiator's side
  // resize (DRBD P_TWOPC_PREP_RSZ): the volume and the size every node takes; zero otherwise.
  volume_nr volume = 0;
  std::uint64_t size_sectors = 0;
  std::uint32_t resize_flags = 0;
  friend bool operator==(const twopc_prepare&, const twopc_prepare&) = default;
};
struct twopc_reply {
  std::uint64_t tid = 0;
  node_id initiator = 0;
  twopc_refusal refusal = twopc_refusal::none;  // none = yes
  node_mask primary_nodes = 0;  // the Primaries the sender is connected to, itself included
  friend bool operator==(const twopc_reply&, const twopc_reply&) = default;
};
struct twopc_commit {
  std::uint64_t tid = 0;
  node_id initiator = 0;
  friend bool operator==(const twopc_commit&, const twopc_commit&) = default;
};
struct twopc_abort {
  std::uint64_t tid = 0;
  node_id initiator = 0;
  // Why: a connect refused for more Primaries than allowed ends StandAlone on both sides.
  twopc_refusal refusal = twopc_refusal::busy;
  friend bool operator==(const twopc_abort&, const twopc_abort&) = default;
};

struct ping {
  friend bool operator==(const ping&, const ping&) = default;
};
struct ping_ack {
  friend bool operator==(const ping_ack&, const ping_ack&) = default;
};

using message = std::variant<features, role_state, volume_state, current_uuid, resync_start,
                             bitmap_chunk, data, write_ack, recv_ack, neg_ack, data_request,
                             data_reply, neg_dreply, rs_data_request, rs_data_reply, rs_write_ack,
                             neg_rs_dreply, out_of_sync, peer_ack, twopc_prepare, twopc_abort,
                             twopc_reply, twopc_commit, ping, ping_ack, ov_request, ov_reply,
                             ov_done, rs_csum_request, rs_is_in_sync, resync_request,
                             backing_size, pull_ahead>;

msg_type type_of(const message& msg);
const char* name_of(msg_type type);

// The payload buffer a message carries, if any (data, data_reply, rs_data_reply).
buffer_ref payload_of(const message& msg);

}  // namespace tandem::wire
