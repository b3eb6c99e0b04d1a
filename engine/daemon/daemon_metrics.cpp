#include "engine/daemon/daemon_metrics.h"

#include <chrono>

#include "engine/daemon/resource_driver.h"
#include "engine/io/buffer_arena.h"
#include "engine/metrics/exposition.h"
#include "engine/metrics/replica_metrics.h"

namespace tandem::engine {

namespace {
// The daemon's version, as tandem-controller reports its own (engine/api/rest_api.h).
constexpr const char* kTandemdVersion = "0.1.0";
}  // namespace

std::string render_daemon_metrics(
    const std::string& node_name,
    const std::map<std::string, std::unique_ptr<resource_driver>>& resources,
    std::uint64_t fixed_disk_requests) {
  // The scrape reports its own collection time (all but the final concatenation of the text).
  const auto started = std::chrono::steady_clock::now();
  metrics::exposition out;
  out.declare("tandem_info", metrics::metric_type::gauge,
              "tandemd's version and node name, value 1.");
  out.declare("drbd_resource_resources", metrics::metric_type::gauge,
              "Resources up on this node.");
  out.declare("tandem_scrape_duration_seconds", metrics::metric_type::gauge,
              "Time spent collecting this scrape's samples.");
  out.declare("tandem_disk_fixed_requests_total", metrics::metric_type::counter,
              "Disk reads and writes submitted on registered buffers (no per-request page "
              "pinning).");
  out.declare("tandem_buffer_arena_allocated_bytes", metrics::metric_type::gauge,
              "I/O buffer arena bytes in use (payloads in flight).");
  metrics::declare_replica_families(out);
  out.add("tandem_info", {{"version", kTandemdVersion}, {"node", node_name}}, 1);
  out.add("drbd_resource_resources", {{"node", node_name}},
          static_cast<double>(resources.size()));
  out.add("tandem_disk_fixed_requests_total", {{"node", node_name}},
          static_cast<double>(fixed_disk_requests));
  out.add("tandem_buffer_arena_allocated_bytes", {{"node", node_name}},
          static_cast<double>(buffer_arena::instance().allocated_bytes()));
  for (const auto& [name, resource] : resources) resource->write_metrics(out);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out.add("tandem_scrape_duration_seconds", {{"node", node_name}}, seconds);
  return out.text();
}

}  // namespace tandem::engine
