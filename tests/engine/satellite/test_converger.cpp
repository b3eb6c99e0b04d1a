// The converger against real components: a FILE_THIN pool in a temporary directory, real
// metadata, and a real tandemd daemon (in this process, on its own io thread) behind its admin
// socket. The satellite must bring a day-0 replica up UpToDate, be idempotent, and remove
// everything again when the resource leaves the desired state.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/daemon/daemon.h"
#include "engine/daemon/volume_metadata.h"
#include "engine/satellite/converger.h"
#include "engine/satellite/resource_file_render.h"
#include "engine/storage/process_runner.h"

using namespace tandem;
namespace fs = std::filesystem;

namespace {

class scratch_dir {
 public:
  scratch_dir() {
    std::string pattern = (fs::temp_directory_path() / "tandem-satellite-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

// A tandemd daemon on its own io thread for the duration of a test.
class running_tandemd {
 public:
  explicit running_tandemd(engine::daemon_config config) : daemon_(io_, std::move(config)) {
    daemon_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~running_tandemd() {
    boost::asio::post(io_, [this] {
      daemon_.stop();
      io_.stop();
    });
    thread_.join();
  }

 private:
  boost::asio::io_context io_;
  engine::daemon daemon_;
  std::thread thread_;
};

cluster::node_desired_state one_replica(const std::string& pool_dir, bool with_resource) {
  cluster::node_desired_state s;
  s.node_name = "alpha";
  s.pools.push_back({"pool1", cluster::pool_kind::file_thin, pool_dir, {}});
  if (!with_resource) return s;
  cluster::desired_resource r;
  r.name = "res1";
  r.node_id = 0;
  r.port = 7990;
  r.secret = "secret";
  r.volumes.push_back({0, 1000, 16384, 16384, 0, "pool1", cluster::pool_kind::file_thin, pool_dir, ""});
  r.nodes.push_back({"alpha", 0, "127.0.0.1", 7990, false, false});
  r.day0_uuid = "0123456789abcdef";
  s.resources.push_back(r);
  return s;
}

std::string joined(const std::vector<satellite::convergence_error>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.resource + ": " + e.message + "\n";
  return out;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  return names;
}

// A tandemd configuration for node "alpha" under dir (resources/, its sockets), with pool1/.
engine::daemon_config tandemd_config_in(const scratch_dir& dir) {
  fs::create_directories(dir / "pool1");
  engine::daemon_config config;
  config.node_name = "alpha";
  config.resource_dir = dir / "resources";
  config.admin_socket = dir / "tandemd.sock";
  config.nbd_tcp_address.clear();
  config.nbd_unix_socket = dir / "nbd.sock";
  fs::create_directories(config.resource_dir);
  return config;
}

// The satellite side of the same node.
satellite::satellite_config satellite_config_for(const engine::daemon_config& tandemd_config) {
  satellite::satellite_config config;
  config.node_name = "alpha";
  config.resource_dir = tandemd_config.resource_dir;
  config.tandemd_socket = tandemd_config.admin_socket;
  return config;
}

}  // namespace

TEST_CASE("converger creates, brings up, keeps and removes a replica in a real tandemd") {
  scratch_dir dir;
  const engine::daemon_config tandemd_config = tandemd_config_in(dir);
  running_tandemd tandemd(tandemd_config);

  storage::process_runner runner;
  const satellite::satellite_config config = satellite_config_for(tandemd_config);
  satellite::converger converger(config, runner);

  // A hand-written resource file is none of the satellite's business.
  const std::string hand_written = dir / "resources/manual.toml";
  { std::ofstream(hand_written) << "# written by an operator\n"; }

  const auto wanted = one_replica(dir / "pool1", true);
  CHECK(joined(converger.apply(wanted)).empty());
  const auto log = converger.take_log();
  REQUIRE(log.size() == 4);
  CHECK(log[0].rfind("created res1_00000", 0) == 0);
  CHECK(log[2].find("UpToDate, day 0 generation 0123456789abcdef") != std::string::npos);
  CHECK(log[3] == "up res1");
  CHECK(satellite::is_generated_resource_file(dir / "resources/res1.toml"));

  const nlohmann::json status = converger.status(true);
  REQUIRE(status["resources"].size() == 1);
  CHECK(status["resources"][0]["role"] == "Secondary");
  CHECK(status["resources"][0]["volumes"][0]["disk_state"] == "UpToDate");
  CHECK(status["resources"][0]["volumes"][0]["usable_kib"] == 16384);
  CHECK(status["pools"][0]["name"] == "pool1");
  CHECK(status["pools"][0]["total_capacity_kib"].get<std::uint64_t>() > 0);

  // The same state again changes nothing (adjust finds the file unchanged).
  CHECK(joined(converger.apply(wanted)).empty());
  CHECK(converger.take_log().empty());

  // A restarted satellite (a new converger) finds everything in place and changes nothing.
  satellite::converger restarted(config, runner);
  CHECK(joined(restarted.apply(wanted)).empty());
  CHECK(restarted.take_log().empty());

  // The resource leaves the desired state: down, file removed, backing volume deleted.
  CHECK(joined(restarted.apply(one_replica(dir / "pool1", false))).empty());
  CHECK(restarted.status(true)["resources"].empty());
  CHECK_FALSE(fs::exists(dir / "resources/res1.toml"));
  CHECK(fs::exists(hand_written));
  CHECK(files_in(dir / "pool1").empty());
}

TEST_CASE("converger reports an unreachable tandemd and a missing pool by name") {
  scratch_dir dir;
  storage::process_runner runner;
  satellite::satellite_config config;
  config.node_name = "alpha";
  config.resource_dir = dir / "resources";
  config.tandemd_socket = dir / "no-tandemd.sock";
  satellite::converger converger(config, runner);
  auto state = one_replica(dir / "missing-pool", true);
  const std::string errors = joined(converger.apply(state));
  CHECK(errors.find("no-tandemd.sock is not reachable") != std::string::npos);
  CHECK(errors.find("res1: ") != std::string::npos);
  CHECK(errors.find("missing-pool") != std::string::npos);
  state.node_name = "beta";
  CHECK(joined(converger.apply(state)) ==
        ": the desired state is for node 'beta', this satellite is 'alpha'\n");
}

TEST_CASE("a volume grown in the desired state keeps its metadata, up and down") {
  scratch_dir dir;
  const engine::daemon_config tandemd_config = tandemd_config_in(dir);
  storage::process_runner runner;
  const satellite::satellite_config config = satellite_config_for(tandemd_config);
  satellite::converger converger(config, runner);
  auto sized = [&](std::uint64_t kib) {
    auto state = one_replica(dir / "pool1", true);
    state.resources[0].volumes[0].size_kib = kib;
    state.resources[0].volumes[0].usable_kib = kib;
    return state;
  };
  auto logged = [&](const std::string& text) {
    for (const auto& line : converger.take_log()) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  };
  {
    running_tandemd tandemd(tandemd_config);
    REQUIRE(joined(converger.apply(sized(16384))).empty());
    converger.take_log();
    // Up: tandemd moves the metadata of the file it has open; adjust grows the volume live.
    CHECK(joined(converger.apply(sized(32768))).empty());
    CHECK(logged("grew res1_00000"));
    CHECK(converger.status(true)["resources"][0]["volumes"][0]["usable_kib"] == 32768);
  }
  // Down (tandemd stopped): the satellite grows the file and moves its metadata itself.
  const std::string errors = joined(converger.apply(sized(49152)));
  CHECK(errors.find("not reachable") != std::string::npos);
  CHECK(logged("moved the metadata"));
  const auto files = files_in(dir / "pool1");
  REQUIRE(files.size() == 1);
  engine::uring_disk disk(dir / ("pool1/" + files[0]), {});
  const auto md = engine::volume_metadata::load(disk, cluster::kDefaultPeerSlots, 1237);
  CHECK(md.usable_bytes() >= std::uint64_t{49152} * 1024);
  CHECK(md.recorded_size_bytes() == std::uint64_t{32768} * 1024);  // what the resize agreed
  // The day-0 generation (without the Primary and sync-UUID bits create-md clears).
  CHECK(md.superblock().current_uuid ==
        (0x0123456789abcdefULL & ~(kUuidPrimaryFlag | kUuidSyncFlag)));
}
