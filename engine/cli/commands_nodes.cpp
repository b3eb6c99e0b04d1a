// node (n) and storage-pool (sp) commands.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <ostream>

#include "engine/cli/api_call_rc.h"
#include "engine/cli/commands.h"
#include "engine/cli/controller_address.h"
#include "engine/cli/json_fields.h"

namespace tandem::cli {
namespace {

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

struct node_create_args {
  std::string name;
  std::string address;
  std::string node_type = "satellite";
  std::string communication_type = "plain";
  int port = 0;  // 0: 3366 for plain, 3367 for ssl
};

int node_create(command_context& ctx, const node_create_args& args) {
  const std::string encryption = upper(args.communication_type);
  const int port = args.port != 0 ? args.port : (encryption == "SSL" ? 3367 : 3366);
  const nlohmann::json body = {{"name", args.name},
                               {"type", upper(args.node_type)},
                               {"net_interfaces",
                                {{{"name", "default"},
                                  {"address", args.address},
                                  {"satellite_port", port},
                                  {"satellite_encryption_type", encryption},
                                  {"is_active", true}}}}};
  session& s = ctx.controller();
  if (!s.call("POST", "/v1/nodes", body)) return s.exit_code();
  return s.report();
}

int node_list(command_context& ctx, const std::vector<std::string>& nodes, bool pastable) {
  session& s = ctx.controller();
  const auto answer = s.get("/v1/nodes" + list_query({{"nodes", &nodes}}));
  if (!answer) return s.exit_code();
  return show_list(ctx, *answer, node_table(*answer), pastable);
}

int node_delete(command_context& ctx, const std::vector<std::string>& nodes) {
  session& s = ctx.controller();
  for (const auto& node : nodes) {
    if (!s.call("DELETE", "/v1/nodes/" + url_encode(node))) return s.exit_code();
  }
  return s.report();
}

int node_describe(command_context& ctx, const std::string& node_name) {
  session& s = ctx.controller();
  const std::vector<std::string> nodes = {node_name};
  const auto node = s.get("/v1/nodes" + list_query({{"nodes", &nodes}}));
  if (!node) return s.exit_code();
  if (!node->is_array() || node->empty()) {
    return s.fail(kExitObjectNotFound, "node '" + node_name + "' not found on the controller");
  }
  const auto pools = s.get("/v1/view/storage-pools" + list_query({{"nodes", &nodes}}));
  if (!pools) return s.exit_code();
  const auto resources = s.get("/v1/view/resources" + list_query({{"nodes", &nodes}}));
  if (!resources) return s.exit_code();
  if (ctx.globals.machine_readable) {
    s.print_json_list({{"node", (*node)[0]}, {"storage_pools", *pools}, {"resources", *resources}});
    return kExitOk;
  }
  ctx.out << node_tree((*node)[0], *pools, *resources, ctx.views(false));
  return kExitOk;
}

// `sp c <provider> NODE POOL [BACKING]`: the provider word -> provider_kind.
std::string provider_kind_of(std::string_view provider) {
  if (provider == "lvm") return "LVM";
  if (provider == "lvmthin") return "LVM_THIN";
  if (provider == "zfs") return "ZFS";
  if (provider == "zfsthin") return "ZFS_THIN";
  if (provider == "file") return "FILE";
  if (provider == "filethin") return "FILE_THIN";
  return "DISKLESS";
}

struct pool_create_args {
  std::string node;
  std::string pool;
  std::string backing;
};

int storage_pool_create(command_context& ctx, std::string_view provider,
                        const pool_create_args& args) {
  nlohmann::json body = {{"storage_pool_name", args.pool},
                         {"provider_kind", provider_kind_of(provider)}};
  if (!args.backing.empty()) body["props"] = {{"StorDriver/StorPoolName", args.backing}};
  session& s = ctx.controller();
  if (!s.call("POST", "/v1/nodes/" + url_encode(args.node) + "/storage-pools", body)) {
    return s.exit_code();
  }
  return s.report();
}

void add_pool_create(CLI::App& create, command_context& ctx, std::string_view provider) {
  auto args = std::make_shared<pool_create_args>();
  CLI::App* command = add_command(create, {"storage-pool", "create", provider});
  command->add_option("node_name", args->node, "Node the pool is on")->required();
  command->add_option("name", args->pool, "Name of the storage pool")->required();
  if (provider != "diskless") {
    command
        ->add_option("driver_pool_name", args->backing,
                     "Backing pool: volume group, VG/thinpool, zpool or directory")
        ->required();
  }
  command->callback(
      [&ctx, args, provider] { ctx.exit_code = storage_pool_create(ctx, provider, *args); });
}

}  // namespace

void add_node_commands(CLI::App& app, command_context& ctx) {
  CLI::App* node = add_command(app, {"node"});
  node->require_subcommand(1);

  auto create_args = std::make_shared<node_create_args>();
  CLI::App* create = add_command(*node, {"node", "create"});
  create->add_option("name", create_args->name, "Name of the node (its uname -n)")->required();
  create->add_option("ip", create_args->address, "IP address of the node")->required();
  create->add_option("--node-type", create_args->node_type, "satellite (default) or combined")
      ->check(
          CLI::IsMember({"satellite", "combined", "controller", "auxiliary"}, CLI::ignore_case));
  create
      ->add_option("--communication-type", create_args->communication_type,
                   "plain (default) or ssl")
      ->check(CLI::IsMember({"plain", "ssl"}, CLI::ignore_case));
  create->add_option("--port", create_args->port, "Satellite port (default 3366, 3367 for ssl)")
      ->check(CLI::Range(1, 65535));
  create->callback([&ctx, create_args] { ctx.exit_code = node_create(ctx, *create_args); });

  auto list_nodes = std::make_shared<std::vector<std::string>>();
  auto list_pastable = std::make_shared<bool>(false);
  CLI::App* list = add_command(*node, {"node", "list"});
  list->add_option("-n,--nodes", *list_nodes, "Only these nodes");
  list->add_flag("-p,--pastable", *list_pastable, "ASCII table without colours");
  list->callback([&ctx, list_nodes, list_pastable] {
    ctx.exit_code = node_list(ctx, *list_nodes, *list_pastable);
  });

  auto delete_nodes = std::make_shared<std::vector<std::string>>();
  CLI::App* remove = add_command(*node, {"node", "delete"});
  remove->add_option("node_name", *delete_nodes, "Nodes to delete")->required();
  remove->callback([&ctx, delete_nodes] { ctx.exit_code = node_delete(ctx, *delete_nodes); });

  auto lp_args = std::make_shared<std::pair<std::string, bool>>();
  CLI::App* properties = add_command(*node, {"node", "list-properties"});
  properties->add_option("node_name", lp_args->first, "Node")->required();
  properties->add_flag("-p,--pastable", lp_args->second, "ASCII table without colours");
  properties->callback([&ctx, lp_args] {
    const std::vector<std::string> nodes = {lp_args->first};
    ctx.exit_code = show_object_properties(ctx, "/v1/nodes" + list_query({{"nodes", &nodes}}),
                                           lp_args->first, "node", lp_args->second);
  });

  auto sp_args = std::make_shared<set_property_args>();
  CLI::App* set_property = add_command(*node, {"node", "set-property"});
  set_property->add_option("node_name", sp_args->name, "Node")->required();
  add_key_value_options(*set_property, *sp_args);
  set_property->callback([&ctx, sp_args] {
    ctx.exit_code =
        change(ctx, "PUT", "/v1/nodes/" + url_encode(sp_args->name), property_change(*sp_args));
  });

  auto describe_node = std::make_shared<std::string>();
  CLI::App* describe = add_command(*node, {"node", "describe"});
  describe->add_option("node_name", *describe_node, "Node to describe")->required();
  describe->callback([&ctx, describe_node] { ctx.exit_code = node_describe(ctx, *describe_node); });
}

void add_storage_pool_commands(CLI::App& app, command_context& ctx) {
  CLI::App* pool = add_command(app, {"storage-pool"});
  pool->require_subcommand(1);

  CLI::App* create = add_command(*pool, {"storage-pool", "create"});
  create->require_subcommand(1);
  for (const std::string_view provider :
       {"diskless", "file", "filethin", "lvm", "lvmthin", "zfs", "zfsthin"}) {
    add_pool_create(*create, ctx, provider);
  }

  struct list_args {
    std::vector<std::string> nodes;
    std::vector<std::string> pools;
    bool pastable = false;
  };
  auto largs = std::make_shared<list_args>();
  CLI::App* list = add_command(*pool, {"storage-pool", "list"});
  list->add_option("-n,--nodes", largs->nodes, "Only pools on these nodes");
  list->add_option("-s,--storage-pools", largs->pools, "Only these pools");
  list->add_flag("-p,--pastable", largs->pastable, "ASCII table without colours");
  list->callback([&ctx, largs] {
    session& s = ctx.controller();
    const auto answer =
        s.get("/v1/view/storage-pools" +
              list_query({{"nodes", &largs->nodes}, {"storage_pools", &largs->pools}}));
    ctx.exit_code = answer ? show_list(ctx, *answer, storage_pool_table(*answer), largs->pastable)
                           : s.exit_code();
  });

  auto dargs = std::make_shared<pool_create_args>();
  CLI::App* remove = add_command(*pool, {"storage-pool", "delete"});
  remove->add_option("node_name", dargs->node, "Node of the pool")->required();
  remove->add_option("name", dargs->pool, "Storage pool to delete")->required();
  remove->callback([&ctx, dargs] {
    ctx.exit_code = change(
        ctx, "DELETE",
        "/v1/nodes/" + url_encode(dargs->node) + "/storage-pools/" + url_encode(dargs->pool));
  });
}

}  // namespace tandem::cli
