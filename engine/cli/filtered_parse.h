// JSON parsed into an nlohmann tree without the members a view never reads. nlohmann's own
// parser callback builds a member before it drops it; at 10 000 resources building and freeing
// what `tandem r l` does not show was most of its time.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace tandem::cli {

// Whether to keep the member `key` of an object `depth` containers deep (the answer itself is
// depth 0, an object in a top-level array depth 1).
using member_filter = bool (*)(int depth, std::string_view key);

// The tree of `text` without the members `keep` refuses; nullopt when text is not JSON.
std::optional<nlohmann::json> parse_keeping(std::string_view text, member_filter keep);

}  // namespace tandem::cli
