#include "engine/cli/command_catalog.h"

#include <utility>

namespace tandem::cli {
namespace {

using k = object_kind;

// A command that runs (no sub-commands). positionals: what its arguments name, for completion.
command_spec leaf(std::string_view name, std::vector<std::string_view> aliases,
                  std::string_view description, std::vector<object_kind> positionals = {},
                  bool first_positional_repeats = false) {
  return {name, std::move(aliases), description, std::move(positionals), first_positional_repeats,
          {}};
}

// A command that only groups sub-commands.
command_spec group(std::string_view name, std::vector<std::string_view> aliases,
                   std::string_view description, std::vector<command_spec> children) {
  return {name, std::move(aliases), description, {}, false, std::move(children)};
}

command_spec node_commands() {
  return group(
      "node", {"n"}, "Node subcommands",
      {leaf("create", {"c"}, "Register a satellite node", {k::none, k::none}),
       leaf("list", {"l"}, "List nodes"), leaf("delete", {"d"}, "Delete nodes", {k::node}, true),
       leaf("describe", {"dsc"}, "Show a node with its pools and resources", {k::node}),
       leaf("list-properties", {"lp"}, "List the properties of a node", {k::node}),
       leaf("set-property", {"sp"}, "Set (or, without a value, delete) a node property",
            {k::node, k::none, k::none})});
}

command_spec storage_pool_commands() {
  // `sp c lvm NODE POOL VG`: the provider is a sub-command of its own, as in LINSTOR.
  std::vector<command_spec> providers;
  const std::pair<std::string_view, std::string_view> kProviders[] = {
      {"file", "Files in a directory: NODE POOL_NAME DIRECTORY"},
      {"filethin", "Sparse files in a directory: NODE POOL_NAME DIRECTORY"},
      {"lvm", "LVM logical volumes: NODE POOL_NAME VOLUME_GROUP"},
      {"lvmthin", "LVM thin volumes: NODE POOL_NAME VOLUME_GROUP/THIN_POOL"},
      {"zfs", "ZFS volumes: NODE POOL_NAME ZPOOL"},
      {"zfsthin", "Sparse ZFS volumes: NODE POOL_NAME ZPOOL"},
  };
  for (const auto& [provider, description] : kProviders) {
    providers.push_back(leaf(provider, {}, description, {k::node, k::none, k::none}));
  }
  providers.push_back(leaf("diskless", {}, "No storage (for diskless replicas): NODE POOL_NAME",
                           {k::node, k::none}));
  return group("storage-pool", {"sp"}, "Storage pool subcommands",
               {group("create", {"c"}, "Create a storage pool on a node", std::move(providers)),
                leaf("list", {"l"}, "List storage pools"),
                leaf("delete", {"d"}, "Delete a storage pool", {k::node, k::storage_pool})});
}

command_spec resource_group_commands() {
  return group(
      "resource-group", {"rg"}, "Resource group subcommands",
      {leaf("create", {"c"}, "Create a resource group", {k::none}),
       leaf("list", {"l"}, "List resource groups"),
       leaf("modify", {"m"}, "Change a resource group", {k::resource_group}),
       leaf("delete", {"d"}, "Delete a resource group", {k::resource_group}),
       leaf("spawn-resources", {"spawn"}, "Create a resource definition from a group and place it",
            {k::resource_group, k::none, k::none})});
}

command_spec volume_group_commands() {
  return group(
      "volume-group", {"vg"}, "Volume group subcommands",
      {leaf("create", {"c"}, "Add a volume group to a resource group", {k::resource_group}),
       leaf("list", {"l"}, "List the volume groups of a resource group", {k::resource_group}),
       leaf("delete", {"d"}, "Delete a volume group", {k::resource_group, k::none})});
}

command_spec resource_definition_commands() {
  return group("resource-definition", {"rd"}, "Resource definition subcommands",
               {leaf("create", {"c"}, "Create a resource definition", {k::none}),
                leaf("list", {"l"}, "List resource definitions"),
                leaf("list-properties", {"lp"}, "List the properties of a resource definition",
                     {k::resource_definition}),
                leaf("set-property", {"sp"}, "Set (or, without a value, delete) a property",
                     {k::resource_definition, k::none, k::none}),
                leaf("delete", {"d"}, "Delete a resource definition", {k::resource_definition}),
                leaf("auto-place", {"ap"}, "Let the controller place replicas of a definition",
                     {k::resource_definition})});
}

command_spec volume_definition_commands() {
  return group(
      "volume-definition", {"vd"}, "Volume definition subcommands",
      {leaf("create", {"c"}, "Add a volume to a resource definition",
            {k::resource_definition, k::none}),
       leaf("list", {"l"}, "List volume definitions"),
       leaf("delete", {"d"}, "Delete a volume definition", {k::resource_definition, k::none}),
       leaf("set-size", {"size"}, "Resize a volume definition",
            {k::resource_definition, k::none, k::none})});
}

command_spec resource_commands() {
  return group(
      "resource", {"r"}, "Resource subcommands",
      {leaf("create", {"c"}, "Deploy a resource on nodes", {k::node, k::resource_definition}, true),
       leaf("list", {"l"}, "List resources with their state"),
       leaf("list-volumes", {"lv"}, "List the volumes of resources"),
       leaf("delete", {"d"}, "Remove a resource from nodes", {k::node, k::resource_definition},
            true),
       leaf("make-available", {"mkavail"},
            "Make a resource usable on a node (diskless unless --diskful)",
            {k::node, k::resource_definition}),
       leaf("toggle-disk", {"td"}, "Make a resource diskful or diskless",
            {k::node, k::resource_definition})});
}

command_spec snapshot_commands() {
  return group(
      "snapshot", {"s"}, "Snapshot subcommands",
      {leaf("create", {"c"}, "Take a snapshot", {k::node, k::resource_definition, k::none}, true),
       leaf("list", {"l"}, "List snapshots"),
       leaf("delete", {"d"}, "Delete a snapshot", {k::resource_definition, k::snapshot}),
       group("resource", {"r"}, "Snapshot resource subcommands",
             {leaf("restore", {"rst"}, "Restore resources from a snapshot", {k::node}, true)}),
       group("volume-definition", {"vd"}, "Snapshot volume definition subcommands",
             {leaf("restore", {"rst"}, "Restore volume definitions from a snapshot")})});
}

command_spec build_tree() {
  return group(
      "tandem", {}, "tandem command-line client",
      {node_commands(), storage_pool_commands(), resource_group_commands(), volume_group_commands(),
       resource_definition_commands(), volume_definition_commands(), resource_commands(),
       group("volume", {"v"}, "Volume subcommands",
             {leaf("list", {"l"}, "List volumes with their state")}),
       snapshot_commands(),
       group("controller", {"c"}, "Controller subcommands",
             {leaf("version", {"v"}, "Show the controller's version"),
              leaf("list-properties", {"lp"}, "List the controller's properties"),
              leaf("set-property", {"sp"}, "Set (or, without a value, delete) a property",
                   {k::none, k::none})}),
       leaf("events", {}, "Show the controller's events (--follow keeps polling)"),
       group("completion", {}, "Shell completion",
             {leaf("bash", {}, "Print a bash completion script")})});
}

// The object an option's value names (`r l -n <TAB>` completes nodes), or none.
object_kind option_value_kind(std::string_view option) {
  if (option == "-n" || option == "--nodes") return object_kind::node;
  if (option == "-r" || option == "--resources" || option == "--resource-definitions" ||
      option == "--from-resource" || option == "--to-resource" || option == "--fr" ||
      option == "--tr") {
    return object_kind::resource_definition;
  }
  if (option == "-s" || option == "--storage-pool" || option == "--storage-pools") {
    return object_kind::storage_pool;
  }
  if (option == "--resource-group" || option == "--resource-groups") {
    return object_kind::resource_group;
  }
  if (option == "--from-snapshot" || option == "--fs") return object_kind::snapshot;
  return object_kind::none;
}

// Options whose next word is their value (flags such as --diskless take none).
bool takes_value(std::string_view option) {
  if (option.find('=') != std::string_view::npos) return false;  // --place-count=3
  if (option_value_kind(option) != object_kind::none) return true;
  for (const std::string_view with_value :
       {"--place-count", "--auto-place", "-t", "--timeout", "--controllers", "--description",
        "--node-type", "--communication-type", "--port", "-l", "--layer-list", "--providers",
        "--minor", "--vlmnr", "--diskless-on-remaining", "--replicas-on-same",
        "--replicas-on-different", "--storage-pool-diskless"}) {
    if (option == with_value) return true;
  }
  return false;
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
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (current->children.empty()) break;   // a runnable command: the rest are its arguments
    if (!word.empty() && word[0] == '-') {  // global options may precede the command
      const bool with_value = takes_value(word) && i + 1 < words.size();
      resolved.words_used += with_value ? 2 : 1;
      if (with_value) ++i;
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
  if (!words.empty()) {
    const object_kind value_kind = option_value_kind(words.back());
    if (value_kind != object_kind::none) {
      plan.kinds = {value_kind};
      return plan;
    }
  }
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
    if (!words[i].empty() && words[i][0] == '-') {
      if (takes_value(words[i])) ++i;  // `r td -s pool1 gamma`: pool1 is not a positional
      continue;
    }
    ++typed;
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
