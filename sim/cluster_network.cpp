// The cluster's network: connections between nodes, each direction a TCP-like stream over the
// segment model of sim/link_model.h, partitions (symmetric and one-way) and the per-end timeouts
// that break a connection whose data is no longer acknowledged.
#include <algorithm>

#include "core/wire/codec.h"
#include "sim/cluster.h"

namespace tandem::sim {
namespace {

std::pair<node_id, node_id> key_of(node_id a, node_id b) {
  return {std::min(a, b), std::max(a, b)};
}

constexpr std::uint64_t kNoSequence = ~std::uint64_t{0};

std::string ms_text(std::uint64_t ns) {
  return std::to_string(ns / 1'000'000) + " ms";
}

}  // namespace

cluster::link& cluster::link_between(node_id a, node_id b) {
  return links_.at(key_of(a, b));
}

const link_params& cluster::params_of(node_id a, node_id b) const {
  return link_params_.at(key_of(a, b));
}

const link_faults& cluster::faults_of(node_id a, node_id b) const {
  return params_of(a, b).faults;
}

void cluster::set_link_faults(node_id a, node_id b, const link_faults& faults) {
  link_params_.at(key_of(a, b)).faults = faults;
  record(a, "link to n" + std::to_string(b) + " faults: loss " + std::to_string(faults.loss_ppm) +
                " ppm, duplicate " + std::to_string(faults.duplicate_ppm) + " ppm, reorder " +
                std::to_string(faults.reorder_ppm) + " ppm, bandwidth " +
                std::to_string(faults.bandwidth_bytes_per_s) + " bytes/s");
}

void cluster::count_segment(node_id from, node_id to, const segment_outcome& outcome) {
  auto& c = counters_[{from, to}];
  c.retransmissions += outcome.retransmissions;
  c.duplicates_discarded += outcome.duplicates_discarded;
  c.reordered += outcome.reordered ? 1 : 0;
  c.head_of_line_waits += outcome.waited_head_of_line ? 1 : 0;
}

void cluster::schedule_delivery(node_id from, node_id to, std::uint64_t epoch,
                                std::vector<std::byte> frame) {
  const link_params& params = params_of(from, to);
  const std::uint64_t latency = draw_latency_ns(params.latency_min_ns, params.latency_max_ns,
                                                params.latency, network_random_);
  direction& d = directions_[{from, to}];
  // A frame of a connection that is already gone gets no place in the stream (it is dropped on
  // arrival, as before).
  const bool current = link_between(from, to).epoch == epoch;
  const std::uint64_t sequence = current ? d.next_sequence++ : kNoSequence;
  // A slow node hands its frames to the network late.
  const std::uint64_t handed_over_ns = events_.now_ns() + nodes_.at(from).send_delay_ns;
  const segment_outcome out =
      d.stream.send(handed_over_ns, frame.size(), latency, d.cut, params.faults, segment_random_);
  count_segment(from, to, out);
  if (out.stalled) {
    if (!current) return;
    return stall(from, to, {sequence, epoch, out.departure_ns, std::move(frame)});
  }
  // It arrives, but the acknowledgement that would tell the sender so is cut off.
  if (directions_[{to, from}].cut)
    arm_watchdog(from, to, out.departure_ns + params.faults.timeout_ns);
  events_.at(out.deliver_at_ns, [this, from, to, epoch, sequence, departure = out.departure_ns,
                                 frame = std::move(frame)]() mutable {
    deliver(from, to, epoch, sequence, departure, std::move(frame));
  });
}

// The frame waits in the direction (retransmitted for ever, head-of-line blocking the ones after
// it) until the cut heals or its sender gives up.
void cluster::stall(node_id from, node_id to, stalled_frame frame) {
  direction& d = directions_[{from, to}];
  ++counters_[{from, to}].partition_stalls;
  d.stream.block();
  if (!d.first_stalled || frame.sequence < *d.first_stalled) d.first_stalled = frame.sequence;
  arm_watchdog(from, to, frame.departure_ns + faults_of(from, to).timeout_ns);
  auto at = std::find_if(d.stalled.begin(), d.stalled.end(),
                         [&](const stalled_frame& s) { return s.sequence > frame.sequence; });
  d.stalled.insert(at, std::move(frame));
}

void cluster::deliver(node_id from, node_id to, std::uint64_t epoch, std::uint64_t sequence,
                      std::uint64_t departure_ns, std::vector<std::byte> frame) {
  link& l = link_between(from, to);
  if (!l.connected || l.epoch != epoch) return;  // sent on a connection that no longer exists
  if (l.closed_by == to) return;                 // the receiver already hung up
  if (l.gone == to) return;                      // the receiver gave up: its socket is gone
  direction& d = directions_[{from, to}];
  // Caught on the wire by a one-way cut: it waits for the heal like the frames sent after it.
  if (d.cut) return stall(from, to, {sequence, epoch, departure_ns, std::move(frame)});
  // The receiving stream hands frames over in sequence order only: one that arrives before an
  // older one (resent after a heal) waits for it.
  d.arrived.emplace(sequence, std::move(frame));
  while (!d.arrived.empty() && d.arrived.begin()->first == d.next_expected) {
    std::vector<std::byte> next = std::move(d.arrived.begin()->second);
    d.arrived.erase(d.arrived.begin());
    ++d.next_expected;
    hand_over(from, to, next);
    if (!l.connected || l.epoch != epoch) return;  // the frame broke the connection
  }
}

void cluster::hand_over(node_id from, node_id to, const std::vector<std::byte>& frame) {
  wire::decoded decoded = wire::decode(frame);
  if (decoded.status != wire::decode_status::ok) {
    ++decode_errors_;
    record(to, "dropping connection to n" + std::to_string(from) + ": " + decoded.detail);
    return tear_down(from, to);
  }
  std::uint64_t payload_id = 0;
  if (!decoded.payload_bytes.empty()) {
    payload_id = new_buffer(
        std::vector<std::byte>(decoded.payload_bytes.begin(), decoded.payload_bytes.end()));
    std::visit(
        [&](auto& m) {
          if constexpr (requires { m.payload; }) m.payload.id = payload_id;
        },
        decoded.msg);
  }
  step(to, peer_message{from, std::move(decoded.msg)});
  release(payload_id);
}

// ------------------------------------------------------------------------- timeouts and resets

// `end` gives up at at_ns unless by then nothing it sent is left unacknowledged. Only the earliest
// pending check is kept per end; a check that finds all well lets the next send arm a new one.
void cluster::arm_watchdog(node_id end, node_id peer, std::uint64_t at_ns) {
  direction& d = directions_[{end, peer}];
  if (d.watchdog_at_ns != 0 && d.watchdog_at_ns <= at_ns) return;
  d.watchdog_at_ns = at_ns;
  const std::uint64_t epoch = link_between(end, peer).epoch;
  events_.at(at_ns, [this, end, peer, epoch, at_ns] { watchdog(end, peer, epoch, at_ns); });
}

void cluster::watchdog(node_id end, node_id peer, std::uint64_t epoch, std::uint64_t at_ns) {
  direction& d = directions_[{end, peer}];
  if (d.watchdog_at_ns == at_ns) d.watchdog_at_ns = 0;
  const link& l = link_between(end, peer);
  if (!l.connected || l.epoch != epoch || l.gone == end) return;
  // Unacknowledged: its frames wait in a cut or lossy direction, or their acknowledgements (and
  // the answers to its pings) cannot come back.
  const bool unacknowledged = d.cut || d.first_stalled || directions_[{peer, end}].cut;
  if (unacknowledged) give_up(end, peer);
}

void cluster::give_up(node_id end, node_id peer) {
  record(end, "gives up on the connection to n" + std::to_string(peer) + ": unacknowledged for " +
                  ms_text(faults_of(end, peer).timeout_ns));
  ++counters_[{end, peer}].connection_timeouts;
  link& l = link_between(end, peer);
  // Its reset reaches the peer unless the way there is cut: then the peer keeps its half of the
  // connection until its own timeout.
  if (!directions_[{end, peer}].cut || l.gone == peer) return tear_down(end, peer);
  l.gone = end;
  step(end, peer_lost{peer});
}

void cluster::new_connection(node_id a, node_id b) {
  for (const auto& key : {std::pair{a, b}, std::pair{b, a}}) {
    direction& d = directions_[key];
    d.stream.new_connection();
    d.next_expected = d.next_sequence;
    d.arrived.clear();
    d.first_stalled.reset();
    d.stalled.clear();
    d.watchdog_at_ns = 0;
  }
}

bool cluster::wants_connection(node_id a, node_id b) const {
  return mask_has(members_, a) && mask_has(members_, b) && !standalone_.count({a, b}) &&
         !standalone_.count({b, a});
}

void cluster::try_connect(node_id a, node_id b) {
  link& l = link_between(a, b);
  if (!l.up || l.connected || !wants_connection(a, b)) return;
  if (!nodes_.at(a).up || !nodes_.at(b).up) return;
  // The handshake needs both directions.
  if (directions_[{a, b}].cut || directions_[{b, a}].cut) return;
  l.connected = true;
  l.gone = -1;
  ++l.epoch;
  new_connection(a, b);
  step(a, peer_connected{b});
  step(b, peer_connected{a});
}

void cluster::close_gracefully(node_id closer, node_id peer) {
  link& l = link_between(closer, peer);
  if (!l.connected || l.closed_by >= 0) return;
  l.closed_by = closer;
  const std::uint64_t epoch = l.epoch;
  const std::uint64_t drained_at =
      std::max(events_.now_ns(), directions_[{closer, peer}].stream.last_delivery_ns()) + 1;
  events_.at(drained_at, [this, closer, peer, epoch] {
    if (link_between(closer, peer).epoch == epoch) tear_down(closer, peer);
  });
}

void cluster::tear_down(node_id a, node_id b) {
  link& l = link_between(a, b);
  if (!l.connected) return;
  const int gone = l.gone;
  l.connected = false;
  l.closed_by = -1;
  l.gone = -1;
  ++l.epoch;
  new_connection(a, b);  // nothing stalled survives the connection
  if (gone != a) step(a, peer_lost{b});
  if (gone != b) step(b, peer_lost{a});
  events_.after(options_.reconnect_delay_ns, [this, a, b] { try_connect(a, b); });
}

// ------------------------------------------------------------------------- partitions

void cluster::cut_link(node_id a, node_id b) {
  link_between(a, b).up = false;
  tear_down(a, b);
}

void cluster::heal_link(node_id a, node_id b) {
  link_between(a, b).up = true;
  // One-way cuts heal too (each is a no-op unless that direction is cut).
  heal_one_way(a, b);
  heal_one_way(b, a);
  try_connect(a, b);
}

void cluster::cut_one_way(node_id from, node_id to) {
  direction& d = directions_[{from, to}];
  if (d.cut) return;
  d.cut = true;
  record(from, "link to n" + std::to_string(to) + " cut one way (n" + std::to_string(from) +
                   " -> n" + std::to_string(to) + " lost)");
  if (!link_between(from, to).connected) return;
  // An idle end finds out through its next ping, at most one ping interval away.
  const link_faults& faults = faults_of(from, to);
  const std::uint64_t noticed_ns = events_.now_ns() + faults.ping_interval_ns + faults.timeout_ns;
  arm_watchdog(from, to, noticed_ns);
  arm_watchdog(to, from, noticed_ns);
}

void cluster::heal_one_way(node_id from, node_id to) {
  direction& d = directions_[{from, to}];
  if (!d.cut) return;
  d.cut = false;
  record(from, "link to n" + std::to_string(to) + " healed one way (n" + std::to_string(from) +
                   " -> n" + std::to_string(to) + ")");
  link& l = link_between(from, to);
  // The end that gave up is reachable again: its reset now tears down the other half.
  if (l.gone >= 0) return tear_down(from, to);
  if (!l.connected) return try_connect(from, to);
  // Every stalled frame goes out at its next retransmission, in order.
  const link_params& params = params_of(from, to);
  auto stalled = std::move(d.stalled);
  d.stalled.clear();
  d.first_stalled.reset();
  d.stream.unblock();
  for (auto& s : stalled) {
    if (s.epoch != l.epoch) continue;
    const std::uint64_t latency = draw_latency_ns(params.latency_min_ns, params.latency_max_ns,
                                                  params.latency, network_random_);
    std::uint32_t retransmissions = 0;
    const std::uint64_t at_ns =
        d.stream.resend(s.departure_ns, events_.now_ns(), latency, params.faults, retransmissions);
    counters_[{from, to}].retransmissions += retransmissions;
    events_.at(at_ns, [this, from, to, s = std::move(s)]() mutable {
      deliver(from, to, s.epoch, s.sequence, s.departure_ns, std::move(s.frame));
    });
  }
}

void cluster::isolate(node_id node) {
  for (int n = 0; n < options_.nodes; ++n) {
    if (n != node) cut_link(node, static_cast<node_id>(n));
  }
}

void cluster::rejoin(node_id node) {
  for (int n = 0; n < options_.nodes; ++n) {
    if (n != node) heal_link(node, static_cast<node_id>(n));
  }
}

void cluster::hold(node_id from, node_id to, wire::msg_type type) {
  held_types_.insert({from, to, type});
}

void cluster::release_held() {
  held_types_.clear();
  auto held = std::move(held_);
  held_.clear();
  for (auto& h : held) schedule_delivery(h.from, h.to, h.epoch, std::move(h.frame));
}

}  // namespace tandem::sim
