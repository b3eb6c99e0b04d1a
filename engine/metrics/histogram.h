// A latency histogram with fixed bucket bounds, for one thread (tandemd's io_context thread): no
// atomics, no locks, no allocation when observing; observe() is a short scan over the bounds.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace tandem::metrics {

class histogram {
 public:
  // Bucket upper bounds in nanoseconds, ascending: 50 us .. 2.5 s, the range from a page-cache
  // write to a stalled peer. Above the last bound only +Inf counts it.
  static constexpr std::array<std::uint64_t, 15> kBoundsNs = {
      50'000,     100'000,     250'000,     500'000,     1'000'000,
      2'500'000,  5'000'000,   10'000'000,  25'000'000,  50'000'000,
      100'000'000, 250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000};

  void observe_ns(std::uint64_t value_ns) {
    std::size_t i = 0;
    while (i < kBoundsNs.size() && value_ns > kBoundsNs[i]) ++i;
    ++counts_[i];
    sum_ns_ += value_ns;
    ++count_;
  }

  // Per bucket (not cumulative); the last one is the +Inf overflow.
  std::span<const std::uint64_t> bucket_counts() const { return counts_; }
  std::uint64_t count() const { return count_; }
  std::uint64_t sum_ns() const { return sum_ns_; }

 private:
  std::array<std::uint64_t, kBoundsNs.size() + 1> counts_{};
  std::uint64_t sum_ns_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace tandem::metrics
