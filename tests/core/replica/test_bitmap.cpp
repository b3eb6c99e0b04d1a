#include <doctest/doctest.h>

#include <vector>

#include "core/replica/bitmap.h"

using namespace tandem;

TEST_CASE("byte ranges map to every 4 KiB block they touch") {
  CHECK(blocks_of_bytes(0, 4096).first == 0);
  CHECK(blocks_of_bytes(0, 4096).count == 1);
  CHECK(blocks_of_bytes(512, 512).count == 1);    // sub-block write
  CHECK(blocks_of_bytes(3584, 1024).count == 2);  // straddles a boundary
  CHECK(blocks_of_bytes(3584, 1024).first == 0);
  CHECK(blocks_of_bytes(8192, 8192).first == 2);
  CHECK(blocks_of_bytes(8192, 8192).count == 2);
  CHECK(blocks_of_sectors(9, 512).first == 1);
  CHECK(blocks_of_bytes(100, 0).count == 0);
  CHECK(block_range{0, 2}.overlaps({1, 1}));
  CHECK_FALSE(block_range{0, 2}.overlaps({2, 1}));
}

TEST_CASE("set, clear and count stay consistent") {
  block_bitmap bitmap(1000);
  CHECK(bitmap.count() == 0);
  bitmap.set({10, 5});
  bitmap.set({12, 5});  // overlapping set does not double count
  CHECK(bitmap.count() == 7);
  CHECK(bitmap.test(16));
  CHECK_FALSE(bitmap.test(17));
  CHECK(bitmap.any_in({0, 11}));
  CHECK_FALSE(bitmap.any_in({0, 10}));
  bitmap.clear({11, 2});
  CHECK(bitmap.count() == 5);
  bitmap.set({995, 100});  // clipped at the end
  CHECK(bitmap.count() == 10);
  bitmap.clear_all();
  CHECK_FALSE(bitmap.any());
}

TEST_CASE("set_all covers exactly the blocks of a size that is not a multiple of 64") {
  block_bitmap bitmap(130);
  bitmap.set_all();
  CHECK(bitmap.count() == 130);
  CHECK(bitmap.words().size() == 3);
  CHECK(bitmap.words()[2] == 0x3);
  CHECK(bitmap.find_next_set(129) == 129);
}

TEST_CASE("find_next_set and run_length across word boundaries") {
  block_bitmap bitmap(300);
  CHECK(bitmap.find_next_set(0) == block_bitmap::npos);
  bitmap.set({62, 4});
  bitmap.set({200, 1});
  CHECK(bitmap.find_next_set(0) == 62);
  CHECK(bitmap.find_next_set(63) == 63);
  CHECK(bitmap.find_next_set(66) == 200);
  CHECK(bitmap.find_next_set(201) == block_bitmap::npos);
  CHECK(bitmap.find_next_set(5000) == block_bitmap::npos);
  CHECK(bitmap.run_length(62, 32) == 4);
  CHECK(bitmap.run_length(62, 2) == 2);
  CHECK(bitmap.run_length(61, 32) == 0);
}

TEST_CASE("merge_words ORs and ignores bits past the end") {
  block_bitmap bitmap(70);
  bitmap.set({0, 1});
  const std::uint64_t words[] = {0x2, ~std::uint64_t{0}, ~std::uint64_t{0}};
  bitmap.merge_words(0, words);
  CHECK(bitmap.test(0));
  CHECK(bitmap.test(1));
  CHECK(bitmap.count() == 2 + 6);  // block 0, 1, and 64..69
  CHECK(bitmap.words()[1] == 0x3f);
}

TEST_CASE("a 1 TiB volume's bitmap: set, find and clear far apart") {
  const std::uint64_t blocks = (std::uint64_t{1} << 40) / kBlockBytes;  // 268,435,456 bits
  block_bitmap bitmap(blocks);
  bitmap.set({blocks - 1, 1});
  bitmap.set({blocks / 2, 3});
  CHECK(bitmap.count() == 4);
  CHECK(bitmap.find_next_set(0) == blocks / 2);
  CHECK(bitmap.find_next_set(blocks / 2 + 3) == blocks - 1);
  bitmap.clear({0, blocks});
  CHECK(bitmap.count() == 0);
}

TEST_CASE("random set/clear/merge agree with a bit-by-bit model, counts included") {
  std::uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (std::uint64_t size : {1ull, 63ull, 64ull, 65ull, 1000ull, 4097ull}) {
    CAPTURE(size);
    block_bitmap bitmap(size);
    std::vector<bool> model(size);
    for (int op = 0; op < 2000; ++op) {
      const std::uint64_t first = next() % (size + 2);
      const std::uint64_t count = next() % 130;
      const int kind = static_cast<int>(next() % 3);
      if (kind == 0) {
        bitmap.set({first, count});
        for (auto b = first; b < first + count && b < size; ++b) model[b] = true;
      } else if (kind == 1) {
        bitmap.clear({first, count});
        for (auto b = first; b < first + count && b < size; ++b) model[b] = false;
      } else {
        const std::uint64_t words[] = {next(), next()};
        const std::uint64_t word = next() % ((size + 63) / 64 + 1);
        bitmap.merge_words(word, words);
        for (std::uint64_t i = 0; i < 2; ++i) {
          for (std::uint64_t bit = 0; bit < 64; ++bit) {
            const std::uint64_t b = (word + i) * 64 + bit;
            if (b < size && ((words[i] >> bit) & 1)) model[b] = true;
          }
        }
      }
    }
    std::uint64_t expected = 0;
    for (std::uint64_t b = 0; b < size; ++b) {
      CHECK(bitmap.test(b) == model[b]);
      expected += model[b] ? 1 : 0;
    }
    CHECK(bitmap.count() == expected);
  }
}
