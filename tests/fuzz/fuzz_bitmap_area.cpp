// The on-disk bitmap area from arbitrary bytes, with max_peers and the bit count taken from the
// input (layout in fuzz_common.h). decode_bitmap_area never crashes; the bitmaps it returns hold
// exactly the input's bits, and encoding them gives an area that decodes to the same bitmaps.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/meta/bitmap_area.h"
#include "core/meta/byte_order.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;

namespace {

bool area_bit(std::span<const std::byte> area, std::uint32_t slot, std::uint64_t bit,
              std::uint32_t max_peers) {
  const std::uint64_t at = meta::bitmap_word_offset(slot, bit, max_peers);
  return ((meta::endian::get_le32(area, at) >> (bit % 32)) & 1) != 0;
}

bool same(const std::vector<block_bitmap>& a, const std::vector<block_bitmap>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t s = 0; s < a.size(); ++s) {
    if (a[s].size_blocks() != b[s].size_blocks() || a[s].count() != b[s].count() ||
        a[s].words() != b[s].words()) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::bitmap_input in = fuzz::parse_bitmap_input(fuzz::as_bytes(data, size));
  const auto decoded = meta::decode_bitmap_area(in.area, in.max_peers, in.bits);
  TANDEM_FUZZ_CHECK(decoded.ok() == decoded.message().empty());
  const bool valid_peers = in.max_peers >= meta::kMinPeers && in.max_peers <= meta::kMaxPeers;
  const bool right_size = in.area.size() == meta::bitmap_area_bytes(in.bits, in.max_peers);
  TANDEM_FUZZ_CHECK(decoded.ok() == (valid_peers && right_size));
  if (!decoded) return 0;

  const std::vector<block_bitmap>& slots = decoded.value();
  TANDEM_FUZZ_CHECK(slots.size() == in.max_peers);
  for (std::uint32_t s = 0; s < in.max_peers; ++s) {
    TANDEM_FUZZ_CHECK(slots[s].size_blocks() == in.bits);
    std::uint64_t set = 0;
    for (std::uint64_t b = 0; b < in.bits; ++b) {
      const bool bit = area_bit(in.area, s, b, in.max_peers);
      TANDEM_FUZZ_CHECK(slots[s].test(b) == bit);
      set += bit ? 1 : 0;
    }
    TANDEM_FUZZ_CHECK(slots[s].count() == set);
  }

  const auto encoded = meta::encode_bitmap_area(slots, in.max_peers);
  TANDEM_FUZZ_CHECK(encoded.ok());
  const std::vector<std::byte>& area = encoded.value();
  TANDEM_FUZZ_CHECK(area.size() == in.area.size());
  // The encoded area holds the same bits and nothing past them (ignored bits and tail are zero).
  const std::uint64_t slot_bits = (in.bits + 63) / 64 * 64;
  std::uint64_t set_bits = 0;
  for (std::uint32_t s = 0; s < in.max_peers; ++s) {
    for (std::uint64_t b = 0; b < slot_bits; ++b) {
      const bool bit = area_bit(area, s, b, in.max_peers);
      TANDEM_FUZZ_CHECK(bit == (b < in.bits && slots[s].test(b)));
      set_bits += bit ? 1 : 0;
    }
  }
  std::uint64_t area_bits = 0;
  for (std::byte byte : area)
    area_bits += static_cast<std::uint64_t>(std::popcount(std::to_integer<unsigned>(byte)));
  TANDEM_FUZZ_CHECK(area_bits == set_bits);
  const auto redecoded = meta::decode_bitmap_area(area, in.max_peers, in.bits);
  TANDEM_FUZZ_CHECK(redecoded.ok());
  TANDEM_FUZZ_CHECK(same(redecoded.value(), slots));
  return 0;
}
