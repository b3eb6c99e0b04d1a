#include "sim/link_model.h"

#include <algorithm>
#include <cassert>

namespace tandem::sim {

std::uint64_t serialisation_ns(std::uint64_t bytes, std::uint64_t bandwidth_bytes_per_s) {
  if (bandwidth_bytes_per_s == 0) return 0;
  // 128-bit so that a 1 GiB frame at 1 byte/s cannot overflow.
  const unsigned __int128 ns = static_cast<unsigned __int128>(bytes) * 1'000'000'000u;
  return static_cast<std::uint64_t>((ns + bandwidth_bytes_per_s - 1) / bandwidth_bytes_per_s);
}

std::uint64_t next_retransmission_ns(std::uint64_t departure_ns, std::uint64_t now_ns,
                                     const link_faults& faults, std::uint32_t& attempts) {
  assert(faults.rto_initial_ns > 0);
  std::uint64_t at = departure_ns;
  std::uint64_t rto = faults.rto_initial_ns;
  attempts = 0;
  while (at < now_ns) {
    at += rto;
    rto = std::min(rto * 2, std::max(faults.rto_max_ns, faults.rto_initial_ns));
    ++attempts;
  }
  return at;
}

segment_outcome stream_direction::send(std::uint64_t now_ns, std::uint64_t bytes,
                                       std::uint64_t latency_ns, bool cut,
                                       const link_faults& faults, prng& fault_random) {
  segment_outcome out;
  const std::uint64_t start_ns = std::max(now_ns, busy_until_ns_);
  out.departure_ns = start_ns + serialisation_ns(bytes, faults.bandwidth_bytes_per_s);
  busy_until_ns_ = out.departure_ns;
  if (blocked_ || cut) {
    blocked_ = true;
    out.stalled = true;
    return out;
  }
  // Each transmission is lost with loss_ppm; the retransmission timeout doubles per attempt. The
  // sender gives up once retransmitting would go on past the connection timeout.
  std::uint64_t sent_ns = out.departure_ns;
  std::uint64_t rto_ns = faults.rto_initial_ns;
  while (faults.loss_ppm != 0 && fault_random.chance_ppm(faults.loss_ppm)) {
    if (sent_ns + rto_ns - out.departure_ns > faults.timeout_ns) {
      blocked_ = true;
      out.stalled = true;
      return out;
    }
    sent_ns += rto_ns;
    rto_ns = std::min(rto_ns * 2, std::max(faults.rto_max_ns, faults.rto_initial_ns));
    ++out.retransmissions;
  }
  std::uint64_t arrival_ns = sent_ns + latency_ns;
  if (faults.reorder_ppm != 0 && fault_random.chance_ppm(faults.reorder_ppm)) {
    arrival_ns += fault_random.between(1, std::max<std::uint64_t>(1, faults.reorder_delay_max_ns));
    out.reordered = true;
  }
  // The copy reaches the receiver too; its stream sees a sequence number it already has.
  if (faults.duplicate_ppm != 0 && fault_random.chance_ppm(faults.duplicate_ppm)) {
    out.duplicates_discarded = 1;
  }
  out.waited_head_of_line = arrival_ns < last_delivery_ns_;
  out.deliver_at_ns = std::max(arrival_ns, last_delivery_ns_);
  last_delivery_ns_ = out.deliver_at_ns;
  return out;
}

std::uint64_t stream_direction::resend(std::uint64_t departure_ns, std::uint64_t now_ns,
                                       std::uint64_t latency_ns, const link_faults& faults,
                                       std::uint32_t& retransmissions) {
  const std::uint64_t sent_ns =
      next_retransmission_ns(departure_ns, now_ns, faults, retransmissions);
  const std::uint64_t at_ns = std::max(sent_ns + latency_ns, last_delivery_ns_);
  last_delivery_ns_ = at_ns;
  return at_ns;
}

}  // namespace tandem::sim
