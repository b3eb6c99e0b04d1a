// The segment model below the peer protocol (sim/link_model.h) and what the cluster makes of it:
// frames keep their order, duplicates never reach the core, a direction that stays broken ends
// the connection after the timeout, bandwidth serialises frames, and a one-way cut is noticed by
// each end on its own.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sim/cluster.h"
#include "sim/link_model.h"

using namespace tandem;
using namespace tandem::sim;

namespace {

constexpr std::uint64_t kMs = 1'000'000;

std::vector<std::byte> block_of(std::uint8_t value) {
  return std::vector<std::byte>(kBlockBytes, std::byte{value});
}

int log_lines_with(const cluster& c, const std::string& text) {
  int lines = 0;
  for (const auto& line : c.log()) lines += line.find(text) != std::string::npos ? 1 : 0;
  return lines;
}

}  // namespace

TEST_CASE("bandwidth serialises a direction: B bytes occupy it B / bandwidth after the previous") {
  CHECK(serialisation_ns(4096, 0) == 0);
  CHECK(serialisation_ns(1000, 1'000'000) == 1'000'000);  // 1000 bytes at 1 MB/s: 1 ms
  CHECK(serialisation_ns(4096, 1 << 20) == 3'906'250);    // 4 KiB at 1 MiB/s
  CHECK(serialisation_ns(1, 3) == 333'333'334);           // rounded up, never 0 for a byte
  link_faults faults;
  faults.bandwidth_bytes_per_s = 1'000'000;
  stream_direction d;
  prng random(1);
  // Three 1000-byte frames handed over at once leave 1, 2 and 3 ms later.
  for (std::uint64_t i = 1; i <= 3; ++i) {
    const segment_outcome out = d.send(0, 1000, 50'000, false, faults, random);
    CHECK(out.departure_ns == i * kMs);
    CHECK(out.deliver_at_ns == i * kMs + 50'000);
  }
  // An idle link starts afresh: a frame handed over at 10 ms leaves at 11 ms.
  CHECK(d.send(10 * kMs, 1000, 50'000, false, faults, random).departure_ns == 11 * kMs);
}

TEST_CASE("frames keep their order through loss and reordering, and duplicates are discarded") {
  link_faults faults;
  faults.loss_ppm = 200'000;
  faults.reorder_ppm = 300'000;
  faults.duplicate_ppm = 250'000;
  faults.reorder_delay_max_ns = 5 * kMs;
  faults.timeout_ns = 60'000 * kMs;  // eight losses in a row to give up: not in these 2000
  stream_direction d;
  prng random(42);
  std::uint64_t last_ns = 0, retransmissions = 0, duplicates = 0, reordered = 0, waits = 0;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const segment_outcome out =
        d.send(i * 10'000, 4096, 100'000 + (i * 7919) % 100'000, false, faults, random);
    REQUIRE_FALSE(out.stalled);
    CHECK(out.deliver_at_ns >= last_ns);  // never overtakes an earlier frame
    CHECK(out.deliver_at_ns >= i * 10'000 + 100'000);
    CHECK(out.duplicates_discarded <= 1);  // the copy is counted, not delivered
    last_ns = out.deliver_at_ns;
    retransmissions += out.retransmissions;
    duplicates += out.duplicates_discarded;
    reordered += out.reordered ? 1 : 0;
    waits += out.waited_head_of_line ? 1 : 0;
  }
  CHECK(retransmissions > 300);  // 20% of 2000, plus the retransmissions lost again
  CHECK(duplicates > 400);
  CHECK(reordered > 500);
  CHECK(waits > 1000);  // a 200 ms retransmission holds up everything behind it
}

TEST_CASE("a lost segment waits out the doubling retransmission timeout") {
  link_faults faults;  // 200 ms, doubling
  std::uint32_t attempts = 0;
  CHECK(next_retransmission_ns(0, 0, faults, attempts) == 0);
  CHECK(attempts == 0);
  CHECK(next_retransmission_ns(0, 150 * kMs, faults, attempts) == 200 * kMs);
  CHECK(attempts == 1);
  CHECK(next_retransmission_ns(0, 700 * kMs, faults, attempts) == 1400 * kMs);  // 200+400+800
  CHECK(attempts == 3);
  faults.rto_max_ns = 300 * kMs;  // capped: 200, then 300 each
  CHECK(next_retransmission_ns(0, 700 * kMs, faults, attempts) == 800 * kMs);
  CHECK(attempts == 3);
}

TEST_CASE("retransmissions failing past the timeout stall the direction for good") {
  link_faults faults;
  faults.loss_ppm = 999'999;  // practically every transmission is lost
  faults.timeout_ns = 1000 * kMs;
  stream_direction d;
  prng random(3);
  const segment_outcome first = d.send(0, 100, 50'000, false, faults, random);
  CHECK(first.stalled);
  CHECK(first.retransmissions == 2);  // at 200 and 600 ms; the next (1400 ms) is past 1 s
  CHECK(d.blocked());
  // Everything behind it waits too (head-of-line), whatever the loss would say.
  faults.loss_ppm = 0;
  CHECK(d.send(5 * kMs, 100, 50'000, false, faults, random).stalled);
}

TEST_CASE("a cut direction stalls frames; the heal resends them in order at the next RTO") {
  link_faults faults;
  stream_direction d;
  prng random(5);
  const segment_outcome before = d.send(0, 100, 50'000, false, faults, random);
  CHECK(before.deliver_at_ns == 50'000);
  CHECK(d.send(1 * kMs, 100, 50'000, true, faults, random).stalled);
  CHECK(d.send(2 * kMs, 100, 50'000, false, faults, random).stalled);  // behind the stalled one
  d.unblock();
  std::uint32_t retransmissions = 0;
  // Healed at 300 ms: the frame first sent at 1 ms was retransmitted in vain at 201 ms; the next
  // try is at 601 ms (1 + 200 + 400), and it takes 2 ms to arrive.
  CHECK(d.resend(1 * kMs, 300 * kMs, 2 * kMs, faults, retransmissions) == 603 * kMs);
  CHECK(retransmissions == 2);
  // The one behind it goes at 602 ms and would arrive first, but waits for it.
  CHECK(d.resend(2 * kMs, 300 * kMs, 10'000, faults, retransmissions) == 603 * kMs);
}

TEST_CASE("no fault drawn when the faults are off: the PRNG is left alone") {
  link_faults faults;
  stream_direction d;
  prng random(9), untouched(9);
  for (int i = 0; i < 100; ++i)
    d.send(static_cast<std::uint64_t>(i), 4096, 1000, false, faults, random);
  CHECK(random.next() == untouched.next());
}

TEST_CASE("a lossy cluster link delivers every write exactly once and in order") {
  cluster_options options;
  options.nodes = 2;
  options.seed = 17;
  options.link.loss_ppm = 100'000;
  options.link.duplicate_ppm = 100'000;
  options.link.reorder_ppm = 200'000;
  cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  // Writes to the same block, one after another: the last one must win on both disks, which a
  // reordered or duplicated (re-applied) data message would break.
  std::uint64_t tag = 0;
  for (std::uint8_t v = 1; v <= 40; ++v) {
    tag = c.write(0, 0, 0, block_of(v));
    REQUIRE(c.run_until_quiet());
    REQUIRE(c.result(tag).done);
    CHECK(c.result(tag).status == io_status::ok);
  }
  for (std::uint8_t v = 1; v <= 40; ++v) c.write(0, 0, v * kBlockBytes, block_of(v));
  REQUIRE(c.run_until_quiet());
  CHECK(c.disk_bytes(1, 0) == c.disk_bytes(0, 0));
  CHECK(c.disk_bytes(1, 0)[0] == std::byte{40});
  CHECK(c.counters(0, 1).retransmissions > 0);
  CHECK(c.counters(0, 1).duplicates_discarded > 0);
  CHECK(c.counters(0, 1).connection_timeouts == 0);
  CHECK(c.decode_errors() == 0);
}

TEST_CASE("a one-way cut: each end gives up on its own, and no connection forms until the heal") {
  cluster_options options;
  options.nodes = 2;
  options.seed = 4;
  options.link.timeout_ns = 1000 * kMs;
  options.link.ping_interval_ns = 3000 * kMs;
  cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  const std::uint64_t cut_ns = c.now_ns();
  c.cut_one_way(0, 1);
  const std::uint64_t tag = c.write(0, 0, 0, block_of(7));
  // n0's data to n1 is never acknowledged: n0 gives up one timeout after sending it; n1 sends
  // nothing until its ping, one ping interval after the cut, and gives up one timeout later.
  c.run_for(1100 * kMs);
  CHECK(log_lines_with(c, "n0 gives up on the connection to n1") == 1);
  CHECK(log_lines_with(c, "n1 gives up") == 0);
  CHECK(c.result(tag).done);  // completed without the peer once n0 dropped it
  CHECK(c.view(1).connections[0].conn == conn_state::connected);  // n1 still holds its half
  c.run_for(3000 * kMs);
  CHECK(log_lines_with(c, "n1 gives up on the connection to n0") == 1);
  CHECK(c.now_ns() - cut_ns >= 4000 * kMs);
  CHECK(c.counters(0, 1).connection_timeouts == 1);
  CHECK(c.counters(1, 0).connection_timeouts == 1);
  CHECK(c.counters(0, 1).partition_stalls >= 1);
  CHECK(c.counters(1, 0).partition_stalls == 0);  // n1 -> n0 was never cut
  // Reconnect attempts fail while one direction is cut.
  c.run_for(2000 * kMs);
  CHECK(c.view(0).connections[0].conn != conn_state::connected);
  CHECK(c.view(1).connections[0].conn != conn_state::connected);
  c.heal_one_way(0, 1);
  REQUIRE(c.run_until_quiet());
  CHECK(c.view(0).connections[0].conn == conn_state::connected);
  CHECK(c.view(1).volumes[0].disk == disk_state::uptodate);
  CHECK(c.disk_bytes(1, 0) == c.disk_bytes(0, 0));
}

TEST_CASE("a one-way cut healed before the timeout costs only retransmissions") {
  cluster_options options;
  options.nodes = 2;
  options.seed = 8;
  cluster c(options);  // timeout 6 s
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  c.cut_one_way(0, 1);
  const std::uint64_t tag = c.write(0, 0, 0, block_of(9));
  c.run_for(300 * kMs);
  CHECK_FALSE(c.result(tag).done);  // protocol C: waiting for n1, which has not got the data
  c.heal_one_way(0, 1);
  REQUIRE(c.run_until_quiet());
  CHECK(c.result(tag).status == io_status::ok);
  CHECK(c.counters(0, 1).retransmissions >= 1);
  CHECK(c.counters(0, 1).connection_timeouts == 0);
  CHECK(log_lines_with(c, "gives up") == 0);
  CHECK(c.disk_bytes(1, 0)[0] == std::byte{9});
}
