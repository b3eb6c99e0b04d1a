// The peer-protocol codec, per message type: wire::encode into a reused buffer and wire::decode of
// a whole frame (validation included). Bytes = frame bytes, header and payload included. decode
// does not copy payloads (payload_bytes points into the frame); encode does.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/wire/codec.h"
#include "core/wire/messages.h"

namespace tandem {
namespace {

struct wire_case {
  wire::message msg;
  std::vector<std::byte> payload;
};

std::vector<std::byte> pattern(std::size_t length) {
  std::vector<std::byte> bytes(length);
  for (std::size_t i = 0; i < length; ++i) bytes[i] = static_cast<std::byte>((i * 31 + 7) & 0xff);
  return bytes;
}

wire_case features_case() {
  return {wire::features{wire::kProtocolMin, wire::kProtocolMax, 0, 1}, {}};
}

// A volume_state as a long-lived resource sends it: 32 history UUIDs, bitmap UUIDs for two peers.
wire_case volume_state_case() {
  wire::volume_state m;
  m.disk = disk_state::uptodate;
  m.size_sectors = 2097152;
  m.current = 0x8a3b5c7d9e1f2a40;
  m.uuid_flags = wire::kUuidFlagQuorate;
  m.dirty_blocks = 17;
  m.bitmap_uuid_nodes = mask_of(1) | mask_of(2);
  m.bitmap_uuids[1] = 0x1111222233334444;
  m.bitmap_uuids[2] = 0x5555666677778888;
  for (std::size_t i = 0; i < wire::kHistoryUuids; ++i) m.history.push_back(0x7a7a0000 + 2 * i);
  return {m, {}};
}

wire_case data_case() {
  wire::data m;
  m.sector = 2048;
  m.block_id = 0xb10c0800;
  m.flags = wire::kDataFlagWantWriteAck;
  m.replicated_to = mask_of(0) | mask_of(1) | mask_of(2);
  m.payload.length_bytes = 4096;
  return {m, pattern(4096)};
}

wire_case write_ack_case() {
  wire::write_ack m;
  m.sector = 2048;
  m.block_id = 0xb10c0800;
  m.size_bytes = 4096;
  return {m, {}};
}

wire_case rs_data_reply_case() {
  wire::rs_data_reply m;
  m.sector = 65536;
  m.block_id = 9;
  m.payload.length_bytes = 128 * 1024;
  return {m, pattern(128 * 1024)};
}

wire_case bitmap_chunk_case() {
  wire::bitmap_chunk m;
  m.first_word = 4096;
  m.words.resize(wire::kMaxBitmapWordsPerChunk);
  for (std::size_t i = 0; i < m.words.size(); ++i) m.words[i] = 0x0101010101010101ull * (i & 0xff);
  return {m, {}};
}

void BM_wire_encode(benchmark::State& state, wire_case (*make)()) {
  const wire_case c = make();
  std::vector<std::byte> frame;
  wire::encode(c.msg, c.payload, frame);  // sizes the buffer once, as a reused send buffer is
  const std::size_t frame_bytes = frame.size();
  for (auto _ : state) {
    frame.clear();
    wire::encode(c.msg, c.payload, frame);
    benchmark::DoNotOptimize(frame.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame_bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_wire_decode(benchmark::State& state, wire_case (*make)()) {
  const wire_case c = make();
  std::vector<std::byte> frame;
  wire::encode(c.msg, c.payload, frame);
  const wire::decoded check = wire::decode(frame);
  if (check.status != wire::decode_status::ok || check.payload_bytes.size() != c.payload.size()) {
    state.SkipWithError("setup: the frame does not decode");
    return;
  }
  for (auto _ : state) {
    wire::decoded d = wire::decode(frame);
    benchmark::DoNotOptimize(d.status);
    benchmark::DoNotOptimize(d.msg);
    benchmark::DoNotOptimize(d.payload_bytes.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

BENCHMARK_CAPTURE(BM_wire_encode, features, features_case);
BENCHMARK_CAPTURE(BM_wire_encode, volume_state_history32, volume_state_case);
BENCHMARK_CAPTURE(BM_wire_encode, data_4k, data_case);
BENCHMARK_CAPTURE(BM_wire_encode, write_ack, write_ack_case);
BENCHMARK_CAPTURE(BM_wire_encode, rs_data_reply_128k, rs_data_reply_case);
BENCHMARK_CAPTURE(BM_wire_encode, bitmap_chunk_4096w, bitmap_chunk_case);
BENCHMARK_CAPTURE(BM_wire_decode, features, features_case);
BENCHMARK_CAPTURE(BM_wire_decode, volume_state_history32, volume_state_case);
BENCHMARK_CAPTURE(BM_wire_decode, data_4k, data_case);
BENCHMARK_CAPTURE(BM_wire_decode, write_ack, write_ack_case);
BENCHMARK_CAPTURE(BM_wire_decode, rs_data_reply_128k, rs_data_reply_case);
BENCHMARK_CAPTURE(BM_wire_decode, bitmap_chunk_4096w, bitmap_chunk_case);

}  // namespace
}  // namespace tandem
