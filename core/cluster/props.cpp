#include "core/cluster/props.h"

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
  const resource_definition* rd = c.find_definition(rsc.definition);
  props out = c.controller_properties;
  // Later levels override earlier ones: controller < RG < RD < resource.
  if (const props* rg = group_props_of(c, rd)) {
    for (const auto& [k, v] : *rg) out[k] = v;
  }
  if (rd != nullptr) {
    for (const auto& [k, v] : rd->properties) out[k] = v;
  }
  for (const auto& [k, v] : rsc.properties) out[k] = v;
  return out;
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
