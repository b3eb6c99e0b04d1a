// The out-of-sync bitmap of a 1 TiB device (268,435,456 bits of 4 KiB blocks, 32 MiB of words):
// marking and clearing the blocks of one write, scanning for the next block to resync, count(),
// and merging one received bitmap chunk (what a sync target does per bitmap_chunk message).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "core/replica/bitmap.h"
#include "core/wire/messages.h"
#include "sim/prng.h"

namespace tandem {
namespace {

constexpr std::uint64_t kTiBBlocks = (std::uint64_t{1} << 40) / kBlockBytes;  // 268,435,456
constexpr std::uint64_t kRangeBlocks = 32;                                    // 128 KiB

// Random first blocks of 32-block ranges anywhere on the device (the table is larger than the
// caches' worth of bitmap lines it touches, so most operations miss the cache, as a real workload
// over 1 TiB would).
std::vector<std::uint64_t> random_firsts(std::size_t count) {
  sim::prng random(0xb17);
  std::vector<std::uint64_t> firsts(count);
  for (auto& first : firsts) first = random.below(kTiBBlocks - kRangeBlocks);
  return firsts;
}

// set() then clear() of the same 32-block range at a random offset: 2 operations per iteration,
// the bitmap stays empty on average (steady state).
void BM_bitmap_set_clear_32_blocks(benchmark::State& state) {
  block_bitmap bitmap(kTiBBlocks);
  const auto firsts = random_firsts(1 << 16);
  std::size_t i = 0;
  for (auto _ : state) {
    const block_range range{firsts[i], kRangeBlocks};
    bitmap.set(range);
    benchmark::DoNotOptimize(bitmap.count());
    bitmap.clear(range);
    benchmark::DoNotOptimize(bitmap.count());
    benchmark::ClobberMemory();
    i = (i + 1) & (firsts.size() - 1);
  }
  if (bitmap.any()) state.SkipWithError("the bitmap should be empty again");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 2));
  state.SetLabel("1 TiB, random offsets; items = set or clear of 32 blocks");
}
BENCHMARK(BM_bitmap_set_clear_32_blocks);

// The resync cursor's walk: find_next_set from 0 to the end of a sparse 1 TiB bitmap, one set bit
// every state.range(0) blocks. Bytes = bitmap bytes scanned; items = set bits found.
void BM_bitmap_find_next_set_sparse(benchmark::State& state) {
  const auto every = static_cast<std::uint64_t>(state.range(0));
  block_bitmap bitmap(kTiBBlocks);
  for (std::uint64_t block = every / 2; block < kTiBBlocks; block += every) bitmap.set({block, 1});
  const std::uint64_t expected = bitmap.count();
  std::uint64_t found = 0;
  for (auto _ : state) {
    std::uint64_t block = bitmap.find_next_set(0);
    std::uint64_t seen = 0;
    while (block != block_bitmap::npos) {
      ++seen;
      block = bitmap.find_next_set(block + 1);
    }
    benchmark::DoNotOptimize(seen);
    found += seen;
  }
  if (found != expected * state.iterations()) state.SkipWithError("wrong number of set bits found");
  state.SetItemsProcessed(static_cast<std::int64_t>(found));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * (kTiBBlocks / 8)));
  state.SetLabel("1 TiB scan, bytes = bitmap bytes");
}
BENCHMARK(BM_bitmap_find_next_set_sparse)
    ->ArgName("every_blocks")
    ->Arg(1 << 12)
    ->Arg(1 << 20)
    ->Unit(benchmark::kMillisecond);

// count() of a 1 TiB bitmap with 1% of its blocks set (a cached counter).
void BM_bitmap_count(benchmark::State& state) {
  block_bitmap bitmap(kTiBBlocks);
  for (std::uint64_t block = 0; block < kTiBBlocks; block += 100) bitmap.set({block, 1});
  for (auto _ : state) {
    benchmark::DoNotOptimize(bitmap);  // the compiler may not assume the counter unchanged
    benchmark::DoNotOptimize(bitmap.count());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel("1 TiB, 1% set");
}
BENCHMARK(BM_bitmap_count);

// One received bitmap chunk (4096 words = 262,144 blocks) ORed into a 1 TiB bitmap, as the sync
// target does per bitmap_chunk message. merge_words recounts the whole bitmap each time, so a whole
// 1 TiB bitmap (1024 chunks) costs 1024 full recounts. Bytes = chunk bytes.
void BM_bitmap_merge_chunk(benchmark::State& state) {
  block_bitmap bitmap(kTiBBlocks);
  std::vector<std::uint64_t> chunk(wire::kMaxBitmapWordsPerChunk, 0x0101010101010101ull);
  const std::uint64_t chunks = bitmap.words().size() / chunk.size();
  std::uint64_t first_word = 0;
  for (auto _ : state) {
    bitmap.merge_words(first_word, chunk);
    benchmark::DoNotOptimize(bitmap.count());
    benchmark::ClobberMemory();
    first_word = (first_word + chunk.size()) % (chunks * chunk.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(
      static_cast<std::int64_t>(state.iterations() * chunk.size() * sizeof(std::uint64_t)));
  state.SetLabel("4096-word chunk into 1 TiB");
}
BENCHMARK(BM_bitmap_merge_chunk)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tandem
