// The JSON messages of docs/satellite-protocol.md, controller side: encoding hello, the desired
// state and its deltas, and applying a satellite's status report to the model's runtime fields.
// Pure (no sockets), so the unit tests cover every field.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/cluster/desired_state.h"
#include "core/cluster/desired_state_delta.h"
#include "core/cluster/model.h"

namespace tandem::controller {

// 2: desired_state_delta after the first full state (engine/satellite kProtocolVersion).
inline constexpr int kSatelliteProtocolVersion = 2;

nlohmann::json hello_message(const std::string& node_name);
nlohmann::json desired_state_message(const cluster::node_desired_state& state,
                                     std::uint64_t generation);
// The changes that turn the state of `base_generation` into that of `generation`.
nlohmann::json desired_state_delta_message(const cluster::desired_state_delta& delta,
                                           std::uint64_t base_generation, std::uint64_t generation);

// Applies a "status" message from node `node_name`: pool capacities, resource roles, disk and
// replication states. Resources the report does not mention lose their old report. Returns true
// when a persisted value (a pool capacity, a day-0 flag) changed. Throws std::runtime_error naming the field
// when the message is malformed.
bool apply_status(cluster::cluster& c, const std::string& node_name, const nlohmann::json& status,
                  std::uint64_t now_ms);

// Applies an "applied" message from node `node_name`: its errors become the reports of the volumes
// they name (an error without a volume goes to every volume of its resource); volumes of the node
// that the message does not name lose their old errors. Node-level errors (no resource) are only
// logged by the caller. Never throws: odd entries are skipped.
void apply_applied(cluster::cluster& c, const std::string& node_name,
                   const nlohmann::json& applied);

// Forgets everything node `node_name` reported (its satellite went away).
void clear_reports(cluster::cluster& c, const std::string& node_name);

}  // namespace tandem::controller
