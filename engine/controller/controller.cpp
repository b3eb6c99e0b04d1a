#include "engine/controller/controller.h"

#include <malloc.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/cluster/assign_changed.h"
#include "core/cluster/automation.h"
#include "core/cluster/desired_state.h"
#include "core/cluster/operations.h"
#include "engine/controller/satellite_link.h"
#include "engine/controller/satellite_messages.h"

namespace tandem::controller {

namespace cl = tandem::cluster;

namespace {

// Nodes whose desired state may differ between two models: the nodes holding resources of every
// definition that changed (itself, its resources or its snapshots) and the node of every changed
// pool; everything when controller properties, groups or nodes changed (addresses and inherited
// options reach every peer). Returns false for "everything".
bool affected_nodes(const cl::cluster& before, const cl::cluster& after,
                    std::set<std::string>& nodes) {
  if (before.controller_properties != after.controller_properties ||
      before.groups != after.groups || before.nodes.size() != after.nodes.size()) {
    return false;
  }
  for (const auto& [key, n] : after.nodes) {
    auto old = before.nodes.find(key);
    if (old == before.nodes.end()) return false;
    // The connection status is runtime state and changes nothing a satellite is told.
    cl::node previous = old->second;
    previous.connection = n.connection;
    if (!(previous == n)) return false;
  }
  std::set<std::string> definitions;
  auto changed_keys = [](const auto& old_map, const auto& new_map, std::set<std::string>& out) {
    for (const auto& [key, object] : new_map) {
      auto old = old_map.find(key);
      if (old == old_map.end() || !(old->second == object)) out.insert(key.first);
    }
    for (const auto& [key, object] : old_map) {
      if (!new_map.contains(key)) out.insert(key.first);
    }
  };
  changed_keys(before.pools, after.pools, nodes);
  changed_keys(before.resources, after.resources, definitions);
  changed_keys(before.snapshots, after.snapshots, definitions);
  for (const auto& [key, rd] : after.definitions) {
    auto old = before.definitions.find(key);
    if (old == before.definitions.end() || !(old->second == rd)) definitions.insert(key);
  }
  for (const auto& [key, rd] : before.definitions) {
    if (!after.definitions.contains(key)) definitions.insert(key);
  }
  for (const std::string& rd : definitions) {
    for (const cl::cluster* model : {&before, &after}) {
      for (auto it = model->resources.lower_bound({rd, std::string()});
           it != model->resources.end() && it->first.first == rd; ++it) {
        nodes.insert(it->first.second);
      }
    }
  }
  return true;
}

constexpr auto kTickInterval = std::chrono::seconds(5);

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

void random_bytes(unsigned char* out, int count) {
  if (RAND_bytes(out, count) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
}

std::string new_uuid() {
  unsigned char b[16];
  random_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return text;
}

// 20 characters from a 64-letter alphabet: 120 bits, like LINSTOR's generated secrets.
std::string new_secret() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned char b[20];
  random_bytes(b, sizeof b);
  std::string out;
  for (unsigned char byte : b) out += kAlphabet[byte & 63];
  return out;
}

}  // namespace

controller::controller(boost::asio::io_context& io, std::unique_ptr<db::cluster_store> store,
                       controller_options options)
    : io_(io), store_(std::move(store)), options_(options), tick_(io) {
  model_ = store_->load();
}

controller::~controller() {
  stop();
}

cl::op_env controller::make_env() const {
  cl::op_env env;
  env.now_ms = now_ms();
  env.new_uuid = new_uuid;
  env.new_secret = new_secret;
  env.allow_offline_nodes = options_.allow_offline_placement;
  return env;
}

cl::api_call_rcs controller::mutate(const api::mutation& op) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  cl::assign_changed(working_, model_);
  const auto caught_up = clock::now();
  cl::api_call_rcs rcs = op(working_, make_env());
  if (cl::has_error(rcs)) return rcs;
  const auto operated = clock::now();
  try {
    store_->commit(working_);
  } catch (const std::exception& e) {
    log(0, std::string("database commit failed: ") + e.what());
    return {cl::error_rc(100, std::string("The change was not saved: ") + e.what())};
  }
  const auto committed = clock::now();
  std::set<std::string> dirty;
  const bool narrowed = affected_nodes(model_, working_, dirty);
  // working_ keeps the previous model until the next mutation brings it up to date.
  std::swap(model_, working_);
  sync_links(narrowed ? &dirty : nullptr);
  release_free_memory();
  if (options_.log_level >= 3) {
    auto us = [](auto a, auto b) {
      return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(b - a).count());
    };
    log(3, "mutation: catch-up " + us(start, caught_up) + " us, operation " +
               us(caught_up, operated) + " us, commit " + us(operated, committed) +
               " us, satellites " + us(committed, clock::now()) + " us");
  }
  return rcs;
}

void controller::start() {
  sync_links();
  schedule_tick();
}

void controller::stop() {
  if (stopped_) return;
  stopped_ = true;
  tick_.cancel();
  for (auto& [key, link] : links_) link->stop();
  links_.clear();
}

