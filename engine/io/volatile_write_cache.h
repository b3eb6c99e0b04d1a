// A volatile write cache, modelled for power-cut tests (tests only, resource-file option
// `volatile-write-cache`): a disk's writes stay undoable until a flush covers them, as on a drive
// whose cache loses its content when the power goes. SIGKILL alone cannot test that: the page
// cache (and an O_DIRECT write's completion) survive the process.
//
// The model keeps the bytes each write replaced. A write is durable once it completed and a flush
// submitted after that completed, or when it was written with FUA. power_cut() hands back the
// undo records of every write that is not durable, newest first: written back in that order they
// leave the device as a power cut would have (every unflushed write lost; a FUA or flushed write
// kept, even where an older unflushed write overlaps it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace tandem::engine {

class volatile_write_cache {
 public:
  struct undo {
    std::uint64_t offset_bytes = 0;
    std::vector<std::byte> old_bytes;  // what the device held before the write
  };

  // A write (or discard, write-zeroes) of `old_bytes.size()` bytes at offset_bytes is submitted;
  // old_bytes is what the device holds there now.
  void write_submitted(std::uint64_t id, std::uint64_t offset_bytes,
                       std::vector<std::byte> old_bytes, bool fua);
  void write_completed(std::uint64_t id, bool ok);
  // A flush covers the writes completed when it was submitted.
  void flush_submitted(std::uint64_t id);
  void flush_completed(std::uint64_t id, bool ok);

  // The undo records of every write not durable, newest first; the cache is empty afterwards.
  std::vector<undo> power_cut();

  std::size_t volatile_writes() const { return writes_.size(); }

 private:
  struct write_record {
    std::vector<undo> pieces;  // disjoint; a durable newer write may have cut the record apart
    bool fua = false;
    bool completed = false;
  };
  // Durable now: its bytes may no longer be undone by older records either.
  void make_durable(std::uint64_t id);

  std::map<std::uint64_t, write_record> writes_;  // by submission order (ids increase)
  std::map<std::uint64_t, std::vector<std::uint64_t>> flushes_;  // flush id -> writes it covers
};

}  // namespace tandem::engine
