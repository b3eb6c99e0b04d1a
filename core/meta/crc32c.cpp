#include "core/meta/crc32c.h"

#include <array>

namespace tandem::meta {
namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t value = byte;
    for (int bit = 0; bit < 8; ++bit) {
      value = (value & 1) ? (value >> 1) ^ kCrc32cPolynomial : value >> 1;
    }
    table[byte] = value;
  }
  return table;
}

// A compile-time constant, not mutable global state.
constexpr std::array<std::uint32_t, 256> kTable = make_table();

}  // namespace

std::uint32_t crc32c_update(std::uint32_t crc_register, std::span<const std::byte> bytes) {
  for (const std::byte b : bytes) {
    const auto index = (crc_register ^ std::to_integer<std::uint32_t>(b)) & 0xff;
    crc_register = (crc_register >> 8) ^ kTable[index];
  }
  return crc_register;
}

std::uint32_t crc32c(std::span<const std::byte> bytes) {
  return ~crc32c_update(~std::uint32_t{0}, bytes);
}

}  // namespace tandem::meta
