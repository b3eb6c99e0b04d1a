// The satellite's desired_state decoder on arbitrary text: it never throws or crashes, an error
// always names something, and what it accepts stays within the protocol's limits (node ids, ports,
// hex day-0 generations), so nothing downstream sees an out-of-range value.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/satellite/desired_state_codec.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto message = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) return 0;
  const auto decoded = satellite::decode_desired_state(message);
  if (const auto* why = std::get_if<std::string>(&decoded)) {
    TANDEM_FUZZ_CHECK(!why->empty());
    return 0;
  }
  const auto& state = std::get<satellite::decoded_state>(decoded).state;
  TANDEM_FUZZ_CHECK(!state.node_name.empty() || message.at("node_name").get<std::string>().empty());
  for (const auto& r : state.resources) {
    TANDEM_FUZZ_CHECK(r.node_id <= 31 && r.peer_slots <= 31);
    TANDEM_FUZZ_CHECK(r.day0_uuid.size() <= 16);
    for (const auto& n : r.nodes) TANDEM_FUZZ_CHECK(n.node_id <= 31);
    for (const auto& v : r.volumes) TANDEM_FUZZ_CHECK(v.size_kib <= (std::uint64_t{1} << 50));
  }
  // Decoding is a function of the message.
  const auto again = satellite::decode_desired_state(message);
  TANDEM_FUZZ_CHECK(std::get<satellite::decoded_state>(again).state == state);
  return 0;
}
