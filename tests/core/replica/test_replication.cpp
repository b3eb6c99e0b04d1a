#include "tests/core/replica/cluster_fixture.h"

using namespace tandem;
using namespace tandem::test;

namespace {

sim::cluster promoted_cluster(int nodes, protocol proto = protocol::c, std::uint64_t seed = 1) {
  sim::cluster_options options;
  options.nodes = nodes;
  options.volume_size_bytes = 1 << 20;
  options.proto = proto;
  options.seed = seed;
  sim::cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  return c;
}

void replicate_and_check(int nodes) {
  auto c = promoted_cluster(nodes);
  volume_model model(1 << 20);
  for (int i = 0; i < 40; ++i) {
    write_ok(c, model, 0, (i * 7 % 256) * kBlockBytes, payload(i, kBlockBytes));
  }
  // A large write spanning many blocks and an unaligned 512-byte one.
  write_ok(c, model, 0, 64 * kBlockBytes, payload(100, 64 * kBlockBytes));
  write_ok(c, model, 0, 3 * kBlockBytes + 1536, payload(101, 512));
  check_all_match(c, model);
  for (int n = 1; n < nodes; ++n) {
    CHECK(peer_device(c.view(0), static_cast<node_id>(n)).out_of_sync_blocks == 0);
  }
}

}  // namespace

TEST_CASE("replication to 2 nodes: every acknowledged byte is on both") {
  replicate_and_check(2);
}
TEST_CASE("replication to 3 nodes: every acknowledged byte is on all three") {
  replicate_and_check(3);
}
TEST_CASE("replication to 32 nodes (the DRBD maximum)") {
  replicate_and_check(32);
}

TEST_CASE("protocol C: no completion before every peer's write ack") {
  auto c = promoted_cluster(3);
  c.hold(2, 0, wire::msg_type::write_ack);
  const auto tag = c.write(0, 0, 0, payload(1, kBlockBytes));
  c.run_until_quiet();
  // Local disk and n1 are done, n2 wrote the block but its ack is held back.
  CHECK_FALSE(c.result(tag).done);
  CHECK(c.disk_bytes(2, 0) == c.disk_bytes(0, 0));
  c.release_held();
  c.run_until_quiet();
  CHECK(c.result(tag).done);
  CHECK(c.result(tag).status == io_status::ok);
}

TEST_CASE("protocol C: no completion before the local disk write") {
  auto c = promoted_cluster(2);
  const auto tag = c.write(0, 0, 0, payload(1, kBlockBytes));
  // Run only past the network round trip, not past the slowest local disk latency.
  c.run_for(10'000);
  CHECK_FALSE(c.result(tag).done);
  c.run_until_quiet();
  CHECK(c.result(tag).done);
}

TEST_CASE("protocol B completes on receive acks, protocol A without waiting for peers") {
  SUBCASE("B") {
    auto c = promoted_cluster(2, protocol::b);
    c.hold(1, 0, wire::msg_type::recv_ack);
    c.hold(1, 0, wire::msg_type::write_ack);
    const auto tag = c.write(0, 0, 0, payload(1, kBlockBytes));
    c.run_until_quiet();
    CHECK_FALSE(c.result(tag).done);
    c.release_held();
    c.run_until_quiet();
    CHECK(c.result(tag).status == io_status::ok);
  }
  SUBCASE("B does not wait for the peer's disk") {
    auto c = promoted_cluster(2, protocol::b);
    c.hold(1, 0, wire::msg_type::write_ack);  // only the transfer log waits for it
    const auto tag = c.write(0, 0, 0, payload(1, kBlockBytes));
    c.run_until_quiet();
    CHECK(c.result(tag).status == io_status::ok);
  }
  SUBCASE("A") {
    auto c = promoted_cluster(2, protocol::a);
    c.hold(0, 1, wire::msg_type::data);  // the data has not even left the send queue
    const auto tag = c.write(0, 0, 0, payload(1, kBlockBytes));
    c.run_until_quiet();
    CHECK(c.result(tag).status == io_status::ok);
    c.release_held();
    c.run_until_quiet();
    CHECK(c.disk_bytes(1, 0) == c.disk_bytes(0, 0));
  }
}

TEST_CASE("a peer lost while a write waits for its ack gets the block in its bitmap") {
  auto c = promoted_cluster(3);
  c.hold(2, 0, wire::msg_type::write_ack);
  const auto tag = c.write(0, 0, 5 * kBlockBytes, payload(1, kBlockBytes));
  c.run_until_quiet();
  CHECK_FALSE(c.result(tag).done);
  c.cut_link(0, 2);
  c.run_until_quiet();
  CHECK(c.result(tag).status == io_status::ok);
  CHECK(peer_device(c.view(0), 2).out_of_sync_blocks == 1);
}

TEST_CASE("a negative ack marks the block for that peer and does not fail the write") {
  sim::cluster_options options;
  options.nodes = 2;
  options.volume_size_bytes = 1 << 20;
  sim::cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  // The peer's disk fails on its first write: it answers neg_ack and goes Diskless.
  c.fail_disk_writes(1);
  const auto tag = c.write(0, 0, 0, payload(1, kBlockBytes));
  c.run_until_quiet();
  CHECK(c.result(tag).status == io_status::ok);
  CHECK(peer_device(c.view(0), 1).out_of_sync_blocks == 1);
  CHECK(c.view(1).volumes[0].disk == disk_state::diskless);
  CHECK(peer_device(c.view(0), 1).peer_disk == disk_state::diskless);
}

TEST_CASE("requests outside the volume or malformed are refused with a status, not a crash") {
  auto c = promoted_cluster(2);
  auto status_of = [&](std::uint64_t tag) {
    c.run_until_quiet();
    REQUIRE(c.result(tag).done);
    return c.result(tag).status;
  };
  CHECK(status_of(c.write(0, 0, 1 << 20, payload(1, kBlockBytes))) == io_status::out_of_range);
  CHECK(status_of(c.write(0, 7, 0, payload(1, kBlockBytes))) == io_status::out_of_range);
  CHECK(status_of(c.write(0, 0, 100, payload(1, 512))) == io_status::invalid);
  CHECK(status_of(c.write(0, 0, 0, payload(1, 100))) == io_status::invalid);
  CHECK(status_of(c.read(0, 0, 0, 0)) == io_status::invalid);
  CHECK(status_of(c.read(0, 0, 0, kMaxIoBytes + 512)) == io_status::invalid);
}
