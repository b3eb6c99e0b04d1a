// Registration of the command tree on a CLI11 parser. Every add_*_commands function creates the
// sub-commands named in command_catalog.cpp (so names and aliases come from one place) and gives
// each a callback that talks to the controller through the context's session.
#pragma once

#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cli/command_catalog.h"
#include "engine/cli/session.h"
#include "engine/cli/views.h"

namespace CLI {
class App;
}

namespace tandem::cli {

struct command_context {
  command_context(std::ostream& out_stream, std::ostream& err_stream, bool stdout_is_tty)
      : out(out_stream), err(err_stream), tty(stdout_is_tty) {}

  global_options globals;
  std::ostream& out;
  std::ostream& err;
  bool tty = false;
  int exit_code = 0;

  // Created on first use, after the global options are parsed.
  session& controller();
  // UTF-8 marks exactly when the table itself is drawn in UTF-8 (not with -p/--pastable).
  view_options views(bool pastable);

 private:
  std::unique_ptr<session> session_;
};

// Adds the catalog entry at path (names, e.g. {"resource", "create"}) as a sub-command of parent.
CLI::App* add_command(CLI::App& parent, std::initializer_list<std::string_view> path);

// "?nodes=a&nodes=b&resources=r" (repeated keys, as LINSTOR's REST API expects).
std::string list_query(
    std::initializer_list<std::pair<std::string_view, const std::vector<std::string>*>> filters);

// One changing request: its ApiCallRc entries are printed and decide the exit code. A null
// body sends none.
int change(command_context& ctx, const std::string& method, const std::string& target,
           const nlohmann::json& body = nullptr);

// -m prints the JSON; otherwise the table, then any warnings. Returns the exit code.
int show_list(command_context& ctx, const nlohmann::json& answer, const table& rows, bool pastable,
              const std::vector<std::string>& warnings = {});

// The positional words of `r c NODE... RESOURCE`: all but the last are nodes.
struct nodes_and_name {
  std::vector<std::string> nodes;
  std::string name;
};
nodes_and_name split_nodes_and_name(const std::vector<std::string>& words);

// `... set-property [OBJECT] KEY [VALUE] [--aux]`, LINSTOR's convention: no value deletes.
struct set_property_args {
  std::string name;  // the object; unused for controller properties
  std::string key;
  std::vector<std::string> value;  // empty: delete the key
  bool aux = false;                // prefix the key with Aux/
};
void add_key_value_options(CLI::App& command, set_property_args& args);
// {"override_props": {key: value}} or {"delete_props": [key]}.
nlohmann::json property_change(const set_property_args& args);

// `... list-properties NAME`: GET list_target (filtered to the one object), print the props of
// the entry whose "name" is name; a missing object is exit 3, "<what> 'name' not found".
int show_object_properties(command_context& ctx, const std::string& list_target,
                           const std::string& name, const std::string& what, bool pastable);

void add_node_commands(CLI::App& app, command_context& ctx);
void add_storage_pool_commands(CLI::App& app, command_context& ctx);
void add_group_commands(CLI::App& app, command_context& ctx);
void add_definition_commands(CLI::App& app, command_context& ctx);
void add_resource_commands(CLI::App& app, command_context& ctx);
void add_snapshot_commands(CLI::App& app, command_context& ctx);
void add_controller_commands(CLI::App& app, command_context& ctx);
void add_completion_commands(CLI::App& app, command_context& ctx);
void add_events_commands(CLI::App& app, command_context& ctx);

}  // namespace tandem::cli
