// diff_desired_states / apply_desired_state_delta: a delta carries exactly the entries that
// changed, and applying it to the old state gives the new one, for random pairs of states.
#include <doctest/doctest.h>

#include "core/cluster/desired_state_delta.h"
#include "tests/core/cluster/desired_state_samples.h"

using namespace tandem::cluster;
using tandem::cluster::testing::random_states;

namespace {

desired_resource resource_named(const std::string& name, std::uint16_t port = 7000) {
  desired_resource r = testing::state_with({name}).resources.front();
  r.port = port;
  return r;
}

// With a pool, so that a delta of resources alone leaves the pools be.
node_desired_state state_of(const std::vector<std::string>& names) {
  node_desired_state s = testing::state_with(names);
  s.pools.push_back({"pool1", pool_kind::file_thin, "/srv/pool1", {}});
  return s;
}

}  // namespace

TEST_CASE("a delta names what was added, changed and removed, and nothing else") {
  const node_desired_state before = state_of({"a", "b", "c"});
  node_desired_state after = state_of({"a", "c", "d"});
  after.resources[1].port = 7001;  // c changed
  after.nbd_port = 10900;
  const desired_state_delta delta = diff_desired_states(before, after);
  REQUIRE(delta.nbd.has_value());
  CHECK(*delta.nbd == nbd_listen{"127.0.0.1", 10900});
  CHECK(delta.changed_pools.empty());
  CHECK(delta.removed_pools.empty());
  REQUIRE(delta.changed_resources.size() == 2);
  CHECK(delta.changed_resources[0] == after.resources[1]);  // c
  CHECK(delta.changed_resources[1] == after.resources[2]);  // d
  CHECK(delta.removed_resources == std::vector<std::string>{"b"});
  CHECK(apply_desired_state_delta(before, delta) == after);
  CHECK(diff_desired_states(after, after).empty());
}

TEST_CASE("new entries are merged in name order, names match case-insensitively") {
  const node_desired_state before = state_of({"b", "D"});
  desired_state_delta delta;
  delta.changed_resources = {resource_named("e"), resource_named("a"), resource_named("c"),
                             resource_named("d", 7005)};
  delta.removed_resources = {"B"};
  const node_desired_state after = apply_desired_state_delta(before, delta);
  std::vector<std::string> names;
  for (const desired_resource& r : after.resources) names.push_back(r.name);
  CHECK(names == std::vector<std::string>{"a", "c", "d", "e"});
  CHECK(after.resources[2].port == 7005);  // "d" replaced "D" in place
}

TEST_CASE("removing or replacing what the base does not have is harmless") {
  const node_desired_state before = state_of({"a"});
  desired_state_delta delta;
  delta.removed_resources = {"zz"};
  delta.removed_pools = {"nopool"};
  CHECK(apply_desired_state_delta(before, delta) == before);
}

TEST_CASE("apply(old, diff(old, new)) == new for random states") {
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    CAPTURE(seed);
    random_states random(seed);
    node_desired_state old_state = random.state();
    // Related states (one change after another) and unrelated ones.
    for (int step = 0; step < 5; ++step) {
      const node_desired_state new_state = step == 4 ? random.state() : random.next(old_state);
      const desired_state_delta delta = diff_desired_states(old_state, new_state);
      REQUIRE(apply_desired_state_delta(old_state, delta) == new_state);
      CHECK(delta.empty() == (old_state == new_state));
      // Only entries that are in the new state and not equal in the old one travel.
      CHECK(delta.changed_resources.size() <= new_state.resources.size());
      bool unchanged_entry_sent = false;
      for (const desired_resource& r : delta.changed_resources) {
        for (const desired_resource& o : old_state.resources) unchanged_entry_sent |= o == r;
      }
      CHECK_FALSE(unchanged_entry_sent);
      old_state = new_state;
    }
  }
}
