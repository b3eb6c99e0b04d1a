#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

sim::cluster started(int nodes, bool two_primaries = false,
                     std::uint64_t seed = sim::cluster_options{}.seed) {
  sim::cluster_options options;
  options.nodes = nodes;
  options.volume_size_bytes = 1 << 20;
  options.allow_two_primaries = two_primaries;
  options.seed = seed;
  sim::cluster c(options);
  c.start();
  return c;
}

}  // namespace

TEST_CASE("a Secondary refuses client writes with a clear status and serves reads") {
  auto c = started(2);
  const auto tag = c.write(1, 0, 0, payload(1, kBlockBytes));
  c.run_until_quiet();
  CHECK(c.result(tag).status == io_status::not_primary);
  CHECK(std::string(to_string(io_status::not_primary)).find("Primary") != std::string::npos);
  const auto read = c.read(1, 0, 0, kBlockBytes);
  c.run_until_quiet();
  CHECK(c.result(read).status == io_status::ok);
  CHECK(c.result(read).data.size() == kBlockBytes);
}

TEST_CASE("only one Primary unless allow-two-primaries") {
  SUBCASE("refused") {
    auto c = started(3);
    REQUIRE(c.admin_command(0, admin_op::primary).ok);
    c.run_until_quiet();
    const auto refused = c.admin_command(1, admin_op::primary);
    CHECK_FALSE(refused.ok);
    CHECK(refused.message.find("node 0 is Primary") != std::string::npos);
    CHECK(c.view(1).local_role == role::secondary);
    CHECK(connection(c.view(1), 0) == conn_state::connected);
  }
  SUBCASE("allowed") {
    auto c = started(2, true);
    REQUIRE(c.admin_command(0, admin_op::primary).ok);
    c.run_until_quiet();
    CHECK(c.admin_command(1, admin_op::primary).ok);
    c.run_until_quiet();
    CHECK(c.view(0).connections[0].peer_role == role::primary);
    CHECK(c.view(1).connections[0].peer_role == role::primary);
  }
}

TEST_CASE("promotion needs access to UpToDate data") {
  sim::cluster_options options;
  options.nodes = 2;
  options.volume_size_bytes = 1 << 20;
  options.start_uptodate = false;
  sim::cluster c(options);
  c.start();
  const auto refused = c.admin_command(1, admin_op::primary);
  CHECK_FALSE(refused.ok);
  CHECK(refused.message.find("Inconsistent") != std::string::npos);
  // An isolated Inconsistent node cannot be forced into a Diskless-like nothing, but can be forced.
  c.isolate(1);
  c.run_until_quiet();
  CHECK(c.admin_command(1, admin_op::primary_force).ok);
  CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
}

TEST_CASE("VM migration: demote here, promote there, writes continue on the new Primary") {
  auto c = started(3);
  volume_model model(1 << 20);
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  REQUIRE(c.admin_command(0, admin_op::secondary).ok);
  c.run_until_quiet();
  REQUIRE(c.admin_command(2, admin_op::primary).ok);
  c.run_until_quiet();
  write_ok(c, model, 2, kBlockBytes, payload(2, kBlockBytes));
  const auto refused = c.write(0, 0, 0, payload(3, kBlockBytes));
  c.run_until_quiet();
  CHECK(c.result(refused).status == io_status::not_primary);
  check_all_match(c, model);
  CHECK(c.view(0).connections[1].peer_role == role::primary);
}

TEST_CASE("a promote/demote without writes does not start a new generation") {
  auto c = started(2);
  const auto before = c.view(0).volumes[0].current;
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  REQUIRE(c.admin_command(0, admin_op::secondary).ok);
  CHECK(c.view(0).volumes[0].current == before);
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  volume_model model(1 << 20);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  CHECK(uuid_value(c.view(0).volumes[0].current) != uuid_value(before));
  // The connected peer adopted the new generation with the write.
  CHECK(uuid_value(c.view(1).volumes[0].current) == uuid_value(c.view(0).volumes[0].current));
}

