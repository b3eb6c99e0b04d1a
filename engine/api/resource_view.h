// Resources and their volumes in LINSTOR's REST shape (research/linstor.md §2.3), written as JSON
// text: `GET /v1/view/resources` lists every resource of the cluster (10 000 and more), and
// building them as nlohmann trees first dominated serving it. The text equals what the tree
// version wrote (tests/engine/api/test_resource_view.cpp keeps that tree as the reference).
#pragma once

#include "core/cluster/model.h"
#include "engine/api/json_writer.h"

namespace tandem::api {

void write_resource(json_writer& out, const cluster::cluster& c, const cluster::resource& r);
void write_volume(json_writer& out, const cluster::cluster& c, const cluster::resource& r,
                  const cluster::volume& v);

}  // namespace tandem::api
