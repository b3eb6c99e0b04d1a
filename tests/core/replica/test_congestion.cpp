// on-congestion (pull-ahead, disconnect) for protocol A peers, and the transfer log that measures
// the backlog and marks what a lost connection may have dropped.
#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

sim::cluster started(protocol proto, congestion_settings congestion = {}) {
  sim::cluster_options options;
  options.nodes = 2;
  options.volume_size_bytes = 1 << 20;
  options.proto = proto;
  options.congestion = congestion;
  sim::cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  return c;
}

// Issues `count` writes to distinct blocks without running the cluster in between; returns the
// tags.
std::vector<std::uint64_t> write_blocks(sim::cluster& c, volume_model& model, int first, int count) {
  std::vector<std::uint64_t> tags;
  for (int i = first; i < first + count; ++i) {
    auto data = payload(static_cast<std::uint64_t>(i), kBlockBytes);
    model.apply(static_cast<std::uint64_t>(i) * kBlockBytes, data);
    tags.push_back(c.write(0, 0, static_cast<std::uint64_t>(i) * kBlockBytes, std::move(data)));
  }
  return tags;
}

}  // namespace

TEST_CASE("congestion: only a policy other than block, past a set limit, is congestion") {
  const congestion_load heavy{1 << 30, 5000};
  CHECK_FALSE(is_congested({on_congestion::block, 4096, 10}, heavy));
  CHECK_FALSE(is_congested({on_congestion::pull_ahead, 0, 0}, heavy));  // both limits off
  CHECK(is_congested({on_congestion::pull_ahead, 8192, 0}, {8192, 0}));
  CHECK_FALSE(is_congested({on_congestion::pull_ahead, 8192, 0}, {8191, 0}));
  CHECK(is_congested({on_congestion::disconnect, 0, 10}, {0, 10}));
  CHECK_FALSE(is_congested({on_congestion::disconnect, 0, 10}, {0, 9}));
  CHECK(parse_on_congestion("pull-ahead") == on_congestion::pull_ahead);
  CHECK(parse_on_congestion("disconnect") == on_congestion::disconnect);
  CHECK(parse_on_congestion("block") == on_congestion::block);
  CHECK_FALSE(parse_on_congestion("pull_ahead").has_value());
  CHECK(to_string(on_congestion::pull_ahead) == "pull-ahead");
}

TEST_CASE("pull-ahead: a congested protocol A peer falls Behind, then is resynced") {
  auto c = started(protocol::a, {on_congestion::pull_ahead, 3 * kBlockBytes, 0});
  volume_model model(1 << 20);
  c.hold(0, 1, wire::msg_type::data);  // a stalled link: nothing reaches the peer
  auto tags = write_blocks(c, model, 0, 3);
  c.run_until_quiet();
  // Three writes wait for the peer's disk: the backlog is at the limit, nothing changed yet.
  CHECK(peer_device(c.view(0), 1).repl == repl_state::established);
  const auto later = write_blocks(c, model, 10, 5);
  tags.insert(tags.end(), later.begin(), later.end());
  c.run_until_quiet();
  for (auto tag : tags) CHECK(c.result(tag).status == io_status::ok);  // the writer never waits
  CHECK(peer_device(c.view(0), 1).repl == repl_state::ahead);
  CHECK(peer_device(c.view(1), 0).repl == repl_state::behind);
  CHECK(c.view(1).volumes.at(0).disk == disk_state::outdated);
  CHECK(peer_device(c.view(0), 1).out_of_sync_blocks == 5);  // the writes made while Ahead
  CHECK(sent(c, 0, 1, wire::msg_type::out_of_sync) == 5);
  CHECK(sent(c, 0, 1, wire::msg_type::pull_ahead) == 1);
  // The link drains: the backlog is confirmed, the Primary resyncs what it marked.
  c.release_held();
  c.run_until_quiet();
  CHECK(peer_device(c.view(0), 1).repl == repl_state::established);
  CHECK(c.view(1).volumes.at(0).disk == disk_state::uptodate);
  CHECK(c.resync_bytes_received(1) == 5 * kBlockBytes);
  check_all_match(c, model);
  // Replication resumes: the next write goes out as data again.
  const auto data_before = sent(c, 0, 1, wire::msg_type::data);
  write_ok(c, model, 0, 40 * kBlockBytes, payload(99, kBlockBytes));
  CHECK(sent(c, 0, 1, wire::msg_type::data) == data_before + 1);
  check_all_match(c, model);
}

