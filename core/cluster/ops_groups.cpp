// Resource groups, volume groups and spawn.
#include <algorithm>

#include "core/cluster/automation.h"
#include "core/cluster/ops_common.h"

namespace tandem::cluster {

using detail::quoted;

namespace {

// Values that no placement could ever satisfy; names are checked when placing.
std::string check_filter(const select_filter& filter) {
  if (filter.place_count && (*filter.place_count < 1 || *filter.place_count > 16)) {
    return "place_count " + std::to_string(*filter.place_count) + " outside 1..16";
  }
  for (const auto& [key, count] : filter.x_replicas_on_different) {
    if (count < 1) return "x_replicas_on_different '" + key + "' must allow at least 1 replica";
  }
  return {};
}

}  // namespace

api_call_rcs create_resource_group(cluster& c, const op_env& env, resource_group rg) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kResourceGroup;
  if (std::string why = check_name("resource group", rg.name); !why.empty()) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidResourceGroupName, why));
    return rcs;
  }
  if (c.find_group(rg.name) != nullptr) {
    rcs.push_back(error_rc(obj | rc::kFailExistsResourceGroup,
                           "Resource group " + quoted(rg.name) + " already exists."));
    return rcs;
  }
  if (std::string why = check_filter(rg.filter); !why.empty()) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidPlaceCount, "Invalid select_filter: " + why));
    return rcs;
  }
  for (const auto& [key, value] : rg.properties) {
    if (std::string why = check_property(key, value); !why.empty()) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidProperty, why));
      return rcs;
    }
  }
  rg.uuid = env.new_uuid();
  const std::string display = rg.name;
  c.groups.emplace(name_key(rg.name), std::move(rg));
  rcs.push_back(
      success_rc(obj | rc::kCreated, "New resource group " + quoted(display) + " created."));
  return rcs;
}

api_call_rcs modify_resource_group(cluster& c, const op_env& env, const std::string& name,
                                   const std::optional<std::string>& description,
                                   const std::optional<select_filter>& filter,
                                   const props_change& change) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kModify | rc::kResourceGroup;
  resource_group* rg = c.find_group(name);
  if (rg == nullptr) {
    rcs.push_back(detail::not_found_group(obj, name));
    return rcs;
  }
  if (filter) {
    select_filter merged = select_filter::merged(rg->filter, *filter);
    if (std::string why = check_filter(merged); !why.empty()) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidPlaceCount, "Invalid select_filter: " + why));
      return rcs;
    }
    rg->filter = merged;
  }
  if (description) rg->description = *description;
  if (!detail::apply_props_change(rg->properties, change, obj, rcs)) return rcs;
  rcs.push_back(
      success_rc(obj | rc::kModified, "Resource group " + quoted(rg->name) + " modified."));
  if (filter && filter->place_count) {
    const std::string group = rg->name;
    const std::uint32_t wanted = *filter->place_count;
    std::vector<std::string> definitions;
    for (const auto& [key, rd] : c.definitions) {
      if (name_key(rd.resource_group) == name_key(group) && !rd.volumes.empty() &&
          !c.resources_of(rd.name).empty() && count_replicas(c, rd.name).diskful < wanted) {
        definitions.push_back(rd.name);
      }
    }
    for (const std::string& definition : definitions) {
      for (api_call_rc r : autoplace_definition(c, env, definition, {})) {
        if (rc::is_error(r.ret_code)) r.ret_code = (r.ret_code & ~rc::kMaskError) | rc::kMaskWarn;
        rcs.push_back(std::move(r));
      }
    }
  }
  return rcs;
}

api_call_rcs delete_resource_group(cluster& c, const std::string& name) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kDelete | rc::kResourceGroup;
  const resource_group* rg = c.find_group(name);
  if (rg == nullptr) {
    rcs.push_back(detail::not_found_group(obj, name));
    return rcs;
  }
  if (name_key(name) == name_key(kDefaultResourceGroup)) {
    rcs.push_back(error_rc(obj | rc::kFailInUse, "The default resource group " + quoted(rg->name) +
                                                     " cannot be deleted."));
    return rcs;
  }
  for (const auto& [key, rd] : c.definitions) {
    if (name_key(rd.resource_group) == name_key(name)) {
      rcs.push_back(error_rc(obj | rc::kFailInUse, "Resource group " + quoted(rg->name) +
                                                       " is still used by resource definition " +
                                                       quoted(rd.name) + "."));
      return rcs;
    }
  }
  const std::string display = rg->name;
  c.groups.erase(name_key(name));
  rcs.push_back(success_rc(obj | rc::kDeleted, "Resource group " + quoted(display) + " deleted."));
  return rcs;
}

