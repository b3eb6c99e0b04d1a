// The counters of a link direction (link_counters, sim/cluster.h) by name, in one place: the
// `link` expectation of scenario files names them so, and the metrics export writes each as
// tandem_sim_link_<name>_total (sim/metrics_links.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sim/cluster.h"

namespace tandem::sim {

struct link_counter_field {
  std::string_view name;
  std::uint64_t link_counters::*field;
  std::string_view help;  // what one unit of it is, for the metrics' HELP line
};

inline constexpr link_counter_field kLinkCounterFields[] = {
    {"retransmissions", &link_counters::retransmissions,
     "Segments sent again after a retransmission timeout (lost, or into a healed cut)."},
    {"duplicates_discarded", &link_counters::duplicates_discarded,
     "Duplicated segments the receiving stream discarded."},
    {"reordered", &link_counters::reordered, "Segments that arrived late (reordering)."},
    {"head_of_line_waits", &link_counters::head_of_line_waits,
     "Frames that arrived before an older one and waited for it (TCP's in-order delivery)."},
    {"partition_stalls", &link_counters::partition_stalls,
     "Frames that waited in a cut direction for it to heal."},
    {"connection_timeouts", &link_counters::connection_timeouts,
     "Times the sending end gave up on unacknowledged data and broke the connection."},
    {"data_payload_bytes", &link_counters::data_payload_bytes,
     "Bytes of replicated application writes (data messages)."},
    {"resync_payload_bytes", &link_counters::resync_payload_bytes,
     "Bytes of resync data (rs_data_reply messages)."},
};

inline std::optional<std::uint64_t> link_counter(const link_counters& c, std::string_view name) {
  for (const link_counter_field& f : kLinkCounterFields) {
    if (f.name == name) return c.*f.field;
  }
  return std::nullopt;
}

}  // namespace tandem::sim
