// The database's storage format of the cluster model: one JSON document per object. Only what
// must survive a restart is encoded: satellite reports (roles, disk states, connection status)
// are runtime values and never stored; pool capacities are stored as the last known values
// because the autoplacer needs them before satellites report again.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/cluster/model.h"

namespace tandem::db {

// (kind, key) -> JSON text: "node", "pool", "group", "definition", "resource", "snapshot",
// "controller". Keys are the model's map keys ("a", "a/b" for pair keys).
using object_rows = std::map<std::pair<std::string, std::string>, std::string>;

object_rows encode_cluster(const cluster::cluster& c);

// Brings `last` up to `next` (assign_changed: only what differs is copied) and collects the
// rows that changed: each object that differs (operator==), encoded, and the (kind, key) of
// each object `next` no longer has.
void catch_up(cluster::cluster& last, const cluster::cluster& next, object_rows& changed,
              std::vector<std::pair<std::string, std::string>>& removed);
// Throws std::runtime_error naming the row that does not decode.
cluster::cluster decode_cluster(const object_rows& rows);

}  // namespace tandem::db
