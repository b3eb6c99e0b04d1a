#include <doctest/doctest.h>

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
