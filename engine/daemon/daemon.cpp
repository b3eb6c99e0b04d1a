#include "engine/daemon/daemon.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/daemon/daemon_backend.h"
#include "engine/daemon/daemon_metrics.h"
#include "engine/daemon/disk_ring.h"
#include "engine/daemon/driver_events.h"
#include "engine/daemon/metrics_listener.h"
#include "engine/daemon/resource_driver.h"
#include "engine/nbd/server.h"

namespace tandem::engine {
namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxAdminLineBytes = 64 * 1024;
// An events subscriber this far behind is dropped rather than buffered without bound.
constexpr std::size_t kMaxQueuedEventLines = 100'000;

void log_line(const std::string& line) { std::cerr << "tandemd: " << line << std::endl; }

json reply(bool ok, const std::string& message) { return json{{"ok", ok}, {"message", message}}; }

}  // namespace

// One admin client: reads request lines, answers each (possibly later, after a 2PC).
struct admin_session : std::enable_shared_from_this<admin_session> {
  explicit admin_session(local::socket s) : socket(std::move(s)) {}
  local::socket socket;
  asio::streambuf input;
  std::deque<std::string> outgoing;
  bool writing = false;
  bool closed = false;
  bool subscribed = false;  // `events`: gets every event line until it disconnects
};

class daemon::impl {
 public:
  impl(asio::io_context& io_, daemon_config config_)
      : io(io_), config(std::move(config_)), acceptor(io_), backend(io_, resources) {}

