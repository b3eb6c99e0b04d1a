#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "core/meta/bitmap_area.h"
#include "core/meta/size.h"
#include "meta_test_util.h"

using namespace tandem;
using namespace tandem::meta;
using tandem::meta::testing::mentions;
using tandem::meta::testing::xorshift;

namespace {

std::vector<block_bitmap> random_slots(xorshift& rng, std::uint32_t count, std::uint64_t bits) {
  std::vector<block_bitmap> slots;
  for (std::uint32_t s = 0; s < count; ++s) {
    block_bitmap slot(bits);
    const std::uint64_t sets = bits / 3 + 1;
    for (std::uint64_t i = 0; i < sets && bits > 0; ++i) {
      slot.set({rng.below(bits), 1 + rng.below(5)});
    }
    slots.push_back(std::move(slot));
  }
  return slots;
}

bool same_bits(const block_bitmap& a, const block_bitmap& b) {
  return a.size_blocks() == b.size_blocks() && a.count() == b.count() && a.words() == b.words();
}

}  // namespace

TEST_CASE("bitmap area size: bits per slot rounded to 64, area rounded to 4 KiB") {
  CHECK(bitmap_area_bytes(1000, 3) == 4096);  // 1024 bits = 128 bytes x 3 = 384
  CHECK(bitmap_area_bytes(0, 3) == 0);
  CHECK(bitmap_area_bytes(1, 1) == 4096);
  CHECK(bitmap_area_bytes(262144, 7) == 229376);
  CHECK(bitmap_area_bytes(262145, 7) == 233472);
  // Agrees with the layout of the device the bitmap describes.
  for (std::uint64_t device : {std::uint64_t{1} << 30, (std::uint64_t{1} << 30) + 1536,
                               std::uint64_t{3} << 20, std::uint64_t{10} << 30}) {
    for (std::uint32_t peers : {1u, 7u, 31u}) {
      const auto layout = compute_internal_layout(device, peers);
      REQUIRE(layout.ok());
      CHECK(bitmap_area_bytes(layout.value().bitmap_bits, peers) == layout.value().bitmap_bytes);
    }
  }
}

TEST_CASE("slots interleave per 32-bit little-endian word") {
  CHECK(bitmap_word_offset(2, 37, 3) == 20);  // word (37 / 32) * 3 + 2 = 5
  CHECK(bitmap_word_offset(0, 0, 31) == 0);
  CHECK(bitmap_word_offset(30, 31, 31) == 120);
  CHECK(bitmap_word_offset(0, 32, 31) == 124);

  std::vector<block_bitmap> slots(3, block_bitmap(1000));
  slots[0].set({0, 1});
  slots[0].set({8, 1});
  slots[1].set({0, 1});
  slots[2].set({33, 1});
  slots[1].set({999, 1});
  slots[2].set({63, 1});
  const auto area = encode_bitmap_area(slots, 3);
  REQUIRE(area.ok());
  const std::vector<std::byte>& a = area.value();
  REQUIRE(a.size() == 4096);
  CHECK(a[0] == std::byte{0x01});    // slot 0 bit 0
  CHECK(a[1] == std::byte{0x01});    // slot 0 bit 8: second byte of the little-endian word
  CHECK(a[4] == std::byte{0x01});    // slot 1 bit 0: the next word
  CHECK(a[8] == std::byte{0x00});    // slot 2 has no bit 0
  CHECK(a[20] == std::byte{0x02});   // slot 2 bit 33: word 1 * 3 + 2, bit 1
  CHECK(a[23] == std::byte{0x80});   // slot 2 bit 63: same word, top bit
  CHECK(a[376] == std::byte{0x80});  // slot 1 bit 999: word 31 * 3 + 1 = 94, bit 7
  CHECK(a[379] == std::byte{0x00});
  std::size_t nonzero = 0;
  for (std::byte x : a) nonzero += x != std::byte{0};
  CHECK(nonzero == 6);
}

TEST_CASE("bitmap area round trips for several sizes and slot counts") {
  xorshift rng(42);
  for (std::uint32_t peers : {1u, 2u, 7u, 31u}) {
    for (std::uint64_t bits :
         {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{63}, std::uint64_t{64},
          std::uint64_t{65}, std::uint64_t{1000}, std::uint64_t{32771}}) {
      CAPTURE(peers);
      CAPTURE(bits);
      const auto slots = random_slots(rng, peers, bits);
      const auto area = encode_bitmap_area(slots, peers);
      REQUIRE(area.ok());
      CHECK(area.value().size() == bitmap_area_bytes(bits, peers));
      const auto back = decode_bitmap_area(area.value(), peers, bits);
      REQUIRE(back.ok());
      REQUIRE(back.value().size() == peers);
      for (std::uint32_t s = 0; s < peers; ++s) CHECK(same_bits(back.value()[s], slots[s]));
    }
  }
  // A full slot next to an empty one stays apart.
  std::vector<block_bitmap> slots(2, block_bitmap(130));
  slots[1].set_all();
  const auto back = decode_bitmap_area(encode_bitmap_area(slots, 2).value(), 2, 130);
  REQUIRE(back.ok());
  CHECK(back.value()[0].count() == 0);
  CHECK(back.value()[1].count() == 130);
}

TEST_CASE("bits past the slot size and the zero tail are ignored on decode") {
  std::vector<std::byte> area(4096, std::byte{0});
  // One slot of 1000 bits: words 0..31 (bits 0..1023); bits 1000..1023 are padding, in word 31,
  // bytes 124..127 (bit 1000 is bit 8 of that word = byte 125 bit 0).
  area[124] = std::byte{0x01};  // bit 992: real
  area[125] = std::byte{0x01};  // bit 1000: padding
  area[127] = std::byte{0x80};  // bit 1023: padding
  area[128] = std::byte{0xff};  // beyond the slot: zero tail of the 4 KiB block
  const auto back = decode_bitmap_area(area, 1, 1000);
  REQUIRE(back.ok());
  CHECK(back.value()[0].count() == 1);
  CHECK(back.value()[0].test(992));
}

TEST_CASE("bitmap area rejects mismatched sizes and slot counts") {
  std::vector<std::byte> area(4096, std::byte{0});
  CHECK(mentions(decode_bitmap_area(area, 0, 1000).message(), "max_peers 0"));
  CHECK(mentions(decode_bitmap_area(area, 32, 1000).message(), "max_peers 32"));
  CHECK(mentions(decode_bitmap_area(std::span(area).first(4095), 3, 1000).message(), "size 4095"));
  area.resize(8192);
  CHECK(mentions(decode_bitmap_area(area, 3, 1000).message(), "expected 4096"));
  CHECK(decode_bitmap_area(area, 31, 2000).ok());  // 31 x 256 bytes = 7936 -> 8192
  CHECK(mentions(decode_bitmap_area(area, 3, std::uint64_t{1} << 41).message(), "bits"));

  std::vector<block_bitmap> two(2, block_bitmap(100));
  CHECK(mentions(encode_bitmap_area(two, 3).message(), "2 slot bitmaps for max_peers 3"));
  CHECK(mentions(encode_bitmap_area(two, 0).message(), "max_peers 0"));
  two[1] = block_bitmap(101);
  CHECK(mentions(encode_bitmap_area(two, 2).message(), "slot 1 has 101 bits"));
}
