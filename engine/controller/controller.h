// The controller process's state: the model, its database, the satellite connections. Runs on
// one io_context thread, so no locks: REST handlers, satellite messages and timers all run there.
// Private to engine/controller (includes Asio).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/cluster/desired_state.h"
#include "core/cluster/model.h"
#include "engine/api/backend.h"
#include "engine/controller/controller_observability.h"
#include "engine/db/store.h"

namespace tandem::controller {

class satellite_link;

struct controller_options {
  bool allow_offline_placement = false;
  int log_level = 2;  // 0 error, 1 warning, 2 info, 3 debug
};

class controller final : public api::controller_backend {
 public:
  controller(boost::asio::io_context& io, std::unique_ptr<db::cluster_store> store,
             controller_options options);
  ~controller() override;

  const cluster::cluster& model() const override { return model_; }
  cluster::api_call_rcs mutate(const api::mutation& op) override;

  // Starts satellite connections and the periodic automation.
  void start();
  void stop();

  // Called by satellite links.
  void on_satellite_status(const std::string& node_name, cluster::connection_status status);
  void on_satellite_report(const std::string& node_name, const nlohmann::json& message);
  void log(int level, const std::string& message) const;

  // Observability (GET /metrics, GET /v1/events).
  const controller_events& events() const { return events_; }
  controller_stats& stats() { return stats_; }
  std::uint64_t error_count() const { return error_count_; }

 private:
  // One link per satellite node; recomputes and pushes the desired state of the nodes in
  // `dirty` (node keys), or of every node when `dirty` is null.
  void sync_links(const std::set<std::string>* dirty = nullptr);
  void schedule_tick();  // auto-diskful every few seconds
  void release_free_memory();  // malloc_trim, at most once a second
  cluster::op_env make_env() const;

  boost::asio::io_context& io_;
  std::unique_ptr<db::cluster_store> store_;
  controller_options options_;
  cluster::cluster model_;
  // What a mutation works on: brought up to model_ first (only the objects that changed since
  // are copied), swapped with model_ when committed, left behind when refused.
  cluster::cluster working_;
  // By node key. Each keeps its node's last desired state: only what changed is encoded and sent.
  std::map<std::string, std::shared_ptr<satellite_link>> links_;
  boost::asio::steady_timer tick_;
  std::chrono::steady_clock::time_point last_trim_{};
  bool stopped_ = false;
  controller_events events_;
  controller_stats stats_;
  mutable std::uint64_t error_count_ = 0;  // error-level log lines: LINSTOR's error reports
};

}  // namespace tandem::controller
