// The resource file the satellite writes is one tandemd accepts, with DrbdOptions mapped.
#include <doctest/doctest.h>

#include "engine/daemon/resource_file.h"
#include "engine/satellite/resource_file_render.h"

using namespace tandem;

namespace {

cluster::desired_resource three_nodes() {
  cluster::desired_resource r;
  r.name = "res1";
  r.node_id = 0;
  r.port = 7000;
  r.secret = "s3cr3t";
  r.protocol = "C";
  r.quorum = "majority";
  r.on_no_quorum = "io-error";
  r.volumes.push_back({0, 1000, 1048576, 1048572, 1048840, "pool1", cluster::pool_kind::file_thin,
                       "/srv/pool1", ""});
  r.nodes.push_back({"alpha", 0, "127.0.0.2", 7000, false, false});
  r.nodes.push_back({"beta", 1, "127.0.0.3", 7000, false, false});
  r.nodes.push_back({"gamma", 2, "127.0.0.4", 7000, true, true});
  return r;
}

}  // namespace

TEST_CASE("rendered resource file parses back with the local disk and every node") {
  cluster::desired_resource r = three_nodes();
  r.options = {{"Disk/al-extents", "6007"},
               {"Net/ping-int", "2"},
               {"Net/ping-timeout", "30"},
               {"Resource/auto-promote", "no"},
               {"Net/always-asbp", "yes"},
               {"Net/sndbuf-size", "10M"}};  // a DRBD option tandemd has no use for
  const std::string text =
      satellite::render_resource_file(r, "alpha", {"/srv/pool1/res1_00000.img"}, "res1.toml").text;
  CHECK(text.rfind(satellite::kGeneratedHeader, 0) == 0);
  const engine::resource_definition d = engine::parse_resource_text(text, "res1.toml");
  CHECK(d.name == "res1");
  CHECK(d.shared_secret == "s3cr3t");
  CHECK(d.al_extents == 6007u);
  CHECK(d.ping_interval_ms == 2000u);
  CHECK(d.ping_timeout_ms == 3000u);
  CHECK_FALSE(d.auto_promote);
  CHECK(d.options.split_brain.always_asbp);
  CHECK(d.options.on_no_quorum_policy == on_no_quorum::io_error);
  REQUIRE(d.volumes.size() == 1);
  CHECK(d.volumes[0].size_bytes == 1048572ull * 1024);  // the smallest replica's usable size
  REQUIRE(d.nodes.size() == 3);
  CHECK(d.nodes[0].disks == std::vector<std::string>{"/srv/pool1/res1_00000.img"});
  CHECK(d.nodes[1].disks.empty());  // a peer's devices are its own business
  CHECK(d.nodes[2].diskless);
}

TEST_CASE("DrbdOptions/Net on-congestion, congestion-fill and congestion-extents reach tandemd") {
  cluster::desired_resource r = three_nodes();
  r.protocol = "A";
  r.options = {{"Net/on-congestion", "pull-ahead"},
               {"Net/congestion-fill", "4096"},  // sectors, as in DRBD
               {"Net/congestion-extents", "100"}};
  const std::string text =
      satellite::render_resource_file(r, "alpha", {"/srv/pool1/res1_00000.img"}, "res1.toml").text;
  const engine::resource_definition d = engine::parse_resource_text(text, "res1.toml");
  CHECK(d.options.congestion.policy == on_congestion::pull_ahead);
  CHECK(d.options.congestion.fill_bytes == 4096u * 512);
  CHECK(d.options.congestion.extents == 100u);
}

TEST_CASE("DrbdOptions/Disk/on-io-error reaches tandemd") {
  cluster::desired_resource r = three_nodes();
  r.options = {{"Disk/on-io-error", "pass_on"}};
  const std::string text =
      satellite::render_resource_file(r, "alpha", {"/srv/pool1/res1_00000.img"}, "res1.toml").text;
  CHECK(engine::parse_resource_text(text, "res1.toml").options.io_error_policy == on_io_error::pass_on);
}

TEST_CASE("a diskless replica's file has no disks and still a size") {
  cluster::desired_resource r = three_nodes();
  const std::string text = satellite::render_resource_file(r, "gamma", {}, "res1.toml").text;
  const engine::resource_definition d = engine::parse_resource_text(text, "res1.toml");
  CHECK(d.nodes[2].disks.empty());
  CHECK(d.volumes[0].size_bytes > 0);
}

TEST_CASE("bad option values are errors naming the property") {
  cluster::desired_resource r = three_nodes();
  auto message_of = [&](const cluster::desired_resource& bad) {
    try {
      satellite::render_resource_file(bad, "alpha", {"/d"}, "res1.toml");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  cluster::desired_resource a = r;
  a.options["Disk/al-extents"] = "many";
  CHECK(message_of(a) == "resource 'res1': DrbdOptions/Disk/al-extents: 'many' is not a whole number");
  cluster::desired_resource b = r;
  b.quorum = "most";
  CHECK(message_of(b).find("quorum: 'most'") != std::string::npos);
  cluster::desired_resource c = r;
  c.options["Resource/auto-promote"] = "perhaps";
  CHECK(message_of(c) ==
        "resource 'res1': DrbdOptions/Resource/auto-promote: 'perhaps' is not yes or no");
  CHECK(message_of(r) == "(accepted)");
  CHECK(std::string(message_of([&] {
          cluster::desired_resource d = r;
          d.nodes.erase(d.nodes.begin());
          return d;
        }())) == "resource 'res1': node 'alpha' is not among the resource's nodes");
}
