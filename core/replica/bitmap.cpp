#include "core/replica/bitmap.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace tandem {

block_range blocks_of_bytes(std::uint64_t offset_bytes, std::uint64_t length_bytes) {
  if (length_bytes == 0) return {offset_bytes / kBlockBytes, 0};
  const std::uint64_t first = offset_bytes / kBlockBytes;
  const std::uint64_t last = (offset_bytes + length_bytes - 1) / kBlockBytes;
  return {first, last - first + 1};
}

block_range blocks_of_sectors(std::uint64_t sector, std::uint64_t length_bytes) {
  return blocks_of_bytes(sector * kSectorBytes, length_bytes);
}

block_bitmap::block_bitmap(std::uint64_t size_blocks)
    : size_blocks_(size_blocks), words_((size_blocks + 63) / 64, 0) {}

bool block_bitmap::test(std::uint64_t block) const {
  assert(block < size_blocks_);
  return (words_[block / 64] >> (block % 64)) & 1;
}

bool block_bitmap::any_in(block_range range) const {
  for (std::uint64_t block = range.first; block < range.end() && block < size_blocks_; ++block) {
    if (test(block)) return true;
  }
  return false;
}

void block_bitmap::set(block_range range) {
  assign(range, true);
}
void block_bitmap::clear(block_range range) {
  assign(range, false);
}

// Word at a time: a 32-block range touches at most two words.
void block_bitmap::assign(block_range range, bool value) {
  const std::uint64_t end = std::min(range.end(), size_blocks_);
  for (std::uint64_t block = range.first; block < end;) {
    const std::uint64_t index = block / 64;
    const std::uint64_t word_end = std::min(end, (index + 1) * 64);
    const std::uint64_t width = word_end - block;
    const std::uint64_t mask = (width == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << width) - 1))
                               << (block % 64);
    auto& word = words_[index];
    const std::uint64_t updated = value ? word | mask : word & ~mask;
    set_blocks_ += static_cast<std::uint64_t>(std::popcount(updated) - std::popcount(word));
    word = updated;
    block = word_end;
  }
}

void block_bitmap::set_all() {
  for (auto& word : words_) word = ~std::uint64_t{0};
  if (size_blocks_ % 64 != 0 && !words_.empty()) {
    words_.back() = (std::uint64_t{1} << (size_blocks_ % 64)) - 1;
  }
  set_blocks_ = size_blocks_;
}

void block_bitmap::clear_all() {
  for (auto& word : words_) word = 0;
  set_blocks_ = 0;
}

std::uint64_t block_bitmap::find_next_set(std::uint64_t from_block) const {
  if (from_block >= size_blocks_) return npos;
  std::uint64_t index = from_block / 64;
  std::uint64_t word = words_[index] & (~std::uint64_t{0} << (from_block % 64));
  while (true) {
    if (word != 0) {
      const std::uint64_t block = index * 64 + static_cast<std::uint64_t>(std::countr_zero(word));
      return block < size_blocks_ ? block : npos;
    }
    if (++index >= words_.size()) return npos;
    word = words_[index];
  }
}

std::uint64_t block_bitmap::run_length(std::uint64_t block, std::uint64_t max_blocks) const {
  std::uint64_t length = 0;
  while (length < max_blocks && block + length < size_blocks_ && test(block + length)) ++length;
  return length;
}

void block_bitmap::merge_words(std::uint64_t first_word, std::span<const std::uint64_t> words) {
  // Only the words touched are recounted: merging a whole bitmap chunk by chunk stays linear.
  const std::uint64_t last_word_mask =
      size_blocks_ % 64 != 0 ? (std::uint64_t{1} << (size_blocks_ % 64)) - 1 : ~std::uint64_t{0};
  for (std::size_t i = 0; i < words.size() && first_word + i < words_.size(); ++i) {
    auto& word = words_[first_word + i];
    std::uint64_t merged = word | words[i];
    if (first_word + i == words_.size() - 1) merged &= last_word_mask;  // bits past the end
    set_blocks_ += static_cast<std::uint64_t>(std::popcount(merged) - std::popcount(word));
    word = merged;
  }
}

}  // namespace tandem
