// Lenient JSON request parsing as LINSTOR clients need it (research/linstor.md §0.5): numbers may
// arrive as strings ("place_count": "2"), booleans as "true"/"True", enums in any case. Every
// helper throws bad_request with a message naming the field.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/cluster/model.h"
#include "core/cluster/operations.h"

namespace tandem::api {

class bad_request : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses a body; an empty body is an empty object. Throws bad_request on invalid JSON.
nlohmann::json parse_body(const std::string& body);
// parse_body, and the result must be a JSON object.
nlohmann::json parse_object(const std::string& body);

std::optional<std::uint64_t> get_u64(const nlohmann::json& j, const char* key);
std::optional<bool> get_bool(const nlohmann::json& j, const char* key);
std::optional<std::string> get_string(const nlohmann::json& j, const char* key);
std::vector<std::string> get_strings(const nlohmann::json& j, const char* key);
cluster::props get_props(const nlohmann::json& j, const char* key);
cluster::props_change get_props_change(const nlohmann::json& j);
cluster::select_filter get_filter(const nlohmann::json& j);

// Query booleans: True/False/true/false/1/0; absent -> fallback.
bool query_bool(const std::multimap<std::string, std::string>& query, const std::string& key,
                bool fallback);
std::vector<std::string> query_all(const std::multimap<std::string, std::string>& query,
                                   const std::string& key);

}  // namespace tandem::api
