// On-disk metadata codecs (core/meta): the superblock, one activity-log transaction (CRC32C
// included both ways) and the bitmap area of a 1 GiB device with 7 peer slots (LINSTOR's default),
// plus the bare CRC32C of 4 KiB for reference. Bytes = on-disk bytes encoded or decoded.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/meta/activity_log.h"
#include "core/meta/bitmap_area.h"
#include "core/meta/crc32c.h"
#include "core/meta/size.h"
#include "core/meta/superblock.h"
#include "core/replica/bitmap.h"
#include "sim/prng.h"

namespace tandem {
namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
constexpr std::uint32_t kPeerSlots = 7;

// A superblock in use: node 0 of 3 on a 1 GiB device, bitmap UUIDs and a full history.
meta::superblock used_superblock(benchmark::State& state) {
  auto created = meta::make_created_superblock(kGiB, kPeerSlots, 0);
  if (!created) {
    state.SkipWithError(created.message().c_str());
    return {};
  }
  meta::superblock sb = created.value();
  const auto layout = meta::compute_internal_layout(kGiB, kPeerSlots);
  sb.effective_size = layout.value().usable_bytes / meta::kMetaSectorBytes;
  sb.current_uuid = 0x8a3b5c7d9e1f2a41;
  sb.device_uuid = 0x0123456789abcdef;
  sb.flags = meta::mdf::kConsistent | meta::mdf::kWasUpToDate | meta::mdf::kPrimaryInd;
  for (int peer = 1; peer <= 2; ++peer) {
    auto& p = sb.peers[static_cast<std::size_t>(peer)];
    p.bitmap_uuid = 0x1111000000000000 + static_cast<std::uint64_t>(peer) * 2;
    p.flags = meta::mdf_peer::kNodeExists | meta::mdf_peer::kConnected;
    p.bitmap_index = peer - 1;
  }
  for (std::size_t i = 0; i < sb.history_uuids.size(); ++i) sb.history_uuids[i] = 0x7a00 + 2 * i;
  return sb;
}

void BM_meta_superblock_encode(benchmark::State& state) {
  const meta::superblock sb = used_superblock(state);
  for (auto _ : state) {
    meta::superblock_block block = meta::encode_superblock(sb);
    benchmark::DoNotOptimize(block.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * meta::kSuperblockBytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_meta_superblock_encode);

void BM_meta_superblock_decode(benchmark::State& state) {
  const meta::superblock sb = used_superblock(state);
  const meta::superblock_block block = meta::encode_superblock(sb);
  const auto check = meta::decode_superblock(block, kGiB);
  if (!check || !(check.value() == sb)) {
    state.SkipWithError(("setup: the superblock does not decode: " + check.message()).c_str());
    return;
  }
  for (auto _ : state) {
    auto decoded = meta::decode_superblock(block, kGiB);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * meta::kSuperblockBytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_meta_superblock_decode);

// A full transaction: 64 slot updates and a 919-entry context window of the default 1237 extents.
meta::al_transaction full_transaction() {
  meta::al_transaction tr;
  tr.tr_number = 4711;
  tr.context_size = meta::kDefaultAlExtents;
  tr.context_start_slot_nr = 0;
  for (std::uint16_t i = 0; i < meta::kAlUpdatesPerTransaction; ++i) {
    tr.updates.push_back({static_cast<std::uint16_t>(i * 19), 100000u + i});
  }
  const std::size_t entries = meta::al_context_entries(tr.context_size, tr.context_start_slot_nr);
  for (std::size_t i = 0; i < entries; ++i) {
    tr.context.push_back(i % 3 == 0 ? meta::kAlFreeExtent : static_cast<std::uint32_t>(i * 7));
  }
  return tr;
}

void BM_meta_al_transaction_encode(benchmark::State& state) {
  const meta::al_transaction tr = full_transaction();
  if (!meta::encode_al_transaction(tr)) {
    state.SkipWithError("setup: the transaction does not encode");
    return;
  }
  for (auto _ : state) {
    auto block = meta::encode_al_transaction(tr);
    benchmark::DoNotOptimize(block);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(
      static_cast<std::int64_t>(state.iterations() * meta::kAlTransactionBytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel("64 updates + 919 context, CRC32C");
}
BENCHMARK(BM_meta_al_transaction_encode);

void BM_meta_al_transaction_decode(benchmark::State& state) {
  const meta::al_transaction tr = full_transaction();
  const auto block = meta::encode_al_transaction(tr);
  if (!block || !meta::decode_al_transaction(block.value()) ||
      !(meta::decode_al_transaction(block.value()).value() == tr)) {
    state.SkipWithError("setup: the transaction does not round-trip");
    return;
  }
  for (auto _ : state) {
    auto decoded = meta::decode_al_transaction(block.value());
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(
      static_cast<std::int64_t>(state.iterations() * meta::kAlTransactionBytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel("64 updates + 919 context, CRC32C checked");
}
BENCHMARK(BM_meta_al_transaction_decode);

// 7 slots of 1 GiB / 4 KiB = 262,144 bits, a few percent of them set in runs.
std::vector<block_bitmap> peer_bitmaps() {
  const std::uint64_t bits = kGiB / kBlockBytes;
  sim::prng random(0x61a);
  std::vector<block_bitmap> slots;
  for (std::uint32_t s = 0; s < kPeerSlots; ++s) {
    block_bitmap bitmap(bits);
    for (int run = 0; run < 256; ++run) bitmap.set({random.below(bits - 64), 1 + random.below(64)});
    slots.push_back(std::move(bitmap));
  }
  return slots;
}

void BM_meta_bitmap_area_encode(benchmark::State& state) {
  const auto slots = peer_bitmaps();
  const auto check = meta::encode_bitmap_area(slots, kPeerSlots);
  if (!check) {
    state.SkipWithError(("setup: " + check.message()).c_str());
    return;
  }
  const std::size_t area_bytes = check.value().size();
  for (auto _ : state) {
    auto area = meta::encode_bitmap_area(slots, kPeerSlots);
    benchmark::DoNotOptimize(area);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * area_bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel("1 GiB x 7 peers");
}
BENCHMARK(BM_meta_bitmap_area_encode)->Unit(benchmark::kMicrosecond);

void BM_meta_bitmap_area_decode(benchmark::State& state) {
  const auto slots = peer_bitmaps();
  const auto area = meta::encode_bitmap_area(slots, kPeerSlots);
  const std::uint64_t bits = kGiB / kBlockBytes;
  const auto check = meta::decode_bitmap_area(area.value(), kPeerSlots, bits);
  if (!check || check.value().size() != slots.size() ||
      check.value()[6].words() != slots[6].words()) {
    state.SkipWithError("setup: the bitmap area does not round-trip");
    return;
  }
  for (auto _ : state) {
    auto decoded = meta::decode_bitmap_area(area.value(), kPeerSlots, bits);
    benchmark::DoNotOptimize(decoded);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * area.value().size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel("1 GiB x 7 peers");
}
BENCHMARK(BM_meta_bitmap_area_decode)->Unit(benchmark::kMicrosecond);

// The CRC the AL codec spends most of its time in (table driven, one byte per step).
void BM_meta_crc32c_4k(benchmark::State& state) {
  std::vector<std::byte> block(4096);
  for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<std::byte>(i * 13);
  for (auto _ : state) {
    benchmark::DoNotOptimize(meta::crc32c_update(0, block));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * block.size()));
}
BENCHMARK(BM_meta_crc32c_4k);

}  // namespace
}  // namespace tandem
