// The activity log (DRBD AL): the set of 4 MiB extents that may have writes in flight. A write to a
// cold extent first makes it hot (an AL transaction); the least recently used idle extent leaves
// when more than al_extents are hot. After a crash as Primary, every hot extent is resynced.
#include "core/replica/replica_machine.h"

namespace tandem {

namespace {

block_range extents_of(block_range blocks) {
  const std::uint64_t first = blocks.first / kBlocksPerAlExtent;
  const std::uint64_t last = (blocks.end() - 1) / kBlocksPerAlExtent;
  return {first, last - first + 1};
}

}  // namespace

void replica_machine::al_begin_write(std::size_t vi, block_range blocks) {
  if (blocks.count == 0) return;
  local_volume& volume = volumes_[vi];
  const block_range extents = extents_of(blocks);
  for (auto extent = extents.first; extent < extents.end(); ++extent) {
    auto [entry, inserted] = volume.activity_log.try_emplace(extent);
    entry->second.last_use = ++volume.al_clock;
    ++entry->second.in_flight;
    if (inserted) ++volume.al_transactions;
  }
  // Bounded: evict the least recently used extents that have nothing in flight.
  while (volume.activity_log.size() > config_.al_extents) {
    auto victim = volume.activity_log.end();
    for (auto it = volume.activity_log.begin(); it != volume.activity_log.end(); ++it) {
      if (it->second.in_flight != 0) continue;
      if (victim == volume.activity_log.end() || it->second.last_use < victim->second.last_use) {
        victim = it;
      }
    }
    if (victim == volume.activity_log.end()) break;  // every hot extent is busy
    volume.activity_log.erase(victim);
  }
}

void replica_machine::al_end_write(std::size_t vi, block_range blocks) {
  if (blocks.count == 0) return;
  local_volume& volume = volumes_[vi];
  const block_range extents = extents_of(blocks);
  for (auto extent = extents.first; extent < extents.end(); ++extent) {
    auto entry = volume.activity_log.find(extent);
    if (entry != volume.activity_log.end() && entry->second.in_flight > 0)
      --entry->second.in_flight;
  }
}

}  // namespace tandem
