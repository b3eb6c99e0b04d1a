#include "sim/write_tracker.h"

#include <algorithm>

namespace tandem::sim {

write_tracker::write_tracker(std::uint64_t volume_size_bytes) : model_(volume_size_bytes) {}

bool write_tracker::start_random_write(cluster& c, node_id node, prng& random, bool sub_block) {
  const std::uint64_t block = random.below(blocks());
  if (busy_blocks_.count(block)) return false;
  std::uint64_t offset = block * kBlockBytes;
  std::size_t length = kBlockBytes;
  if (sub_block) {
    const std::uint64_t sectors = 1 + random.below(6);
    offset += kSectorBytes * random.below(kSectorsPerBlock - sectors + 1);
    length = static_cast<std::size_t>(sectors * kSectorBytes);
  }
  std::vector<std::byte> data(length);
  for (auto& b : data) b = static_cast<std::byte>(random.next() & 0xff);
  return start_write(c, node, offset, std::move(data), false);
}

bool write_tracker::start_write(cluster& c, node_id node, std::uint64_t offset_bytes,
                                std::vector<std::byte> data, bool may_fail) {
  const block_range range = blocks_of_bytes(offset_bytes, data.size());
  for (auto b = range.first; b < range.end(); ++b) {
    if (busy_blocks_.count(b)) return false;
  }
  for (auto b = range.first; b < range.end(); ++b) busy_blocks_.insert(b);
  const auto tag = c.write(node, 0, offset_bytes, data);
  in_flight_.emplace(tag, pending{offset_bytes, std::move(data), may_fail});
  return true;
}

void write_tracker::collect(const cluster& c, const failure_policy& failure_allowed,
                            bool quorum_required, std::vector<std::string>& violations) {
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    const client_result& r = c.result(it->first);
    if (!r.done) {
      ++it;
      continue;
    }
    const std::uint64_t offset = it->second.offset_bytes;
    const std::uint64_t end = offset + it->second.data.size();
    const block_range range = blocks_of_bytes(offset, it->second.data.size());
    if (r.status != io_status::ok) {
      // A write lost with a crashed node may or may not be on the media, whole or torn: no
      // promise was made, so each of its blocks may hold old or new data.
      if (!r.crashed && !failure_allowed(r.status, it->second.may_fail)) {
        violations.push_back("write tag " + std::to_string(it->first) +
                             " failed: " + to_string(r.status));
      }
      for (auto b = range.first; b < range.end(); ++b) undefined_blocks_.insert(b);
    } else {
      // Only a whole-block write defines a block again: a partial one leaves the sectors a failed
      // write may have changed as they are.
      for (auto b = range.first; b < range.end(); ++b) {
        if (b * kBlockBytes >= offset && (b + 1) * kBlockBytes <= end) undefined_blocks_.erase(b);
      }
      ++acknowledged_;
      max_ack_latency_ns_ = std::max(max_ack_latency_ns_, r.completed_at_ns - r.issued_at_ns);
      if (quorum_required && !r.quorum_at_completion) {
        violations.push_back("write tag " + std::to_string(it->first) +
                             " was acknowledged without quorum");
      }
      std::copy(it->second.data.begin(), it->second.data.end(),
                model_.begin() + static_cast<std::ptrdiff_t>(it->second.offset_bytes));
    }
    for (auto b = range.first; b < range.end(); ++b) busy_blocks_.erase(b);
    it = in_flight_.erase(it);
  }
}

void write_tracker::check_replicas(const cluster& c, const std::vector<node_id>& nodes,
                                   node_id reference, std::vector<std::string>& violations) const {
  for (node_id node : nodes) {
    const auto& disk = c.disk_bytes(node, 0);
    std::uint64_t wrong = 0;
    std::uint64_t first_wrong = 0;
    for (std::uint64_t b = 0; b < blocks(); ++b) {
      const auto& expected = undefined_blocks_.count(b) ? c.disk_bytes(reference, 0) : model_;
      const auto first = static_cast<std::ptrdiff_t>(b * kBlockBytes);
      if (!std::equal(expected.begin() + first, expected.begin() + first + kBlockBytes,
                      disk.begin() + first)) {
        if (wrong++ == 0) first_wrong = b;
      }
    }
    if (wrong != 0) {
      violations.push_back("n" + std::to_string(node) +
                           " differs from the acknowledged writes in " + std::to_string(wrong) +
                           " blocks, the first at offset " +
                           std::to_string(first_wrong * kBlockBytes));
    }
  }
}

std::optional<std::vector<std::byte>> write_tracker::expected(std::uint64_t offset_bytes,
                                                              std::uint32_t length_bytes) const {
  const block_range range = blocks_of_bytes(offset_bytes, length_bytes);
  for (auto b = range.first; b < range.end(); ++b) {
    if (busy_blocks_.count(b) || undefined_blocks_.count(b)) return std::nullopt;
  }
  const auto first = model_.begin() + static_cast<std::ptrdiff_t>(offset_bytes);
  return std::vector<std::byte>(first, first + length_bytes);
}

}  // namespace tandem::sim
