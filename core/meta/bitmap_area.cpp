#include "core/meta/bitmap_area.h"

#include <string>
#include <utility>

#include "core/meta/byte_order.h"
#include "core/meta/size.h"

namespace tandem::meta {
namespace {

using std::to_string;

// 32-bit words one slot occupies: its bits rounded up to 64.
std::uint64_t words32_per_slot(std::uint64_t bits) {
  return (bits + 63) / 64 * 2;
}

bool peers_ok(std::uint32_t max_peers) {
  return max_peers >= kMinPeers && max_peers <= kMaxPeers;
}

// Bitmaps larger than this (2^40 blocks, 4 PiB at 4 KiB per bit) are refused so that sizes
// cannot overflow.
constexpr std::uint64_t kMaxBits = std::uint64_t{1} << 40;

}  // namespace

std::uint64_t bitmap_area_bytes(std::uint64_t bits, std::uint32_t max_peers) {
  const std::uint64_t raw = words32_per_slot(bits) * 4 * max_peers;
  return (raw + kMetaBlockBytes - 1) / kMetaBlockBytes * kMetaBlockBytes;
}

std::uint64_t bitmap_word_offset(std::uint32_t slot, std::uint64_t bit, std::uint32_t max_peers) {
  return ((bit >> 5) * max_peers + slot) * 4;
}

result<std::vector<std::byte>> encode_bitmap_area(std::span<const block_bitmap> slots,
                                                  std::uint32_t max_peers) {
  if (!peers_ok(max_peers)) {
    return error{"bitmap_area: max_peers " + to_string(max_peers) + " outside 1..31"};
  }
  if (slots.size() != max_peers) {
    return error{"bitmap_area: " + to_string(slots.size()) + " slot bitmaps for max_peers " +
                 to_string(max_peers)};
  }
  const std::uint64_t bits = slots[0].size_blocks();
  if (bits > kMaxBits) return error{"bitmap_area: bits " + to_string(bits) + " too large"};
  for (std::size_t s = 1; s < slots.size(); ++s) {
    if (slots[s].size_blocks() != bits) {
      return error{"bitmap_area: slot " + to_string(s) + " has " +
                   to_string(slots[s].size_blocks()) + " bits, slot 0 has " + to_string(bits)};
    }
  }
  std::vector<std::byte> area(bitmap_area_bytes(bits, max_peers), std::byte{0});
  for (std::uint32_t s = 0; s < max_peers; ++s) {
    const auto& words = slots[s].words();
    for (std::uint64_t w = 0; w < words.size(); ++w) {
      const std::uint64_t first_bit = w * 64;
      endian::put_le32(area, bitmap_word_offset(s, first_bit, max_peers),
                       static_cast<std::uint32_t>(words[w]));
      endian::put_le32(area, bitmap_word_offset(s, first_bit + 32, max_peers),
                       static_cast<std::uint32_t>(words[w] >> 32));
    }
  }
  return area;
}

result<std::vector<block_bitmap>> decode_bitmap_area(std::span<const std::byte> area,
                                                     std::uint32_t max_peers, std::uint64_t bits) {
  if (!peers_ok(max_peers)) {
    return error{"bitmap_area: max_peers " + to_string(max_peers) + " outside 1..31"};
  }
  if (bits > kMaxBits) return error{"bitmap_area: bits " + to_string(bits) + " too large"};
  const std::uint64_t expected = bitmap_area_bytes(bits, max_peers);
  if (area.size() != expected) {
    return error{"bitmap_area: size " + to_string(area.size()) + " bytes, expected " +
                 to_string(expected) + " for max_peers " + to_string(max_peers) + " and bits " +
                 to_string(bits)};
  }
  std::vector<block_bitmap> slots;
  slots.reserve(max_peers);
  std::vector<std::uint64_t> words(words32_per_slot(bits) / 2);
  for (std::uint32_t s = 0; s < max_peers; ++s) {
    for (std::uint64_t w = 0; w < words.size(); ++w) {
      const std::uint64_t first_bit = w * 64;
      const std::uint64_t low = endian::get_le32(area, bitmap_word_offset(s, first_bit, max_peers));
      const std::uint64_t high =
          endian::get_le32(area, bitmap_word_offset(s, first_bit + 32, max_peers));
      words[w] = low | (high << 32);
    }
    block_bitmap slot(bits);
    slot.merge_words(0, words);
    slots.push_back(std::move(slot));
  }
  return slots;
}

}  // namespace tandem::meta
