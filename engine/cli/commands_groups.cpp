// resource-group (rg) and volume-group (vg) commands.
#include <CLI/CLI.hpp>
#include <ostream>

#include "engine/cli/api_call_rc.h"
#include "engine/cli/commands.h"
#include "engine/cli/controller_address.h"
#include "engine/cli/size_units.h"

namespace tandem::cli {
namespace {

// The placement options shared by `rg c` and `rg m` (LINSTOR's AutoSelectFilter).
struct filter_args {
  int place_count = 0;
  std::vector<std::string> storage_pools;
  std::vector<std::string> diskless_pools;
  std::vector<std::string> replicas_on_same;
  std::vector<std::string> replicas_on_different;
  std::vector<std::string> layers;
  std::vector<std::string> providers;
  std::string diskless_on_remaining;
  std::string description;
};

void add_filter_options(CLI::App& command, filter_args& args) {
  command.add_option("--place-count", args.place_count, "Number of diskful replicas")
      ->check(CLI::Range(1, 32));
  command.add_option("-s,--storage-pool", args.storage_pools, "Storage pools to place on");
  command.add_option("--storage-pool-diskless", args.diskless_pools, "Diskless storage pools");
  command.add_option("--replicas-on-same", args.replicas_on_same,
                     "Aux properties all replicas share (Aux/ is added)");
  command.add_option("--replicas-on-different", args.replicas_on_different,
                     "Aux properties the replicas differ in (Aux/ is added)");
  command.add_option("-l,--layer-list", args.layers, "Layer stack, e.g. drbd,storage")
      ->delimiter(',');
  command.add_option("--providers", args.providers, "Provider kinds, e.g. LVM,ZFS")->delimiter(',');
  command
      .add_option("--diskless-on-remaining", args.diskless_on_remaining,
                  "true: add a diskless replica on every other node")
      ->check(CLI::IsMember({"true", "false"}, CLI::ignore_case));
  command.add_option("--description", args.description, "Free text shown by rg list");
}

// LINSTOR's client prefixes bare property names with Aux/ (`--replicas-on-different site`).
std::vector<std::string> with_aux_prefix(const std::vector<std::string>& keys) {
  std::vector<std::string> prefixed;
  for (const auto& key : keys) prefixed.push_back(key.rfind("Aux/", 0) == 0 ? key : "Aux/" + key);
  return prefixed;
}

nlohmann::json select_filter_of(const filter_args& args) {
  nlohmann::json filter = nlohmann::json::object();
  if (args.place_count > 0) filter["place_count"] = args.place_count;
  if (!args.storage_pools.empty()) filter["storage_pool_list"] = args.storage_pools;
  if (!args.diskless_pools.empty()) filter["storage_pool_diskless_list"] = args.diskless_pools;
  if (!args.replicas_on_same.empty()) {
    filter["replicas_on_same"] = with_aux_prefix(args.replicas_on_same);
  }
  if (!args.replicas_on_different.empty()) {
    filter["replicas_on_different"] = with_aux_prefix(args.replicas_on_different);
  }
  if (!args.layers.empty()) filter["layer_stack"] = args.layers;
  if (!args.providers.empty()) filter["provider_list"] = args.providers;
  if (!args.diskless_on_remaining.empty()) {
    filter["diskless_on_remaining"] = args.diskless_on_remaining == "true" ||
                                      args.diskless_on_remaining == "True" ||
                                      args.diskless_on_remaining == "TRUE";
  }
  return filter;
}

int group_list(command_context& ctx, const std::vector<std::string>& names, bool pastable) {
  session& s = ctx.controller();
  const auto groups = s.get("/v1/resource-groups" + list_query({{"resource_groups", &names}}));
  if (!groups) return s.exit_code();
  std::vector<nlohmann::json> volume_groups;
  if (!ctx.globals.machine_readable && groups->is_array()) {
    // LINSTOR's client asks for each group's volume groups as well (the VlmNrs column).
    for (const auto& group : *groups) {
      const auto name = group.value("name", std::string());
      const auto answer = s.get("/v1/resource-groups/" + url_encode(name) + "/volume-groups");
      if (!answer) return s.exit_code();
      volume_groups.push_back(*answer);
    }
  }
  return show_list(ctx, *groups, resource_group_table(*groups, volume_groups), pastable);
}

struct spawn_args {
  std::string group;
  std::string definition;
  std::vector<std::string> sizes;
  bool partial = false;
  bool definitions_only = false;
};

int group_spawn(command_context& ctx, const spawn_args& args) {
  std::vector<std::uint64_t> sizes_kib;
  for (const auto& size : args.sizes) {
    auto kib = parse_size_kib(size, size_unit::gib);
    if (!kib) return ctx.controller().fail(kExitArgumentError, kib.error());
    sizes_kib.push_back(kib.value());
  }
  const nlohmann::json body = {{"resource_definition_name", args.definition},
                               {"volume_sizes", sizes_kib},
                               {"partial", args.partial},
                               {"definitions_only", args.definitions_only},
                               {"select_filter", nlohmann::json::object()}};
  session& s = ctx.controller();
  if (!s.call("POST", "/v1/resource-groups/" + url_encode(args.group) + "/spawn", body)) {
    return s.exit_code();
  }
  return s.report();
}

// rg c, rg l, rg m, rg spawn.
void add_resource_group_commands(CLI::App& app, command_context& ctx) {
  CLI::App* group = add_command(app, {"resource-group"});
  group->require_subcommand(1);

  struct create_args {
    std::string name;
    filter_args filter;
  };
  auto cargs = std::make_shared<create_args>();
  CLI::App* create = add_command(*group, {"resource-group", "create"});
  create->add_option("name", cargs->name, "Name of the resource group")->required();
  add_filter_options(*create, cargs->filter);
  create->callback([&ctx, cargs] {
    nlohmann::json body = {{"name", cargs->name},
                           {"select_filter", select_filter_of(cargs->filter)}};
    if (!cargs->filter.description.empty()) body["description"] = cargs->filter.description;
    ctx.exit_code = change(ctx, "POST", "/v1/resource-groups", body);
  });

  struct list_args {
    std::vector<std::string> names;
    bool pastable = false;
  };
  auto largs = std::make_shared<list_args>();
  CLI::App* list = add_command(*group, {"resource-group", "list"});
  list->add_option("-r,--resource-groups", largs->names, "Only these groups");
  list->add_flag("-p,--pastable", largs->pastable, "ASCII table without colours");
  list->callback([&ctx, largs] { ctx.exit_code = group_list(ctx, largs->names, largs->pastable); });

  auto margs = std::make_shared<create_args>();
  CLI::App* modify = add_command(*group, {"resource-group", "modify"});
  modify->add_option("name", margs->name, "Resource group to change")->required();
  add_filter_options(*modify, margs->filter);
  modify->callback([&ctx, margs] {
    nlohmann::json body = {{"select_filter", select_filter_of(margs->filter)}};
    if (!margs->filter.description.empty()) body["description"] = margs->filter.description;
    ctx.exit_code = change(ctx, "PUT", "/v1/resource-groups/" + url_encode(margs->name), body);
  });

  auto dname = std::make_shared<std::string>();
  CLI::App* remove = add_command(*group, {"resource-group", "delete"});
  remove->add_option("name", *dname, "Resource group to delete")->required();
  remove->callback([&ctx, dname] {
    ctx.exit_code = change(ctx, "DELETE", "/v1/resource-groups/" + url_encode(*dname));
  });

  auto sargs = std::make_shared<spawn_args>();
  CLI::App* spawn = add_command(*group, {"resource-group", "spawn-resources"});
  spawn->add_option("resource_group_name", sargs->group, "Group to spawn from")->required();
  spawn->add_option("resource_definition_name", sargs->definition, "New resource definition")
      ->required();
  spawn->add_option("volume_sizes", sargs->sizes, "Volume sizes (default unit GiB: 10 = 10 GiB)");
  spawn->add_flag("-p,--partial", sargs->partial, "Allow fewer sizes than volume groups");
  spawn->add_flag("-d,--definitions-only", sargs->definitions_only,
                  "Create the definitions but place no resources");
  spawn->callback([&ctx, sargs] { ctx.exit_code = group_spawn(ctx, *sargs); });
}

// vg c, vg l.
void add_volume_group_commands(CLI::App& app, command_context& ctx) {
  CLI::App* volume_group = add_command(app, {"volume-group"});
  volume_group->require_subcommand(1);

  struct vg_args {
    std::string group;
    int volume_number = -1;
    bool pastable = false;
  };
  auto vcargs = std::make_shared<vg_args>();
  CLI::App* vg_create = add_command(*volume_group, {"volume-group", "create"});
  vg_create->add_option("resource_group_name", vcargs->group, "Resource group")->required();
  vg_create->add_option("-n,--vlmnr", vcargs->volume_number, "Volume number (default: next)")
      ->check(CLI::Range(0, 65535));
  vg_create->callback([&ctx, vcargs] {
    nlohmann::json body = nlohmann::json::object();
    if (vcargs->volume_number >= 0) body["volume_number"] = vcargs->volume_number;
    ctx.exit_code = change(
        ctx, "POST", "/v1/resource-groups/" + url_encode(vcargs->group) + "/volume-groups", body);
  });

  auto vlargs = std::make_shared<vg_args>();
  CLI::App* vg_list = add_command(*volume_group, {"volume-group", "list"});
  vg_list->add_option("resource_group_name", vlargs->group, "Resource group")->required();
  vg_list->add_flag("-p,--pastable", vlargs->pastable, "ASCII table without colours");
  vg_list->callback([&ctx, vlargs] {
    session& s = ctx.controller();
    const auto answer =
        s.get("/v1/resource-groups/" + url_encode(vlargs->group) + "/volume-groups");
    ctx.exit_code = answer ? show_list(ctx, *answer, volume_group_table(*answer), vlargs->pastable)
                           : s.exit_code();
  });

  auto vdargs = std::make_shared<std::pair<std::string, int>>();
  CLI::App* vg_delete = add_command(*volume_group, {"volume-group", "delete"});
  vg_delete->add_option("resource_group_name", vdargs->first, "Resource group")->required();
  vg_delete->add_option("volume_nr", vdargs->second, "Volume number")
      ->required()
      ->check(CLI::Range(0, 65535));
  vg_delete->callback([&ctx, vdargs] {
    ctx.exit_code = change(ctx, "DELETE",
                           "/v1/resource-groups/" + url_encode(vdargs->first) + "/volume-groups/" +
                               std::to_string(vdargs->second));
  });
}

}  // namespace

void add_group_commands(CLI::App& app, command_context& ctx) {
  add_resource_group_commands(app, ctx);
  add_volume_group_commands(app, ctx);
}

}  // namespace tandem::cli
