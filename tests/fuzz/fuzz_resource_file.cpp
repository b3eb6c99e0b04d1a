// tandemd's resource-file parser (engine/daemon/resource_file: one TOML file per resource) on
// arbitrary text. Properties: it answers with a definition or a std::runtime_error whose message
// starts with the file's name (never another exception type, never a crash); what it accepts
// keeps the format's invariants (unique node ids 0..31 and names, unique volume numbers 0..63, a
// disk per volume on every diskful node that lists its disks); parsing is a function of the text; and the core's
// configuration can be derived for every node of an accepted file.
#include <cstddef>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/daemon/resource_file.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;

namespace {

void check_accepted(const engine::resource_definition& d) {
  TANDEM_FUZZ_CHECK(!d.name.empty());
  std::set<unsigned> ids;
  std::set<std::string> names;
  for (const auto& node : d.nodes) {
    TANDEM_FUZZ_CHECK(node.id <= 31);
    TANDEM_FUZZ_CHECK(ids.insert(node.id).second);
    TANDEM_FUZZ_CHECK(names.insert(node.name).second);
    // Another node's disks may be left out (only the local node's are used).
    if (!node.diskless && !node.disks.empty()) {
      TANDEM_FUZZ_CHECK(node.disks.size() == d.volumes.size());
    }
  }
  std::set<unsigned> numbers;
  for (const auto& volume : d.volumes) {
    TANDEM_FUZZ_CHECK(volume.number <= 63);
    TANDEM_FUZZ_CHECK(numbers.insert(volume.number).second);
  }
  std::vector<std::uint64_t> sizes;
  for (const auto& volume : d.volumes) {
    sizes.push_back(volume.size_bytes != 0 ? volume.size_bytes : std::uint64_t{1} << 20);
  }
  for (const auto& node : d.nodes) {
    const replica_config config = engine::replica_config_for(d, node, sizes, 1);
    TANDEM_FUZZ_CHECK(config.self == node.id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string first_error;
  try {
    const engine::resource_definition d = engine::parse_resource_text(text, "fuzz.toml");
    check_accepted(d);
    const engine::resource_definition again = engine::parse_resource_text(text, "fuzz.toml");
    TANDEM_FUZZ_CHECK(again.name == d.name && again.nodes.size() == d.nodes.size() &&
                      again.volumes.size() == d.volumes.size());
    return 0;
  } catch (const std::runtime_error& e) {
    first_error = e.what();
  }
  TANDEM_FUZZ_CHECK(first_error.rfind("fuzz.toml", 0) == 0);
  try {
    engine::parse_resource_text(text, "fuzz.toml");
    TANDEM_FUZZ_CHECK(false);  // accepted the second time
  } catch (const std::runtime_error& e) {
    TANDEM_FUZZ_CHECK(first_error == e.what());
  }
  return 0;
}