void controller::log(int level, const std::string& message) const {
  if (level == 0) ++error_count_;
  if (level > options_.log_level) return;
  static constexpr const char* kNames[] = {"ERROR", "WARN", "INFO", "DEBUG"};
  std::cerr << "tandem-controller " << kNames[std::min(level, 3)] << ": " << message << std::endl;
}

void controller::sync_links(const std::set<std::string>* dirty) {
  if (stopped_) return;
  // Drop links of deleted nodes and of nodes whose address changed.
  for (auto it = links_.begin(); it != links_.end();) {
    const cl::node* n = model_.find_node(it->first);
    const cl::net_interface* nic = n == nullptr ? nullptr : n->active_interface();
    if (nic == nullptr || nic->address != it->second->address() ||
        nic->satellite_port != it->second->port()) {
      it->second->stop();
      it = links_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [key, n] : model_.nodes) {
    if (n.type != cl::node_type::satellite && n.type != cl::node_type::combined) continue;
    const cl::net_interface* nic = n.active_interface();
    if (nic == nullptr) continue;
    auto& link = links_[key];
    const bool fresh = !link;
    if (fresh) {
      link =
          std::make_shared<satellite_link>(io_, *this, n.name, nic->address, nic->satellite_port);
      link->start();
    }
    if (!fresh && dirty != nullptr && !dirty->contains(key)) continue;
    link->push_state(cl::desired_state_for_node(model_, n.name));  // the link skips unchanged ones
  }
}

void controller::on_satellite_status(const std::string& node_name, cl::connection_status status) {
  cl::node* n = model_.find_node(node_name);
  if (n == nullptr || n->connection == status) return;
  n->connection = status;
  log(2, "node '" + node_name + "' is " + std::string(cl::to_string(status)));
  events_.record_node(node_name, cl::to_string(status), now_ms());
  if (status != cl::connection_status::online) {
    clear_reports(model_, node_name);
    return;
  }
  // A node that comes online may be the third node a tie-breaker was waiting for (LINSTOR
  // re-runs the tie-breaker on node connect too).
  const cl::api_call_rcs rcs = mutate([](cl::cluster& m, const cl::op_env& env) {
    cl::api_call_rcs all;
    std::vector<std::string> names;
    for (const auto& [key, rd] : m.definitions) names.push_back(rd.name);
    for (const std::string& name : names) {
      cl::api_call_rcs more = cl::run_automation(m, env, name);
      for (cl::api_call_rc& r : more) {
        // Warnings (no node for a tie-breaker yet) are expected here and not worth a log line.
        if (!cl::rc::is_warning(r.ret_code)) all.push_back(std::move(r));
      }
    }
    return all;
  });
  for (const cl::api_call_rc& r : rcs) log(2, r.message);
}

void controller::on_satellite_report(const std::string& node_name, const nlohmann::json& message) {
  const std::string type = message.value("type", std::string());
  if (type == "status") {
    try {
      const auto before = controller_events::node_state(model_, node_name);
      const bool persist = apply_status(model_, node_name, message, now_ms());
      events_.record_changes(node_name, before, controller_events::node_state(model_, node_name),
                             now_ms());
      if (persist) store_->commit(model_);  // pool capacities are kept as last known values
    } catch (const std::exception& e) {
      log(1, "status from '" + node_name + "' ignored: " + e.what());
    }
  } else if (type == "applied") {
    apply_applied(model_, node_name, message);
    if (!message.value("ok", true)) {
      log(1, "satellite '" + node_name + "' could not apply generation " +
                 std::to_string(message.value("generation", 0)) + ": " +
                 message.value("errors", nlohmann::json::array()).dump());
    }
  } else if (type == "error") {
    log(1, "satellite '" + node_name + "' reports " + message.dump());
  }
}

// Mutations, status reports and listings allocate and free (changed objects, desired states,
// answers); glibc keeps the freed pages in its arenas, so after a burst of API calls the RSS
// stayed at 2.5x the live data (83 MB for 1000 definitions that take 34 MB after a restart,
// when every mutation still copied the whole model). Handing them back at most once a second
// costs a heap walk of a few milliseconds.
void controller::release_free_memory() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_trim_ < std::chrono::seconds(1)) return;
  last_trim_ = now;
  ::malloc_trim(0);
}

void controller::schedule_tick() {
  tick_.expires_after(kTickInterval);
  tick_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    release_free_memory();
    if (cl::auto_diskful_due(model_, now_ms()).empty() &&
        cl::auto_diskful_cleanup(model_).empty()) {  // the usual case: no copy, no commit
      schedule_tick();
      return;
    }
    const cl::api_call_rcs rcs =
        mutate([](cl::cluster& m, const cl::op_env& env) { return cl::run_auto_diskful(m, env); });
    for (const cl::api_call_rc& r : rcs) log(2, "auto-diskful: " + r.message);
    schedule_tick();
  });
}

}  // namespace tandem::controller
