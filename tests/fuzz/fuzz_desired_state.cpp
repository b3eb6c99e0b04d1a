// The satellite's decoders of the controller's desired_state and desired_state_delta messages on
// arbitrary text: they never throw or crash, an error always names something, and what they
// accept stays within the protocol's limits (node ids, ports, hex day-0 generations), so nothing
// downstream sees an out-of-range value. An accepted delta patches a known state the same way
// through the satellite's tracker as through apply_desired_state_delta, applying it twice changes
// nothing more, and diff/apply rebuild the patched state.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/cluster/desired_state_delta.h"
#include "engine/satellite/desired_state_codec.h"
#include "engine/satellite/desired_state_tracker.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;

namespace {

void check_within_limits(const std::vector<cluster::desired_resource>& resources) {
  for (const auto& r : resources) {
    TANDEM_FUZZ_CHECK(r.node_id <= 31 && r.peer_slots <= 31);
    TANDEM_FUZZ_CHECK(r.day0_uuid.size() <= 16);
    for (const auto& n : r.nodes) TANDEM_FUZZ_CHECK(n.node_id <= 31);
    for (const auto& v : r.volumes) TANDEM_FUZZ_CHECK(v.size_kib <= (std::uint64_t{1} << 50));
  }
}

// The state a delta patches: generation 1, as in corpus/fuzz_desired_state/delta_*.json.
const nlohmann::json& base_message() {
  static const nlohmann::json base = nlohmann::json::parse(R"({"type":"desired_state",
    "generation":1,"node_name":"alpha","pools":[{"name":"pool1","kind":"FILE_THIN",
    "source":"/srv/pool1"}],"resources":[
      {"name":"res1","node_id":0,"port":7000,"secret":"s","volumes":[{"number":0,"size_kib":1024}]},
      {"name":"res2","node_id":1,"port":7001,"secret":"t"}]})");
  return base;
}

void fuzz_full_state(const nlohmann::json& message) {
  const auto decoded = satellite::decode_desired_state(message);
  if (const auto* why = std::get_if<std::string>(&decoded)) {
    TANDEM_FUZZ_CHECK(!why->empty());
    return;
  }
  const auto& state = std::get<satellite::decoded_state>(decoded).state;
  TANDEM_FUZZ_CHECK(!state.node_name.empty() || message.at("node_name").get<std::string>().empty());
  check_within_limits(state.resources);
  // Decoding is a function of the message.
  const auto again = satellite::decode_desired_state(message);
  TANDEM_FUZZ_CHECK(std::get<satellite::decoded_state>(again).state == state);
}

void fuzz_delta(const nlohmann::json& message) {
  const auto decoded = satellite::decode_desired_state_delta(message);
  if (const auto* why = std::get_if<std::string>(&decoded)) {
    TANDEM_FUZZ_CHECK(!why->empty());
    return;
  }
  const auto& delta = std::get<satellite::decoded_delta>(decoded);
  check_within_limits(delta.delta.changed_resources);

  satellite::desired_state_tracker tracker;
  const auto first = tracker.accept(base_message());
  const auto& base = std::get<satellite::desired_state_tracker::converge>(first).state;
  const cluster::node_desired_state patched =
      cluster::apply_desired_state_delta(base.state, delta.delta);
  const auto outcome = tracker.accept(message);
  if (delta.base_generation == base.generation) {
    const auto& got = std::get<satellite::desired_state_tracker::converge>(outcome).state;
    TANDEM_FUZZ_CHECK(got.generation == delta.generation && got.state == patched);
  } else {
    TANDEM_FUZZ_CHECK(
        std::holds_alternative<satellite::desired_state_tracker::ask_for_full_state>(outcome));
  }
  TANDEM_FUZZ_CHECK(cluster::apply_desired_state_delta(patched, delta.delta) == patched);
  TANDEM_FUZZ_CHECK(cluster::apply_desired_state_delta(
                        base.state, cluster::diff_desired_states(base.state, patched)) == patched);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto message =
      nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) return 0;
  // Both decoders see every input: each must refuse the other's type by name.
  fuzz_full_state(message);
  fuzz_delta(message);
  return 0;
}
