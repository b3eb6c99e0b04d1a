// SQLite implementation of cluster_store: one file, WAL journal with synchronous=FULL (a commit
// that returned survives a crash of the process or the machine), schema versioned in
// schema_version and migrated step by step at open.
#include <sqlite3.h>

#include <functional>
#include <vector>

#include "engine/db/model_codec.h"
#include "engine/db/store.h"

namespace tandem::db {

namespace {

// Migration N takes the schema from version N-1 to N. Append, never edit.
const std::vector<const char*> kMigrations = {
    // 1: one row per object, JSON body (engine/db/model_codec.cpp is the format).
    "CREATE TABLE objects (kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, "
    "PRIMARY KEY (kind, key)) WITHOUT ROWID;",
};

class statement {
 public:
  statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw store_error(std::string("sqlite prepare failed: ") + sqlite3_errmsg(db));
    }
  }
  ~statement() { sqlite3_finalize(stmt_); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  void bind(int index, const std::string& text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw store_error(std::string("sqlite step failed: ") + sqlite3_errmsg(db_));
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string column_text(int index) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
    return text == nullptr ? std::string() : std::string(text);
  }
  int column_int(int index) { return sqlite3_column_int(stmt_, index); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class sqlite_store final : public cluster_store {
 public:
  explicit sqlite_store(const std::string& path) : path_(path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw store_error("cannot open database '" + path + "': " + why);
    }
    try {
      sqlite3_busy_timeout(db_, 5000);
      exec("PRAGMA journal_mode=WAL;");
      exec("PRAGMA synchronous=FULL;");
      migrate();
    } catch (...) {
      // The destructor does not run for a throwing constructor.
      sqlite3_close(db_);
      db_ = nullptr;
      throw;
    }
  }
  ~sqlite_store() override { sqlite3_close(db_); }

  cluster::cluster load() override {
    object_rows rows;
    statement select(db_, "SELECT kind, key, body FROM objects;");
    while (select.step()) {
      rows[{select.column_text(0), select.column_text(1)}] = select.column_text(2);
    }
    if (rows.empty()) {
      cluster::cluster fresh = cluster::initial_cluster();
      last_ = cluster::cluster{};
      commit(fresh);
      return fresh;
    }
    cluster::cluster loaded;
    try {
      loaded = decode_cluster(rows);
    } catch (const std::exception& e) {
      throw store_error("database '" + path_ + "': " + e.what());
    }
    stored_ = std::move(rows);
    last_ = loaded;
    return loaded;
  }

  void commit(const cluster::cluster& next) override {
    // Only objects that differ from the last committed value are encoded and compared with the
    // stored row: a mutation touches a few objects, the model holds thousands. last_ catches up
    // in the same pass, so a failed transaction restores it from the stored rows.
    object_rows candidates;
    std::vector<std::pair<std::string, std::string>> removed;
    catch_up(last_, next, candidates, removed);
    object_rows changed;
    for (auto& [id, body] : candidates) {
      auto old = stored_.find(id);
      if (old == stored_.end() || old->second != body) changed[id] = std::move(body);
    }
    if (changed.empty() && removed.empty()) return;
    try {
      exec("BEGIN IMMEDIATE;");
      statement upsert(db_,
                       "INSERT INTO objects (kind, key, body) VALUES (?1, ?2, ?3) "
                       "ON CONFLICT (kind, key) DO UPDATE SET body = excluded.body;");
      statement remove(db_, "DELETE FROM objects WHERE kind = ?1 AND key = ?2;");
      for (const auto& [id, body] : changed) {
        upsert.bind(1, id.first);
        upsert.bind(2, id.second);
        upsert.bind(3, body);
        upsert.step();
        upsert.reset();
      }
      for (const auto& id : removed) {
        remove.bind(1, id.first);
        remove.bind(2, id.second);
        remove.step();
        remove.reset();
      }
      exec("COMMIT;");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
      last_ = decode_cluster(stored_);
      throw;
    }
    for (auto& [id, body] : changed) stored_[id] = std::move(body);
    for (const auto& id : removed) stored_.erase(id);
  }

  int schema_version() const override { return version_; }

 private:
  void exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string why = error ? error : "unknown error";
      sqlite3_free(error);
      throw store_error("database '" + path_ + "': " + why + " (in: " + sql + ")");
    }
  }

  void migrate() {
    exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);");
    {
      statement select(db_, "SELECT version FROM schema_version;");
      version_ = select.step() ? select.column_int(0) : 0;
    }
    const int newest = static_cast<int>(kMigrations.size());
    if (version_ > newest) {
      throw store_error("database '" + path_ + "' has schema version " + std::to_string(version_) +
                        ", newer than this controller's " + std::to_string(newest) +
                        ": upgrade the controller");
    }
    while (version_ < newest) {
      exec("BEGIN IMMEDIATE;");
      try {
        exec(kMigrations[static_cast<std::size_t>(version_)]);
        exec("DELETE FROM schema_version;");
        const std::string set =
            "INSERT INTO schema_version (version) VALUES (" + std::to_string(version_ + 1) + ");";
        exec(set.c_str());
        exec("COMMIT;");
      } catch (...) {
        sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
        throw;
      }
      ++version_;
    }
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  cluster::cluster last_;  // the model the stored rows encode (runtime fields aside)
  int version_ = 0;
  object_rows stored_;
};

}  // namespace

std::unique_ptr<cluster_store> open_sqlite_store(const std::string& path) {
  return std::make_unique<sqlite_store>(path);
}

}  // namespace tandem::db
