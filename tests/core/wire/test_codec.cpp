#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/wire/codec.h"
#include "core/wire/messages.h"

using namespace tandem;
using namespace tandem::wire;

namespace {

using bytes = std::vector<std::byte>;

// Deterministic payload pattern: byte i of a payload seeded with seed.
bytes make_payload(std::size_t size, std::uint8_t seed) {
  bytes out(size);
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = static_cast<std::byte>((i * 31 + seed) & 0xff);
  }
  return out;
}

bytes encode_frame(const message& msg, std::span<const std::byte> payload = {}) {
  bytes out;
  encode(msg, payload, out);
  return out;
}

std::uint32_t read_be32(const bytes& frame, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value = (value << 8) | std::to_integer<std::uint32_t>(frame[at + i]);
  }
  return value;
}

void write_be16(bytes& frame, std::size_t at, std::uint16_t value) {
  frame[at] = static_cast<std::byte>(value >> 8);
  frame[at + 1] = static_cast<std::byte>(value & 0xff);
}

void write_be32(bytes& frame, std::size_t at, std::uint32_t value) {
  for (std::size_t i = 0; i < 4; ++i) {
    frame[at + i] = static_cast<std::byte>((value >> (24 - 8 * i)) & 0xff);
  }
}

// Rewrites the body-length field to match the frame's actual size.
void fix_length(bytes& frame) {
  write_be32(frame, 8, static_cast<std::uint32_t>(frame.size() - kHeaderBytes));
}

// The message with its payload handle as decode() returns it (id 0, length kept).
message as_decoded(message msg) {
  std::visit(
      [](auto& m) {
        if constexpr (requires { m.payload; }) m.payload.id = 0;
      },
      msg);
  return msg;
}

// One sample per message type with non-default values, plus the payload bytes it carries.
struct sample {
  message msg;
  bytes payload;
};

volume_state sample_volume_state() {
  volume_state m;
  m.volume = 7;
  m.disk = disk_state::uptodate;
  m.size_sectors = 0x0000'0001'0000'0800ull;
  m.current = 0xdead'beef'cafe'f00dull;
  m.uuid_flags = kUuidFlagCrashedPrimary | kUuidFlagInconsistent;
  m.dirty_blocks = 123456789;
  m.writes_seen = 0x0a0b0c0d0e0f1011ull;
  m.resync_starts_seen = 0x01020304;
  m.bitmap_uuid_nodes = mask_of(0) | mask_of(3) | mask_of(17) | mask_of(31);
  m.bitmap_uuids[0] = 0x1111'2222'3333'4444ull;
  m.bitmap_uuids[3] = 0x5555'6666'7777'8888ull;
  m.bitmap_uuids[17] = 0x9999'aaaa'bbbb'ccccull;
  m.bitmap_uuids[31] = 0xffff'ffff'ffff'fffeull;
  m.history = {0x0102'0304'0506'0708ull, 0x1020'3040'5060'7080ull, 42};
  return m;
}

template <typename T>
T block_ack(std::uint16_t seed) {
  T m;
  m.volume = static_cast<volume_nr>(seed);
  m.sector = 0x0123'4567'89ab'cdefull + seed;
  m.block_id = 0xfedc'ba98'7654'3210ull - seed;
  m.size_bytes = 4096u * seed;
  return m;
}

template <typename T>
sample reply(std::uint16_t seed, std::size_t size) {
  T m;
  m.volume = static_cast<volume_nr>(seed);
  m.sector = 8000 + seed;
  m.block_id = 0xabcd'0000'0000'0000ull | seed;
  m.payload = {static_cast<std::uint64_t>(0x77 + seed), static_cast<std::uint32_t>(size)};
  return {m, make_payload(size, static_cast<std::uint8_t>(seed))};
}

