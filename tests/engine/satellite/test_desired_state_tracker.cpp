// The satellite's copy of the controller's state: deltas patch it only on the generation they
// name; any other base gets one resync_request, and the full state that answers it starts over.
// And end to end: what the controller sends rebuilds exactly the controller's state.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "engine/controller/desired_state_sender.h"
#include "engine/controller/satellite_messages.h"
#include "engine/satellite/desired_state_tracker.h"
#include "tests/core/cluster/desired_state_samples.h"

using namespace tandem;
using nlohmann::json;
namespace cl = tandem::cluster;
using cl::testing::state_with;
using satellite::desired_state_tracker;

namespace {

json full(const std::vector<std::string>& names, std::uint64_t generation) {
  return controller::desired_state_message(state_with(names), generation);
}

json delta(const std::vector<std::string>& from, const std::vector<std::string>& to,
           std::uint64_t base_generation, std::uint64_t generation) {
  return controller::desired_state_delta_message(
      cl::diff_desired_states(state_with(from), state_with(to)), base_generation, generation);
}

satellite::decoded_state converged(desired_state_tracker::outcome outcome) {
  auto* c = std::get_if<desired_state_tracker::converge>(&outcome);
  REQUIRE(c != nullptr);
  return c->state;
}

}  // namespace

TEST_CASE("a delta on the satellite's generation gives the whole new state") {
  desired_state_tracker tracker;
  CHECK(converged(tracker.accept(full({"a", "b"}, 1))).state == state_with({"a", "b"}));
  const satellite::decoded_state next =
      converged(tracker.accept(delta({"a", "b"}, {"b", "c"}, 1, 2)));
  CHECK(next.generation == 2);
  CHECK(next.state == state_with({"b", "c"}));
  CHECK(tracker.generation() == 2);
}

TEST_CASE("a delta on another generation asks once for a full state, which starts over") {
  desired_state_tracker tracker;
  converged(tracker.accept(full({"a"}, 1)));
  auto outcome = tracker.accept(delta({"a", "x"}, {"a", "x", "y"}, 5, 6));  // missed 2..5
  auto* ask = std::get_if<desired_state_tracker::ask_for_full_state>(&outcome);
  REQUIRE(ask != nullptr);
  CHECK(ask->generation == 1);
  CHECK(ask->why.find("generation 5") != std::string::npos);
  // Deltas the controller sent before it saw the request are stale: no second request.
  CHECK(std::holds_alternative<desired_state_tracker::wait_for_full_state>(
      tracker.accept(delta({"a", "x", "y"}, {"a"}, 6, 7))));
  CHECK(converged(tracker.accept(full({"z"}, 8))).state == state_with({"z"}));
  CHECK(converged(tracker.accept(delta({"z"}, {}, 8, 9))).state == state_with({}));
}

TEST_CASE("a delta before any full state, or one that does not decode, asks for a full state") {
  desired_state_tracker tracker;
  auto first = tracker.accept(delta({}, {"a"}, 0, 1));
  REQUIRE(std::holds_alternative<desired_state_tracker::ask_for_full_state>(first));
  CHECK(std::get<desired_state_tracker::ask_for_full_state>(first).generation == 0);

  converged(tracker.accept(full({"a"}, 1)));
  json bad = delta({"a"}, {"a", "b"}, 1, 2);
  bad["resources"][0]["port"] = "seven thousand";
  auto outcome = tracker.accept(bad);
  auto* ask = std::get_if<desired_state_tracker::ask_for_full_state>(&outcome);
  REQUIRE(ask != nullptr);
  CHECK(ask->why.find("resources[0].port") != std::string::npos);
}

TEST_CASE("a full state that does not decode is refused and leaves no base for deltas") {
  desired_state_tracker tracker;
  converged(tracker.accept(full({"a"}, 1)));
  json bad = full({"a", "b"}, 2);
  bad["resources"][1].erase("secret");
  auto outcome = tracker.accept(bad);
  auto* refused = std::get_if<desired_state_tracker::refuse>(&outcome);
  REQUIRE(refused != nullptr);
  CHECK(refused->generation == 2);
  CHECK(refused->why.find("resources[1].secret") != std::string::npos);
  CHECK(tracker.generation() == 0);
  CHECK(std::holds_alternative<desired_state_tracker::ask_for_full_state>(
      tracker.accept(delta({"a", "b"}, {"a"}, 2, 3))));
}

TEST_CASE("controller sender to satellite tracker rebuilds every random state") {
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    CAPTURE(seed);
    cl::testing::random_states random(seed);
    controller::desired_state_sender sender;
    desired_state_tracker tracker;
    cl::node_desired_state state = random.state();
    sender.update(state);
    std::string line = sender.on_online();
    for (int step = 0; step < 8; ++step) {
      if (!line.empty()) {
        const satellite::decoded_state got = converged(tracker.accept(json::parse(line)));
        REQUIRE(got.state == state);
        CHECK(got.generation == sender.generation());
      }
      state = random.next(state);
      line = sender.update(state);
    }
  }
}
