#include "core/cluster/desired_state_delta.h"

#include <map>
#include <set>
#include <utility>

namespace tandem::cluster {

namespace {

// Pools and resources alike: entries with a `name`, unique by name_key.
template <typename Entry>
void diff_entries(const std::vector<Entry>& from, const std::vector<Entry>& to,
                  std::vector<Entry>& changed, std::vector<std::string>& removed) {
  std::map<std::string, const Entry*> old_by_key;
  for (const Entry& e : from) old_by_key.emplace(name_key(e.name), &e);
  for (const Entry& e : to) {
    auto old = old_by_key.find(name_key(e.name));
    if (old == old_by_key.end()) {
      changed.push_back(e);
      continue;
    }
    if (!(*old->second == e)) changed.push_back(e);
    old_by_key.erase(old);
  }
  for (const auto& [key, e] : old_by_key) removed.push_back(e->name);
}

// One pass over `entries`: removed ones are skipped, changed ones replace their namesake, and the
// new ones are merged in by name_key, each before the first kept entry that sorts after it.
template <typename Entry>
std::vector<Entry> apply_entries(std::vector<Entry> entries, const std::vector<Entry>& changed,
                                 const std::vector<std::string>& removed) {
  std::set<std::string> gone;
  for (const std::string& name : removed) gone.insert(name_key(name));
  std::vector<std::string> keys;
  std::set<std::string> kept;
  for (const Entry& e : entries) {
    keys.push_back(name_key(e.name));
    if (!gone.contains(keys.back())) kept.insert(keys.back());
  }
  std::map<std::string, const Entry*> replacements;
  std::map<std::string, const Entry*> insertions;  // ordered: merged in key order
  for (const Entry& e : changed) {
    std::string key = name_key(e.name);
    (kept.contains(key) ? replacements : insertions)[std::move(key)] = &e;  // the last one wins
  }
  std::vector<Entry> out;
  out.reserve(entries.size() + insertions.size());
  auto insert_before = [&](const std::string* key) {
    while (!insertions.empty() && (key == nullptr || insertions.begin()->first < *key)) {
      out.push_back(*insertions.begin()->second);
      insertions.erase(insertions.begin());
    }
  };
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (gone.contains(keys[i])) continue;
    insert_before(&keys[i]);
    auto replacement = replacements.find(keys[i]);
    if (replacement == replacements.end()) {
      out.push_back(std::move(entries[i]));
    } else {
      out.push_back(*replacement->second);
    }
  }
  insert_before(nullptr);
  return out;
}

}  // namespace

desired_state_delta diff_desired_states(const node_desired_state& from,
                                        const node_desired_state& to) {
  desired_state_delta delta;
  if (from.nbd_address != to.nbd_address || from.nbd_port != to.nbd_port) {
    delta.nbd = nbd_listen{to.nbd_address, to.nbd_port};
  }
  diff_entries(from.pools, to.pools, delta.changed_pools, delta.removed_pools);
  diff_entries(from.resources, to.resources, delta.changed_resources, delta.removed_resources);
  return delta;
}

node_desired_state apply_desired_state_delta(node_desired_state base,
                                             const desired_state_delta& delta) {
  if (delta.nbd) {
    base.nbd_address = delta.nbd->address;
    base.nbd_port = delta.nbd->port;
  }
  base.pools = apply_entries(std::move(base.pools), delta.changed_pools, delta.removed_pools);
  base.resources =
      apply_entries(std::move(base.resources), delta.changed_resources, delta.removed_resources);
  return base;
}

}  // namespace tandem::cluster
