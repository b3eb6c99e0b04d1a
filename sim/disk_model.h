// The simulated disk's faults beyond latency: a bandwidth that serialises transfers, latent sector
// errors, and torn writes at a crash. Pure helpers; sim/cluster.cpp owns the disks and the clock.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "sim/latency_distribution.h"
#include "sim/prng.h"

namespace tandem::sim {

// One node's backing disk: a latency range every request draws from and the shape of the draws,
// and a bandwidth.
struct disk_params {
  std::uint64_t latency_min_ns = 20'000;
  std::uint64_t latency_max_ns = 400'000;
  std::uint64_t bandwidth_bytes_per_s = 0;  // 0: unlimited
  latency_shape latency;
};

// A disk moves one request's bytes at a time: a request of B bytes finishes its transfer
// B / bandwidth after the previous transfer did (its latency comes on top).
class disk_channel {
 public:
  // When the transfer of `bytes` handed over at `now_ns` is done.
  std::uint64_t transfer(std::uint64_t now_ns, std::uint64_t bytes,
                         std::uint64_t bandwidth_bytes_per_s);

 private:
  std::uint64_t busy_until_ns_ = 0;
};

// Latent sector errors of one volume: sectors that fail every read touching them until a write
// covers them (the drive remaps a bad sector on write, as real drives do).
class latent_errors {
 public:
  void add(std::uint64_t offset_bytes, std::uint64_t length_bytes);
  bool touches(std::uint64_t offset_bytes, std::uint64_t length_bytes) const;
  // A successful write of the range: its sectors are good again.
  void overwrite(std::uint64_t offset_bytes, std::uint64_t length_bytes);
  std::size_t bad_sectors() const { return bad_sectors_.size(); }

 private:
  std::set<std::uint64_t> bad_sectors_;  // sector numbers
};

// A write in flight at a crash: which of its pieces reached the medium. The pieces are the write
// cut at `granularity_bytes` boundaries of the volume (a write inside one such unit is one piece);
// each is decided by its own coin flip, so a write spanning several units can be torn. A disk
// writes a sector atomically and nothing larger (512: a 4 KiB block can end half old, half new);
// 4096 models a drive with 4 KiB atomic writes (and draws what the 4 KiB-only model drew).
std::vector<bool> torn_write_pieces(std::uint64_t offset_bytes, std::uint64_t length_bytes,
                                    std::uint64_t granularity_bytes, prng& random);

// The end of the piece of a torn write that starts at `at_bytes` and ends at `end_bytes` at most.
std::uint64_t torn_piece_end(std::uint64_t at_bytes, std::uint64_t end_bytes,
                             std::uint64_t granularity_bytes);

}  // namespace tandem::sim