std::vector<sample> all_samples() {
  std::vector<sample> out;
  out.push_back({features{.protocol_min = 1, .protocol_max = 9, .sender = 3, .receiver = 31}, {}});
  out.push_back({role_state{.sender_role = role::primary}, {}});
  out.push_back({sample_volume_state(), {}});
  out.push_back({current_uuid{.volume = 2,
                              .uuid = 0x4444'0000'0000'0005ull,
                              .previous = 0x3333'0000'0000'0007ull,
                              .weak_nodes = mask_of(1) | mask_of(30)},
                 {}});
  out.push_back({resync_start{.volume = 5,
                              .source_uuid = 0x1234'5678'9abc'def0ull,
                              .sync_uuid = 0x0fed'cba9'8765'4321ull,
                              .total_blocks = 1ull << 40,
                              .source_writes_seen = 77},
                 {}});
  out.push_back(
      {bitmap_chunk{.volume = 4,
                    .first_word = 0x1'0000'0000ull,
                    .last = true,
                    .words = {0, ~0ull, 0x8000'0000'0000'0001ull, 0x00ff'00ff'00ff'00ffull}},
       {}});
  {
    data m{.volume = 9,
           .sector = 0x0000'00ab'cdef'0000ull,
           .block_id = 0x1122'3344'5566'7788ull,
           .flags = kDataFlagFua | kDataFlagWantWriteAck,
           .replicated_to = mask_of(0) | mask_of(2) | mask_of(31),
           .write_seq = 0x0102'0304'0506'0708ull,
           .payload = {0x55, 4096 + 17}};
    out.push_back({m, make_payload(4096 + 17, 0x5a)});
  }
  out.push_back({block_ack<write_ack>(1), {}});
  out.push_back({block_ack<recv_ack>(2), {}});
  out.push_back({block_ack<neg_ack>(3), {}});
  out.push_back({block_ack<data_request>(4), {}});
  out.push_back(reply<data_reply>(5, 512));
  out.push_back({block_ack<neg_dreply>(6), {}});
  {
    auto request = block_ack<rs_data_request>(7);
    request.dagtag = {.writer = 31, .generation = 0xfedc'ba98'7654'3210ull, .write_seq = 1ull << 40};
    out.push_back({request, {}});
  }
  {
    auto resync_reply = reply<rs_data_reply>(8, 3000);
    std::get<rs_data_reply>(resync_reply.msg).source_writes_seen = 0x0102'0304'0506'0708ull;
    out.push_back(std::move(resync_reply));
  }
  out.push_back({block_ack<rs_write_ack>(9), {}});
  out.push_back({block_ack<neg_rs_dreply>(10), {}});
  out.push_back({block_ack<out_of_sync>(11), {}});
  out.push_back(
      {peer_ack{.volume = 3,
                .sector = 4096,
                .size_bytes = 8192,
                .have = mask_of(0) | mask_of(2),
                .write_seq = 1ull << 63},
       {}});
  out.push_back({twopc_prepare{.tid = 0x1122'3344'5566'7788ull, .initiator = 5,
                               .change = twopc_change::resize, .target = 5,
                               .primary_nodes = mask_of(5), .volume = 6,
                               .size_sectors = 1ull << 40, .resize_flags = kResizeAssumeClean},
                 {}});
  out.push_back({twopc_abort{.tid = 9, .initiator = 31, .refusal = twopc_refusal::two_primaries},
                 {}});
  out.push_back({twopc_reply{.tid = 10, .initiator = 2, .refusal = twopc_refusal::busy,
                             .primary_nodes = mask_of(0) | mask_of(31)},
                 {}});
  out.push_back({twopc_commit{.tid = 11, .initiator = 0}, {}});
  out.push_back({ping{}, {}});
  out.push_back({ping_ack{}, {}});
  out.push_back({block_ack<ov_request>(12), {}});
  {
    ov_reply m;
    m.volume = 3;
    m.sector = 0x0000'0100'0000'0008ull;
    m.block_id = 0x7777'0000'0000'0001ull;
    m.size_bytes = 2 * 4096 + 512;  // the last digest covers a shorter block
    m.digests = {0xe306'9283u, 0, 0xffff'ffffu};
    out.push_back({m, {}});
  }
  out.push_back({ov_done{.volume = 2, .checked_blocks = 1ull << 33, .out_of_sync_blocks = 17}, {}});
  {
    rs_csum_request m;
    m.volume = 1;
    m.sector = 64;
    m.block_id = 0x1234;
    m.size_bytes = 4096;
    m.digests = {0xdead'beefu};
    m.dagtag = {.writer = 2, .generation = 0x42, .write_seq = 7};
    out.push_back({m, {}});
  }
  out.push_back({block_ack<rs_is_in_sync>(13), {}});
  out.push_back({resync_request{.volume = 4}, {}});
  out.push_back({backing_size{.volume = 5, .max_size_sectors = 0x0000'0010'0000'0000ull}, {}});
  out.push_back({pull_ahead{.volume = 7}, {}});
  return out;
}

// Decodes frame and requires the given status and a reason.
void check_rejected(const bytes& frame, decode_status expected) {
  const auto result = decode(frame);
  CHECK(result.status == expected);
  CHECK_FALSE(result.detail.empty());
}

// Small xorshift64 generator, so the garbage test is the same on every run.
class xorshift {
 public:
  explicit xorshift(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  std::uint64_t below(std::uint64_t bound) { return next() % bound; }

 private:
  std::uint64_t state_;
};

// Every type in variant order, with the body size of its default-constructed message.
struct type_info {
  msg_type type;
  std::size_t fixed_body;
};
const type_info kAllTypes[] = {
    {msg_type::features, 6},       {msg_type::role_state, 1},
    {msg_type::volume_state, 48},  {msg_type::current_uuid, 22},
    {msg_type::resync_start, 34},  {msg_type::bitmap_chunk, 15},
    {msg_type::data, 38},          {msg_type::write_ack, 22},
    {msg_type::recv_ack, 22},      {msg_type::neg_ack, 22},
    {msg_type::data_request, 22},  {msg_type::data_reply, 22},
    {msg_type::neg_dreply, 22},    {msg_type::rs_data_request, 39},
    {msg_type::rs_data_reply, 30}, {msg_type::rs_write_ack, 22},
    {msg_type::neg_rs_dreply, 22}, {msg_type::out_of_sync, 22},
    {msg_type::peer_ack, 26},      {msg_type::twopc_prepare, 29},
    {msg_type::twopc_abort, 10},   {msg_type::twopc_reply, 14},
    {msg_type::twopc_commit, 9},   {msg_type::ping, 0},
    {msg_type::ping_ack, 0},       {msg_type::ov_request, 22},
    {msg_type::ov_reply, 24},      {msg_type::ov_done, 18},
    {msg_type::rs_csum_request, 41}, {msg_type::rs_is_in_sync, 22},
    {msg_type::resync_request, 2},
    {msg_type::backing_size, 10},   {msg_type::pull_ahead, 2},
};

}  // namespace

TEST_CASE("the samples cover every message type once") {
  const auto samples = all_samples();
  REQUIRE(samples.size() == std::variant_size_v<message>);
  REQUIRE(std::size(kAllTypes) == std::variant_size_v<message>);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    CHECK(samples[i].msg.index() == i);
    CHECK(type_of(samples[i].msg) == kAllTypes[i].type);
    const message empty = std::visit(
        [](const auto& m) { return message{std::decay_t<decltype(m)>{}}; }, samples[i].msg);
    CHECK(encode_frame(empty).size() == kHeaderBytes + kAllTypes[i].fixed_body);
  }
}

TEST_CASE("every message type survives encode then decode") {
  for (const auto& s : all_samples()) {
    CAPTURE(name_of(type_of(s.msg)));
    const bytes frame = encode_frame(s.msg, s.payload);
    REQUIRE(frame.size() >= kHeaderBytes);
    CHECK(read_be32(frame, 0) == kMagic);
    CHECK(read_be32(frame, 4) ==
          ((std::uint32_t{kHeaderVersion} << 16) | static_cast<std::uint16_t>(type_of(s.msg))));
    CHECK(read_be32(frame, 8) == frame.size() - kHeaderBytes);

    const auto result = decode(frame);
    REQUIRE(result.status == decode_status::ok);
    CHECK(result.detail.empty());
    CHECK(result.msg == as_decoded(s.msg));
    CHECK(payload_of(result.msg).id == 0);
    CHECK(payload_of(result.msg).length_bytes == s.payload.size());
    REQUIRE(result.payload_bytes.size() == s.payload.size());
    CHECK(bytes(result.payload_bytes.begin(), result.payload_bytes.end()) == s.payload);
    if (!s.payload.empty()) {
      // The payload is the tail of the frame and points into it.
      CHECK(result.payload_bytes.data() == frame.data() + frame.size() - s.payload.size());
    }
  }
}

TEST_CASE("fixed body sizes match the documented layout") {
  const auto samples = all_samples();
  auto body_of = [&](std::size_t index) {
    return encode_frame(samples[index].msg, samples[index].payload).size() - kHeaderBytes;
  };
  CHECK(body_of(0) == 6);                                              // features
  CHECK(body_of(1) == 1);                                              // role_state
  CHECK(body_of(2) == 2 + 1 + 8 + 8 + 4 + 8 + 8 + 4 + 4 + 4 * 8 + 1 + 3 * 8);  // volume_state
  CHECK(body_of(3) == 22);                                             // current_uuid
  CHECK(body_of(4) == 34);                                             // resync_start
  CHECK(body_of(5) == 15 + 4 * 8);                                     // bitmap_chunk
  CHECK(body_of(6) == 38 + 4096 + 17);                                 // data
  CHECK(body_of(7) == 22);                                             // write_ack
  CHECK(body_of(11) == 22 + 512);                                      // data_reply
  CHECK(body_of(13) == 22 + 1 + 8 + 8);                                // rs_data_request
  CHECK(body_of(14) == 30 + 3000);                                     // rs_data_reply
  CHECK(body_of(17) == 22);                                            // out_of_sync
  CHECK(body_of(18) == 26);                                            // peer_ack
  CHECK(body_of(19) == 29);                                            // twopc_prepare
  CHECK(body_of(23) == 0);                                             // ping
  CHECK(body_of(25) == 22);                                            // ov_request
  CHECK(body_of(26) == 24 + 3 * 4);                                    // ov_reply
  CHECK(body_of(27) == 18);                                            // ov_done
  CHECK(body_of(28) == 24 + 4 + 17);                                   // rs_csum_request
  CHECK(body_of(30) == 2);                                             // resync_request
}

TEST_CASE("round trip at the limits") {
  SUBCASE("volume_state with every bitmap uuid and a full history") {
    volume_state m;
    m.disk = disk_state::inconsistent;
    m.bitmap_uuid_nodes = ~node_mask{0};
    for (int i = 0; i < kMaxNodes; ++i) m.bitmap_uuids[i] = 1000 + i;
    for (std::size_t i = 0; i < kHistoryUuids; ++i) m.history.push_back(5000 + i);
    const auto result = decode(encode_frame(m));
    REQUIRE(result.status == decode_status::ok);
    CHECK(result.msg == message{m});
  }
  SUBCASE("volume_state drops bitmap uuids outside the mask") {
    volume_state m = sample_volume_state();
    m.bitmap_uuids[5] = 0x5555;  // not in bitmap_uuid_nodes, so not sent
    const auto result = decode(encode_frame(m));
    REQUIRE(result.status == decode_status::ok);
    CHECK(std::get<volume_state>(result.msg) == sample_volume_state());
  }
  SUBCASE("bitmap_chunk with the maximal word count") {
    bitmap_chunk m{.volume = 1, .first_word = 3, .last = false, .words = {}};
    for (std::size_t i = 0; i < kMaxBitmapWordsPerChunk; ++i) m.words.push_back(i * 0x0101'0101ull);
    const auto result = decode(encode_frame(m));
    REQUIRE(result.status == decode_status::ok);
    CHECK(result.msg == message{m});
  }
  SUBCASE("bitmap_chunk with no words") {
    bitmap_chunk m{.volume = 1, .first_word = 0, .last = true, .words = {}};
    const auto result = decode(encode_frame(m));
    REQUIRE(result.status == decode_status::ok);
    CHECK(result.msg == message{m});
  }
  SUBCASE("data with the maximal payload") {
    data m{.volume = 1,
           .sector = 0,
           .block_id = 1,
           .flags = 0,
           .replicated_to = 1,
           .payload = {9, kMaxIoBytes}};
    const bytes payload = make_payload(kMaxIoBytes, 3);
    const bytes frame = encode_frame(m, payload);
    CHECK(frame.size() - kHeaderBytes <= kMaxBodyBytes);
    CHECK(peek_frame(frame).status == decode_status::ok);
    const auto result = decode(frame);
    REQUIRE(result.status == decode_status::ok);
    CHECK(result.msg == as_decoded(m));
    CHECK(bytes(result.payload_bytes.begin(), result.payload_bytes.end()) == payload);
  }
  SUBCASE("one-byte payload") {
    const auto s = reply<rs_data_reply>(1, 1);
    const bytes frame = encode_frame(s.msg, s.payload);
    const auto result = decode(frame);
    REQUIRE(result.status == decode_status::ok);
    CHECK(result.msg == as_decoded(s.msg));
    CHECK(bytes(result.payload_bytes.begin(), result.payload_bytes.end()) == s.payload);
  }
}

TEST_CASE("encode appends to the output buffer") {
  bytes out{std::byte{0xaa}, std::byte{0xbb}};
  encode(ping{}, {}, out);
  REQUIRE(out.size() == 2 + kHeaderBytes);
  CHECK(out[0] == std::byte{0xaa});
  CHECK(out[1] == std::byte{0xbb});
  const auto result = decode(std::span<const std::byte>(out).subspan(2));
  REQUIRE(result.status == decode_status::ok);
  CHECK(std::holds_alternative<ping>(result.msg));
}

TEST_CASE("peek_frame finds frame boundaries in a stream") {
  const auto samples = all_samples();
  const auto& s = samples[6];  // data, with a payload
  const bytes frame = encode_frame(s.msg, s.payload);

  SUBCASE("short input needs more") {
    for (std::size_t n = 0; n < kHeaderBytes; ++n) {
      CAPTURE(n);
      CHECK(peek_frame(std::span(frame).first(n)).status == decode_status::need_more);
    }
  }
  SUBCASE("a complete frame is ok with its exact length") {
    const auto info = peek_frame(frame);
    CHECK(info.status == decode_status::ok);
    CHECK(info.frame_bytes == frame.size());
  }
  SUBCASE("a header with part of the body needs more") {
    for (std::size_t n : {kHeaderBytes, kHeaderBytes + 1, frame.size() / 2, frame.size() - 1}) {
      CAPTURE(n);
      CHECK(peek_frame(std::span(frame).first(n)).status == decode_status::need_more);
    }
  }
  SUBCASE("extra bytes after the frame do not change its length") {
    bytes stream = frame;
    stream.push_back(std::byte{0});
    const auto info = peek_frame(stream);
    CHECK(info.status == decode_status::ok);
    CHECK(info.frame_bytes == frame.size());
  }
  SUBCASE("bad magic") {
    bytes bad = frame;
    bad[0] = std::byte{'X'};
    CHECK(peek_frame(bad).status == decode_status::bad_magic);
    bad = frame;
    bad[3] ^= std::byte{1};
    CHECK(peek_frame(std::span(bad).first(kHeaderBytes)).status == decode_status::bad_magic);
  }
  SUBCASE("oversized body length") {
    bytes header(frame.begin(), frame.begin() + kHeaderBytes);
    write_be32(header, 8, kMaxBodyBytes + 1);
    CHECK(peek_frame(header).status == decode_status::oversized);
    write_be32(header, 8, 0xffff'ffffu);
    CHECK(peek_frame(header).status == decode_status::oversized);
    write_be32(header, 8, kMaxBodyBytes);
    CHECK(peek_frame(header).status == decode_status::need_more);
  }
  SUBCASE("two concatenated frames split correctly") {
    const auto& other = samples[2];  // volume_state
    const bytes second = encode_frame(other.msg, other.payload);
    bytes stream = frame;
    stream.insert(stream.end(), second.begin(), second.end());

    const auto first_info = peek_frame(stream);
    REQUIRE(first_info.status == decode_status::ok);
    REQUIRE(first_info.frame_bytes == frame.size());
    const auto first = decode(std::span(stream).first(first_info.frame_bytes));
    REQUIRE(first.status == decode_status::ok);
    CHECK(first.msg == as_decoded(s.msg));
    CHECK(bytes(first.payload_bytes.begin(), first.payload_bytes.end()) == s.payload);

    const auto rest = std::span(stream).subspan(first_info.frame_bytes);
    const auto second_info = peek_frame(rest);
    REQUIRE(second_info.status == decode_status::ok);
    REQUIRE(second_info.frame_bytes == second.size());
    REQUIRE(second_info.frame_bytes == rest.size());
    const auto second_result = decode(rest);
    REQUIRE(second_result.status == decode_status::ok);
    CHECK(second_result.msg == other.msg);
  }
}

TEST_CASE("decode rejects every truncation of every message type") {
  for (const auto& s : all_samples()) {
    CAPTURE(name_of(type_of(s.msg)));
    const bytes frame = encode_frame(s.msg, s.payload);
    for (std::size_t n = 0; n < frame.size(); ++n) {
      // Cut frame as it arrived: the length field no longer matches.
      CAPTURE(n);
      const auto result = decode(std::span(frame).first(n));
      CHECK(result.status != decode_status::ok);
      CHECK_FALSE(result.detail.empty());
      // Shortened body with a length field that agrees: the message itself is incomplete.
      if (n >= kHeaderBytes) {
        bytes cut(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
        fix_length(cut);
        const auto inner = decode(cut);
        CHECK(inner.status != decode_status::ok);
        CHECK_FALSE(inner.detail.empty());
      }
    }
  }
}

TEST_CASE("decode rejects malformed headers") {
  const auto samples = all_samples();
  const bytes frame = encode_frame(samples[3].msg);  // current_uuid

  SUBCASE("bad magic") {
    bytes bad = frame;
    bad[1] = std::byte{'B'};
    check_rejected(bad, decode_status::bad_magic);
  }
  SUBCASE("bad header version") {
    bytes bad = frame;
    write_be16(bad, 4, kHeaderVersion + 1);
    check_rejected(bad, decode_status::bad_version);
    write_be16(bad, 4, 0);
    check_rejected(bad, decode_status::bad_version);
  }
  SUBCASE("unknown type") {
    for (std::uint16_t raw : {0x00, 0x07, 0x0f, 0x17, 0x40, 0x33, 0xffff}) {
      CAPTURE(raw);
      bytes bad = frame;
      write_be16(bad, 6, raw);
      check_rejected(bad, decode_status::unknown_type);
    }
  }
  SUBCASE("trailing bytes after the message") {
    for (const auto& s : samples) {
      CAPTURE(name_of(type_of(s.msg)));
      bytes bad = encode_frame(s.msg, s.payload);
      bad.push_back(std::byte{0});
      fix_length(bad);
      check_rejected(bad, decode_status::trailing_bytes);
    }
  }
  SUBCASE("frame longer than its length field") {
    bytes bad = frame;
    bad.push_back(std::byte{0});
    const auto result = decode(bad);
    CHECK(result.status != decode_status::ok);
    CHECK_FALSE(result.detail.empty());
  }
  SUBCASE("oversized body length") {
    bytes bad = frame;
    write_be32(bad, 8, kMaxBodyBytes + 1);
    check_rejected(bad, decode_status::oversized);
  }
}

TEST_CASE("decode rejects out-of-range field values") {
  constexpr std::size_t body = kHeaderBytes;

  SUBCASE("disk state 10 in volume_state") {
    bytes bad = encode_frame(sample_volume_state());
    REQUIRE(bad[body + 2] == std::byte{static_cast<std::uint8_t>(disk_state::uptodate)});
    bad[body + 2] = std::byte{10};
    check_rejected(bad, decode_status::bad_value);
    bad[body + 2] = std::byte{0xff};
    check_rejected(bad, decode_status::bad_value);
  }
  SUBCASE("volume_state history longer than kHistoryUuids") {
    volume_state m;
    m.history.assign(kHistoryUuids + 1, 7);
    check_rejected(encode_frame(m), decode_status::bad_value);
  }
  SUBCASE("role 3 in role_state") {
    bytes bad = encode_frame(role_state{.sender_role = role::secondary});
    REQUIRE(bad.size() == body + 1);
    bad[body] = std::byte{3};
    check_rejected(bad, decode_status::bad_value);
  }
  SUBCASE("bitmap_chunk with more than kMaxBitmapWordsPerChunk words") {
    bitmap_chunk m{.volume = 0, .first_word = 0, .last = false, .words = {}};
    m.words.assign(kMaxBitmapWordsPerChunk + 1, 1);
    check_rejected(encode_frame(m), decode_status::bad_value);
  }
  SUBCASE("bitmap_chunk announcing a huge word count without the words") {
    bytes bad = encode_frame(bitmap_chunk{.volume = 0, .first_word = 0, .last = true, .words = {}});
    write_be32(bad, body + 11, 0xffff'ffffu);
    const auto result = decode(bad);
    CHECK(result.status != decode_status::ok);
    CHECK_FALSE(result.detail.empty());
  }
  SUBCASE("bitmap_chunk last flag other than 0 or 1") {
    bytes bad =
        encode_frame(bitmap_chunk{.volume = 0, .first_word = 0, .last = true, .words = {5}});
    REQUIRE(bad[body + 10] == std::byte{1});
    bad[body + 10] = std::byte{2};
    check_rejected(bad, decode_status::bad_value);
  }
  SUBCASE("data with a zero payload length") {
    data m{
        .volume = 0, .sector = 8, .block_id = 1, .flags = 0, .replicated_to = 0, .payload = {1, 0}};
    check_rejected(encode_frame(m), decode_status::bad_value);
  }
  SUBCASE("data with a payload longer than kMaxIoBytes") {
    data m{.volume = 0,
           .sector = 8,
           .block_id = 1,
           .flags = 0,
           .replicated_to = 0,
           .payload = {1, kMaxIoBytes + 1}};
    const bytes payload = make_payload(kMaxIoBytes + 1, 0);
    const bytes bad = encode_frame(m, payload);
    REQUIRE(bad.size() - kHeaderBytes <= kMaxBodyBytes);
    check_rejected(bad, decode_status::bad_value);
    // The length field alone, without the bytes, is rejected too.
    check_rejected(encode_frame(m), decode_status::bad_value);
  }
  SUBCASE("replies with a zero or too long payload length") {
    data_reply zero;
    zero.payload = {1, 0};
    check_rejected(encode_frame(zero), decode_status::bad_value);
    rs_data_reply big;
    big.payload = {1, kMaxIoBytes + 1};
    check_rejected(encode_frame(big), decode_status::bad_value);
  }
  SUBCASE("ack size larger than kMaxIoBytes") {
    write_ack m = block_ack<write_ack>(1);
    m.size_bytes = kMaxIoBytes + 1;
    check_rejected(encode_frame(m), decode_status::bad_value);
    m.size_bytes = kMaxIoBytes;
    CHECK(decode(encode_frame(m)).status == decode_status::ok);
  }
  SUBCASE("features with a node id of 32 or more") {
    check_rejected(
        encode_frame(features{.protocol_min = 1, .protocol_max = 1, .sender = 32, .receiver = 0}),
        decode_status::bad_value);
    check_rejected(
        encode_frame(features{.protocol_min = 1, .protocol_max = 1, .sender = 0, .receiver = 255}),
        decode_status::bad_value);
    CHECK(decode(encode_frame(
                     features{.protocol_min = 1, .protocol_max = 1, .sender = 31, .receiver = 31}))
              .status == decode_status::ok);
  }
  SUBCASE("verify and checksum requests for an empty range") {
    ov_request request = block_ack<ov_request>(1);
    request.size_bytes = 0;
    check_rejected(encode_frame(request), decode_status::bad_value);
    rs_is_in_sync in_sync = block_ack<rs_is_in_sync>(1);
    in_sync.size_bytes = 0;
    check_rejected(encode_frame(in_sync), decode_status::bad_value);
  }
  SUBCASE("digest count that does not match the range") {
    ov_reply reply;
    reply.size_bytes = 3 * 4096;
    reply.digests = {1, 2};  // three blocks need three digests
    check_rejected(encode_frame(reply), decode_status::bad_value);
    reply.digests = {};  // none is allowed: the target could not read
    CHECK(decode(encode_frame(reply)).status == decode_status::ok);
    rs_csum_request csum;
    csum.size_bytes = 4096;
    check_rejected(encode_frame(csum), decode_status::bad_value);  // a checksum request needs them
    csum.digests = {5};
    CHECK(decode(encode_frame(csum)).status == decode_status::ok);
    csum.size_bytes = kMaxIoBytes + 4096;
    csum.digests.assign(digests_for(csum.size_bytes), 0);
    check_rejected(encode_frame(csum), decode_status::bad_value);
  }
  SUBCASE("digest count announced without the digests") {
    ov_reply reply;
    reply.size_bytes = 4096;
    reply.digests = {9};
    bytes bad = encode_frame(reply);
    bad.resize(bad.size() - 4);
    write_be32(bad, 8, static_cast<std::uint32_t>(bad.size() - kHeaderBytes));
    check_rejected(bad, decode_status::bad_value);
  }
  SUBCASE("resync dagtag: a writer beyond node 31, or fields without a writer") {
    rs_data_request request = block_ack<rs_data_request>(1);
    CHECK(decode(encode_frame(request)).status == decode_status::ok);  // no writer at all
    request.dagtag = {.writer = 32, .generation = 1, .write_seq = 1};
    check_rejected(encode_frame(request), decode_status::bad_value);
    request.dagtag = {.writer = kNoDagtagWriter, .generation = 1, .write_seq = 0};
    check_rejected(encode_frame(request), decode_status::bad_value);
    request.dagtag = {.writer = kNoDagtagWriter, .generation = 0, .write_seq = 3};
    check_rejected(encode_frame(request), decode_status::bad_value);
    rs_csum_request csum;
    csum.size_bytes = 4096;
    csum.digests = {5};
    csum.dagtag = {.writer = 200, .generation = 1, .write_seq = 1};
    check_rejected(encode_frame(csum), decode_status::bad_value);
    csum.dagtag.writer = 0;
    CHECK(decode(encode_frame(csum)).status == decode_status::ok);
  }
  SUBCASE("ov_done with more out-of-sync blocks than checked") {
    check_rejected(encode_frame(ov_done{.volume = 0, .checked_blocks = 1, .out_of_sync_blocks = 2}),
                   decode_status::bad_value);
  }
  SUBCASE("twopc_prepare: resize to zero or with unknown flags, resize fields on other changes") {
    const twopc_prepare grow{.tid = 1, .initiator = 0, .change = twopc_change::resize,
                             .volume = 0, .size_sectors = 8};
    CHECK(decode(encode_frame(grow)).status == decode_status::ok);
    twopc_prepare zero = grow;
    zero.size_sectors = 0;
    check_rejected(encode_frame(zero), decode_status::bad_value);
    twopc_prepare flags = grow;
    flags.resize_flags = 2;
    check_rejected(encode_frame(flags), decode_status::bad_value);
    for (auto change : {twopc_change::promote, twopc_change::connect, twopc_change::invalidate}) {
      twopc_prepare other = grow;
      other.change = change;
      check_rejected(encode_frame(other), decode_status::bad_value);
      other.size_sectors = 0;
      CHECK(decode(encode_frame(other)).status == decode_status::ok);
      other.volume = 1;
      check_rejected(encode_frame(other), decode_status::bad_value);
    }
    twopc_prepare unknown = grow;
    unknown.change = static_cast<twopc_change>(5);
    check_rejected(encode_frame(unknown), decode_status::bad_value);
  }
  SUBCASE("twopc refusals past too_small") {
    check_rejected(encode_frame(twopc_reply{.tid = 1, .refusal = static_cast<twopc_refusal>(6)}),
                   decode_status::bad_value);
    CHECK(decode(encode_frame(twopc_abort{.tid = 1, .refusal = twopc_refusal::too_small}))
              .status == decode_status::ok);
  }
  SUBCASE("features with protocol_min above protocol_max") {
    check_rejected(
        encode_frame(features{.protocol_min = 3, .protocol_max = 2, .sender = 0, .receiver = 1}),
        decode_status::bad_value);
  }
}

TEST_CASE("decode_status values have names") {
  for (auto status :
       {decode_status::ok, decode_status::need_more, decode_status::truncated,
        decode_status::bad_magic, decode_status::bad_version, decode_status::unknown_type,
        decode_status::oversized, decode_status::trailing_bytes, decode_status::bad_value}) {
    CHECK(std::string(to_string(status)) != "?");
  }
}

TEST_CASE("random garbage never crashes and accepted frames are canonical") {
  xorshift rng(0x7a4e'd3a1'5eed'0001ull);
  int accepted = 0;
  int with_header = 0;
  for (int iteration = 0; iteration < 20000; ++iteration) {
    CAPTURE(iteration);
    bytes input;
    if (iteration % 2 == 0) {
      input.resize(rng.below(201));
      for (auto& b : input) b = static_cast<std::byte>(rng.next() & 0xff);
    } else {
      // A valid header of a known type whose length field matches the random body that follows.
      ++with_header;
      // Half of these get exactly the type's fixed body size, so that some of them decode.
      const auto& info = kAllTypes[rng.below(std::size(kAllTypes))];
      const bool exact = rng.below(2) == 0;
      input.resize(kHeaderBytes + (exact ? info.fixed_body : rng.below(201 - kHeaderBytes)));
      for (auto& b : input) b = static_cast<std::byte>(rng.next() & 0xff);
      write_be32(input, 0, kMagic);
      write_be16(input, 4, kHeaderVersion);
      write_be16(input, 6, static_cast<std::uint16_t>(info.type));
      fix_length(input);
    }

    const auto peeked = peek_frame(input);
    if (peeked.status == decode_status::ok) {
      CHECK(peeked.frame_bytes >= kHeaderBytes);
      CHECK(peeked.frame_bytes <= input.size());
    }
    if (iteration % 2 != 0) {
      CHECK(peeked.status == decode_status::ok);
      CHECK(peeked.frame_bytes == input.size());
    }

    const auto result = decode(input);
    if (result.status != decode_status::ok) {
      CHECK_FALSE(result.detail.empty());
      continue;
    }
    ++accepted;
    const auto payload_length = payload_of(result.msg).length_bytes;
    REQUIRE(result.payload_bytes.size() == payload_length);
    const bytes again = encode_frame(result.msg, result.payload_bytes);
    CHECK(again == input);  // every accepted frame has exactly one encoding
    const auto redecoded = decode(again);
    REQUIRE(redecoded.status == decode_status::ok);
    CHECK(redecoded.msg == result.msg);
    CHECK(bytes(redecoded.payload_bytes.begin(), redecoded.payload_bytes.end()) ==
          bytes(result.payload_bytes.begin(), result.payload_bytes.end()));
  }
  MESSAGE(accepted << " of 20000 random inputs decoded");
  CHECK(with_header == 10000);
  // Fixed-size bodies (role_state, ping, ...) are hit often enough that some inputs must decode.
  CHECK(accepted > 0);
}

TEST_CASE("mutated valid frames never crash and accepted ones are canonical") {
  xorshift rng(0x0bad'f00d'1234'5678ull);
  const auto samples = all_samples();
  for (int iteration = 0; iteration < 5000; ++iteration) {
    const auto& s = samples[rng.below(samples.size())];
    bytes input = encode_frame(s.msg, s.payload);
    const auto flips = 1 + rng.below(4);
    for (std::uint64_t i = 0; i < flips; ++i) {
      input[rng.below(input.size())] ^= static_cast<std::byte>(1u << rng.below(8));
    }
    if (rng.below(2) == 0) fix_length(input);
    (void)peek_frame(input);
    const auto result = decode(input);
    if (result.status != decode_status::ok) {
      CHECK_FALSE(result.detail.empty());
      continue;
    }
    const bytes again = encode_frame(result.msg, result.payload_bytes);
    CHECK(again == input);
    const auto redecoded = decode(again);
    REQUIRE(redecoded.status == decode_status::ok);
    CHECK(redecoded.msg == result.msg);
  }
}
