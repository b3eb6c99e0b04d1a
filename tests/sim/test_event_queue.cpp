#include <doctest/doctest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/event_queue.h"

using tandem::sim::event_queue;

TEST_CASE("events run in time order, ties in scheduling order") {
  event_queue q;
  std::vector<int> order;
  q.at(300, [&] { order.push_back(3); });
  q.at(100, [&] { order.push_back(1); });
  q.at(100, [&] { order.push_back(2); });
  q.at(50, [&] { q.after(0, [&] { order.push_back(0); }); });
  while (q.run_one()) {
  }
  CHECK(order == std::vector<int>{0, 1, 2, 3});
  CHECK(q.now_ns() == 300);
  CHECK(q.executed() == 5);
}

TEST_CASE("run_until stops at the bound and advances the clock") {
  event_queue q;
  int ran = 0;
  q.at(10, [&] { ++ran; });
  q.at(20, [&] { ++ran; });
  q.run_until(15);
  CHECK(ran == 1);
  CHECK(q.now_ns() == 15);
  CHECK(q.pending() == 1);
  // An event scheduled in the past runs "now", never earlier than the clock.
  q.at(5, [&] { ++ran; });
  q.run_one();
  CHECK(q.now_ns() == 15);
}

TEST_CASE("observation points see every event at or before them and change nothing") {
  event_queue q;
  int ran = 0;
  std::vector<std::pair<std::uint64_t, int>> seen;  // (point, events run by then)
  q.observe_every(10, [&](std::uint64_t t) { seen.emplace_back(t, ran); });
  q.at(10, [&] { ++ran; });
  q.at(25, [&] { ++ran; });
  q.at(25, [&] { ++ran; });
  while (q.run_one()) {
  }
  q.finish_observations();
  // 10 sees the event at 10; 20 not yet those at 25; the end adds 30 with the final state.
  CHECK(seen == std::vector<std::pair<std::uint64_t, int>>{{0, 0}, {10, 1}, {20, 1}, {30, 3}});
  CHECK(q.executed() == 3);
  CHECK(q.pending() == 0);
}

TEST_CASE("run_until takes the points it passed before the caller acts at its end") {
  event_queue q;
  int state = 0;
  std::vector<std::pair<std::uint64_t, int>> seen;
  q.observe_every(10, [&](std::uint64_t t) { seen.emplace_back(t, state); });
  q.run_until(25);
  state = 1;  // an operator action at 25, outside the queue
  q.at(40, [] {});
  q.run_until(40);
  CHECK(seen == std::vector<std::pair<std::uint64_t, int>>{{0, 0}, {10, 0}, {20, 0}, {30, 1}});
}
