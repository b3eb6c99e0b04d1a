// resource (r) and volume (v) commands.
#include <CLI/CLI.hpp>
#include <ostream>

#include "engine/cli/api_call_rc.h"
#include "engine/cli/commands.h"
#include "engine/cli/controller_address.h"

namespace tandem::cli {
namespace {

struct create_args {
  std::vector<std::string> words;  // NODE... RESOURCE, or RESOURCE with --auto-place
  bool diskless = false;
  std::string storage_pool;
  int auto_place = 0;
};

int resource_create(command_context& ctx, const create_args& args) {
  session& s = ctx.controller();
  const nodes_and_name split = split_nodes_and_name(args.words);
  const std::string path = "/v1/resource-definitions/" + url_encode(split.name);
  if (args.auto_place > 0) {
    if (!split.nodes.empty()) {
      return s.fail(kExitArgumentError,
                    "--auto-place chooses the nodes itself; give only the "
                    "resource name, not nodes");
    }
    nlohmann::json filter = {{"place_count", args.auto_place}};
    if (!args.storage_pool.empty()) filter["storage_pool_list"] = {args.storage_pool};
    return s.call("POST", path + "/autoplace", {{"select_filter", filter}}) ? s.report()
                                                                            : s.exit_code();
  }
  if (split.nodes.empty()) {
    return s.fail(kExitArgumentError,
                  "resource create needs at least one node before the resource name "
                  "(tandem r c NODE... RESOURCE), or --auto-place N");
  }
  nlohmann::json body = nlohmann::json::array();
  for (const auto& node : split.nodes) {
    nlohmann::json resource = {{"node_name", node}};
    if (args.diskless) resource["flags"] = {"DRBD_DISKLESS"};
    if (!args.storage_pool.empty()) resource["props"] = {{"StorPoolName", args.storage_pool}};
    body.push_back({{"resource", resource}});
  }
  return s.call("POST", path + "/resources", body) ? s.report() : s.exit_code();
}

int resource_delete(command_context& ctx, const std::vector<std::string>& words) {
  session& s = ctx.controller();
  const nodes_and_name split = split_nodes_and_name(words);
  if (split.nodes.empty()) {
    return s.fail(kExitArgumentError,
                  "resource delete needs at least one node before the resource name "
                  "(tandem r d NODE... RESOURCE)");
  }
  for (const auto& node : split.nodes) {
    if (!s.call("DELETE", "/v1/resource-definitions/" + url_encode(split.name) + "/resources/" +
                              url_encode(node))) {
      return s.exit_code();
    }
  }
  return s.report();
}

struct toggle_args {
  std::string node;
  std::string resource;
  bool diskless = false;
  std::string storage_pool;
};

int resource_toggle_disk(command_context& ctx, const toggle_args& args) {
  session& s = ctx.controller();
  std::string path = "/v1/resource-definitions/" + url_encode(args.resource) + "/resources/" +
                     url_encode(args.node) + "/toggle-disk/";
  if (args.diskless) {
    if (!args.storage_pool.empty()) {
      return s.fail(kExitArgumentError,
                    "--storage-pool names where a disk goes; it cannot be "
                    "combined with --diskless");
    }
    path += "diskless";
  } else {
    path += "diskful";
    if (!args.storage_pool.empty()) path += "/" + url_encode(args.storage_pool);
  }
  return s.call("PUT", path) ? s.report() : s.exit_code();
}

struct list_args {
  std::vector<std::string> nodes;
  std::vector<std::string> resources;
  std::vector<std::string> pools;
  bool pastable = false;
  bool faulty = false;
};

int resource_list(command_context& ctx, const list_args& args) {
  session& s = ctx.controller();
  const std::string target =
      "/v1/view/resources" + list_query({{"nodes", &args.nodes}, {"resources", &args.resources}});
  // -m prints the answer as it came; the table reads a few fields of each resource.
  const auto resources =
      ctx.globals.machine_readable ? s.get(target) : s.get(target, resource_table_fields);
  if (!resources) return s.exit_code();
  if (ctx.globals.machine_readable) {
    s.print_json_list(*resources);
    return kExitOk;
  }
  // The definitions carry the DRBD port when the resources' own layer data does not.
  std::optional<nlohmann::json> definitions = nlohmann::json::array();
  if (needs_definition_ports(*resources)) definitions = s.get("/v1/resource-definitions");
  if (!definitions) return s.exit_code();
  view_options options = ctx.views(args.pastable);
  options.faulty_only = args.faulty;
  const resource_view view = resource_table(*resources, *definitions, options);
  return show_list(ctx, *resources, view.rows, args.pastable, view.warnings);
}

int volume_list(command_context& ctx, const list_args& args) {
  session& s = ctx.controller();
  const auto resources = s.get("/v1/view/resources" + list_query({{"nodes", &args.nodes},
                                                                  {"storage_pools", &args.pools},
                                                                  {"resources", &args.resources}}));
  if (!resources) return s.exit_code();
  const resource_view view = volume_table(*resources, ctx.views(args.pastable));
  return show_list(ctx, *resources, view.rows, args.pastable, view.warnings);
}

void add_list_filters(CLI::App& command, list_args& args, bool with_pools) {
  command.add_option("-n,--nodes", args.nodes, "Only these nodes");
  command.add_option("-r,--resources", args.resources, "Only these resources");
  if (with_pools) command.add_option("-s,--storage-pools", args.pools, "Only these pools");
  command.add_flag("-p,--pastable", args.pastable, "ASCII table without colours");
}

}  // namespace

void add_resource_commands(CLI::App& app, command_context& ctx) {
  CLI::App* resource = add_command(app, {"resource"});
  resource->require_subcommand(1);

  auto cargs = std::make_shared<create_args>();
  CLI::App* create = add_command(*resource, {"resource", "create"});
  create->add_option("node_name_resource", cargs->words, "NODE [NODE...] RESOURCE")->required();
  create->add_flag("--diskless,--drbd-diskless", cargs->diskless,
                   "Attach without a local disk (reads and writes go to the peers)");
  create->add_option("-s,--storage-pool", cargs->storage_pool, "Storage pool for the disk");
  create->add_option("--auto-place", cargs->auto_place, "Let the controller pick N nodes")
      ->check(CLI::Range(1, 32));
  create->callback([&ctx, cargs] { ctx.exit_code = resource_create(ctx, *cargs); });

  auto largs = std::make_shared<list_args>();
  CLI::App* list = add_command(*resource, {"resource", "list"});
  add_list_filters(*list, *largs, false);
  list->add_flag("--faulty", largs->faulty,
                 "Only replicas that need attention (not UpToDate, peers down, diskless Primary)");
  list->callback([&ctx, largs] { ctx.exit_code = resource_list(ctx, *largs); });

  auto lvargs = std::make_shared<list_args>();
  CLI::App* list_volumes = add_command(*resource, {"resource", "list-volumes"});
  add_list_filters(*list_volumes, *lvargs, true);
  list_volumes->callback([&ctx, lvargs] { ctx.exit_code = volume_list(ctx, *lvargs); });

  auto dwords = std::make_shared<std::vector<std::string>>();
  CLI::App* remove = add_command(*resource, {"resource", "delete"});
  remove->add_option("node_name_resource", *dwords, "NODE [NODE...] RESOURCE")->required();
  remove->callback([&ctx, dwords] { ctx.exit_code = resource_delete(ctx, *dwords); });

  struct available_args {
    std::string node;
    std::string resource;
    bool diskful = false;
  };
  auto maargs = std::make_shared<available_args>();
  CLI::App* available = add_command(*resource, {"resource", "make-available"});
  available->add_option("node_name", maargs->node, "Node that needs the resource")->required();
  available->add_option("resource_name", maargs->resource, "Resource")->required();
  available->add_flag("--diskful", maargs->diskful, "With a local disk (else diskless)");
  available->callback([&ctx, maargs] {
    ctx.exit_code = change(ctx, "POST",
                           "/v1/resource-definitions/" + url_encode(maargs->resource) +
                               "/resources/" + url_encode(maargs->node) + "/make-available",
                           {{"diskful", maargs->diskful}});
  });

  auto targs = std::make_shared<toggle_args>();
  CLI::App* toggle = add_command(*resource, {"resource", "toggle-disk"});
  toggle->add_option("node_name", targs->node, "Node of the resource")->required();
  toggle->add_option("name", targs->resource, "Resource")->required();
  toggle->add_flag("--diskless", targs->diskless, "Remove the local disk");
  toggle->add_option("-s,--storage-pool", targs->storage_pool, "Pool for the new disk");
  toggle->callback([&ctx, targs] { ctx.exit_code = resource_toggle_disk(ctx, *targs); });

  CLI::App* volume = add_command(app, {"volume"});
  volume->require_subcommand(1);
  auto vargs = std::make_shared<list_args>();
  CLI::App* vlist = add_command(*volume, {"volume", "list"});
  add_list_filters(*vlist, *vargs, true);
  vlist->callback([&ctx, vargs] { ctx.exit_code = volume_list(ctx, *vargs); });
}

}  // namespace tandem::cli
