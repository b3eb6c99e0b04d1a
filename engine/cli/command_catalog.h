// The command tree of `tandem`: LINSTOR's command and sub-command names with LINSTOR's short
// aliases (`rg l`, `rd lp`, `r c`, `s r rst` ...). One table feeds the argument parser, alias
// resolution and shell completion, so the three can never disagree.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tandem::cli {

// What a positional argument names, for completion from the controller.
enum class object_kind {
  none,
  node,
  storage_pool,
  resource_group,
  resource_definition,
  snapshot,
  provider_kind,
};

struct command_spec {
  std::string_view name;
  std::vector<std::string_view> aliases;
  std::string_view description;
  std::vector<object_kind> positionals;  // in order
  // The first positional takes one or more values ("NODE... RESOURCE"), so completion offers
  // the first two kinds together.
  bool first_positional_repeats = false;
  std::vector<command_spec> children;

  bool answers_to(std::string_view word) const;
  const command_spec* child(std::string_view word) const;  // by name or alias; null if none
};

// The root: its children are the top-level commands (node, storage-pool, ...).
const command_spec& command_tree();

// Follows words (names or aliases) down the tree for as long as they name sub-commands.
struct resolved_command {
  std::vector<const command_spec*> path;  // excludes the root
  std::size_t words_used = 0;
  std::string canonical() const;  // "resource create"
};
resolved_command resolve_command(const std::vector<std::string>& words);

// What to offer for the word being typed after `words` (which exclude the program name):
// sub-command names and aliases, or objects of some kinds (fetched from the controller).
struct completion_plan {
  std::vector<std::string> words;
  std::vector<object_kind> kinds;
};
completion_plan plan_completion(const std::vector<std::string>& words);

}  // namespace tandem::cli
