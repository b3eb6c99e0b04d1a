#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/cluster/operations.h"
#include "engine/db/store.h"

using namespace tandem;
namespace cl = tandem::cluster;

namespace {

struct temp_db {
  std::filesystem::path path;
  temp_db() {
    path =
        std::filesystem::temp_directory_path() / ("tandem-db-test-" + std::to_string(::getpid()) +
                                                  "-" + std::to_string(counter++) + ".sqlite");
    remove();
  }
  ~temp_db() { remove(); }
  void remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path.string() + suffix);
    }
  }
  static inline int counter = 0;
};

cl::op_env env() {
  cl::op_env e;
  e.now_ms = 42;
  e.new_uuid = [n = 0]() mutable { return "u" + std::to_string(++n); };
  e.new_secret = [] { return std::string("s3cret"); };
  return e;
}

cl::cluster populated() {
  cl::cluster c = cl::initial_cluster();
  const cl::op_env e = env();
  for (int i = 0; i < 3; ++i) {
    cl::node n;
    n.name = "node" + std::to_string(i);
    n.net_interfaces.push_back(
        {"default", "127.0.0." + std::to_string(2 + i), 3366, "PLAIN", true});
    n.properties["Aux/site"] = "dc" + std::to_string(i);
    cl::create_node(c, e, n);
    cl::storage_pool p;
    p.node_name = n.name;
    p.name = "pool1";
    p.kind = cl::pool_kind::file_thin;
    p.properties["StorDriver/StorPoolName"] = "/srv/pool1";
    cl::create_storage_pool(c, e, p);
    c.find_pool(n.name, "pool1")->free_capacity_kib = 1ULL << 30;
    c.find_node(n.name)->connection = cl::connection_status::online;
  }
  cl::resource_group rg;
  rg.name = "rg1";
  rg.filter.place_count = 2;
  rg.filter.replicas_on_different = {"Aux/site"};
  rg.filter.provider_list = {cl::pool_kind::file_thin};
  cl::create_resource_group(c, e, rg);
  cl::create_volume_group(c, e, "rg1", std::nullopt, {});
  cl::spawn_request spawn;
  spawn.definition = "res1";
  spawn.volume_sizes_kib = {1048576};
  REQUIRE_FALSE(cl::has_error(cl::spawn(c, e, "rg1", spawn)));
  REQUIRE_FALSE(cl::has_error(cl::create_snapshot(c, e, "res1", "snap1", {})));
  return c;
}

// Runtime-only fields are not stored; clear them for comparisons.
cl::cluster without_runtime(cl::cluster c) {
  for (auto& [k, n] : c.nodes) n.connection = cl::connection_status::offline;
  for (auto& [k, r] : c.resources) {
    r.reported.reset();
    for (cl::volume& v : r.volumes) v.reported.reset();
  }
  return c;
}

}  // namespace

TEST_CASE("a fresh database holds the initial cluster and schema version 1") {
  temp_db db;
  auto store = db::open_sqlite_store(db.path.string());
  CHECK(store->schema_version() == db::kSchemaVersion);
  CHECK(store->load() == cl::initial_cluster());
}

TEST_CASE("commit then reopen gives back exactly the committed model") {
  temp_db db;
  const cl::cluster c = populated();
  {
    auto store = db::open_sqlite_store(db.path.string());
    store->load();
    store->commit(c);
  }
  auto reopened = db::open_sqlite_store(db.path.string());
  CHECK(reopened->load() == without_runtime(c));
}

TEST_CASE("deletes and changes are stored and survive a reopen") {
  temp_db db;
  cl::cluster c = populated();
  auto store = db::open_sqlite_store(db.path.string());
  store->load();
  store->commit(c);
  const cl::op_env e = env();
  REQUIRE_FALSE(cl::has_error(cl::delete_snapshot(c, "res1", "snap1")));
  REQUIRE_FALSE(cl::has_error(cl::delete_resource_definition(c, "res1")));
  cl::props_change change;
  change.override_props["Aux/x"] = "y";
  REQUIRE_FALSE(cl::has_error(cl::modify_controller_props(c, change)));
  store->commit(c);
  auto reopened = db::open_sqlite_store(db.path.string());
  const cl::cluster back = reopened->load();
  CHECK(back == without_runtime(c));
  CHECK(back.definitions.empty());
  CHECK(back.resources.empty());
  CHECK(back.controller_properties.at("Aux/x") == "y");
}

TEST_CASE("a commit writes only the rows of objects that changed") {
  temp_db db;
  cl::cluster c = populated();
  auto store = db::open_sqlite_store(db.path.string());
  store->load();
  store->commit(c);
  // Count row writes with triggers installed behind the store's back.
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.path.string().c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw,
                       "CREATE TABLE writes (n INTEGER);"
                       "CREATE TRIGGER count_insert AFTER INSERT ON objects "
                       "BEGIN INSERT INTO writes VALUES (1); END;"
                       "CREATE TRIGGER count_update AFTER UPDATE ON objects "
                       "BEGIN INSERT INTO writes VALUES (1); END;",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  cl::props_change change;
  change.override_props["Aux/x"] = "y";
  REQUIRE_FALSE(cl::has_error(cl::modify_node(c, "node1", change)));
  c.find_node("node2")->connection = cl::connection_status::online;  // runtime: not stored
  store->commit(c);
  sqlite3_stmt* count = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw, "SELECT COUNT(*) FROM writes;", -1, &count, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_step(count) == SQLITE_ROW);
  CHECK(sqlite3_column_int(count, 0) == 1);  // node1's row only
  sqlite3_finalize(count);
  sqlite3_close(raw);
}

TEST_CASE("a database from a newer controller is refused with a clear message") {
  temp_db db;
  { db::open_sqlite_store(db.path.string())->load(); }
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.path.string().c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw, "UPDATE schema_version SET version = 99;", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(raw);
  try {
    db::open_sqlite_store(db.path.string());
    FAIL("expected store_error");
  } catch (const db::store_error& e) {
    CHECK(std::string(e.what()).find("schema version 99") != std::string::npos);
  }
}

TEST_CASE("a corrupt row names itself and an unopenable path names the path") {
  temp_db db;
  { db::open_sqlite_store(db.path.string())->load(); }
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.path.string().c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw, "INSERT INTO objects VALUES ('node', 'broken', '{not json');", nullptr,
                       nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  auto store = db::open_sqlite_store(db.path.string());
  try {
    store->load();
    FAIL("expected store_error");
  } catch (const db::store_error& e) {
    CHECK(std::string(e.what()).find("(node, broken)") != std::string::npos);
  }
  CHECK_THROWS_AS(db::open_sqlite_store("/nonexistent-dir/x/y.sqlite"), db::store_error);
}