  void start() {
    if (config.node_name.empty()) {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      config.node_name = host;
    }
    std::filesystem::create_directories(std::filesystem::path(config.admin_socket).parent_path());
    ::unlink(config.admin_socket.c_str());
    boost::system::error_code ec;
    acceptor.open(local(), ec);
    if (!ec) acceptor.bind(local::endpoint(config.admin_socket), ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on admin socket " + config.admin_socket + ": " +
                               ec.message());
    }
    accept_admin();
    nbd::server_config nc;
    nc.tcp_address = config.nbd_tcp_address;
    nc.tcp_port = config.nbd_tcp_port;
    nc.unix_socket_path = config.nbd_unix_socket;
    // The replica takes requests up to DRBD's max_bio_size; clients split larger ones.
    nc.max_request_bytes = kMaxIoBytes;
    nc.log = [](nbd::log_level level, std::string_view line) {
      if (level >= nbd::log_level::info) log_line(std::string(line));
    };
    nbd_server = std::make_unique<nbd::nbd_server>(io, backend, nc);
    if (const std::string error = nbd_server->start(); !error.empty()) {
      throw std::runtime_error(error);
    }
    log_line("node " + config.node_name + ": admin socket " + config.admin_socket +
             ", NBD on " +
             (config.nbd_tcp_address.empty()
                  ? std::string("no TCP")
                  : config.nbd_tcp_address + ":" + std::to_string(nbd_server->tcp_port())) +
             (config.nbd_unix_socket.empty() ? "" : " and " + config.nbd_unix_socket));
    if (!config.metrics_address.empty()) {
      metrics = std::make_unique<metrics_listener>(
          io, config.metrics_address, config.metrics_port,
          [this] {
            return render_daemon_metrics(config.node_name, resources, disks.fixed_requests());
          });
      log_line("Prometheus metrics on http://" + config.metrics_address + ":" +
               std::to_string(metrics->port()) + "/metrics");
    }
    if (config.up_all && std::filesystem::is_directory(config.resource_dir)) {
      std::set<std::string> names;
      for (const auto& entry : std::filesystem::directory_iterator(config.resource_dir)) {
        if (entry.path().extension() == ".toml") names.insert(entry.path().stem().string());
      }
      for (const auto& name : names) {
        const json r = up(name);
        if (!r["ok"].get<bool>()) log_line(r["message"].get<std::string>());
      }
    }
  }

  void stop() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    if (metrics) metrics->stop();
    if (nbd_server) nbd_server->stop();
    for (auto& [name, resource] : resources) resource->shut_down();
    resources.clear();
    ::unlink(config.admin_socket.c_str());
  }

  // ------------------------------------------------------------------------------ admin socket
  void accept_admin() {
    acceptor.async_accept([this](boost::system::error_code ec, local::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        auto session = std::make_shared<admin_session>(std::move(socket));
        read_request(session);
      }
      accept_admin();
    });
  }

  void read_request(const std::shared_ptr<admin_session>& session) {
    asio::async_read_until(
        session->socket, session->input, '\n',
        [this, session](boost::system::error_code ec, std::size_t n) {
          if (ec) {
            session->closed = true;
            return;
          }
          if (n > kMaxAdminLineBytes) {
            send(session, reply(false, "request line longer than 64 KiB"));
            session->closed = true;
            return;
          }
          std::string line(asio::buffers_begin(session->input.data()),
                           asio::buffers_begin(session->input.data()) + static_cast<long>(n));
          session->input.consume(n);
          handle(line, [this, session](const json& answer) { send(session, answer); }, session);
          read_request(session);
        });
  }

  void send(const std::shared_ptr<admin_session>& session, const json& answer) {
    session->outgoing.push_back(answer.dump() + "\n");
    if (!session->writing) write_next(session);
  }

  void write_next(const std::shared_ptr<admin_session>& session) {
    if (session->outgoing.empty()) {
      session->writing = false;
      return;
    }
    session->writing = true;
    asio::async_write(session->socket, asio::buffer(session->outgoing.front()),
                      [this, session](boost::system::error_code ec, std::size_t) {
                        session->outgoing.pop_front();
                        if (ec) {
                          session->outgoing.clear();
                          session->writing = false;
                          return;
                        }
                        write_next(session);
                      });
  }

  // ------------------------------------------------------------------------------ commands
  using responder = std::function<void(const json&)>;

  void handle(const std::string& line, const responder& respond,
              const std::shared_ptr<admin_session>& session) {
    json request;
    try {
      request = json::parse(line);
    } catch (const json::parse_error& e) {
      return respond(reply(false, std::string("request is not JSON: ") + e.what()));
    }
    if (!request.is_object() || !request.contains("command") || !request["command"].is_string()) {
      return respond(reply(false, "request needs a \"command\" string"));
    }
    const std::string command = request["command"];
    const std::string name = request.value("resource", std::string());
    try {
      if (command == "list") return respond(list());
      if (command == "events") return subscribe(session);
      if (command == "status") return respond(status(name, request.value("json", false)));
      if (command == "power-cut") return power_cut(respond);
      if (name.empty()) return respond(reply(false, command + ": which resource?"));
      if (command == "up") return respond(up(name));
      if (command == "down") return down(name, respond);
      if (command == "adjust") return adjust(name, respond);
      resource_driver* resource = find(name);
      if (resource == nullptr) return respond(reply(false, "resource " + name + " is not up"));
      if (command == "primary") {
        return run_admin(*resource, request.value("force", false) ? admin_op::primary_force
                                                                  : admin_op::primary,
                         std::nullopt, respond);
      }
      if (command == "secondary") {
        if (resource->writers() > 0) {
          return respond(reply(false, "resource " + name + " is in use by " +
                                          std::to_string(resource->writers()) +
                                          " writer(s); cannot demote"));
        }
        return run_admin(*resource, admin_op::secondary, std::nullopt, respond);
      }
      if (command == "connect" || command == "disconnect") {
        const auto peer = peer_of(*resource, request);
        if (!peer) return respond(reply(false, command + ": unknown peer (give a node name or id)"));
        return run_admin(*resource, command == "connect" ? admin_op::connect : admin_op::disconnect,
                         peer, respond);
      }
      if (command == "inject-fault") {
        const auto r = resource->inject_disk_failure(
            static_cast<volume_nr>(request.value("volume", 0)), request.value("fail", true));
        return respond(reply(r.ok, r.message));
      }
      if (command == "detach") return run_admin(*resource, admin_op::detach, std::nullopt, respond);
      if (command == "verify" || command == "invalidate" || command == "attach") {
        // Toward the named peer, or (no peer) every connected peer in sync / the first UpToDate
        // one (invalidate, attach: the peer to sync from). verify answers when the run starts; its
        // result is the verify-done event and the status' verify-out-of-sync-bytes.
        std::optional<node_id> peer;
        if (request.contains("peer")) {
          peer = peer_of(*resource, request);
          if (!peer)
            return respond(reply(false, command + ": unknown peer (give a node name or id)"));
        }
        const admin_op op = command == "verify"       ? admin_op::verify
                            : command == "invalidate" ? admin_op::invalidate
                                                      : admin_op::attach;
        return run_admin(*resource, op, peer, respond);
      }
      if (command == "resize") {
        std::optional<volume_nr> volume;
        if (request.contains("volume")) volume = request["volume"].get<volume_nr>();
        return resource->resize(volume, request.value("size-bytes", std::uint64_t{0}),
                                request.value("assume-clean", false),
                                [respond](const admin_result& r) { respond(reply(r.ok, r.message)); });
      }
      return respond(reply(false, "unknown command '" + command + "'"));
    } catch (const std::exception& e) {
      return respond(reply(false, e.what()));
    }
  }

  // Tests only: every resource with volatile-write-cache loses its unflushed writes, then the
  // daemon dies at once, like a node whose power went (no demotion, no metadata commit).
  void power_cut(const responder& respond) {
    const bool modelled = std::any_of(resources.begin(), resources.end(), [](const auto& entry) {
      return entry.second->definition().volatile_write_cache;
    });
    if (!modelled) {
      return respond(reply(false, "power-cut: no resource is up with volatile-write-cache = true "
                                  "(a test mode)"));
    }
    std::size_t undone = 0;
    for (auto& [name, resource] : resources) {
      if (resource->definition().volatile_write_cache) undone += resource->power_cut_disks();
    }
    log_line("power cut: " + std::to_string(undone) + " unflushed write record(s) lost");
    std::_Exit(137);
  }

  std::optional<node_id> peer_of(const resource_driver& resource, const json& request) {
    if (!request.contains("peer")) return std::nullopt;
    const json& peer = request["peer"];
    for (const auto& node : resource.definition().nodes) {
      if ((peer.is_string() && peer.get<std::string>() == node.name) ||
          (peer.is_number_integer() && peer.get<int>() == node.id) ||
          (peer.is_string() && peer.get<std::string>() == std::to_string(node.id))) {
        return node.id;
      }
    }
    return std::nullopt;
  }

  void run_admin(resource_driver& resource, admin_op op, std::optional<node_id> peer,
                 const responder& respond) {
    resource.admin(op, peer, [respond](const admin_result& r) { respond(reply(r.ok, r.message)); });
  }

  resource_driver* find(const std::string& name) {
    auto found = resources.find(name);
    return found == resources.end() ? nullptr : found->second.get();
  }

  std::string file_of(const std::string& name) const {
    return (std::filesystem::path(config.resource_dir) / (name + ".toml")).string();
  }

  json up(const std::string& name) {
    if (resources.count(name)) return reply(true, "resource " + name + " is already up");
    resource_definition definition = parse_resource_file(file_of(name));
    if (definition.name != name) {
      return reply(false, file_of(name) + ": name '" + definition.name +
                              "' differs from the file name");
    }
    auto driver = std::make_unique<resource_driver>(io, disks, std::move(definition),
                                                    config.node_name, log_line);
    driver->set_event_sink([this](const std::string& event) { broadcast(event); });
    broadcast(lifecycle_event_json("create", name));
    for (const auto& line : driver->exists_events()) broadcast(line);
    resources[name] = std::move(driver);
    return reply(true, "resource " + name + " is up");
  }

  // Why the resource cannot be taken down or rebuilt, or "" when nobody has it open.
  std::string held_open(resource_driver& resource) const {
    const std::size_t clients = backend.sessions(resource.name());
    if (resource.writers() == 0 && clients == 0) return "";
    return "resource " + resource.name() + " is held open by " + std::to_string(clients) +
           " NBD client(s), " + std::to_string(resource.writers()) + " of them writing";
  }

  void down(const std::string& name, const responder& respond) {
    resource_driver* resource = find(name);
    if (resource == nullptr) return respond(reply(true, "resource " + name + " is not up"));
    if (const std::string busy = held_open(*resource); !busy.empty()) {
      return respond(reply(false, busy));
    }
    auto finish = [this, name, respond](const admin_result&) {
      auto found = resources.find(name);
      if (found != resources.end()) {
        // A client may have opened it while it was demoting.
        if (const std::string busy = held_open(*found->second); !busy.empty()) {
          return respond(reply(false, busy));
        }
        found->second->shut_down();
        resources.erase(found);
        broadcast(lifecycle_event_json("destroy", name));
      }
      respond(reply(true, "resource " + name + " is down"));
    };
    if (resource->view().local_role == role::primary) {
      return resource->admin(admin_op::secondary, std::nullopt, finish);
    }
    finish({true, ""});
  }

  // What `adjust` finds between the running definition and the file (DRBD's drbdadm adjust).
  struct adjust_plan {
    std::vector<node_id> remove;             // peers that left, or changed and come back below
    std::vector<resource_node> add;          // peers that joined, or changed (toggle-disk...)
    std::vector<std::string> peer_changes;   // for the answer
    std::vector<std::string> other_changes;  // need a restart of the resource
    std::vector<std::string> option_changes;  // applied live (admin_op::set_options)
    adjustable_options options;
    std::vector<std::pair<volume_nr, std::uint64_t>> grow;  // live resize to these sizes
    std::vector<std::string> size_changes;
  };

  // current_size_bytes: what each running volume holds now (a resize may have grown it beyond
  // the running definition).
  static adjust_plan plan_adjust(const resource_definition& running,
                                 const resource_definition& wanted, const std::string& self_name,
                                 const std::function<std::uint64_t(volume_nr)>& current_size_bytes) {
    adjust_plan plan;
    auto describe = [](const resource_node& n) {
      return n.name + " (node-id " + std::to_string(n.id) + ", " +
             (n.diskless ? "diskless" : "diskful") + ")";
    };
    auto find_id = [](const resource_definition& d, node_id id) -> const resource_node* {
      for (const auto& n : d.nodes) {
        if (n.id == id) return &n;
      }
      return nullptr;
    };
    const resource_node* self_running = running.node_named(self_name);
    const resource_node* self_wanted = wanted.node_named(self_name);
    if (self_wanted == nullptr) {
      plan.other_changes.push_back("this node is no longer in the file (take it down instead)");
    } else if (self_running == nullptr || self_running->id != self_wanted->id ||
               self_running->address != self_wanted->address ||
               self_running->port != self_wanted->port ||
               self_running->diskless != self_wanted->diskless ||
               self_running->disks != self_wanted->disks) {
      plan.other_changes.push_back("this node's own entry (id, address, port or disks)");
    }
    const node_id self_id = self_running != nullptr ? self_running->id : 0;
    for (const auto& old_node : running.nodes) {
      if (old_node.id == self_id) continue;
      const resource_node* now = find_id(wanted, old_node.id);
      if (now == nullptr) {
        plan.remove.push_back(old_node.id);
        plan.peer_changes.push_back("removed peer " + describe(old_node));
        continue;
      }
      // A peer's own disks are documentation here; anything else that changed is a new peer under
      // the same id (toggle-disk, a tie-breaker taken over, a moved address): remove + add.
      if (now->name != old_node.name || now->address != old_node.address ||
          now->port != old_node.port || now->diskless != old_node.diskless) {
        plan.remove.push_back(old_node.id);
        plan.add.push_back(*now);
        plan.peer_changes.push_back("changed peer " + describe(old_node) + " -> " + describe(*now));
      }
    }
    for (const auto& new_node : wanted.nodes) {
      if (self_wanted != nullptr && new_node.id == self_wanted->id) continue;
      if (find_id(running, new_node.id) == nullptr) {
        plan.add.push_back(new_node);
        plan.peer_changes.push_back("added peer " + describe(new_node));
      }
    }
    bool volumes_same = running.volumes.size() == wanted.volumes.size();
    for (std::size_t i = 0; volumes_same && i < running.volumes.size(); ++i) {
      volumes_same = running.volumes[i].number == wanted.volumes[i].number;
    }
    if (!volumes_same) plan.other_changes.push_back("volumes");
    // A larger size-bytes grows the volume live (resize); a smaller one is ignored: volumes only
    // grow, and the file may simply not have caught up with a resize.
    for (std::size_t i = 0; volumes_same && i < wanted.volumes.size(); ++i) {
      const auto& v = wanted.volumes[i];
      const std::uint64_t now = current_size_bytes(v.number);
      if (v.size_bytes <= now) continue;
      plan.grow.emplace_back(v.number, v.size_bytes);
      plan.size_changes.push_back("volume " + std::to_string(v.number) + " grows from " +
                                  std::to_string(now) + " to " + std::to_string(v.size_bytes) +
                                  " bytes");
    }
    if (running.shared_secret != wanted.shared_secret) plan.other_changes.push_back("shared-secret");
    if (running.proto != wanted.proto) plan.other_changes.push_back("protocol");
    if (running.al_extents != wanted.al_extents) plan.other_changes.push_back("al-extents");
    if (running.direct != wanted.direct) plan.other_changes.push_back("direct-io");
    if (running.auto_promote != wanted.auto_promote) plan.other_changes.push_back("auto-promote");
    if (running.ping_interval_ms != wanted.ping_interval_ms ||
        running.ping_timeout_ms != wanted.ping_timeout_ms) {
      plan.other_changes.push_back("ping-int-ms / ping-timeout-ms");
    }
    plan.options = wanted.options;
    plan.option_changes = changed_option_names(running.options, wanted.options);
    if (running.max_peers != wanted.max_peers) plan.other_changes.push_back("max-peers");
    return plan;
  }

  // The node that grows a volume for everybody when adjust finds a larger size-bytes: the
  // Primary, or without one the lowest node id among the connected UpToDate nodes (this one
  // included). LINSTOR runs drbdadm resize on one node as well: two nodes growing a volume at
  // once would each sync the new area to the other and leave both Inconsistent (the core's
  // resize is no cluster-wide transaction). nullopt: nobody qualifies (the resize itself says
  // why).
  static std::optional<node_id> resize_runner(const replica_view& view, volume_nr number) {
    if (view.local_role == role::primary) return view.self;
    std::optional<node_id> lowest;
    auto consider = [&](node_id node) {
      if (!lowest || node < *lowest) lowest = node;
    };
    for (const auto& v : view.volumes) {
      if (v.number == number && v.disk == disk_state::uptodate) consider(view.self);
    }
    for (const auto& c : view.connections) {
      if (c.peer_role == role::primary) return c.peer;
      if (c.conn != conn_state::connected) continue;
      for (std::size_t i = 0; i < c.volumes.size() && i < view.volumes.size(); ++i) {
        if (view.volumes[i].number == number && c.volumes[i].peer_disk == disk_state::uptodate) {
          consider(c.peer);
        }
      }
    }
    return lowest;
  }

  static std::string joined(const std::vector<std::string>& parts) {
    std::string text;
    for (const auto& part : parts) text += (text.empty() ? "" : "; ") + part;
    return text;
  }

  void adjust(const std::string& name, const responder& respond) {
    resource_driver* resource = find(name);
    if (resource == nullptr) return respond(up(name));
    const resource_definition wanted = parse_resource_file(file_of(name));
    if (wanted.name != name) {
      return respond(reply(false, file_of(name) + ": name '" + wanted.name +
                                      "' differs from the file name"));
    }
    if (wanted.node_named(config.node_name) == nullptr) {
      return respond(reply(false, file_of(name) + " no longer lists this node ('" +
                                      config.node_name + "'): take the resource down with "
                                      "`tandemadm down " + name + "`"));
    }
    adjust_plan plan =
        plan_adjust(resource->definition(), wanted, config.node_name,
                    [resource](volume_nr number) { return resource->volume_size_bytes(number); });
    if (plan.other_changes.empty() && plan.peer_changes.empty() && plan.option_changes.empty() &&
        plan.grow.empty()) {
      return respond(reply(true, "resource " + name + " matches its file"));
    }
    if (!plan.other_changes.empty()) {
      // Own disks, sizes, secret, protocol...: the resource is rebuilt, which needs it idle.
      if (!held_open(*resource).empty() || resource->view().local_role == role::primary) {
        return respond(reply(false, "resource " + name + " changed in its file (" +
                                        joined(plan.other_changes) +
                                        ") but is Primary or in use; demote it first"));
      }
      resource->shut_down();
      resources.erase(name);
      broadcast(lifecycle_event_json("destroy", name));
      json answer = up(name);
      if (answer.value("ok", false)) {
        auto all = plan.other_changes;
        all.insert(all.end(), plan.peer_changes.begin(), plan.peer_changes.end());
        all.insert(all.end(), plan.option_changes.begin(), plan.option_changes.end());
        all.insert(all.end(), plan.size_changes.begin(), plan.size_changes.end());
        answer["message"] = "resource " + name + " restarted: " + joined(all);
      }
      return respond(answer);
    }
    // Only peers, options and sizes changed: applied live, Primary and in use included. Options
    // first (a refusal leaves the peers as they were), then removals, so that their bitmap slots
    // are free for the additions; growing last, when every peer that must take it is there.
    auto steps = std::make_shared<std::deque<std::function<void(admin_callback)>>>();
    if (!plan.option_changes.empty()) {
      steps->push_back([this, name, options = plan.options](admin_callback next) {
        resource_driver* r = find(name);
        if (r == nullptr) return next({false, "resource " + name + " went down during adjust"});
        r->set_options(options, std::move(next));
      });
    }
    for (node_id id : plan.remove) {
      steps->push_back([this, name, id](admin_callback next) {
        resource_driver* r = find(name);
        if (r == nullptr) return next({false, "resource " + name + " went down during adjust"});
        r->remove_peer(id, std::move(next));
      });
    }
    for (const auto& node : plan.add) {
      steps->push_back([this, name, node](admin_callback next) {
        resource_driver* r = find(name);
        if (r == nullptr) return next({false, "resource " + name + " went down during adjust"});
        r->add_peer(node, std::move(next));
      });
    }
    for (const auto& grow : plan.grow) {
      // Copies, not the structured binding: clang 14 (the fuzz build) cannot capture bindings.
      const auto number = grow.first;
      const auto size = grow.second;
      steps->push_back([this, name, number, size](admin_callback next) {
        resource_driver* r = find(name);
        if (r == nullptr) return next({false, "resource " + name + " went down during adjust"});
        // A peer's resize may have grown it meanwhile.
        if (r->volume_size_bytes(number) >= size) return next({true, ""});
        const node_id self_id = r->definition().node_named(config.node_name)->id;
        const auto runner = resize_runner(r->view(), number);
        if (runner && *runner != self_id) {
          return next({false, "volume " + std::to_string(number) + " grows from node " +
                                  std::to_string(*runner) + "; waiting for its resize"});
        }
        r->resize(number, size, false, std::move(next));
      });
    }
    auto job = std::make_shared<adjust_job>();
    job->name = name;
    auto changes = plan.option_changes;
    if (!changes.empty()) changes.front() = "options " + changes.front();
    changes.insert(changes.end(), plan.peer_changes.begin(), plan.peer_changes.end());
    changes.insert(changes.end(), plan.size_changes.begin(), plan.size_changes.end());
    job->summary = joined(changes);
    job->respond = respond;
    job->steps = std::move(*steps);
    job->next();
  }

  // A chain of membership steps; each callback holds the job, so it lives until the last answer.
  struct adjust_job : std::enable_shared_from_this<adjust_job> {
    std::string name;
    std::string summary;
    responder respond;
    std::deque<std::function<void(admin_callback)>> steps;

    void next() {
      if (steps.empty()) {
        log_line("resource " + name + " adjusted live: " + summary);
        return respond(reply(true, "resource " + name + " adjusted live: " + summary));
      }
      auto step = std::move(steps.front());
      steps.pop_front();
      step([self = shared_from_this()](const admin_result& r) {
        if (!r.ok) {
          return self->respond(reply(false, "resource " + self->name + ": adjust stopped: " +
                                                r.message + " (planned: " + self->summary + ")"));
        }
        self->next();
      });
    }
  };

  // ------------------------------------------------------------------------------ events
  // Like `drbdsetup events2`: the current state as "exists" objects, the marker
  // {"type":"exists","object":"-"}, then every change as it happens.
  void subscribe(const std::shared_ptr<admin_session>& session) {
    for (const auto& [name, resource] : resources) {
      for (const auto& line : resource->exists_events()) send(session, event_reply(line));
    }
    send(session, event_reply(json{{"type", "exists"}, {"object", "-"}}.dump()));
    session->subscribed = true;
    subscribers.push_back(session);
  }

  static json event_reply(const std::string& event) {
    json answer = reply(true, "");
    answer["event"] = json::parse(event);
    return answer;
  }

  void broadcast(const std::string& event) {
    if (subscribers.empty()) return;
    const json answer = event_reply(event);
    std::erase_if(subscribers, [&](const std::weak_ptr<admin_session>& weak) {
      auto session = weak.lock();
      if (!session || session->closed) return true;
      if (session->outgoing.size() >= kMaxQueuedEventLines) {
        log_line("events: dropping a subscriber that stopped reading");
        boost::system::error_code ignored;
        session->socket.close(ignored);
        return true;
      }
      send(session, answer);
      return false;
    });
  }

  json list() {
    json names = json::array();
    std::string lines;  // what `tandemadm list` prints: one name per line
    for (const auto& [name, resource] : resources) {
      names.push_back(name);
      lines += name + "\n";
    }
    json answer = reply(true, lines);
    answer["resources"] = names;
    return answer;
  }

  json status(const std::string& name, bool as_json) {
    json answer = reply(true, "");
    std::string text;
    json list = json::array();
    for (const auto& [resource_name, resource] : resources) {
      if (!name.empty() && name != resource_name) continue;
      if (as_json) {
        list.push_back(json::parse(resource->status_json()));
      } else {
        text += resource->status_text();
      }
    }
    if (!name.empty() && !resources.count(name)) return reply(false, "resource " + name + " is not up");
    if (as_json) {
      answer["resources"] = list;
    } else {
      answer["message"] = text;
    }
    return answer;
  }

  asio::io_context& io;
  daemon_config config;
  local::acceptor acceptor;
  disk_ring disks{io};  // declared before `resources`: it outlives every driver
  std::map<std::string, std::unique_ptr<resource_driver>> resources;
  daemon_backend backend;
  std::unique_ptr<nbd::nbd_server> nbd_server;
  std::unique_ptr<metrics_listener> metrics;
  std::vector<std::weak_ptr<admin_session>> subscribers;
};

daemon::daemon(asio::io_context& io, daemon_config config)
    : impl_(std::make_unique<impl>(io, std::move(config))) {}
daemon::~daemon() = default;
void daemon::start() { impl_->start(); }
void daemon::stop() { impl_->stop(); }

}  // namespace tandem::engine
