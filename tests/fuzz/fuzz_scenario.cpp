// The simulator's scenario loader (sim/scenario_parse*: TOML into a scenario) on arbitrary text.
// Properties: it never throws or crashes; a refusal names the file and a line
// ("fuzz.toml:<line>: <what>"); loading is a function of the text (the same text gives the same
// answer); an accepted scenario's time ranges resolve for any seed without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/scenario.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const sim::scenario_load first = sim::parse_scenario(text, "fuzz.toml");
  const sim::scenario_load again = sim::parse_scenario(text, "fuzz.toml");
  TANDEM_FUZZ_CHECK(first.value.has_value() == again.value.has_value());
  if (!first.value) {
    TANDEM_FUZZ_CHECK(first.error.rfind("fuzz.toml:", 0) == 0);
    TANDEM_FUZZ_CHECK(first.error == again.error);
    return 0;
  }
  TANDEM_FUZZ_CHECK(first.error.empty());
  const sim::scenario& s = *first.value;
  TANDEM_FUZZ_CHECK(s.name == again.value->name && s.timeline.size() == again.value->timeline.size());
  for (std::uint64_t seed : {std::uint64_t{1}, s.seed, ~std::uint64_t{0}}) {
    const sim::scenario resolved = sim::resolve_ranges(s, seed);
    TANDEM_FUZZ_CHECK(resolved.timeline.size() == s.timeline.size());
  }
  return 0;
}
