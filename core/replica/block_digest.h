// The digest online verify and checksum-based resync compare blocks by: one CRC-32C per 4 KiB
// block. The core never sees payload bytes, so drivers call this when a disk_submit asks for
// want_digests and return the result in disk_done::digests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tandem {

// One CRC-32C per 4 KiB block of `bytes`; the last block may be shorter.
std::vector<std::uint32_t> block_digests(std::span<const std::byte> bytes);

}  // namespace tandem
