#include "core/wire/codec.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>

namespace tandem::wire {
namespace {

class byte_writer {
 public:
  explicit byte_writer(std::vector<std::byte>& out) : out_(out) {}
  template <typename Int>
  void put(Int value) {
    static_assert(std::is_unsigned_v<Int>);
    for (int shift = (sizeof(Int) - 1) * 8; shift >= 0; shift -= 8) {
      out_.push_back(static_cast<std::byte>((value >> shift) & 0xff));
    }
  }
  void put_bytes(std::span<const std::byte> bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  std::size_t size() const { return out_.size(); }
  void patch_u32(std::size_t at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i)
      out_[at + i] = static_cast<std::byte>((value >> (24 - 8 * i)) & 0xff);
  }

 private:
  std::vector<std::byte>& out_;
};

// Reads big-endian fields; the first read past the end sets failed() and every later read returns
// 0.
class byte_reader {
 public:
  explicit byte_reader(std::span<const std::byte> in) : in_(in) {}
  template <typename Int>
  Int get() {
    static_assert(std::is_unsigned_v<Int>);
    if (failed_ || in_.size() - pos_ < sizeof(Int)) {
      failed_ = true;
      return 0;
    }
    Int value = 0;
    for (std::size_t i = 0; i < sizeof(Int); ++i)
      value = static_cast<Int>((value << 8) | std::to_integer<Int>(in_[pos_ + i]));
    pos_ += sizeof(Int);
    return value;
  }
  std::span<const std::byte> get_bytes(std::size_t count) {
    if (failed_ || in_.size() - pos_ < count) {
      failed_ = true;
      return {};
    }
    auto bytes = in_.subspan(pos_, count);
    pos_ += count;
    return bytes;
  }
  bool failed() const { return failed_; }
  std::size_t remaining() const { return failed_ ? 0 : in_.size() - pos_; }

