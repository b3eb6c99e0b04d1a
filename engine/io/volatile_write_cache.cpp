#include "engine/io/volatile_write_cache.h"

#include <algorithm>

namespace tandem::engine {

void volatile_write_cache::write_submitted(std::uint64_t id, std::uint64_t offset_bytes,
                                           std::vector<std::byte> old_bytes, bool fua) {
  write_record w;
  w.pieces.push_back(undo{offset_bytes, std::move(old_bytes)});
  w.fua = fua;
  writes_[id] = std::move(w);
}

void volatile_write_cache::write_completed(std::uint64_t id, bool ok) {
  auto found = writes_.find(id);
  if (found == writes_.end()) return;
  if (!ok) {
    writes_.erase(found);  // nothing was written
    return;
  }
  found->second.completed = true;
  if (found->second.fua) make_durable(id);
}

void volatile_write_cache::flush_submitted(std::uint64_t id) {
  std::vector<std::uint64_t> covered;
  for (const auto& [write_id, w] : writes_) {
    if (w.completed) covered.push_back(write_id);
  }
  flushes_[id] = std::move(covered);
}

void volatile_write_cache::flush_completed(std::uint64_t id, bool ok) {
  auto found = flushes_.find(id);
  if (found == flushes_.end()) return;
  const std::vector<std::uint64_t> covered = std::move(found->second);
  flushes_.erase(found);
  if (!ok) return;
  for (std::uint64_t write_id : covered) make_durable(write_id);
}

namespace {

// The parts of `piece` outside [first, end).
std::vector<volatile_write_cache::undo> outside(const volatile_write_cache::undo& piece,
                                                std::uint64_t first, std::uint64_t end) {
  const std::uint64_t p_first = piece.offset_bytes;
  const std::uint64_t p_end = p_first + piece.old_bytes.size();
  if (p_end <= first || p_first >= end) return {piece};
  std::vector<volatile_write_cache::undo> kept;
  const auto at = [&](std::uint64_t offset) {
    return piece.old_bytes.begin() + static_cast<std::ptrdiff_t>(offset - p_first);
  };
  if (p_first < first) kept.push_back({p_first, std::vector<std::byte>(at(p_first), at(first))});
  if (p_end > end) kept.push_back({end, std::vector<std::byte>(at(end), at(p_end))});
  return kept;
}

}  // namespace

void volatile_write_cache::make_durable(std::uint64_t id) {
  auto found = writes_.find(id);
  if (found == writes_.end()) return;
  const std::vector<undo> durable = std::move(found->second.pieces);
  writes_.erase(found);
  // An older write undone after this one would put its old bytes over this durable data: the
  // parts of its record this write covers are dropped (the device keeps this write's bytes).
  for (auto it = writes_.begin(); it != writes_.end() && it->first < id;) {
    for (const undo& d : durable) {
      std::vector<undo> pieces;
      for (const undo& piece : it->second.pieces) {
        for (undo& kept : outside(piece, d.offset_bytes, d.offset_bytes + d.old_bytes.size())) {
          pieces.push_back(std::move(kept));
        }
      }
      it->second.pieces = std::move(pieces);
    }
    it = it->second.pieces.empty() ? writes_.erase(it) : std::next(it);
  }
}

std::vector<volatile_write_cache::undo> volatile_write_cache::power_cut() {
  std::vector<undo> out;
  for (auto it = writes_.rbegin(); it != writes_.rend(); ++it) {
    for (undo& piece : it->second.pieces) out.push_back(std::move(piece));
  }
  writes_.clear();
  flushes_.clear();
  return out;
}

}  // namespace tandem::engine