api_call_rcs create_volume_group(cluster& c, const op_env& env, const std::string& group,
                                 std::optional<std::uint32_t> number, props properties) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kVolumeGroup;
  resource_group* rg = c.find_group(group);
  if (rg == nullptr) {
    rcs.push_back(detail::not_found_group(obj, group));
    return rcs;
  }
  std::uint32_t next = 0;
  for (const volume_group& vg : rg->volume_groups) next = std::max(next, vg.number + 1);
  const std::uint32_t chosen = number.value_or(next);
  for (const volume_group& vg : rg->volume_groups) {
    if (vg.number == chosen) {
      rcs.push_back(error_rc(obj | rc::kFailExistsVolumeGroup,
                             "Volume group " + std::to_string(chosen) + " already exists in " +
                                 quoted(rg->name) + "."));
      return rcs;
    }
  }
  for (const auto& [key, value] : properties) {
    if (std::string why = check_property(key, value); !why.empty()) {
      rcs.push_back(error_rc(obj | rc::kFailInvalidProperty, why));
      return rcs;
    }
  }
  rg->volume_groups.push_back({chosen, std::move(properties), env.new_uuid()});
  std::sort(rg->volume_groups.begin(), rg->volume_groups.end(),
            [](const volume_group& a, const volume_group& b) { return a.number < b.number; });
  rcs.push_back(success_rc(obj | rc::kCreated, "New volume group " + std::to_string(chosen) +
                                                   " of " + quoted(rg->name) + " created."));
  return rcs;
}

namespace {

volume_group* find_volume_group(resource_group& rg, std::uint32_t number) {
  for (volume_group& vg : rg.volume_groups) {
    if (vg.number == number) return &vg;
  }
  return nullptr;
}

api_call_rc vg_not_found(std::uint64_t obj, const resource_group& rg, std::uint32_t number) {
  return error_rc(obj | rc::kFailNotFoundVolumeGroup, "Volume group " + std::to_string(number) +
                                                          " not found in " + quoted(rg.name) + ".");
}

}  // namespace

api_call_rcs modify_volume_group(cluster& c, const std::string& group, std::uint32_t number,
                                 const props_change& change) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kModify | rc::kVolumeGroup;
  resource_group* rg = c.find_group(group);
  if (rg == nullptr) {
    rcs.push_back(detail::not_found_group(obj, group));
    return rcs;
  }
  volume_group* vg = find_volume_group(*rg, number);
  if (vg == nullptr) {
    rcs.push_back(vg_not_found(obj, *rg, number));
    return rcs;
  }
  if (!detail::apply_props_change(vg->properties, change, obj, rcs)) return rcs;
  rcs.push_back(success_rc(obj | rc::kModified, "Volume group " + std::to_string(number) + " of " +
                                                    quoted(rg->name) + " modified."));
  return rcs;
}

api_call_rcs delete_volume_group(cluster& c, const std::string& group, std::uint32_t number) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kDelete | rc::kVolumeGroup;
  resource_group* rg = c.find_group(group);
  if (rg == nullptr) {
    rcs.push_back(detail::not_found_group(obj, group));
    return rcs;
  }
  if (find_volume_group(*rg, number) == nullptr) {
    rcs.push_back(vg_not_found(obj, *rg, number));
    return rcs;
  }
  std::erase_if(rg->volume_groups, [&](const volume_group& vg) { return vg.number == number; });
  rcs.push_back(success_rc(obj | rc::kDeleted, "Volume group " + std::to_string(number) + " of " +
                                                   quoted(rg->name) + " deleted."));
  return rcs;
}

api_call_rcs spawn(cluster& c, const op_env& env, const std::string& group,
                   const spawn_request& request) {
  api_call_rcs rcs;
  const std::uint64_t obj = rc::kCreate | rc::kResourceDefinition;
  const resource_group* rg = c.find_group(group);
  if (rg == nullptr) {
    rcs.push_back(detail::not_found_group(obj, group));
    return rcs;
  }
  const std::vector<volume_group> groups = rg->volume_groups;
  const std::string rg_name = rg->name;
  const select_filter filter = select_filter::merged(rg->filter, request.filter);
  if (!groups.empty() && request.volume_sizes_kib.size() != groups.size() &&
      !(request.partial && request.volume_sizes_kib.size() < groups.size())) {
    rcs.push_back(error_rc(obj | rc::kFailInvalidVolumeSize,
                           "Resource group " + quoted(rg_name) + " has " +
                               std::to_string(groups.size()) + " volume group(s) but " +
                               std::to_string(request.volume_sizes_kib.size()) +
                               " size(s) were given.",
                           {}, "Give one size per volume group, or set partial."));
    return rcs;
  }
  definition_request def;
  def.name = request.definition;
  def.resource_group = rg_name;
  def.properties = request.definition_props;
  api_call_rcs created = create_resource_definition(c, env, def);
  rcs.insert(rcs.end(), created.begin(), created.end());
  if (has_error(created)) return rcs;
  for (std::size_t i = 0; i < request.volume_sizes_kib.size(); ++i) {
    volume_definition_request vd;
    vd.number = groups.empty() ? static_cast<std::uint32_t>(i) : groups[i].number;
    vd.size_kib = request.volume_sizes_kib[i];
    api_call_rcs more = create_volume_definition(c, env, request.definition, vd);
    rcs.insert(rcs.end(), more.begin(), more.end());
    if (has_error(more)) return rcs;
  }
  if (request.definitions_only) return rcs;
  if (!filter.place_count) {
    rcs.push_back(info_rc(obj | rc::kInfoNoResourceSpawned,
                          "No autoplace configuration in the given resource group " +
                              quoted(rg_name) + ": only the definition was created."));
    return rcs;
  }
  api_call_rcs placed = autoplace_definition(c, env, request.definition, request.filter);
  rcs.insert(rcs.end(), placed.begin(), placed.end());
  return rcs;
}

}  // namespace tandem::cluster
