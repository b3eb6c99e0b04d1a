// CRC32C (Castagnoli; reflected polynomial 0x82F63B78), table driven, one byte per step.
//
// Two entry points because two conventions are in use:
//  - crc32c(bytes) is the standard CRC-32C (register preset to all ones, result inverted), the
//    one with the published check value crc32c("123456789") == 0xE3069283.
//  - crc32c_update(register, bytes) advances the raw register with no presetting and no final
//    inversion, like the Linux kernel's crc32c(seed, ...) helper. DRBD checksums an activity-log
//    transaction as crc32c_update(0, block); see activity_log.h.
// crc32c(bytes) == ~crc32c_update(~0u, bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tandem::meta {

inline constexpr std::uint32_t kCrc32cPolynomial = 0x82F63B78;  // reflected form of 0x1EDC6F41

std::uint32_t crc32c_update(std::uint32_t crc_register, std::span<const std::byte> bytes);
std::uint32_t crc32c(std::span<const std::byte> bytes);

}  // namespace tandem::meta
