// Out-of-sync bitmap toward one peer: one bit per 4 KiB block, 1 = "this block may differ".
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/base/ids.h"

namespace tandem {

// Blocks [first, first + count) touched by a byte range; sub-4 KiB or unaligned I/O touches every
// block it overlaps.
struct block_range {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
  std::uint64_t end() const { return first + count; }
  bool overlaps(const block_range& other) const {
    return first < other.end() && other.first < end();
  }
};
block_range blocks_of_bytes(std::uint64_t offset_bytes, std::uint64_t length_bytes);
block_range blocks_of_sectors(std::uint64_t sector, std::uint64_t length_bytes);

class block_bitmap {
 public:
  static constexpr std::uint64_t npos = ~std::uint64_t{0};

  block_bitmap() = default;
  explicit block_bitmap(std::uint64_t size_blocks);

  std::uint64_t size_blocks() const { return size_blocks_; }
  std::uint64_t count() const { return set_blocks_; }
  bool any() const { return set_blocks_ != 0; }

  bool test(std::uint64_t block) const;
  bool any_in(block_range range) const;
  void set(block_range range);
  void clear(block_range range);
  void set_all();
  void clear_all();

  // First set bit at or after from_block, or npos.
  std::uint64_t find_next_set(std::uint64_t from_block) const;
  // Length of the run of set bits starting at block, at most max_blocks.
  std::uint64_t run_length(std::uint64_t block, std::uint64_t max_blocks) const;

  // Words are little-endian in bit order: block b is bit (b % 64) of word (b / 64).
  const std::vector<std::uint64_t>& words() const { return words_; }
  // ORs words into the bitmap starting at first_word; bits past size_blocks() are ignored.
  void merge_words(std::uint64_t first_word, std::span<const std::uint64_t> words);

 private:
  void assign(block_range range, bool value);

  std::uint64_t size_blocks_ = 0;
  std::uint64_t set_blocks_ = 0;
  std::vector<std::uint64_t> words_;
};

}  // namespace tandem
