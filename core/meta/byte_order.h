// Fixed-offset integer access inside a metadata block. The superblock and AL transactions are
// big-endian; the bitmap area is little-endian 32-bit words. Callers pass offsets that lie inside
// the block (the layouts are fixed), so the bounds are asserted, not reported.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace tandem::meta::endian {

template <typename Int>
void put_be(std::span<std::byte> out, std::size_t offset, Int value) {
  static_assert(std::is_unsigned_v<Int>);
  assert(offset + sizeof(Int) <= out.size());
  for (std::size_t i = 0; i < sizeof(Int); ++i) {
    out[offset + i] = static_cast<std::byte>((value >> (8 * (sizeof(Int) - 1 - i))) & 0xff);
  }
}

template <typename Int>
Int get_be(std::span<const std::byte> in, std::size_t offset) {
  static_assert(std::is_unsigned_v<Int>);
  assert(offset + sizeof(Int) <= in.size());
  Int value = 0;
  for (std::size_t i = 0; i < sizeof(Int); ++i) {
    value = static_cast<Int>((value << 8) | std::to_integer<Int>(in[offset + i]));
  }
  return value;
}

inline void put_le32(std::span<std::byte> out, std::size_t offset, std::uint32_t value) {
  assert(offset + 4 <= out.size());
  for (std::size_t i = 0; i < 4; ++i) {
    out[offset + i] = static_cast<std::byte>((value >> (8 * i)) & 0xff);
  }
}

inline std::uint32_t get_le32(std::span<const std::byte> in, std::size_t offset) {
  assert(offset + 4 <= in.size());
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value |= std::to_integer<std::uint32_t>(in[offset + i]) << (8 * i);
  }
  return value;
}

// Signed 32-bit fields (al_offset, bm_offset, node_id, bitmap_index) travel as their two's
// complement bit pattern.
inline void put_be_s32(std::span<std::byte> out, std::size_t offset, std::int32_t value) {
  put_be(out, offset, static_cast<std::uint32_t>(value));
}
inline std::int32_t get_be_s32(std::span<const std::byte> in, std::size_t offset) {
  return static_cast<std::int32_t>(get_be<std::uint32_t>(in, offset));
}

}  // namespace tandem::meta::endian
