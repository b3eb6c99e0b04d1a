// Node desired states for the tests of the delta (core/cluster/desired_state_delta.h), its codec,
// the controller's sender and the satellite's tracker: a state with named resources, and random
// states with names from a small set (mixed case, so that matching by name_key matters) and
// field values from few choices, so that two states share most entries, as a node's states do
// from one change to the next. Entries are in name_key order, as desired_state_for_node lists them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/cluster/desired_state.h"

namespace tandem::cluster::testing {

// Node alpha with one minimal resource of each name (port 7000, secret "s").
inline node_desired_state state_with(const std::vector<std::string>& names) {
  node_desired_state s;
  s.node_name = "alpha";
  for (const std::string& name : names) {
    desired_resource r;
    r.name = name;
    r.port = 7000;
    r.secret = "s";
    s.resources.push_back(r);
  }
  return s;
}

class random_states {
 public:
  explicit random_states(std::uint64_t seed) : prng_(seed) {}

  node_desired_state state() {
    node_desired_state s;
    s.node_name = "alpha";
    s.nbd_address = pick({"127.0.0.1", "127.0.0.2"});
    s.nbd_port = static_cast<std::uint16_t>(pick_number({10809, 10900}));
    for (int i = below(4); i > 0; --i) s.pools.push_back(pool());
    for (int i = below(12); i > 0; --i) s.resources.push_back(resource());
    canonical(s);
    return s;
  }

  // `from` with each entry kept, changed or removed and a few added: a plausible next state.
  node_desired_state next(const node_desired_state& from) {
    node_desired_state s = from;
    if (below(4) == 0) s.nbd_port = static_cast<std::uint16_t>(s.nbd_port + 1);
    mutate(s.pools, [this] { return pool(); });
    mutate(s.resources, [this] { return resource(); });
    canonical(s);
    return s;
  }

 private:
  int below(int n) { return static_cast<int>(prng_() % static_cast<std::uint64_t>(n)); }
  std::string pick(std::initializer_list<const char*> choices) {
    return *(choices.begin() + below(static_cast<int>(choices.size())));
  }
  std::uint64_t pick_number(std::initializer_list<std::uint64_t> choices) {
    return *(choices.begin() + below(static_cast<int>(choices.size())));
  }
  std::string name(const char* prefix) {
    std::string out = prefix + std::to_string(below(16));
    if (below(4) == 0) out[0] = static_cast<char>(out[0] - 'a' + 'A');
    return out;
  }

  desired_pool pool() {
    desired_pool p;
    p.name = name("pool");
    p.kind = below(2) == 0 ? pool_kind::file_thin : pool_kind::lvm;
    p.source = pick({"/srv/a", "vg0"});
    if (below(2) == 0) p.properties["StorDriver/StorPoolName"] = p.source;
    return p;
  }

  desired_resource resource() {
    desired_resource r;
    r.name = name("vm-");
    r.node_id = static_cast<std::uint32_t>(below(3));
    r.port = static_cast<std::uint16_t>(7000 + below(3));
    r.secret = pick({"c2VjcmV0", "b3RoZXI="});
    r.diskless = below(3) == 0;
    r.tie_breaker = r.diskless && below(2) == 0;
    r.quorum = pick({"off", "majority"});
    if (below(2) == 0) r.options["Disk/al-extents"] = pick({"6007", "1237"});
    for (int v = below(3); v > 0; --v) {
      r.volumes.push_back({static_cast<std::uint32_t>(r.volumes.size()), 1000,
                           pick_number({1048576, 2097152}), 1048576, 1052672, "pool1",
                           pool_kind::file_thin, "/srv/a", pick({"", "old/snap1"})});
    }
    for (std::uint32_t id = 0; id <= r.node_id; ++id) {
      r.nodes.push_back({"node" + std::to_string(id), id, "127.0.0." + std::to_string(2 + id),
                         r.port, false, false});
    }
    r.nbd = {!r.tie_breaker, "127.0.0.1", 10809, r.name};
    if (below(3) == 0) r.snapshots.push_back(pick({"snap1", "snap2"}));
    r.day0_uuid = pick({"", "00c0ffee12345678"});
    return r;
  }

  template <typename Entry, typename Make>
  void mutate(std::vector<Entry>& entries, Make make) {
    std::vector<Entry> out;
    for (Entry& e : entries) {
      const int fate = below(4);  // 0, 1: kept; 2: changed (same name); 3: removed
      if (fate == 3) continue;
      if (fate == 2) {
        Entry changed = make();
        changed.name = e.name;
        e = std::move(changed);
      }
      out.push_back(std::move(e));
    }
    for (int i = below(3); i > 0; --i) out.push_back(make());
    entries = std::move(out);
  }

  // name_key order with unique keys (the first of equal keys stays).
  template <typename Entry>
  static void canonical(std::vector<Entry>& entries) {
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return name_key(a.name) < name_key(b.name);
    });
    entries.erase(std::unique(entries.begin(), entries.end(),
                              [](const Entry& a, const Entry& b) {
                                return name_key(a.name) == name_key(b.name);
                              }),
                  entries.end());
  }
  static void canonical(node_desired_state& s) {
    canonical(s.pools);
    canonical(s.resources);
  }

  std::mt19937_64 prng_;  // its sequence is fixed by the standard, unlike std:: distributions
};

}  // namespace tandem::cluster::testing
