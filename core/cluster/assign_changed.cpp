#include "core/cluster/assign_changed.h"

namespace tandem::cluster {

namespace {

// One pass over both sorted maps: insert what target lacks, erase what source lacks, copy the
// values that differ.
template <typename Map>
void assign_changed_map(Map& target, const Map& source) {
  auto t = target.begin();
  auto s = source.begin();
  const auto less = source.key_comp();
  while (s != source.end()) {
    if (t == target.end() || less(s->first, t->first)) {
      target.emplace_hint(t, *s);  // before t, which stays the next one to look at
      ++s;
    } else if (less(t->first, s->first)) {
      t = target.erase(t);
    } else {
      if (!(t->second == s->second)) t->second = s->second;
      ++t;
      ++s;
    }
  }
  target.erase(t, target.end());
}

}  // namespace

void assign_changed(cluster& target, const cluster& source) {
  assign_changed_map(target.controller_properties, source.controller_properties);
  assign_changed_map(target.nodes, source.nodes);
  assign_changed_map(target.pools, source.pools);
  assign_changed_map(target.groups, source.groups);
  assign_changed_map(target.definitions, source.definitions);
  assign_changed_map(target.resources, source.resources);
  assign_changed_map(target.snapshots, source.snapshots);
}

}  // namespace tandem::cluster
