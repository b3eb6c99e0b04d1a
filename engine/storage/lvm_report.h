// Parsers for lvm2's JSON reports ("vgs/lvs --reportformat json --units b --nosuffix -o ..."), and
// the mapping of lvm2's error messages onto error kinds. Pure functions, tested against output
// recorded from real lvm2 2.03.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/storage/storage_result.h"

namespace tandem::storage {

struct lvm_vg_row {
  std::string name;
  std::uint64_t extent_size_bytes = 0;
  std::uint64_t size_bytes = 0;
  std::uint64_t free_bytes = 0;
};

struct lvm_lv_row {
  std::string name;
  std::string vg_name;
  std::uint64_t size_bytes = 0;
  std::string attr;                    // "-wi-a-----", "twi-aotz--", "Vwi-a-tz-k", ...
  std::string pool_lv;                 // thin pool of a thin volume, else empty
  std::string origin;                  // origin of a snapshot, else empty
  std::optional<double> data_percent;  // thin pools and thin volumes only

  // lv_attr position 10 is 'k' when activation is skipped: LINSTOR's (and our) thin snapshots.
  bool activation_skipped() const { return attr.size() >= 10 && attr[9] == 'k'; }
  // lv_attr position 1: 't' thin pool, 'V' thin volume, '-' plain linear/striped volume.
  char type() const { return attr.empty() ? '?' : attr[0]; }
};

// The -o fields these parsers expect, in one place so command and parser cannot drift apart.
inline constexpr const char* kVgsFields = "vg_name,vg_extent_size,vg_size,vg_free";
inline constexpr const char* kLvsFields =
    "lv_name,vg_name,lv_size,lv_attr,pool_lv,origin,data_percent";

result<std::vector<lvm_vg_row>> parse_vgs_report(const std::string& json_text);
result<std::vector<lvm_lv_row>> parse_lvs_report(const std::string& json_text);

// Error kind for a failed lvm2 command from its stderr: "not found" -> not_found, "insufficient
// free space" -> insufficient_space, "already exists" -> already_exists, else command_failed.
error_kind classify_lvm_failure(const std::string& message);

}  // namespace tandem::storage