TEST_CASE("split brain: two sides written independently are detected and left StandAlone") {
  auto c = started(2);
  volume_model model(1 << 20);
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  write_ok(c, model, 0, 0, payload(1, kBlockBytes));
  c.cut_link(0, 1);
  c.run_until_quiet();
  write_ok(c, model, 0, kBlockBytes, payload(2, kBlockBytes));
  // The other side cannot see a Primary any more, so it may be promoted: the classic split brain.
  REQUIRE(c.admin_command(1, admin_op::primary).ok);
  const auto tag = c.write(1, 0, 2 * kBlockBytes, payload(3, kBlockBytes));
  c.run_until_quiet();
  REQUIRE(c.result(tag).status == io_status::ok);
  c.heal_link(0, 1);
  c.run_until_quiet();
  CHECK(c.events_named("split-brain").size() == 2);
  CHECK(connection(c.view(0), 1) == conn_state::standalone);
  CHECK(connection(c.view(1), 0) == conn_state::standalone);
  // No data moved in either direction.
  CHECK(c.resync_bytes_received(0) == 0);
  CHECK(c.resync_bytes_received(1) == 0);
  // The operator resolves it: n1 steps down and reconnects... still diverged, still refused.
  REQUIRE(c.admin_command(1, admin_op::secondary).ok);
  REQUIRE(c.admin_command(1, admin_op::connect, 0).ok);
  REQUIRE(c.admin_command(0, admin_op::connect, 1).ok);
  c.run_until_quiet();
  CHECK(c.events_named("split-brain").size() == 4);
}

TEST_CASE("admin disconnect stays StandAlone until connect") {
  auto c = started(2);
  REQUIRE(c.admin_command(0, admin_op::disconnect, 1).ok);
  c.run_for(1'000'000'000);
  CHECK(connection(c.view(0), 1) == conn_state::standalone);
  CHECK(connection(c.view(1), 0) == conn_state::connecting);
  REQUIRE(c.admin_command(0, admin_op::connect, 1).ok);
  c.run_until_quiet();
  CHECK(connection(c.view(0), 1) == conn_state::connected);
  CHECK_FALSE(c.admin_command(0, admin_op::connect, 9).ok);
}

TEST_CASE("a Primary that hangs up on a peer itself starts a new generation at its next write") {
  // As when the network takes the peer away: the peer keeps the old generation, so the two can
  // never again pass for the same data (sweep seed 717 lost writes when a Primary that dropped a
  // connection to renegotiate kept writing under the generation the dropped peer still held).
  auto c = started(3);
  volume_model model(c.options().volume_size_bytes);
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  write_ok(c, model, 0, 0, payload(1, 4096));
  const generation_uuid before = c.view(0).volumes.at(0).current;
  REQUIRE(c.admin_command(0, admin_op::disconnect, 1).ok);
  CHECK(c.view(0).volumes.at(0).current == before);  // a generation only for a write that goes out
  write_ok(c, model, 0, 8192, payload(2, 4096));
  const generation_uuid after = c.view(0).volumes.at(0).current;
  CHECK(after != before);
  CHECK(c.view(1).volumes.at(0).current == before);
  CHECK(c.view(2).volumes.at(0).current == after);  // still connected: it follows
  REQUIRE(c.admin_command(0, admin_op::connect, 1).ok);
  c.run_until_quiet();
  CHECK(c.resync_bytes_received(1) == 4096);  // by the bitmap, only the block it missed
  check_all_match(c, model);
}

TEST_CASE("two nodes promoted at the same instant never both become Primary (two-phase commit)") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    auto c = started(3, false, seed);
    const auto a = c.admin_async(0, admin_op::primary);
    const auto b = c.admin_async(1, admin_op::primary);
    c.run_until_quiet();
    REQUIRE(c.admin_result(a).has_value());
    REQUIRE(c.admin_result(b).has_value());
    CHECK_FALSE((c.admin_result(a)->ok && c.admin_result(b)->ok));
    int primaries = 0;
    for (node_id n = 0; n < 3; ++n) primaries += c.view(n).local_role == role::primary ? 1 : 0;
    CHECK(primaries <= 1);
    // The refused side says why, and a retry after the race succeeds on exactly one node.
    if (!c.admin_result(a)->ok) CHECK_FALSE(c.admin_result(a)->message.empty());
    if (primaries == 0) CHECK(c.admin_command(1, admin_op::primary).ok);
    CHECK_FALSE(c.admin_command(2, admin_op::primary).ok);
  }
}

TEST_CASE("a promotion racing a peer's promotion is refused by that peer") {
  auto c = started(2);
  // n0 becomes Primary; n1 asks before n0's role_state reached it: n0 answers "I am Primary".
  c.hold(0, 1, wire::msg_type::role_state);
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  c.run_for(1'000'000);  // the commit has arrived, the role_state has not
  CHECK(c.view(1).connections[0].peer_role == role::secondary);
  const auto refused = c.admin_command(1, admin_op::primary);
  CHECK_FALSE(refused.ok);
  CHECK(refused.message == "another node is Primary");
  c.release_held();
  c.run_until_quiet();
  CHECK(c.view(1).local_role == role::secondary);
}

