#include "sim/disk_model.h"

#include <algorithm>
#include <cassert>

#include "core/base/ids.h"
#include "sim/link_model.h"

namespace tandem::sim {

std::uint64_t disk_channel::transfer(std::uint64_t now_ns, std::uint64_t bytes,
                                     std::uint64_t bandwidth_bytes_per_s) {
  const std::uint64_t start_ns = std::max(now_ns, busy_until_ns_);
  busy_until_ns_ = start_ns + serialisation_ns(bytes, bandwidth_bytes_per_s);
  return busy_until_ns_;
}

void latent_errors::add(std::uint64_t offset_bytes, std::uint64_t length_bytes) {
  for (std::uint64_t s = offset_bytes / kSectorBytes;
       s * kSectorBytes < offset_bytes + length_bytes; ++s) {
    bad_sectors_.insert(s);
  }
}

bool latent_errors::touches(std::uint64_t offset_bytes, std::uint64_t length_bytes) const {
  if (length_bytes == 0) return false;
  auto first_bad = bad_sectors_.lower_bound(offset_bytes / kSectorBytes);
  return first_bad != bad_sectors_.end() && *first_bad * kSectorBytes < offset_bytes + length_bytes;
}

void latent_errors::overwrite(std::uint64_t offset_bytes, std::uint64_t length_bytes) {
  // Only sectors the write covers entirely are rewritten; the core writes whole sectors anyway.
  const std::uint64_t first = (offset_bytes + kSectorBytes - 1) / kSectorBytes;
  const std::uint64_t end = (offset_bytes + length_bytes) / kSectorBytes;
  if (first >= end) return;
  bad_sectors_.erase(bad_sectors_.lower_bound(first), bad_sectors_.lower_bound(end));
}

std::uint64_t torn_piece_end(std::uint64_t at_bytes, std::uint64_t end_bytes,
                             std::uint64_t granularity_bytes) {
  assert(granularity_bytes >= kSectorBytes && granularity_bytes % kSectorBytes == 0);
  return std::min(end_bytes, (at_bytes / granularity_bytes + 1) * granularity_bytes);
}

std::vector<bool> torn_write_pieces(std::uint64_t offset_bytes, std::uint64_t length_bytes,
                                    std::uint64_t granularity_bytes, prng& random) {
  std::vector<bool> landed;
  std::uint64_t at = offset_bytes;
  const std::uint64_t end = offset_bytes + length_bytes;
  while (at < end) {
    landed.push_back(random.below(2) == 0);
    at = torn_piece_end(at, end, granularity_bytes);
  }
  assert(length_bytes == 0 || !landed.empty());
  assert(landed.size() <= length_bytes / granularity_bytes + 2);
  return landed;
}

}  // namespace tandem::sim
