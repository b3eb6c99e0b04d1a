// Brings a second copy of the model up to date by copying only the objects that differ.
// The controller keeps two such copies (the one it serves and the one a mutation works on), and
// the store keeps the committed one; copying all of a 10 000-resource model per mutation made
// mass spawns quadratic, while comparing equal objects costs no allocation.
#pragma once

#include "core/cluster/model.h"

namespace tandem::cluster {

// Ignores every change (assign_changed without a listener).
struct ignore_changes {
  template <typename Key, typename Object>
  void operator()(const Key&, const Object*) {}
};

namespace detail {

// One pass over both sorted maps: insert what target lacks, erase what source lacks, copy the
// values that differ; each of them is told to `changed` (null: erased).
template <typename Map, typename Listener>
void assign_changed_map(Map& target, const Map& source, Listener& changed) {
  auto t = target.begin();
  auto s = source.begin();
  const auto less = source.key_comp();
  while (s != source.end()) {
    if (t == target.end() || less(s->first, t->first)) {
      target.emplace_hint(t, *s);  // before t, which stays the next one to look at
      changed(s->first, &s->second);
      ++s;
    } else if (less(t->first, s->first)) {
      changed(t->first, static_cast<const typename Map::mapped_type*>(nullptr));
      t = target.erase(t);
    } else {
      if (!(t->second == s->second)) {
        t->second = s->second;
        changed(s->first, &s->second);
      }
      ++t;
      ++s;
    }
  }
  for (; t != target.end(); t = target.erase(t)) {
    changed(t->first, static_cast<const typename Map::mapped_type*>(nullptr));
  }
}

}  // namespace detail

// Afterwards target == source; objects equal in both are left untouched. `changed(key, now)` is
// called for each object copied, inserted or erased (now null), with the model's map key; the
// controller properties come as one object with an empty key. It walks cluster's members one
// by one: a member added to cluster must be added here too (tests/core/cluster/
// test_assign_changed.cpp compares whole models).
template <typename Listener = ignore_changes>
void assign_changed(cluster& target, const cluster& source, Listener&& changed = {}) {
  if (target.controller_properties != source.controller_properties) {
    target.controller_properties = source.controller_properties;
    changed(std::string(), &source.controller_properties);
  }
  detail::assign_changed_map(target.nodes, source.nodes, changed);
  detail::assign_changed_map(target.pools, source.pools, changed);
  detail::assign_changed_map(target.groups, source.groups, changed);
  detail::assign_changed_map(target.definitions, source.definitions, changed);
  detail::assign_changed_map(target.resources, source.resources, changed);
  detail::assign_changed_map(target.snapshots, source.snapshots, changed);
}

}  // namespace tandem::cluster
