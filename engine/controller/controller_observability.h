// tandem-controller's observability: GET /metrics (LINSTOR's controller exporter names, extras as
// tandem_*; docs/metrics.md) and GET /v1/events (controller-level state changes derived from the
// satellites' reports; docs/rest-api.md). Both are served on the REST listener.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "core/cluster/model.h"
#include "engine/api/http_types.h"
#include "engine/metrics/histogram.h"

namespace tandem::controller {

// A bounded log of controller-level events, each with a sequence number clients poll from.
class controller_events {
 public:
  static constexpr std::size_t kMaxEvents = 10'000;

  // The flat state a node's reports imply ("resource r0 on n1: role" -> "Primary", ...), taken
  // before and after a report; every difference becomes a "change" event.
  using flat_state = std::map<std::string, std::pair<std::string, std::string>>;
  static flat_state node_state(const cluster::cluster& c, const std::string& node_name);
  void record_changes(const std::string& node_name, const flat_state& before,
                      const flat_state& after, std::uint64_t now_ms);
  void record_node(const std::string& node_name, std::string_view status, std::uint64_t now_ms);

  // Events with sequence > since, as {"events": [...], "next": N} (next = the since to poll with).
  std::string json_since(std::uint64_t since, std::size_t limit) const;
  std::uint64_t last_sequence() const { return next_sequence_ - 1; }

 private:
  void record_changes_of(std::string_view kind, const std::string& node_name,
                         const flat_state& before, const flat_state& after, std::uint64_t now_ms);
  void push(std::string json_object_without_seq);
  std::deque<std::pair<std::uint64_t, std::string>> events_;
  std::uint64_t next_sequence_ = 1;
};

struct controller_stats {
  std::uint64_t scrapes = 0;
  std::map<std::string, metrics::histogram> request_duration;  // by HTTP method
};

std::string render_controller_metrics(const cluster::cluster& c, const controller_stats& stats,
                                      std::uint64_t error_count);

// /metrics and /v1/events, or nullopt for every other path.
std::optional<api::http_response> observability_route(const api::http_request& request,
                                                      const cluster::cluster& c,
                                                      controller_stats& stats,
                                                      const controller_events& events,
                                                      std::uint64_t error_count);

}  // namespace tandem::controller
