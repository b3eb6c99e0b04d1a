#include "sim/metrics_links.h"

#include <string>

#include "sim/link_counter_names.h"

namespace tandem::sim {
namespace {

constexpr std::string_view kMessagesFamily = "tandem_sim_link_messages_total";

std::string family_of(const link_counter_field& f) {
  return "tandem_sim_link_" + std::string(f.name) + "_total";
}

bool carried_anything(const link_counters& counters) {
  if (!counters.messages.empty()) return true;
  for (const link_counter_field& f : kLinkCounterFields) {
    if (counters.*f.field != 0) return true;
  }
  return false;
}

}  // namespace

void declare_link_families(metrics::exposition& out) {
  for (const link_counter_field& f : kLinkCounterFields) {
    out.declare(family_of(f), metrics::metric_type::counter, f.help);
  }
  out.declare(kMessagesFamily, metrics::metric_type::counter,
              "Frames handed to the link, by message type (label type).");
}

void write_link_metrics(metrics::exposition& out, const cluster& c, std::string_view resource) {
  for (int from = 0; from < c.node_count(); ++from) {
    if (!c.is_up(static_cast<node_id>(from))) continue;
    const std::string node = "n" + std::to_string(from);
    for (int to = 0; to < c.node_count(); ++to) {
      if (to == from) continue;
      const link_counters& counters =
          c.counters(static_cast<node_id>(from), static_cast<node_id>(to));
      if (!carried_anything(counters)) continue;
      const std::string peer = "n" + std::to_string(to);
      const std::string peer_id = std::to_string(to);
      const metrics::label_list labels = {
          {"node", node}, {"name", resource}, {"conn_name", peer}, {"peer_node_id", peer_id}};
      for (const link_counter_field& f : kLinkCounterFields) {
        out.add(family_of(f), labels, static_cast<double>(counters.*f.field));
      }
      for (const auto& [type, count] : counters.messages) {
        out.add(kMessagesFamily,
                {{"node", node},
                 {"name", resource},
                 {"conn_name", peer},
                 {"peer_node_id", peer_id},
                 {"type", wire::name_of(type)}},
                static_cast<double>(count));
      }
    }
  }
}

}  // namespace tandem::sim
