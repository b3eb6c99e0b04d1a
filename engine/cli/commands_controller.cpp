// controller (c) commands and the completion helpers.
#include <CLI/CLI.hpp>
#include <iostream>
#include <set>
#include <sstream>

#include "engine/cli/api_call_rc.h"
#include "engine/cli/commands.h"
#include "engine/cli/completion.h"
#include "engine/cli/json_fields.h"

namespace tandem::cli {
namespace {

int controller_version(command_context& ctx) {
  session& s = ctx.controller();
  const auto answer = s.get("/v1/controller/version");
  if (!answer) return s.exit_code();
  if (ctx.globals.machine_readable) {
    s.print_json_list(*answer);
    return kExitOk;
  }
  ctx.out << "tandem controller " << string_of(*answer, "version")
          << "; GIT-hash: " << string_of(*answer, "git_hash")
          << "; REST API: " << string_of(*answer, "rest_api_version");
  const std::string built = string_of(*answer, "build_time");
  if (!built.empty()) ctx.out << "; built: " << built;
  ctx.out << "\n";
  return kExitOk;
}

int controller_properties(command_context& ctx, bool pastable) {
  session& s = ctx.controller();
  const auto answer = s.get("/v1/controller/properties");
  if (!answer) return s.exit_code();
  return show_list(ctx, *answer, properties_table(*answer), pastable);
}

// The names of every object of kind, from the controller; empty when it cannot be reached.
std::set<std::string> object_names(session& s, object_kind kind) {
  std::string target;
  std::string key = "name";
  switch (kind) {
    case object_kind::node: target = "/v1/nodes"; break;
    case object_kind::storage_pool:
      target = "/v1/view/storage-pools";
      key = "storage_pool_name";
      break;
    case object_kind::resource_group: target = "/v1/resource-groups"; break;
    case object_kind::resource_definition: target = "/v1/resource-definitions"; break;
    case object_kind::snapshot: target = "/v1/view/snapshots"; break;
    case object_kind::provider_kind:
    case object_kind::none: return {};
  }
  std::set<std::string> names;
  const auto answer = s.get(target);
  if (!answer || !answer->is_array()) return names;
  for (const auto& object : *answer) {
    const std::string name = string_of(object, key);
    if (!name.empty()) names.insert(name);
  }
  return names;
}

int complete_words(command_context& ctx, std::vector<std::string> words) {
  global_options options = ctx.globals;
  const std::string controllers = take_controllers_option(words);
  if (!controllers.empty()) options.controllers = controllers;
  options.timeout_s = 5;  // a TAB must never hang the shell for long
  const completion_plan plan = plan_completion(words);
  for (const auto& word : plan.words) ctx.out << word << "\n";
  if (plan.kinds.empty()) return kExitOk;
  std::ostringstream ignored_errors;  // completion stays silent when the controller is away
  session s(options, ctx.out, ignored_errors, false);
  std::set<std::string> names;
  for (const auto kind : plan.kinds) names.merge(object_names(s, kind));
  for (const auto& name : names) ctx.out << name << "\n";
  return kExitOk;
}

void add_controller_set_property(CLI::App& controller, command_context& ctx) {
  auto args = std::make_shared<set_property_args>();
  CLI::App* set_property = add_command(controller, {"controller", "set-property"});
  add_key_value_options(*set_property, *args);
  set_property->callback([&ctx, args] {
    session& s = ctx.controller();
    // LINSTOR changes controller properties with POST, not PUT.
    ctx.exit_code = s.call("POST", "/v1/controller/properties", property_change(*args))
                        ? s.report()
                        : s.exit_code();
  });
}

}  // namespace

void add_controller_commands(CLI::App& app, command_context& ctx) {
  CLI::App* controller = add_command(app, {"controller"});
  controller->require_subcommand(1);
  CLI::App* version = add_command(*controller, {"controller", "version"});
  version->callback([&ctx] { ctx.exit_code = controller_version(ctx); });
  auto pastable = std::make_shared<bool>(false);
  CLI::App* properties = add_command(*controller, {"controller", "list-properties"});
  properties->add_flag("-p,--pastable", *pastable, "ASCII table without colours");
  properties->callback([&ctx, pastable] { ctx.exit_code = controller_properties(ctx, *pastable); });
  add_controller_set_property(*controller, ctx);
}

void add_completion_commands(CLI::App& app, command_context& ctx) {
  CLI::App* completion = add_command(app, {"completion"});
  completion->require_subcommand(1);
  CLI::App* bash = add_command(*completion, {"completion", "bash"});
  bash->callback([&ctx] {
    ctx.out << bash_completion_script();
    ctx.exit_code = kExitOk;
  });
  // Called by the bash script; not part of the documented command tree.
  auto words = std::make_shared<std::vector<std::string>>();
  CLI::App* helper = completion->add_subcommand("words", "Completion candidates (for scripts)");
  helper->group("");
  helper->add_option("words", *words, "The words typed so far");
  helper->callback([&ctx, words] { ctx.exit_code = complete_words(ctx, *words); });
}

}  // namespace tandem::cli
