// The model in LINSTOR's REST JSON shapes (research/linstor.md §2.3), and ApiCallRc lists.
#pragma once

#include <nlohmann/json.hpp>

#include "core/cluster/api_codes.h"
#include "core/cluster/model.h"

namespace tandem::api {

nlohmann::json to_json(const cluster::api_call_rcs& rcs);
nlohmann::json node_json(const cluster::node& n);
nlohmann::json pool_json(const cluster::storage_pool& p);
nlohmann::json filter_json(const cluster::select_filter& f);
nlohmann::json group_json(const cluster::resource_group& g);
nlohmann::json volume_group_json(const cluster::volume_group& vg);
nlohmann::json volume_definition_json(const cluster::volume_definition& vd);
nlohmann::json definition_json(const cluster::resource_definition& rd, bool with_volumes);
nlohmann::json volume_json(const cluster::cluster& c, const cluster::resource& r,
                           const cluster::volume& v);
nlohmann::json resource_json(const cluster::cluster& c, const cluster::resource& r);
nlohmann::json snapshot_json(const cluster::cluster& c, const cluster::snapshot& s);

}  // namespace tandem::api
