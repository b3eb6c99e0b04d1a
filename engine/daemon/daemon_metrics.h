// The text of tandemd's GET /metrics: a few daemon-wide series plus every resource's
// (engine/metrics/replica_metrics.h). docs/metrics.md lists them all.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace tandem::engine {

class resource_driver;

std::string render_daemon_metrics(
    const std::string& node_name,
    const std::map<std::string, std::unique_ptr<resource_driver>>& resources,
    std::uint64_t fixed_disk_requests);

}  // namespace tandem::engine
