// DRBD's on-congestion family (net options on-congestion, congestion-fill, congestion-extents):
// what a Primary does when a protocol A peer cannot keep up with its writes. Pure settings and
// the one decision; replica_congestion.cpp acts on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem {

enum class on_congestion : std::uint8_t {
  block,       // keep sending; the writer waits for the send buffer (DRBD's default)
  pull_ahead,  // stop sending data, send out-of-sync notices, resync once the link drained
  disconnect,  // drop the connection (the bitmap covers what the peer then misses)
};
// "block", "pull-ahead" or "disconnect", as drbd.conf spells them.
std::optional<on_congestion> parse_on_congestion(std::string_view text);
std::string_view to_string(on_congestion value);

// DRBD allows a policy other than block only on protocol A connections: with B or C every write
// waits for the peer anyway, so there is no backlog to pull ahead of. The replica applies it to its
// protocol A peers only; the configuration parsers reject it with another protocol.
struct congestion_settings {
  on_congestion policy = on_congestion::block;
  // congestion-fill: replicated bytes sent to the peer and not yet received by it (0 = no limit).
  std::uint64_t fill_bytes = 0;
  // congestion-extents: activity-log extents in use (0 = no limit).
  std::uint32_t extents = 0;
  friend bool operator==(const congestion_settings&, const congestion_settings&) = default;
};

struct congestion_load {
  std::uint64_t in_flight_bytes = 0;
  std::size_t hot_extents = 0;
};
bool is_congested(const congestion_settings& settings, const congestion_load& load);

}  // namespace tandem
