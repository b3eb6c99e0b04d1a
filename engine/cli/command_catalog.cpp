#include "engine/cli/command_catalog.h"

namespace tandem::cli {
namespace {

using k = object_kind;

command_spec storage_pool_create() {
  command_spec create{"create", {"c"}, "Create a storage pool on a node", {}, false, {}};
  const char* description = "NODE POOL_NAME BACKING (VG, VG/thinpool, zpool or directory)";
  for (const char* provider : {"file", "filethin", "lvm", "lvmthin", "zfs", "zfsthin"}) {
    create.children.push_back({provider, {}, description, {k::node, k::none, k::none}, false, {}});
  }
  create.children.push_back({"diskless", {}, "NODE POOL_NAME", {k::node, k::none}, false, {}});
  return create;
}

command_spec build_tree() {
  command_spec root{"tandem", {}, "tandem command-line client", {}, false, {}};
  root.children = {
      {"node",
       {"n"},
       "Node subcommands",
       {},
       false,
       {
           {"create", {"c"}, "Register a satellite node", {k::none, k::none}, false, {}},
           {"list", {"l"}, "List nodes", {}, false, {}},
           {"delete", {"d"}, "Delete a node", {k::node}, true, {}},
           {"describe", {"dsc"}, "Show a node with its pools and resources", {k::node}, false, {}},
       }},
      {"storage-pool",
       {"sp"},
       "Storage pool subcommands",
       {},
       false,
       {
           storage_pool_create(),
           {"list", {"l"}, "List storage pools", {}, false, {}},
           {"delete", {"d"}, "Delete a storage pool", {k::node, k::storage_pool}, false, {}},
       }},
      {"resource-group",
       {"rg"},
       "Resource group subcommands",
       {},
       false,
       {
           {"create", {"c"}, "Create a resource group", {k::none}, false, {}},
           {"list", {"l"}, "List resource groups", {}, false, {}},
           {"modify", {"m"}, "Change a resource group", {k::resource_group}, false, {}},
           {"spawn-resources",
            {"spawn"},
            "Create a resource definition from a group and place it",
            {k::resource_group, k::none, k::none},
            false,
            {}},
       }},
      {"volume-group",
       {"vg"},
       "Volume group subcommands",
       {},
       false,
       {
           {"create",
            {"c"},
            "Add a volume group to a resource group",
            {k::resource_group},
            false,
            {}},
           {"list",
            {"l"},
            "List the volume groups of a resource group",
            {k::resource_group},
            false,
            {}},
       }},
      {"resource-definition",
       {"rd"},
       "Resource definition subcommands",
       {},
       false,
       {
           {"create", {"c"}, "Create a resource definition", {k::none}, false, {}},
           {"list", {"l"}, "List resource definitions", {}, false, {}},
           {"list-properties",
            {"lp"},
            "List the properties of a resource definition",
            {k::resource_definition},
            false,
            {}},
           {"set-property",
            {"sp"},
            "Set (or, without a value, delete) a property",
            {k::resource_definition, k::none, k::none},
            false,
            {}},
           {"delete", {"d"}, "Delete a resource definition", {k::resource_definition}, false, {}},
       }},
      {"volume-definition",
       {"vd"},
       "Volume definition subcommands",
       {},
       false,
       {
           {"create",
            {"c"},
            "Add a volume to a resource definition",
            {k::resource_definition, k::none},
            false,
            {}},
           {"list", {"l"}, "List volume definitions", {}, false, {}},
           {"set-size",
            {"size"},
            "Resize a volume definition",
            {k::resource_definition, k::none, k::none},
            false,
            {}},
       }},
      {"resource",
       {"r"},
       "Resource subcommands",
       {},
       false,
       {
           {"create",
            {"c"},
            "Deploy a resource on nodes",
            {k::node, k::resource_definition},
            true,
            {}},
           {"list", {"l"}, "List resources with their state", {}, false, {}},
           {"list-volumes", {"lv"}, "List the volumes of resources", {}, false, {}},
           {"delete",
            {"d"},
            "Remove a resource from nodes",
            {k::node, k::resource_definition},
            true,
            {}},
           {"toggle-disk",
            {"td"},
            "Make a resource diskful or diskless",
            {k::node, k::resource_definition},
            false,
            {}},
       }},
      {"volume",
       {"v"},
       "Volume subcommands",
       {},
       false,
       {
           {"list", {"l"}, "List volumes with their state", {}, false, {}},
       }},
      {"snapshot",
       {"s"},
       "Snapshot subcommands",
       {},
       false,
       {
           {"create",
            {"c"},
            "Take a snapshot",
            {k::node, k::resource_definition, k::none},
            true,
            {}},
           {"list", {"l"}, "List snapshots", {}, false, {}},
           {"delete", {"d"}, "Delete a snapshot", {k::resource_definition, k::snapshot}, false, {}},
           {"resource",
            {"r"},
            "Snapshot resource subcommands",
            {},
            false,
            {{"restore", {"rst"}, "Restore resources from a snapshot", {k::node}, true, {}}}},
           {"volume-definition",
            {"vd"},
            "Snapshot volume definition subcommands",
            {},
            false,
            {{"restore", {"rst"}, "Restore volume definitions from a snapshot", {}, false, {}}}},
       }},
      {"controller",
       {"c"},
       "Controller subcommands",
       {},
       false,
       {
           {"version", {"v"}, "Show the controller's version", {}, false, {}},
           {"list-properties", {"lp"}, "List the controller's properties", {}, false, {}},
       }},
      {"completion",
       {},
       "Shell completion",
       {},
       false,
       {{"bash", {}, "Print a bash completion script", {}, false, {}}}},
  };
  return root;
}

}  // namespace

bool command_spec::answers_to(std::string_view word) const {
  if (word == name) return true;
  for (const auto alias : aliases) {
    if (word == alias) return true;
  }
  return false;
}

const command_spec* command_spec::child(std::string_view word) const {
  for (const auto& candidate : children) {
    if (candidate.answers_to(word)) return &candidate;
  }
  return nullptr;
}

const command_spec& command_tree() {
  static const command_spec kTree = build_tree();
  return kTree;
}

std::string resolved_command::canonical() const {
  std::string text;
  for (const auto* spec : path) {
    if (!text.empty()) text += ' ';
    text += spec->name;
  }
  return text;
}

resolved_command resolve_command(const std::vector<std::string>& words) {
  resolved_command resolved;
  const command_spec* current = &command_tree();
  for (const auto& word : words) {
    if (!word.empty() && word[0] == '-') {  // global options may precede the command
      ++resolved.words_used;
      continue;
    }
    const command_spec* next = current->child(word);
    if (next == nullptr) break;
    resolved.path.push_back(next);
    ++resolved.words_used;
    current = next;
  }
  return resolved;
}

completion_plan plan_completion(const std::vector<std::string>& words) {
  completion_plan plan;
  const resolved_command resolved = resolve_command(words);
  const command_spec& current = resolved.path.empty() ? command_tree() : *resolved.path.back();
  if (!current.children.empty()) {
    if (resolved.words_used < words.size()) return plan;  // an unknown sub-command was typed
    for (const auto& child : current.children) {
      plan.words.emplace_back(child.name);
      for (const auto alias : child.aliases) plan.words.emplace_back(alias);
    }
    return plan;
  }
  std::size_t typed = 0;
  for (std::size_t i = resolved.words_used; i < words.size(); ++i) {
    if (words[i].empty() || words[i][0] != '-') ++typed;
  }
  const auto& kinds = current.positionals;
  if (kinds.empty()) return plan;
  if (current.first_positional_repeats && kinds.size() >= 2) {
    plan.kinds = {kinds[0], kinds[1]};
  } else if (typed < kinds.size()) {
    plan.kinds = {kinds[typed]};
  }
  std::erase(plan.kinds, object_kind::none);
  return plan;
}

}  // namespace tandem::cli
