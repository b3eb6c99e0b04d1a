#include <CLI/CLI.hpp>
#include <cassert>
#include <ostream>

#include "engine/cli/api_call_rc.h"
#include "engine/cli/commands.h"
#include "engine/cli/controller_address.h"

namespace tandem::cli {

session& command_context::controller() {
  if (!session_) session_ = std::make_unique<session>(globals, out, err, tty);
  return *session_;
}

view_options command_context::views(bool pastable) {
  view_options options;
  options.utf8 = controller().style(pastable).utf8;
  return options;
}

CLI::App* add_command(CLI::App& parent, std::initializer_list<std::string_view> path) {
  const command_spec* spec = &command_tree();
  for (const auto name : path) {
    spec = spec->child(name);
    assert(spec != nullptr && "every registered command is in the catalog");
  }
  CLI::App* command =
      parent.add_subcommand(std::string(spec->name), std::string(spec->description));
  for (const auto alias : spec->aliases) command->alias(std::string(alias));
  return command;
}

std::string list_query(
    std::initializer_list<std::pair<std::string_view, const std::vector<std::string>*>> filters) {
  std::string query;
  for (const auto& [key, values] : filters) {
    for (const auto& value : *values) {
      query += query.empty() ? '?' : '&';
      query += std::string(key) + "=" + url_encode(value);
    }
  }
  return query;
}

int change(command_context& ctx, const std::string& method, const std::string& target,
           const nlohmann::json& body) {
  session& s = ctx.controller();
  const bool sent = body.is_null() ? s.call(method, target) : s.call(method, target, body);
  return sent ? s.report() : s.exit_code();
}

int show_list(command_context& ctx, const nlohmann::json& answer, const table& rows, bool pastable,
              const std::vector<std::string>& warnings) {
  session& s = ctx.controller();
  if (ctx.globals.machine_readable) {
    s.print_json_list(answer);
  } else {
    s.print_table(rows, pastable);
    for (const auto& warning : warnings) ctx.out << "WARNING: " << warning << "\n";
  }
  return kExitOk;
}

nodes_and_name split_nodes_and_name(const std::vector<std::string>& words) {
  nodes_and_name split;
  if (words.empty()) return split;
  split.nodes.assign(words.begin(), words.end() - 1);
  split.name = words.back();
  return split;
}

}  // namespace tandem::cli