 private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

// Each message type has put() and get(); get() returns false for a value out of range.
void put(byte_writer& w, const features& m) {
  w.put(m.protocol_min);
  w.put(m.protocol_max);
  w.put(m.sender);
  w.put(m.receiver);
}
bool get(byte_reader& r, features& m) {
  m.protocol_min = r.get<std::uint16_t>();
  m.protocol_max = r.get<std::uint16_t>();
  m.sender = r.get<std::uint8_t>();
  m.receiver = r.get<std::uint8_t>();
  return m.sender < kMaxNodes && m.receiver < kMaxNodes && m.protocol_min <= m.protocol_max;
}

void put(byte_writer& w, const role_state& m) {
  w.put(static_cast<std::uint8_t>(m.sender_role));
}
bool get(byte_reader& r, role_state& m) {
  auto value = role_from(r.get<std::uint8_t>());
  m.sender_role = value.value_or(role::unknown);
  return value.has_value();
}

void put(byte_writer& w, const volume_state& m) {
  w.put(m.volume);
  w.put(static_cast<std::uint8_t>(m.disk));
  w.put(m.size_sectors);
  w.put(m.current);
  w.put(m.uuid_flags);
  w.put(m.dirty_blocks);
  w.put(m.writes_seen);
  w.put(m.resync_starts_seen);
  w.put(m.bitmap_uuid_nodes);
  for (int node = 0; node < kMaxNodes; ++node) {
    if (mask_has(m.bitmap_uuid_nodes, static_cast<node_id>(node))) w.put(m.bitmap_uuids[node]);
  }
  w.put(static_cast<std::uint8_t>(m.history.size()));
  for (auto uuid : m.history) w.put(uuid);
}
bool get(byte_reader& r, volume_state& m) {
  m.volume = r.get<std::uint16_t>();
  auto disk = disk_state_from(r.get<std::uint8_t>());
  m.size_sectors = r.get<std::uint64_t>();
  m.current = r.get<std::uint64_t>();
  m.uuid_flags = r.get<std::uint32_t>();
  m.dirty_blocks = r.get<std::uint64_t>();
  m.writes_seen = r.get<std::uint64_t>();
  m.resync_starts_seen = r.get<std::uint32_t>();
  m.bitmap_uuid_nodes = r.get<std::uint32_t>();
  for (int node = 0; node < kMaxNodes; ++node) {
    if (mask_has(m.bitmap_uuid_nodes, static_cast<node_id>(node)))
      m.bitmap_uuids[node] = r.get<std::uint64_t>();
  }
  const auto history_count = r.get<std::uint8_t>();
  if (history_count > kHistoryUuids) return false;
  m.history.resize(history_count);
  for (auto& uuid : m.history) uuid = r.get<std::uint64_t>();
  m.disk = disk.value_or(disk_state::diskless);
  return disk.has_value();
}

void put(byte_writer& w, const current_uuid& m) {
  w.put(m.volume);
  w.put(m.uuid);
  w.put(m.previous);
  w.put(m.weak_nodes);
}
bool get(byte_reader& r, current_uuid& m) {
  m.volume = r.get<std::uint16_t>();
  m.uuid = r.get<std::uint64_t>();
  m.previous = r.get<std::uint64_t>();
  m.weak_nodes = r.get<std::uint32_t>();
  return true;
}

void put(byte_writer& w, const resync_start& m) {
  w.put(m.volume);
  w.put(m.source_uuid);
  w.put(m.sync_uuid);
  w.put(m.total_blocks);
  w.put(m.source_writes_seen);
}
bool get(byte_reader& r, resync_start& m) {
  m.volume = r.get<std::uint16_t>();
  m.source_uuid = r.get<std::uint64_t>();
  m.sync_uuid = r.get<std::uint64_t>();
  m.total_blocks = r.get<std::uint64_t>();
  m.source_writes_seen = r.get<std::uint64_t>();
  return true;
}

void put(byte_writer& w, const bitmap_chunk& m) {
  w.put(m.volume);
  w.put(m.first_word);
  w.put(static_cast<std::uint8_t>(m.last ? 1 : 0));
  w.put(static_cast<std::uint32_t>(m.words.size()));
  for (auto word : m.words) w.put(word);
}
bool get(byte_reader& r, bitmap_chunk& m) {
  m.volume = r.get<std::uint16_t>();
  m.first_word = r.get<std::uint64_t>();
  const auto last = r.get<std::uint8_t>();
  const auto count = r.get<std::uint32_t>();
  // Check the count against what is really there before allocating for it.
  if (last > 1 || count > kMaxBitmapWordsPerChunk || count * 8ull > r.remaining()) return false;
  m.last = last == 1;
  m.words.resize(count);
  for (auto& word : m.words) word = r.get<std::uint64_t>();
  return true;
}

void put(byte_writer& w, const data& m) {
  w.put(m.volume);
  w.put(m.sector);
  w.put(m.block_id);
  w.put(m.flags);
  w.put(m.replicated_to);
  w.put(m.write_seq);
  w.put(m.payload.length_bytes);
}
bool get(byte_reader& r, data& m) {
  m.volume = r.get<std::uint16_t>();
  m.sector = r.get<std::uint64_t>();
  m.block_id = r.get<std::uint64_t>();
  m.flags = r.get<std::uint32_t>();
  m.replicated_to = r.get<std::uint32_t>();
  m.write_seq = r.get<std::uint64_t>();
  m.payload.length_bytes = r.get<std::uint32_t>();
  return m.payload.length_bytes > 0 && m.payload.length_bytes <= kMaxIoBytes;
}

void put(byte_writer& w, const block_ack_fields& m) {
  w.put(m.volume);
  w.put(m.sector);
  w.put(m.block_id);
  w.put(m.size_bytes);
}
bool get(byte_reader& r, block_ack_fields& m) {
  m.volume = r.get<std::uint16_t>();
  m.sector = r.get<std::uint64_t>();
  m.block_id = r.get<std::uint64_t>();
  m.size_bytes = r.get<std::uint32_t>();
  return m.size_bytes <= kMaxIoBytes;
}

// A verify or checksum request must name a non-empty range: the reply carries one digest per block.
bool get(byte_reader& r, ov_request& m) {
  return get(r, static_cast<block_ack_fields&>(m)) && m.size_bytes > 0;
}
bool get(byte_reader& r, rs_is_in_sync& m) {
  return get(r, static_cast<block_ack_fields&>(m)) && m.size_bytes > 0;
}

void put(byte_writer& w, const digest_fields& m) {
  w.put(m.volume);
  w.put(m.sector);
  w.put(m.block_id);
  w.put(m.size_bytes);
  w.put(static_cast<std::uint16_t>(m.digests.size()));
  for (auto digest : m.digests) w.put(digest);
}
// `digests_required`: a checksum request always carries digests; a verify reply may carry none
// (the target could not read the range).
bool get_digests(byte_reader& r, digest_fields& m, bool digests_required) {
  m.volume = r.get<std::uint16_t>();
  m.sector = r.get<std::uint64_t>();
  m.block_id = r.get<std::uint64_t>();
  m.size_bytes = r.get<std::uint32_t>();
  const auto count = r.get<std::uint16_t>();
  if (m.size_bytes == 0 || m.size_bytes > kMaxIoBytes) return false;
  const bool count_ok = count == digests_for(m.size_bytes) || (count == 0 && !digests_required);
  // Check the count against what is really there before allocating for it.
  if (!count_ok || count * 4ull > r.remaining()) return false;
  m.digests.resize(count);
  for (auto& digest : m.digests) digest = r.get<std::uint32_t>();
  return true;
}
bool get(byte_reader& r, ov_reply& m) {
  return get_digests(r, m, false);
}

void put(byte_writer& w, const resync_dagtag& m) {
  w.put(m.writer);
  w.put(m.generation);
  w.put(m.write_seq);
}
// Either a node and its write, or no writer and nothing else.
bool get(byte_reader& r, resync_dagtag& m) {
  m.writer = r.get<std::uint8_t>();
  m.generation = r.get<std::uint64_t>();
  m.write_seq = r.get<std::uint64_t>();
  if (m.writer == kNoDagtagWriter) return m.generation == 0 && m.write_seq == 0;
  return m.writer < kMaxNodes;
}

void put(byte_writer& w, const rs_data_request& m) {
  put(w, static_cast<const block_ack_fields&>(m));
  put(w, m.dagtag);
}
bool get(byte_reader& r, rs_data_request& m) {
  return get(r, static_cast<block_ack_fields&>(m)) && get(r, m.dagtag);
}

void put(byte_writer& w, const rs_csum_request& m) {
  put(w, static_cast<const digest_fields&>(m));
  put(w, m.dagtag);
}
bool get(byte_reader& r, rs_csum_request& m) {
  return get_digests(r, m, true) && get(r, m.dagtag);
}

void put(byte_writer& w, const ov_done& m) {
  w.put(m.volume);
  w.put(m.checked_blocks);
  w.put(m.out_of_sync_blocks);
}
bool get(byte_reader& r, ov_done& m) {
  m.volume = r.get<std::uint16_t>();
  m.checked_blocks = r.get<std::uint64_t>();
  m.out_of_sync_blocks = r.get<std::uint64_t>();
  return m.out_of_sync_blocks <= m.checked_blocks;
}

void put(byte_writer& w, const resync_request& m) {
  w.put(m.volume);
}
bool get(byte_reader& r, resync_request& m) {
  m.volume = r.get<std::uint16_t>();
  return true;
}

void put(byte_writer& w, const backing_size& m) {
  w.put(m.volume);
  w.put(m.max_size_sectors);
}
bool get(byte_reader& r, backing_size& m) {
  m.volume = r.get<std::uint16_t>();
  m.max_size_sectors = r.get<std::uint64_t>();
  return true;
}

void put(byte_writer& w, const pull_ahead& m) {
  w.put(m.volume);
}
bool get(byte_reader& r, pull_ahead& m) {
  m.volume = r.get<std::uint16_t>();
  return true;
}

void put(byte_writer& w, const reply_fields& m) {
  w.put(m.volume);
  w.put(m.sector);
  w.put(m.block_id);
  w.put(m.payload.length_bytes);
}
bool get(byte_reader& r, reply_fields& m) {
  m.volume = r.get<std::uint16_t>();
  m.sector = r.get<std::uint64_t>();
  m.block_id = r.get<std::uint64_t>();
  m.payload.length_bytes = r.get<std::uint32_t>();
  return m.payload.length_bytes > 0 && m.payload.length_bytes <= kMaxIoBytes;
}

void put(byte_writer& w, const rs_data_reply& m) {
  w.put(m.volume);
  w.put(m.sector);
  w.put(m.block_id);
  w.put(m.source_writes_seen);
  w.put(m.payload.length_bytes);
}
bool get(byte_reader& r, rs_data_reply& m) {
  m.volume = r.get<std::uint16_t>();
  m.sector = r.get<std::uint64_t>();
  m.block_id = r.get<std::uint64_t>();
  m.source_writes_seen = r.get<std::uint64_t>();
  m.payload.length_bytes = r.get<std::uint32_t>();
  return m.payload.length_bytes > 0 && m.payload.length_bytes <= kMaxIoBytes;
}

void put(byte_writer& w, const peer_ack& m) {
  w.put(m.volume);
  w.put(m.sector);
  w.put(m.size_bytes);
  w.put(m.have);
  w.put(m.write_seq);
}
bool get(byte_reader& r, peer_ack& m) {
  m.volume = r.get<std::uint16_t>();
  m.sector = r.get<std::uint64_t>();
  m.size_bytes = r.get<std::uint32_t>();
  m.have = r.get<std::uint32_t>();
  m.write_seq = r.get<std::uint64_t>();
  return m.size_bytes > 0 && m.size_bytes <= kMaxIoBytes;
}

void put(byte_writer& w, const twopc_prepare& m) {
  w.put(m.tid);
  w.put(m.initiator);
  w.put(static_cast<std::uint8_t>(m.change));
  w.put(m.target);
  w.put(m.primary_nodes);
  w.put(m.volume);
  w.put(m.size_sectors);
  w.put(m.resize_flags);
}
bool get(byte_reader& r, twopc_prepare& m) {
  m.tid = r.get<std::uint64_t>();
  m.initiator = r.get<std::uint8_t>();
  const auto change = r.get<std::uint8_t>();
  m.change = static_cast<twopc_change>(change);
  m.target = r.get<std::uint8_t>();
  m.primary_nodes = r.get<std::uint32_t>();
  m.volume = r.get<std::uint16_t>();
  m.size_sectors = r.get<std::uint64_t>();
  m.resize_flags = r.get<std::uint32_t>();
  const bool known_change = change >= static_cast<std::uint8_t>(twopc_change::promote) &&
                            change <= static_cast<std::uint8_t>(twopc_change::invalidate);
  // The resize fields carry a size and known flags for a resize, nothing for any other change.
  const bool resize_fields =
      m.change == twopc_change::resize
          ? m.size_sectors > 0 && (m.resize_flags & ~kResizeAssumeClean) == 0
          : m.volume == 0 && m.size_sectors == 0 && m.resize_flags == 0;
  return m.initiator < kMaxNodes && m.target < kMaxNodes && known_change && resize_fields;
}

bool valid_refusal(std::uint8_t refusal) {
  return refusal <= static_cast<std::uint8_t>(twopc_refusal::too_small);
}

void put(byte_writer& w, const twopc_reply& m) {
  w.put(m.tid);
  w.put(m.initiator);
  w.put(static_cast<std::uint8_t>(m.refusal));
  w.put(m.primary_nodes);
}
bool get(byte_reader& r, twopc_reply& m) {
  m.tid = r.get<std::uint64_t>();
  m.initiator = r.get<std::uint8_t>();
  const auto refusal = r.get<std::uint8_t>();
  m.refusal = static_cast<twopc_refusal>(refusal);
  m.primary_nodes = r.get<std::uint32_t>();
  return m.initiator < kMaxNodes && valid_refusal(refusal);
}

void put(byte_writer& w, const twopc_commit& m) {
  w.put(m.tid);
  w.put(m.initiator);
}
bool get(byte_reader& r, twopc_commit& m) {
  m.tid = r.get<std::uint64_t>();
  m.initiator = r.get<std::uint8_t>();
  return m.initiator < kMaxNodes;
}
void put(byte_writer& w, const twopc_abort& m) {
  w.put(m.tid);
  w.put(m.initiator);
  w.put(static_cast<std::uint8_t>(m.refusal));
}
bool get(byte_reader& r, twopc_abort& m) {
  m.tid = r.get<std::uint64_t>();
  m.initiator = r.get<std::uint8_t>();
  const auto refusal = r.get<std::uint8_t>();
  m.refusal = static_cast<twopc_refusal>(refusal);
  return m.initiator < kMaxNodes && valid_refusal(refusal);
}

void put(byte_writer&, const ping&) {}
bool get(byte_reader&, ping&) {
  return true;
}
void put(byte_writer&, const ping_ack&) {}
bool get(byte_reader&, ping_ack&) {
  return true;
}

// The variant alternative for a wire type number, default-constructed; false if the type is
// unknown.
bool make_empty(std::uint16_t raw_type, message& out) {
  switch (static_cast<msg_type>(raw_type)) {
    case msg_type::features: out = features{}; return true;
    case msg_type::role_state: out = role_state{}; return true;
    case msg_type::volume_state: out = volume_state{}; return true;
    case msg_type::current_uuid: out = current_uuid{}; return true;
    case msg_type::resync_start: out = resync_start{}; return true;
    case msg_type::bitmap_chunk: out = bitmap_chunk{}; return true;
    case msg_type::data: out = data{}; return true;
    case msg_type::write_ack: out = write_ack{}; return true;
    case msg_type::recv_ack: out = recv_ack{}; return true;
    case msg_type::neg_ack: out = neg_ack{}; return true;
    case msg_type::data_request: out = data_request{}; return true;
    case msg_type::data_reply: out = data_reply{}; return true;
    case msg_type::neg_dreply: out = neg_dreply{}; return true;
    case msg_type::rs_data_request: out = rs_data_request{}; return true;
    case msg_type::rs_data_reply: out = rs_data_reply{}; return true;
    case msg_type::rs_write_ack: out = rs_write_ack{}; return true;
    case msg_type::neg_rs_dreply: out = neg_rs_dreply{}; return true;
    case msg_type::out_of_sync: out = out_of_sync{}; return true;
    case msg_type::peer_ack: out = peer_ack{}; return true;
    case msg_type::twopc_prepare: out = twopc_prepare{}; return true;
    case msg_type::twopc_abort: out = twopc_abort{}; return true;
    case msg_type::twopc_reply: out = twopc_reply{}; return true;
    case msg_type::twopc_commit: out = twopc_commit{}; return true;
    case msg_type::ping: out = ping{}; return true;
    case msg_type::ping_ack: out = ping_ack{}; return true;
    case msg_type::ov_request: out = ov_request{}; return true;
    case msg_type::ov_reply: out = ov_reply{}; return true;
    case msg_type::ov_done: out = ov_done{}; return true;
    case msg_type::rs_csum_request: out = rs_csum_request{}; return true;
    case msg_type::rs_is_in_sync: out = rs_is_in_sync{}; return true;
    case msg_type::resync_request: out = resync_request{}; return true;
    case msg_type::backing_size: out = backing_size{}; return true;
    case msg_type::pull_ahead: out = pull_ahead{}; return true;
  }
  return false;
}

std::uint32_t read_be32(std::span<const std::byte> bytes) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | std::to_integer<std::uint32_t>(bytes[i]);
  return value;
}

decoded failure(decode_status status, std::string detail) {
  decoded result;
  result.status = status;
  result.detail = std::move(detail);
  return result;
}

}  // namespace

const char* to_string(decode_status status) {
  switch (status) {
    case decode_status::ok: return "ok";
    case decode_status::need_more: return "need more bytes";
    case decode_status::truncated: return "truncated frame";
    case decode_status::bad_magic: return "bad magic";
    case decode_status::bad_version: return "unsupported header version";
    case decode_status::unknown_type: return "unknown message type";
    case decode_status::oversized: return "frame too large";
    case decode_status::trailing_bytes: return "trailing bytes after message";
    case decode_status::bad_value: return "field value out of range";
  }
  return "?";
}

frame_info peek_frame(std::span<const std::byte> stream) {
  if (stream.size() < kHeaderBytes) return {decode_status::need_more, 0};
  if (read_be32(stream) != kMagic) return {decode_status::bad_magic, 0};
  const std::uint32_t body_bytes = read_be32(stream.subspan(8));
  if (body_bytes > kMaxBodyBytes) return {decode_status::oversized, 0};
  const std::size_t frame_bytes = kHeaderBytes + body_bytes;
  if (stream.size() < frame_bytes) return {decode_status::need_more, frame_bytes};
  return {decode_status::ok, frame_bytes};
}

decoded decode(std::span<const std::byte> frame) {
  byte_reader header(frame);
  const auto magic = header.get<std::uint32_t>();
  const auto version = header.get<std::uint16_t>();
  const auto raw_type = header.get<std::uint16_t>();
  const auto body_bytes = header.get<std::uint32_t>();
  if (header.failed())
    return failure(decode_status::truncated, "frame shorter than its 12-byte header");
  if (magic != kMagic)
    return failure(decode_status::bad_magic, "frame does not start with the TAND magic");
  if (version != kHeaderVersion) {
    return failure(decode_status::bad_version,
                   "header version " + std::to_string(version) + " unsupported");
  }
  if (body_bytes > kMaxBodyBytes) {
    return failure(decode_status::oversized,
                   "body of " + std::to_string(body_bytes) + " bytes exceeds the limit");
  }
  if (frame.size() - kHeaderBytes != body_bytes) {
    return failure(decode_status::truncated, "header announces " + std::to_string(body_bytes) +
                                                 " body bytes, frame has " +
                                                 std::to_string(frame.size() - kHeaderBytes));
  }
  decoded result;
  if (!make_empty(raw_type, result.msg)) {
    return failure(decode_status::unknown_type,
                   "message type " + std::to_string(raw_type) + " unknown");
  }
  byte_reader body(frame.subspan(kHeaderBytes));
  const bool in_range = std::visit([&](auto& m) { return get(body, m); }, result.msg);
  const auto name = std::string(name_of(static_cast<msg_type>(raw_type)));
  if (body.failed()) return failure(decode_status::truncated, name + " body is truncated");
  if (!in_range) return failure(decode_status::bad_value, name + " has a field out of range");
  const std::uint32_t payload_bytes = payload_of(result.msg).length_bytes;
  result.payload_bytes = body.get_bytes(payload_bytes);
  if (body.failed()) return failure(decode_status::truncated, name + " payload is truncated");
  if (body.remaining() != 0)
    return failure(decode_status::trailing_bytes, name + " has trailing bytes");
  return result;
}

void encode(const message& msg, std::span<const std::byte> payload_bytes,
            std::vector<std::byte>& out) {
  byte_writer w(out);
  const std::size_t start = w.size();
  w.put(kMagic);
  w.put(kHeaderVersion);
  w.put(static_cast<std::uint16_t>(type_of(msg)));
  w.put(std::uint32_t{0});  // body length, patched below
  std::visit([&](const auto& m) { put(w, m); }, msg);
  w.put_bytes(payload_bytes.first(
      std::min<std::size_t>(payload_bytes.size(), payload_of(msg).length_bytes)));
  w.patch_u32(start + 8, static_cast<std::uint32_t>(w.size() - start - kHeaderBytes));
}

}  // namespace tandem::wire
