// The model in LINSTOR's REST JSON shapes (research/linstor.md §2.3), and ApiCallRc lists, as
// nlohmann trees. Resources and volumes, listed by the thousand, are written as text instead
// (resource_view.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/cluster/api_codes.h"
#include "core/cluster/model.h"

namespace tandem::api {

nlohmann::json to_json(const cluster::api_call_rcs& rcs);

// The text of a response body. Messages may quote a path or a value the client sent; invalid
// UTF-8 in them becomes U+FFFD instead of an exception (found by fuzz_rest_request:
// GET /v1/resource-definitions/%FF).
std::string response_text(const nlohmann::json& body);
// What the satellite could not do for a volume, as LINSTOR's volume reports (ApiCallRcs).
cluster::api_call_rcs volume_reports(const cluster::resource& r, const cluster::volume& v);
nlohmann::json node_json(const cluster::node& n);
nlohmann::json pool_json(const cluster::storage_pool& p);
nlohmann::json filter_json(const cluster::select_filter& f);
nlohmann::json group_json(const cluster::resource_group& g);
nlohmann::json volume_group_json(const cluster::volume_group& vg);
nlohmann::json volume_definition_json(const cluster::volume_definition& vd);
nlohmann::json definition_json(const cluster::resource_definition& rd, bool with_volumes);
nlohmann::json snapshot_json(const cluster::cluster& c, const cluster::snapshot& s);

}  // namespace tandem::api
