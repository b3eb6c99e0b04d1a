// tandem: the command-line client of tandem-controller (the LINSTOR client equivalent).
#include <langinfo.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "engine/cli/api_call_rc.h"
#include "engine/cli/commands.h"

int main(int argc, char** argv) {
  using namespace tandem::cli;
  command_context ctx(std::cout, std::cerr, isatty(STDOUT_FILENO) == 1);

  CLI::App app{
      "tandem: manage nodes, storage pools and replicated resources through "
      "tandem-controller (LINSTOR's command tree and aliases)"};
  app.name("tandem");
  // Global options may also follow the command (`tandem r l -m`).
  app.fallthrough(true);
  app.require_subcommand(1);
  app.set_version_flag("--version", "tandem 0.1.0 (REST API v1, LINSTOR-compatible)");
  app.add_flag("-m,--machine-readable", ctx.globals.machine_readable,
               "Print the controller's JSON instead of tables");
  app.add_option("--controllers", ctx.globals.controllers,
                 "Comma separated host[:port] list (default: $TANDEM_CONTROLLERS, else "
                 "127.0.0.1:3370)");
  app.add_flag("--no-utf8", ctx.globals.no_utf8, "ASCII tables even on a terminal");
  app.add_flag("--no-color", ctx.globals.no_color, "No colours even on a terminal");
  app.add_flag("--warn-as-error", ctx.globals.warn_as_error, "Exit non-zero on warnings too");
  app.add_option("-t,--timeout", ctx.globals.timeout_s, "Seconds to wait for each answer (300)")
      ->check(CLI::PositiveNumber);

  add_node_commands(app, ctx);
  add_storage_pool_commands(app, ctx);
  add_group_commands(app, ctx);
  add_definition_commands(app, ctx);
  add_resource_commands(app, ctx);
  add_snapshot_commands(app, ctx);
  add_controller_commands(app, ctx);
  add_events_commands(app, ctx);
  add_completion_commands(app, ctx);

  // Before parsing: the commands run inside parse(). Box-drawing frames need a UTF-8 terminal
  // (LINSTOR checks the locale the same way); NO_COLOR is the common convention for "never colour".
  std::setlocale(LC_CTYPE, "");
  if (std::strcmp(nl_langinfo(CODESET), "UTF-8") != 0) ctx.globals.no_utf8 = true;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') ctx.globals.no_color = true;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int cli11_code = app.exit(error);  // prints help, or the error and a hint
    return cli11_code == 0 ? kExitOk : kExitArgumentError;
  }
  return ctx.exit_code;
}
