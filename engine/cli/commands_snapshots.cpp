// snapshot (s) commands, including LINSTOR's two-step restore (`s vd rst`, then `s r rst`).
#include <CLI/CLI.hpp>
#include <ostream>

#include "engine/cli/api_call_rc.h"
#include "engine/cli/commands.h"
#include "engine/cli/controller_address.h"

namespace tandem::cli {
namespace {

struct restore_args {
  std::string from_resource;
  std::string from_snapshot;
  std::string to_resource;
  std::vector<std::string> nodes;
};

void add_restore_options(CLI::App& command, restore_args& args) {
  command.add_option("--from-resource,--fr", args.from_resource, "Resource of the snapshot")
      ->required();
  command.add_option("--from-snapshot,--fs", args.from_snapshot, "Snapshot to restore")->required();
  command
      .add_option("--to-resource,--tr", args.to_resource,
                  "Resource definition to restore into (create it with rd c first)")
      ->required();
}

std::string restore_path(const restore_args& args, const char* what) {
  return "/v1/resource-definitions/" + url_encode(args.from_resource) + "/" + what + "/" +
         url_encode(args.from_snapshot);
}

// s r rst and s vd rst: LINSTOR's two restore steps, each its own REST call.
void add_snapshot_restore_commands(CLI::App& snapshot, command_context& ctx) {
  CLI::App* resource = add_command(snapshot, {"snapshot", "resource"});
  resource->require_subcommand(1);
  auto rargs = std::make_shared<restore_args>();
  CLI::App* resource_restore = add_command(*resource, {"snapshot", "resource", "restore"});
  add_restore_options(*resource_restore, *rargs);
  resource_restore->add_option("node_name", rargs->nodes, "Only restore on these nodes");
  resource_restore->callback([&ctx, rargs] {
    nlohmann::json body = {{"to_resource", rargs->to_resource}};
    if (!rargs->nodes.empty()) body["nodes"] = rargs->nodes;
    ctx.exit_code = change(ctx, "POST", restore_path(*rargs, "snapshot-restore-resource"), body);
  });

  CLI::App* volume_definition = add_command(snapshot, {"snapshot", "volume-definition"});
  volume_definition->require_subcommand(1);
  auto vargs = std::make_shared<restore_args>();
  CLI::App* vd_restore =
      add_command(*volume_definition, {"snapshot", "volume-definition", "restore"});
  add_restore_options(*vd_restore, *vargs);
  vd_restore->callback([&ctx, vargs] {
    ctx.exit_code = change(ctx, "POST", restore_path(*vargs, "snapshot-restore-volume-definition"),
                           {{"to_resource", vargs->to_resource}});
  });
}

}  // namespace

void add_snapshot_commands(CLI::App& app, command_context& ctx) {
  CLI::App* snapshot = add_command(app, {"snapshot"});
  snapshot->require_subcommand(1);

  auto cwords = std::make_shared<std::vector<std::string>>();
  CLI::App* create = add_command(*snapshot, {"snapshot", "create"});
  create->add_option("node_resource_snapshot", *cwords, "[NODE...] RESOURCE SNAPSHOT")->required();
  create->callback([&ctx, cwords] {
    session& s = ctx.controller();
    if (cwords->size() < 2) {
      ctx.exit_code = s.fail(kExitArgumentError,
                             "snapshot create needs a resource and a snapshot name "
                             "(tandem s c [NODE...] RESOURCE SNAPSHOT)");
      return;
    }
    const std::string name = cwords->back();
    const std::vector<std::string> rest(cwords->begin(), cwords->end() - 1);
    const nodes_and_name split = split_nodes_and_name(rest);
    nlohmann::json body = {{"name", name}};
    if (!split.nodes.empty()) body["nodes"] = split.nodes;
    ctx.exit_code =
        s.call("POST", "/v1/resource-definitions/" + url_encode(split.name) + "/snapshots", body)
            ? s.report()
            : s.exit_code();
  });

  struct list_args {
    std::vector<std::string> resources;
    std::vector<std::string> nodes;
    bool pastable = false;
  };
  auto largs = std::make_shared<list_args>();
  CLI::App* list = add_command(*snapshot, {"snapshot", "list"});
  list->add_option("-r,--resources", largs->resources, "Only snapshots of these resources");
  list->add_option("-n,--nodes", largs->nodes, "Only snapshots on these nodes");
  list->add_flag("-p,--pastable", largs->pastable, "ASCII table without colours");
  list->callback([&ctx, largs] {
    session& s = ctx.controller();
    const auto answer = s.get("/v1/view/snapshots" + list_query({{"resources", &largs->resources},
                                                                 {"nodes", &largs->nodes}}));
    ctx.exit_code =
        answer ? show_list(ctx, *answer, snapshot_table(*answer), largs->pastable) : s.exit_code();
  });

  auto dargs = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* remove = add_command(*snapshot, {"snapshot", "delete"});
  remove->add_option("resource_definition_name", dargs->first, "Resource")->required();
  remove->add_option("snapshot_name", dargs->second, "Snapshot to delete")->required();
  remove->callback([&ctx, dargs] {
    ctx.exit_code = change(ctx, "DELETE",
                           "/v1/resource-definitions/" + url_encode(dargs->first) + "/snapshots/" +
                               url_encode(dargs->second));
  });

  add_snapshot_restore_commands(*snapshot, ctx);
}

}  // namespace tandem::cli