namespace {

// Two nodes promoted while apart, without writing (their data does not diverge, so no split brain
// rule applies), then the link heals.
sim::cluster primaries_meet(bool two_primaries) {
  auto c = started(2, two_primaries);
  c.cut_link(0, 1);
  c.run_until_quiet();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  REQUIRE(c.admin_command(1, admin_op::primary).ok);
  c.heal_link(0, 1);
  c.run_until_quiet();
  return c;
}

}  // namespace

TEST_CASE("two Primaries that meet without allow-two-primaries stay StandAlone (connect by 2PC)") {
  // The connect transaction counts the Primaries on both sides.
  SUBCASE("directly") {
    auto c = primaries_meet(false);
    CHECK(connection(c.view(0), 1) == conn_state::standalone);
    CHECK(connection(c.view(1), 0) == conn_state::standalone);
    CHECK(c.events_named("two-primaries").size() == 2);
    CHECK(c.events_named("split-brain").empty());
    // Once one steps down, an admin connect on both ends joins them.
    REQUIRE(c.admin_command(1, admin_op::secondary).ok);
    REQUIRE(c.admin_command(0, admin_op::connect, 1).ok);
    REQUIRE(c.admin_command(1, admin_op::connect, 0).ok);
    c.run_until_quiet();
    CHECK(connection(c.view(0), 1) == conn_state::connected);
    CHECK(connection(c.view(1), 0) == conn_state::connected);
  }
  SUBCASE("through a Secondary of the other partition") {
    // n1 is connected to the Primary n0; the Primary n2 reaches n1 first. n1 alone is no Primary,
    // but joining n2 to it would give n1 two Primaries.
    auto c = started(3);
    c.cut_link(0, 2);
    c.cut_link(1, 2);
    c.run_until_quiet();
    REQUIRE(c.admin_command(0, admin_op::primary).ok);
    REQUIRE(c.admin_command(2, admin_op::primary).ok);
    c.heal_link(1, 2);
    c.run_until_quiet();
    CHECK(connection(c.view(1), 2) == conn_state::standalone);
    CHECK(connection(c.view(2), 1) == conn_state::standalone);
    CHECK(connection(c.view(1), 0) == conn_state::connected);
    CHECK(logged(c, "nodes 0, 2 are Primary"));
  }
  SUBCASE("allowed with allow-two-primaries") {
    auto c = primaries_meet(true);
    CHECK(connection(c.view(0), 1) == conn_state::connected);
    CHECK(c.events_named("two-primaries").empty());
  }
}

TEST_CASE("a connect refused on a Primary that just stepped down is asked again, not dropped") {
  // A VM migration: n0 steps down and n1 is promoted while n1 cannot reach n2, and n0's new role
  // has not reached n2 yet. When n1 and n2 meet, n2 still names n0 as Primary.
  auto c = started(3);
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  c.cut_link(1, 2);
  c.run_until_quiet();
  c.hold(0, 2, wire::msg_type::role_state);
  REQUIRE(c.admin_command(0, admin_op::secondary).ok);
  c.run_until_quiet();
  REQUIRE(c.admin_command(1, admin_op::primary).ok);
  c.heal_link(1, 2);
  c.run_for(100'000'000);  // the connect is refused for two Primaries and asked again meanwhile
  CHECK(connection(c.view(1), 2) != conn_state::connected);
  CHECK(connection(c.view(1), 2) != conn_state::standalone);
  c.release_held();
  c.run_until_quiet();
  CHECK(connection(c.view(1), 2) == conn_state::connected);
  CHECK(connection(c.view(2), 1) == conn_state::connected);
  CHECK(c.events_named("two-primaries").empty());
}

TEST_CASE("a promotion racing a connect: never two Primaries on one connection") {
  // n2 is Primary in its own partition; n0 is promoted at the moment the link heals. Whichever
  // transaction comes first, the other is refused (busy, or two Primaries).
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    auto c = started(3, false, seed);
    c.cut_link(0, 2);
    c.cut_link(1, 2);
    c.run_until_quiet();
    REQUIRE(c.admin_command(2, admin_op::primary).ok);
    c.heal_link(0, 2);
    c.heal_link(1, 2);
    c.run_for(seed * 20'000);  // somewhere in the handshake or the transaction
    const auto promote = c.admin_async(0, admin_op::primary);
    c.run_until_quiet();
    REQUIRE(c.admin_result(promote).has_value());
    for (node_id n = 0; n < 3; ++n) {
      CAPTURE(n);
      int primaries = c.view(n).local_role == role::primary ? 1 : 0;
      for (const auto& conn : c.view(n).connections) {
        if (conn.conn == conn_state::connected && conn.peer_role == role::primary) ++primaries;
      }
      CHECK(primaries <= 1);
    }
  }
}

