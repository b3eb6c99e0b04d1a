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

// A write in flight at a crash: which of its 4 KiB pieces reached the medium. The pieces are the
// write cut at 4 KiB boundaries of the volume (a write inside one block is one piece); each is
// decided by its own coin flip, so a multi-block write can be torn.
std::vector<bool> torn_write_pieces(std::uint64_t offset_bytes, std::uint64_t length_bytes,
                                    prng& random);

}  // namespace tandem::sim
