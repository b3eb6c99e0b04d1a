#include "core/cluster/props.h"

#include <iterator>

namespace tandem::cluster {

std::optional<std::string> first_hit(std::initializer_list<const props*> chain,
                                     std::string_view key) {
  for (const props* map : chain) {
    if (map == nullptr) continue;
    auto it = map->find(std::string(key));
    if (it != map->end()) return it->second;
  }
  return std::nullopt;
}

namespace {

const props* group_props_of(const cluster& c, const resource_definition* rd) {
  if (rd == nullptr) return nullptr;
  const resource_group* rg = c.find_group(rd->resource_group);
  return rg == nullptr ? nullptr : &rg->properties;
}

}  // namespace

props effective_resource_props(const cluster& c, const resource& rsc) {
  props out;
  for_each_effective_resource_prop(c, rsc, [&](const std::string& k, const std::string& v) {
    out.emplace_hint(out.end(), k, v);
  });
  return out;
}

void for_each_effective_resource_prop(
    const cluster& c, const resource& rsc,
    const std::function<void(const std::string& key, const std::string& value)>& visit) {
  const resource_definition* rd = c.find_definition(rsc.definition);
  // Later levels override earlier ones: controller < RG < RD < resource. A merge of the sorted
  // maps: the smallest key of the levels next, its value from the last level that has it.
  const props* levels[] = {&c.controller_properties, group_props_of(c, rd),
                           rd == nullptr ? nullptr : &rd->properties, &rsc.properties};
  props::const_iterator next[std::size(levels)];
  for (std::size_t i = 0; i < std::size(levels); ++i) {
    if (levels[i] != nullptr) next[i] = levels[i]->begin();
  }
  const auto exhausted = [&](std::size_t i) {
    return levels[i] == nullptr || next[i] == levels[i]->end();
  };
  for (;;) {
    const std::string* key = nullptr;  // the smallest key not visited yet
    for (std::size_t i = 0; i < std::size(levels); ++i) {
      if (!exhausted(i) && (key == nullptr || next[i]->first < *key)) key = &next[i]->first;
    }
    if (key == nullptr) return;
    const std::string* value = nullptr;
    for (std::size_t i = 0; i < std::size(levels); ++i) {
      if (!exhausted(i) && next[i]->first == *key) value = &next[i]->second;
    }
    visit(*key, *value);
    // `key` stays valid: it is a map node's, and moving past that node does not free it.
    for (std::size_t i = 0; i < std::size(levels); ++i) {
      if (!exhausted(i) && next[i]->first == *key) ++next[i];
    }
  }
}

std::optional<std::string> definition_prop(const cluster& c, const resource_definition& rd,
                                           std::string_view key) {
  return first_hit({&rd.properties, group_props_of(c, &rd), &c.controller_properties}, key);
}

std::optional<std::string> resource_node_prop(const cluster& c, const resource& rsc,
                                              std::string_view key) {
  const node* n = c.find_node(rsc.node_name);
  const resource_definition* rd = c.find_definition(rsc.definition);
  return first_hit(
      {&rsc.properties, n == nullptr ? nullptr : &n->properties,
       rd == nullptr ? nullptr : &rd->properties, group_props_of(c, rd), &c.controller_properties},
      key);
}

std::optional<bool> parse_bool(std::string_view text) {
  std::string lower = name_key(text);
  if (lower == "true" || lower == "yes" || lower == "1") return true;
  if (lower == "false" || lower == "no" || lower == "0") return false;
  return std::nullopt;
}

}  // namespace tandem::cluster
