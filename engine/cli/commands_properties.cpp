// Property listing and setting, shared by nodes, resource definitions and the controller.
#include <CLI/CLI.hpp>

#include "engine/cli/api_call_rc.h"
#include "engine/cli/commands.h"
#include "engine/cli/json_fields.h"

namespace tandem::cli {

void add_key_value_options(CLI::App& command, set_property_args& args) {
  command.add_option("key", args.key, "Property key, e.g. Aux/site")->required();
  command.add_option("value", args.value, "New value; none deletes the key")->expected(0, 1);
  command.add_flag("--aux", args.aux, "Prefix the key with Aux/");
}

nlohmann::json property_change(const set_property_args& args) {
  const std::string key = args.aux ? "Aux/" + args.key : args.key;
  if (args.value.empty()) return {{"delete_props", {key}}};
  return {{"override_props", {{key, args.value.front()}}}};
}

int show_object_properties(command_context& ctx, const std::string& list_target,
                           const std::string& name, const std::string& what, bool pastable) {
  session& s = ctx.controller();
  const auto answer = s.get(list_target);
  if (!answer) return s.exit_code();
  const nlohmann::json* found = nullptr;
  if (answer->is_array()) {
    for (const auto& object : *answer) {
      if (string_of(object, "name") == name) found = &object;
    }
  }
  if (found == nullptr) {
    return s.fail(kExitObjectNotFound, what + " '" + name + "' not found on the controller");
  }
  const auto& props = field(*found, "props");
  const nlohmann::json shown = props.is_object() ? props : nlohmann::json::object();
  return show_list(ctx, shown, properties_table(shown), pastable);
}

}  // namespace tandem::cli
