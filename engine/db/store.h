// The controller's persistent store. The whole model is loaded once at startup; after that every
// API mutation commits the new model value in ONE transaction (only the objects that changed are
// written). A failed commit leaves the database at the previous value and throws store_error;
// the controller then keeps its previous in-memory value too.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "core/cluster/model.h"

namespace tandem::db {

class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class cluster_store {
 public:
  virtual ~cluster_store() = default;
  // The stored model; a fresh database yields cluster::initial_cluster() (and stores it).
  virtual cluster::cluster load() = 0;
  // Makes `next` the stored value, atomically.
  virtual void commit(const cluster::cluster& next) = 0;
  // Schema version of the open database.
  virtual int schema_version() const = 0;
};

// Opens (creating if needed) an SQLite database file and migrates it to the newest schema.
// Throws store_error naming the path and the problem.
std::unique_ptr<cluster_store> open_sqlite_store(const std::string& path);

inline constexpr int kSchemaVersion = 1;

}  // namespace tandem::db
