#include "core/replica/block_digest.h"

#include <algorithm>

#include "core/base/ids.h"
#include "core/meta/crc32c.h"

namespace tandem {

std::vector<std::uint32_t> block_digests(std::span<const std::byte> bytes) {
  std::vector<std::uint32_t> digests;
  digests.reserve((bytes.size() + kBlockBytes - 1) / kBlockBytes);
  for (std::size_t at = 0; at < bytes.size(); at += kBlockBytes) {
    digests.push_back(
        meta::crc32c(bytes.subspan(at, std::min<std::size_t>(kBlockBytes, bytes.size() - at))));
  }
  return digests;
}

}  // namespace tandem
