#include <doctest/doctest.h>

#include <set>

#include "sim/prng.h"

using tandem::sim::prng;

TEST_CASE("prng is a pure function of its seed") {
  prng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next();
    CHECK(x == b.next());
    differs = differs || x != c.next();
  }
  CHECK(differs);
}

TEST_CASE("prng output is pinned, so replays stay byte-identical across builds") {
  // Recorded once; a change here means every recorded seed replays differently.
  prng p(1);
  CHECK(p.next() == 0xb3f2af6d0fc710c5ull);
  CHECK(p.next() == 0x853b559647364ceaull);
  CHECK(p.next() == 0x92f89756082a4514ull);
  CHECK(p.below(1000000) == 545383);
}

TEST_CASE("below() stays in range and covers it") {
  prng p(7);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto v = p.below(10);
    CHECK(v < 10);
    seen.insert(v);
  }
  CHECK(seen.size() == 10);
  CHECK(p.below(0) == 0);
  CHECK(p.below(1) == 0);
  for (int i = 0; i < 100; ++i) {
    const auto v = p.between(5, 7);
    CHECK(v >= 5);
    CHECK(v <= 7);
  }
}

TEST_CASE("forked streams are independent of later draws in the parent") {
  prng parent(9);
  prng child = parent.fork();
  prng parent2(9);
  prng child2 = parent2.fork();
  parent.next();  // extra draw in one parent only
  CHECK(child.next() == child2.next());
}
