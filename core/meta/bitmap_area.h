// The on-disk bitmap area: bm_max_peers slots of one bit per bm_bytes_per_bit block (1 = "may
// differ from that peer"), interleaved per 32-bit little-endian word. Bit b of slot s lives in
// word (b / 32) * max_peers + s, at bit position b % 32. Each slot holds its bit count rounded up
// to a multiple of 64; the area is rounded up to whole 4 KiB blocks (the tail is zero).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/meta/result.h"
#include "core/replica/bitmap.h"

namespace tandem::meta {

// Bytes of the area for max_peers slots of bits each (0 if max_peers is 0).
std::uint64_t bitmap_area_bytes(std::uint64_t bits, std::uint32_t max_peers);

// Byte offset inside the area of the 32-bit word holding bit b of slot s.
std::uint64_t bitmap_word_offset(std::uint32_t slot, std::uint64_t bit, std::uint32_t max_peers);

// One block_bitmap per slot (exactly max_peers of them, all of the same size_blocks()).
result<std::vector<std::byte>> encode_bitmap_area(std::span<const block_bitmap> slots,
                                                  std::uint32_t max_peers);

// Splits an area of exactly bitmap_area_bytes(bits, max_peers) bytes into max_peers bitmaps of
// bits blocks. Bits past `bits` in a slot's last 64-bit group, and the zero tail, are ignored.
result<std::vector<block_bitmap>> decode_bitmap_area(std::span<const std::byte> bytes,
                                                     std::uint32_t max_peers, std::uint64_t bits);

}  // namespace tandem::meta
