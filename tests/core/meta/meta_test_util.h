// Helpers shared by the core/meta tests: a deterministic xorshift PRNG and byte patching.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tandem::meta::testing {

// xorshift64: deterministic, no global state.
class xorshift {
 public:
  explicit xorshift(std::uint64_t seed) : state_(seed ? seed : 0x9e3779b97f4a7c15ull) {}
  std::uint64_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  // Uniform enough in [0, bound) for tests; bound > 0.
  std::uint64_t below(std::uint64_t bound) { return next() % bound; }
  void fill(std::span<std::byte> out) {
    for (auto& b : out) b = static_cast<std::byte>(next() >> 56);
  }

 private:
  std::uint64_t state_;
};

inline void poke_be32(std::span<std::byte> block, std::size_t at, std::uint32_t value) {
  for (std::size_t i = 0; i < 4; ++i) {
    block[at + i] = static_cast<std::byte>(value >> (24 - 8 * i));
  }
}
inline void poke_be16(std::span<std::byte> block, std::size_t at, std::uint16_t value) {
  block[at] = static_cast<std::byte>(value >> 8);
  block[at + 1] = static_cast<std::byte>(value);
}
inline std::uint32_t peek_be32(std::span<const std::byte> block, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i)
    value = (value << 8) | std::to_integer<std::uint32_t>(block[at + i]);
  return value;
}
inline void flip_bit(std::span<std::byte> block, std::size_t bit) {
  block[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
}

inline bool mentions(const std::string& message, const std::string& field) {
  return message.find(field) != std::string::npos;
}

}  // namespace tandem::meta::testing