TEST_CASE("on-congestion disconnect drops the connection; the bitmap covers what the peer missed") {
  auto c = started(protocol::a, {on_congestion::disconnect, 2 * kBlockBytes, 0});
  volume_model model(1 << 20);
  c.hold(0, 1, wire::msg_type::data);
  write_blocks(c, model, 0, 4);
  c.run_for(1'000'000);
  CHECK(c.events_named("congestion-disconnect").size() == 1);
  CHECK(connection(c.view(0), 1) != conn_state::connected);
  c.release_held();  // sent on the old connection: never delivered
  c.run_until_quiet();
  CHECK(connection(c.view(0), 1) == conn_state::connected);
  CHECK(c.view(1).volumes.at(0).disk == disk_state::uptodate);
  check_all_match(c, model);
}

TEST_CASE("block (the default) never pulls ahead, however large the backlog") {
  auto c = started(protocol::a, {on_congestion::block, kBlockBytes, 1});
  volume_model model(1 << 20);
  c.hold(0, 1, wire::msg_type::data);
  write_blocks(c, model, 0, 8);
  c.run_until_quiet();
  CHECK(peer_device(c.view(0), 1).repl == repl_state::established);
  CHECK(c.events_named("pull-ahead").empty());
  c.release_held();
  c.run_until_quiet();
  check_all_match(c, model);
}

TEST_CASE("transfer log: protocol B writes the peer received but never wrote are resynced") {
  // The peer acknowledged receipt (so the writes completed) but its disk never confirmed them
  // before the connection broke: they are marked and resynced, not silently missing.
  auto c = started(protocol::b);
  volume_model model(1 << 20);
  c.hold(1, 0, wire::msg_type::write_ack);
  for (auto tag : write_blocks(c, model, 0, 3)) {
    c.run_until_quiet();
    CHECK(c.result(tag).status == io_status::ok);
  }
  c.cut_link(0, 1);
  CHECK(peer_device(c.view(0), 1).out_of_sync_blocks == 3);
  c.heal_link(0, 1);
  c.run_until_quiet();
  CHECK(c.resync_bytes_received(1) == 3 * kBlockBytes);
  check_all_match(c, model);
}

TEST_CASE("transfer log: third nodes learn who holds a protocol A write only once it is confirmed") {
  // n0 writes with protocol A; n1's data never arrives before the link breaks. n2 must not hear
  // from n0's peer_ack that n1 holds the write (it completed before n1 answered): n2 keeps the
  // block marked toward n1, so a resync from n2 carries it (sweep --protocol A seed 865: n1 took
  // a bitmap resync from n2 and kept an older version of the block).
  sim::cluster_options options;
  options.nodes = 3;
  options.volume_size_bytes = 1 << 20;
  options.proto = protocol::a;
  sim::cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  volume_model model(1 << 20);
  c.hold(0, 1, wire::msg_type::data);
  const auto tags = write_blocks(c, model, 5, 1);
  c.run_until_quiet();
  REQUIRE(c.result(tags[0]).status == io_status::ok);
  CHECK(sent(c, 0, 2, wire::msg_type::peer_ack) == 0);  // n1 has not confirmed
  c.cut_link(0, 1);
  c.run_until_quiet();
  CHECK(sent(c, 0, 2, wire::msg_type::peer_ack) == 1);
  CHECK(peer_device(c.view(2), 1).out_of_sync_blocks == 1);
  CHECK(peer_device(c.view(0), 1).out_of_sync_blocks == 1);
  c.heal_link(0, 1);
  c.run_until_quiet();
  check_all_match(c, model);
}
