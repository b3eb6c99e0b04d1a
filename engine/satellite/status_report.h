// The satellite's status message (docs/satellite-protocol.md §4.2), built from tandemd's
// `status json` answer and what the storage pools hold. Pure, so every mapping is unit-tested.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tandem::satellite {

struct pool_fact {
  std::string name;
  std::uint64_t free_kib = 0;
  std::uint64_t total_kib = 0;
  std::string error;  // non-empty: the pool's source is unusable
};

struct storage_facts {
  std::vector<pool_fact> pools;  // DISKLESS pools are not listed
  std::map<std::pair<std::string, std::uint32_t>, std::uint64_t> allocated_kib;  // (res, vol)
  std::map<std::string, std::set<std::string>> snapshots;  // resource -> snapshot names
};

// Only resources tandemd reports are listed: a resource that is not up has no replication state.
// A tandemd answer with unexpected shapes yields "Unknown"/"DUnknown" fields, never an exception.
nlohmann::json status_message(const storage_facts& storage, const nlohmann::json& tandemd_resources);

}  // namespace tandem::satellite
