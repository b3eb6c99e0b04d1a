// The network below the peer protocol: one TCP stream per connection and direction, modelled at
// the segment level. The core must keep seeing what TCP gives it (an in-order, exactly-once byte
// stream, or a broken connection), so loss, duplication and reordering act on segments and show
// only through their real consequences:
//   - a lost segment is retransmitted after a retransmission timeout that doubles per attempt
//     (Linux: TCP_RTO_MIN 200 ms, TCP_RTO_MAX 120 s), and everything after it on that direction
//     waits for it (head-of-line blocking);
//   - a duplicated segment is discarded by the receiving stream (counted, never delivered twice);
//   - a reordered segment arrives late and the later ones wait for it;
//   - when retransmissions keep failing for longer than the connection timeout, the sender gives
//     up and the connection breaks (sim/cluster.cpp turns that into peer_lost);
//   - a direction serialises its bytes: a frame of B bytes occupies it B / bandwidth after the
//     previous frame left.
// Every frame is one segment (the simulator has no MSS); a frame counts as lost when its segment
// is. All draws come from the PRNG passed in, and none is made for a fault that is off, so a run
// with every fault off draws exactly what it drew before this model existed.
#pragma once

#include <cstdint>

#include "sim/latency_distribution.h"
#include "sim/prng.h"

namespace tandem::sim {

// The faults and limits of one link (both directions alike). Zero means off.
struct link_faults {
  std::uint64_t bandwidth_bytes_per_s = 0;  // 0: unlimited
  std::uint32_t loss_ppm = 0;               // per transmission of a segment
  std::uint32_t duplicate_ppm = 0;          // per delivered segment
  std::uint32_t reorder_ppm = 0;            // per delivered segment
  std::uint64_t reorder_delay_max_ns =
      2'000'000;                               // a reordered segment is this much later, at most
  std::uint64_t rto_initial_ns = 200'000'000;  // Linux TCP_RTO_MIN
  std::uint64_t rto_max_ns = 120'000'000'000;  // Linux TCP_RTO_MAX
  // How long an end keeps retransmitting unacknowledged data before it gives up (DRBD `timeout`,
  // 6 s by default, stands for it here; TCP's own limit is longer but DRBD breaks first).
  std::uint64_t timeout_ns = 6'000'000'000;
  // An end that sends nothing still pings its peer this often (DRBD `ping-int`, 10 s), so a cut
  // is noticed by an idle end too.
  std::uint64_t ping_interval_ns = 10'000'000'000;
  bool lossy() const { return loss_ppm != 0 || duplicate_ppm != 0 || reorder_ppm != 0; }
};

// One link's parameters: the latency range every message draws from and the shape of the draws,
// and its faults.
struct link_params {
  std::uint64_t latency_min_ns = 50'000;
  std::uint64_t latency_max_ns = 200'000;
  link_faults faults;
  latency_shape latency;
};

// What happened to one frame sent on a direction.
struct segment_outcome {
  std::uint64_t departure_ns = 0;   // its last byte left the sender (after serialisation)
  bool stalled = false;             // not delivered: lost for good, cut, or behind such a frame
  std::uint64_t deliver_at_ns = 0;  // when !stalled: when the receiving stream hands it over
  std::uint32_t retransmissions = 0;
  std::uint32_t duplicates_discarded = 0;
  bool reordered = false;
  bool waited_head_of_line = false;  // it arrived before an earlier frame and waited for it
};

// The nanoseconds a direction of `bandwidth_bytes_per_s` needs to put `bytes` on the wire,
// rounded up (0 when unlimited).
std::uint64_t serialisation_ns(std::uint64_t bytes, std::uint64_t bandwidth_bytes_per_s);

// The first retransmission of a segment first sent at `departure_ns` that happens at or after
// `now_ns`, following the doubling retransmission timeout; `attempts` counts the retransmissions
// up to and including it.
std::uint64_t next_retransmission_ns(std::uint64_t departure_ns, std::uint64_t now_ns,
                                     const link_faults& faults, std::uint32_t& attempts);

// One direction of one TCP connection.
class stream_direction {
 public:
  // A frame of `bytes` handed to the stream at `now_ns`; `latency_ns` is the one-way latency
  // drawn for it; `cut` says the direction loses everything (a partition). A stalled frame stalls
  // every later one (head-of-line) until unblock().
  segment_outcome send(std::uint64_t now_ns, std::uint64_t bytes, std::uint64_t latency_ns,
                       bool cut, const link_faults& faults, prng& fault_random);
  // The direction works again (a healed cut): a frame stalled since `departure_ns` is
  // retransmitted at its next retransmission time and delivered in order. Returns when.
  std::uint64_t resend(std::uint64_t departure_ns, std::uint64_t now_ns, std::uint64_t latency_ns,
                       const link_faults& faults, std::uint32_t& retransmissions);
  bool blocked() const { return blocked_; }
  void block() { blocked_ = true; }  // a frame in flight was caught by a cut
  void unblock() { blocked_ = false; }
  // A new connection: nothing is stalled. The delivery order carries on, like the existing model
  // (a frame of a new connection never overtakes one of the old that is still on its way).
  void new_connection() { blocked_ = false; }
  std::uint64_t last_delivery_ns() const { return last_delivery_ns_; }

 private:
  std::uint64_t busy_until_ns_ = 0;     // the sender's wire is busy until then (bandwidth)
  std::uint64_t last_delivery_ns_ = 0;  // in-order delivery: nobody overtakes this
  bool blocked_ = false;                // a frame is stalled: everything after it waits
};

}  // namespace tandem::sim
