// resource-definition (rd) and volume-definition (vd) commands.
#include <CLI/CLI.hpp>
#include <ostream>

#include "engine/cli/api_call_rc.h"
#include "engine/cli/commands.h"
#include "engine/cli/controller_address.h"
#include "engine/cli/json_fields.h"
#include "engine/cli/size_units.h"

namespace tandem::cli {
namespace {

struct volume_create_args {
  std::string definition;
  std::string size;
  int volume_number = -1;
  int minor = -1;
  bool gross = false;
};

int volume_definition_create(command_context& ctx, const volume_create_args& args) {
  const auto size_kib = parse_size_kib(args.size, size_unit::gib);
  if (!size_kib) return ctx.controller().fail(kExitArgumentError, size_kib.error());
  nlohmann::json volume = {
      {"size_kib", size_kib.value()},
      {"flags", args.gross ? nlohmann::json::array({"GROSS_SIZE"}) : nlohmann::json::array()}};
  if (args.volume_number >= 0) volume["volume_number"] = args.volume_number;
  nlohmann::json body = {{"volume_definition", volume}};
  if (args.minor >= 0) body["drbd_minor_number"] = args.minor;
  session& s = ctx.controller();
  if (!s.call("POST",
              "/v1/resource-definitions/" + url_encode(args.definition) + "/volume-definitions",
              body)) {
    return s.exit_code();
  }
  return s.report();
}

struct volume_size_args {
  std::string definition;
  int volume_number = 0;
  std::string size;
};

int volume_definition_set_size(command_context& ctx, const volume_size_args& args) {
  const auto size_kib = parse_size_kib(args.size, size_unit::gib);
  if (!size_kib) return ctx.controller().fail(kExitArgumentError, size_kib.error());
  session& s = ctx.controller();
  if (!s.call("PUT",
              "/v1/resource-definitions/" + url_encode(args.definition) + "/volume-definitions/" +
                  std::to_string(args.volume_number),
              {{"size_kib", size_kib.value()}})) {
    return s.exit_code();
  }
  return s.report();
}

struct list_args {
  std::vector<std::string> names;
  bool pastable = false;
};

// rd ap: the autoplacer for an existing definition.
void add_auto_place_command(CLI::App& definition, command_context& ctx) {
  struct auto_place_args {
    std::string name;
    int place_count = 0;
    std::vector<std::string> storage_pools;
  };
  auto apargs = std::make_shared<auto_place_args>();
  CLI::App* auto_place = add_command(definition, {"resource-definition", "auto-place"});
  auto_place->add_option("resource_definition_name", apargs->name, "Resource definition")
      ->required();
  auto_place
      ->add_option("--place-count", apargs->place_count,
                   "Diskful replicas (default: the resource group's)")
      ->check(CLI::Range(1, 32));
  auto_place->add_option("-s,--storage-pool", apargs->storage_pools, "Pools to place on");
  auto_place->callback([&ctx, apargs] {
    // An empty filter means "use the resource group's" (LINSTOR merges the two).
    nlohmann::json filter = nlohmann::json::object();
    if (apargs->place_count > 0) filter["place_count"] = apargs->place_count;
    if (!apargs->storage_pools.empty()) filter["storage_pool_list"] = apargs->storage_pools;
    ctx.exit_code =
        change(ctx, "POST", "/v1/resource-definitions/" + url_encode(apargs->name) + "/autoplace",
               {{"select_filter", filter}});
  });
}

// rd c, rd l, rd lp, rd sp, rd ap, rd d.
void add_resource_definition_commands(CLI::App& app, command_context& ctx) {
  CLI::App* definition = add_command(app, {"resource-definition"});
  definition->require_subcommand(1);

  struct create_args {
    std::string name;
    std::string group;
    std::vector<std::string> layers;
  };
  auto cargs = std::make_shared<create_args>();
  CLI::App* create = add_command(*definition, {"resource-definition", "create"});
  create->add_option("name", cargs->name, "Name of the resource definition")->required();
  create->add_option("--resource-group", cargs->group, "Resource group (default DfltRscGrp)");
  create->add_option("-l,--layer-list", cargs->layers, "Layer stack, e.g. drbd,storage")
      ->delimiter(',');
  create->callback([&ctx, cargs] {
    nlohmann::json definition_json = {{"name", cargs->name}};
    if (!cargs->group.empty()) definition_json["resource_group_name"] = cargs->group;
    if (!cargs->layers.empty()) {
      definition_json["layer_data"] = nlohmann::json::array();
      for (const auto& layer : cargs->layers) {
        definition_json["layer_data"].push_back({{"type", layer}});
      }
    }
    ctx.exit_code =
        change(ctx, "POST", "/v1/resource-definitions", {{"resource_definition", definition_json}});
  });

  auto largs = std::make_shared<list_args>();
  CLI::App* list = add_command(*definition, {"resource-definition", "list"});
  list->add_option("-r,--resource-definitions", largs->names, "Only these definitions");
  list->add_flag("-p,--pastable", largs->pastable, "ASCII table without colours");
  list->callback([&ctx, largs] {
    session& s = ctx.controller();
    const auto answer =
        s.get("/v1/resource-definitions" + list_query({{"resource_definitions", &largs->names}}));
    ctx.exit_code =
        answer ? show_list(ctx, *answer, resource_definition_table(*answer), largs->pastable)
               : s.exit_code();
  });

  auto pargs = std::make_shared<std::pair<std::string, bool>>();
  CLI::App* properties = add_command(*definition, {"resource-definition", "list-properties"});
  properties->add_option("resource_name", pargs->first, "Resource definition")->required();
  properties->add_flag("-p,--pastable", pargs->second, "ASCII table without colours");
  properties->callback([&ctx, pargs] {
    const std::vector<std::string> names = {pargs->first};
    ctx.exit_code = show_object_properties(
        ctx, "/v1/resource-definitions" + list_query({{"resource_definitions", &names}}),
        pargs->first, "resource definition", pargs->second);
  });

  auto spargs = std::make_shared<set_property_args>();
  CLI::App* set_property = add_command(*definition, {"resource-definition", "set-property"});
  set_property->add_option("resource_name", spargs->name, "Resource definition")->required();
  add_key_value_options(*set_property, *spargs);
  set_property->callback([&ctx, spargs] {
    ctx.exit_code = change(ctx, "PUT", "/v1/resource-definitions/" + url_encode(spargs->name),
                           property_change(*spargs));
  });

  add_auto_place_command(*definition, ctx);

  auto dname = std::make_shared<std::string>();
  CLI::App* remove = add_command(*definition, {"resource-definition", "delete"});
  remove->add_option("name", *dname, "Resource definition to delete")->required();
  remove->callback([&ctx, dname] {
    ctx.exit_code = change(ctx, "DELETE", "/v1/resource-definitions/" + url_encode(*dname));
  });
}

// vd c, vd l, vd size.
void add_volume_definition_commands(CLI::App& app, command_context& ctx) {
  CLI::App* volume = add_command(app, {"volume-definition"});
  volume->require_subcommand(1);

  auto vcargs = std::make_shared<volume_create_args>();
  CLI::App* vd_create = add_command(*volume, {"volume-definition", "create"});
  vd_create->add_option("resource_name", vcargs->definition, "Resource definition")->required();
  vd_create->add_option("size", vcargs->size, "Usable size (default unit GiB: 10 = 10 GiB)")
      ->required();
  vd_create->add_option("-n,--vlmnr", vcargs->volume_number, "Volume number (default: next)")
      ->check(CLI::Range(0, 65535));
  vd_create->add_option("--minor", vcargs->minor, "DRBD-style minor number")
      ->check(CLI::Range(0, 1048575));
  vd_create->add_flag("--gross", vcargs->gross, "The size includes the replication metadata");
  vd_create->callback([&ctx, vcargs] { ctx.exit_code = volume_definition_create(ctx, *vcargs); });

  auto vlargs = std::make_shared<list_args>();
  CLI::App* vd_list = add_command(*volume, {"volume-definition", "list"});
  vd_list->add_option("-r,--resource-definitions", vlargs->names, "Only these definitions");
  vd_list->add_flag("-p,--pastable", vlargs->pastable, "ASCII table without colours");
  vd_list->callback([&ctx, vlargs] {
    session& s = ctx.controller();
    const std::vector<std::string> with = {"true"};
    const auto answer =
        s.get("/v1/resource-definitions" + list_query({{"resource_definitions", &vlargs->names},
                                                       {"with_volume_definitions", &with}}));
    ctx.exit_code =
        answer ? show_list(ctx, *answer, volume_definition_table(*answer), vlargs->pastable)
               : s.exit_code();
  });

  auto vsargs = std::make_shared<volume_size_args>();
  CLI::App* vd_size = add_command(*volume, {"volume-definition", "set-size"});
  vd_size->add_option("resource_name", vsargs->definition, "Resource definition")->required();
  vd_size->add_option("volume_nr", vsargs->volume_number, "Volume number")
      ->required()
      ->check(CLI::Range(0, 65535));
  vd_size->add_option("size", vsargs->size, "New usable size (default unit GiB)")->required();
  vd_size->callback([&ctx, vsargs] { ctx.exit_code = volume_definition_set_size(ctx, *vsargs); });

  auto vdargs = std::make_shared<std::pair<std::string, int>>();
  CLI::App* vd_delete = add_command(*volume, {"volume-definition", "delete"});
  vd_delete->add_option("resource_name", vdargs->first, "Resource definition")->required();
  vd_delete->add_option("volume_nr", vdargs->second, "Volume number")
      ->required()
      ->check(CLI::Range(0, 65535));
  vd_delete->callback([&ctx, vdargs] {
    ctx.exit_code = change(ctx, "DELETE",
                           "/v1/resource-definitions/" + url_encode(vdargs->first) +
                               "/volume-definitions/" + std::to_string(vdargs->second));
  });
}

}  // namespace

void add_definition_commands(CLI::App& app, command_context& ctx) {
  add_resource_definition_commands(app, ctx);
  add_volume_definition_commands(app, ctx);
}

}  // namespace tandem::cli
