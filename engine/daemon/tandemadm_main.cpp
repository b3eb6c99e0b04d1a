// tandemadm — administers the resources of the local tandemd (drbdadm's counterpart): most commands
// go to the daemon's admin socket; create-md and dump-md work on the backing devices directly,
// while the resource is down.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "engine/cli/size_units.h"
#include "engine/daemon/admin_events.h"
#include "engine/daemon/resource_file.h"
#include "engine/daemon/volume_metadata.h"
#include "engine/io/uring_disk.h"

namespace {

using json = nlohmann::json;

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != 0 ? value : fallback;
}

// One request, one answer line. Exit code 0 when the daemon said ok, 1 when it refused, 3 when it
// cannot be reached.
int ask(const std::string& socket_path, const json& request, bool print_json) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path) {
    std::cerr << "tandemadm: admin socket path too long: " << socket_path << std::endl;
    return 3;
  }
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::cerr << "tandemadm: cannot reach tandemd at " << socket_path << ": "
              << std::strerror(errno) << std::endl;
    if (fd >= 0) ::close(fd);
    return 3;
  }
  const std::string line = request.dump() + "\n";
  if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::cerr << "tandemadm: sending the request failed" << std::endl;
    ::close(fd);
    return 3;
  }
  std::string answer;
  char chunk[4096];
  // Bounded by the daemon's answer: one line.
  while (answer.find('\n') == std::string::npos) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    answer.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (answer.empty() && request.value("command", std::string()) == "power-cut") {
    std::cout << "tandemd lost its power (the connection closed without an answer)" << std::endl;
    return 0;
  }
  json parsed;
  try {
    parsed = json::parse(answer);
  } catch (const std::exception&) {
    std::cerr << "tandemadm: tandemd sent no valid answer" << std::endl;
    return 3;
  }
  const bool ok = parsed.value("ok", false);
  if (print_json) {
    std::cout << parsed.dump(2) << std::endl;
  } else {
    const std::string message = parsed.value("message", std::string());
    if (!message.empty())
      (ok ? std::cout : std::cerr) << message << (message.back() == '\n' ? "" : "\n");
  }
  return ok ? 0 : 1;
}

// The resource file of `resource` and this node's entry in it; throws when the node is missing.
std::pair<tandem::engine::resource_definition, tandem::engine::resource_node> local_node(
    const std::string& resource_dir, const std::string& node_name, const std::string& resource) {
  auto definition = tandem::engine::parse_resource_file(resource_dir + "/" + resource + ".toml");
  const auto* self = definition.node_named(node_name);
  if (self == nullptr) {
    throw std::runtime_error("node '" + node_name + "' is not in resource " + resource);
  }
  tandem::engine::resource_node node = *self;
  return {std::move(definition), std::move(node)};
}

int create_md(const std::string& resource_dir, const std::string& node_name,
              const std::string& resource, bool force, const std::string& day0_hex) {
  const auto [definition, self] = local_node(resource_dir, node_name, resource);
  if (self.diskless) {
    std::cout << "node " << node_name << " is diskless in " << resource << ": no metadata"
              << std::endl;
    return 0;
  }
  tandem::engine::create_md_options options;
  options.max_peers = definition.max_peers;
  options.node_id = self.id;
  options.al_extents = definition.al_extents;
  if (!day0_hex.empty()) options.day0_uuid = std::stoull(day0_hex, nullptr, 16);
  for (const auto& path : self.disks) {
    tandem::engine::uring_disk disk(path, {});
    tandem::engine::volume_metadata::create(disk, options, force);
    std::cout << "created metadata on " << path << (options.day0_uuid ? " (UpToDate, day 0)" : "")
              << std::endl;
  }
  return 0;
}