TEST_CASE("the lower node id coordinates a connect; the other side only answers") {
  auto c = started(2);
  CHECK(connection(c.view(0), 1) == conn_state::connected);
  CHECK(sent(c, 0, 1, wire::msg_type::twopc_prepare) == 1);
  CHECK(sent(c, 1, 0, wire::msg_type::twopc_prepare) == 0);
  CHECK(sent(c, 1, 0, wire::msg_type::twopc_reply) == 1);
  CHECK(sent(c, 0, 1, wire::msg_type::twopc_commit) == 1);
}

namespace {

// Feeds one input to a replica and returns the names of the events it emitted.
std::vector<std::string> step_events(Replica& r, input_kind kind, bool* disconnected = nullptr) {
  std::vector<output> out;
  r.step({0, std::move(kind)}, out);
  std::vector<std::string> names;
  for (const auto& o : out) {
    if (const auto* e = std::get_if<event>(&o)) names.push_back(e->name + ": " + e->detail);
    if (disconnected && std::holds_alternative<disconnect_from>(o)) *disconnected = true;
  }
  return names;
}

}  // namespace

TEST_CASE("a connect's twopc_prepare out of place is a protocol error") {
  replica_config config;
  config.self = 1;
  config.peers = {peer_config{0}, peer_config{2}};
  config.volumes = {volume_config{0, 2048}};
  SUBCASE("before the handshake states were exchanged") {
    Replica r(config);
    step_events(r, peer_connected{0});
    step_events(r, peer_message{0, wire::features{wire::kProtocolMin, wire::kProtocolMax, 0, 1}});
    bool disconnected = false;
    const auto events = step_events(
        r, peer_message{0, wire::twopc_prepare{7, 0, wire::twopc_change::connect, 1, 0}},
        &disconnected);
    REQUIRE(events.size() == 1);
    CHECK(events[0].find("protocol-error") == 0);
    CHECK(disconnected);
  }
  SUBCASE("coordinated by the higher node id") {
    Replica r(config);
    step_events(r, peer_connected{2});
    step_events(r, peer_message{2, wire::features{wire::kProtocolMin, wire::kProtocolMax, 2, 1}});
    step_events(r, peer_message{2, wire::role_state{role::secondary}});
    wire::volume_state state;
    state.disk = disk_state::inconsistent;
    state.size_sectors = 2048;
    step_events(r, peer_message{2, state});
    bool disconnected = false;
    const auto events = step_events(
        r, peer_message{2, wire::twopc_prepare{7, 2, wire::twopc_change::connect, 1, 0}},
        &disconnected);
    REQUIRE(events.size() == 1);
    CHECK(events[0] == "protocol-error: twopc_prepare{connect} out of place");
    CHECK(disconnected);
  }
}

TEST_CASE("primary on a node taking part in a connect waits for it instead of failing") {
  auto c = started(2);
  c.cut_link(0, 1);
  c.run_until_quiet();
  c.hold(0, 1, wire::msg_type::twopc_commit);  // n1 agreed to n0's connect and waits for its end
  c.heal_link(0, 1);
  c.run_until_quiet();
  REQUIRE(connection(c.view(1), 0) != conn_state::connected);
  const auto promote = c.admin_async(1, admin_op::primary);
  c.run_for(1'000'000);
  CHECK_FALSE(c.admin_result(promote).has_value());  // waiting, not refused
  c.release_held();
  c.run_until_quiet();
  REQUIRE(c.admin_result(promote).has_value());
  CHECK(c.admin_result(promote)->ok);
  CHECK(c.view(1).local_role == role::primary);
  CHECK(connection(c.view(1), 0) == conn_state::connected);
  CHECK(c.view(0).connections[0].peer_role == role::primary);
}

TEST_CASE("a promotion is refused when a peer is connected to a Primary this node does not reach") {
  auto c = started(3);
  c.cut_link(0, 2);
  c.run_until_quiet();
  REQUIRE(c.admin_command(2, admin_op::primary).ok);
  c.run_until_quiet();
  // n0 sees no Primary among its own peers; n1's reply names n2.
  const auto refused = c.admin_command(0, admin_op::primary);
  CHECK_FALSE(refused.ok);
  CHECK(refused.message == "another node is Primary");
  CHECK(c.view(0).local_role == role::secondary);
}