int dump_md(const std::string& resource_dir, const std::string& node_name,
            const std::string& resource) {
  const auto [definition, self] = local_node(resource_dir, node_name, resource);
  for (const auto& path : self.disks) {
    tandem::engine::uring_disk disk(path, {});
    const auto md =
        tandem::engine::volume_metadata::load(disk, definition.max_peers, definition.al_extents);
    std::cout << md.dump();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tandemadm: administer the resources of the local tandemd"};
  app.require_subcommand(1);
  std::string socket_path = env_or("TANDEM_ADMIN_SOCKET", "/run/tandem/tandemd.sock");
  std::string resource_dir = env_or("TANDEM_RESOURCE_DIR", "/etc/tandem/resources.d");
  std::string node_name = env_or("TANDEM_NODE_NAME", "");
  app.add_option("--admin-socket", socket_path, "tandemd's admin socket (env TANDEM_ADMIN_SOCKET)");
  app.add_option("--resource-dir", resource_dir, "resource files (env TANDEM_RESOURCE_DIR)");
  app.add_option("--node-name", node_name,
                 "this node's name (env TANDEM_NODE_NAME; default: host name)");

  std::string resource;
  std::string peer;
  bool force = false;
  bool as_json = false;
  int volume = 0;
  std::string fault_state = "on";
  std::string day0_hex;
  json request;
  auto simple = [&](const std::string& name, const std::string& help) {
    auto* sub = app.add_subcommand(name, help);
    sub->add_option("resource", resource, "resource name")->required();
    return sub;
  };
  simple("up", "bring a resource up from its resource file");
  simple("down", "take a resource down (demotes it first)");
  simple("adjust", "make a running resource match its resource file");
  simple("primary", "promote")
      ->add_flag("--force", force, "promote without UpToDate peers (day 0 / disaster)");
  simple("secondary", "demote");
  simple("connect", "connect to a peer")
      ->add_option("peer", peer, "peer node name or id")
      ->required();
  simple("disconnect", "disconnect from a peer and stay StandAlone")
      ->add_option("peer", peer, "peer node name or id")
      ->required();
  simple("verify", "online verify: compare every block with a peer by digest (DRBD verify)")
      ->add_option("peer", peer, "peer node name or id (default: every connected peer in sync)");
  simple("invalidate", "discard the local data and fully resync it from an UpToDate peer")
      ->add_option("peer", peer, "peer node name or id to sync from (default: any UpToDate one)");
  simple("detach", "the local disk goes Diskless; I/O is served through the peers");
  simple("attach", "the local disk comes back and is fully resynced from an UpToDate peer")
      ->add_option("peer", peer, "peer node name or id to sync from (default: any UpToDate one)");
  int resize_volume = -1;
  std::string resize_size;
  bool assume_clean = false;
  auto* resize = simple("resize",
                        "grow the volumes after their backing devices grew on every node (DRBD "
                        "resize; the new area is synced from here)");
  resize->add_option("--volume", resize_volume, "only this volume (default: every volume)")
      ->check(CLI::Range(0, 65535));
  resize->add_option("--size", resize_size,
                     "new size, rounded up to whole KiB: bytes, or with a unit (K, M, G, T are "
                     "powers of 1024); default: as large as every node's backing device allows");
  resize->add_flag("--assume-clean", assume_clean,
                   "the new area needs no sync (it is zeros, or unused, on every node)");
  auto* status =
      app.add_subcommand("status", "roles, disk and replication states, resync progress");
  status->add_option("resource", resource, "resource name (default: all)");
  status->add_flag("--json", as_json, "machine-readable");
  app.add_subcommand("list", "resources that are up");
  app.add_subcommand("power-cut",
                     "tests only: lose every unflushed write of resources with "
                     "volatile-write-cache, then tandemd dies at once");
  bool events_now = false;
  auto* events = app.add_subcommand("events", "follow state changes (like drbdsetup events2)");
  events->add_option("resource", resource, "resource name (default: all)");
  events->add_flag("--now", events_now, "print the current state and exit");
  events->add_flag("--json", as_json, "one JSON object per line");
  auto* fault = simple("inject-fault", "tests only: make the local disk of a volume fail");
  fault->add_option("volume", volume, "volume number")->required();
  fault->add_option("state", fault_state, "on or off")->check(CLI::IsMember({"on", "off"}));
  auto* create = simple("create-md", "write fresh metadata on this node's backing devices");
  create->add_flag("--force", force, "overwrite existing metadata");
  create->add_option("--day0-uuid", day0_hex,
                     "mark the (all-zero) data UpToDate on this generation (hex): no initial sync");
  simple("dump-md", "print the metadata of this node's backing devices");
  CLI11_PARSE(app, argc, argv);

  const std::string command = app.get_subcommands().front()->get_name();
  if (node_name.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    node_name = host;
  }
  try {
    if (command == "create-md")
      return create_md(resource_dir, node_name, resource, force, day0_hex);
    if (command == "dump-md") return dump_md(resource_dir, node_name, resource);
    if (command == "events") {
      return tandem::engine::follow_events(socket_path, resource, events_now, as_json);
    }
  } catch (const std::exception& e) {
    std::cerr << "tandemadm: " << e.what() << std::endl;
    return 1;
  }
  request["command"] = command;
  if (!resource.empty()) request["resource"] = resource;
  if (command == "primary") request["force"] = force;
  if (command == "connect" || command == "disconnect") request["peer"] = peer;
  const bool optional_peer = command == "verify" || command == "invalidate" || command == "attach";
  if (optional_peer && !peer.empty()) request["peer"] = peer;
  if (command == "status") request["json"] = as_json;
  if (command == "resize") {
    if (resize_volume >= 0) request["volume"] = resize_volume;
    if (!resize_size.empty()) {
      const auto kib = tandem::cli::parse_size_kib(resize_size, tandem::cli::size_unit::bytes);
      if (!kib) {
        std::cerr << "tandemadm: --size: " << kib.error() << std::endl;
        return 1;
      }
      request["size-bytes"] = kib.value() * 1024;
    }
    request["assume-clean"] = assume_clean;
  }
  if (command == "inject-fault") {
    request["volume"] = volume;
    request["fail"] = fault_state == "on";
  }
  return ask(socket_path, request, as_json);
}
