// An in-memory controller_backend for the REST handlers' tests and fuzzer: the real operations on
// a model held in memory (no database, no sockets), committed only when they answer without
// error, with deterministic UUIDs and secrets.
#pragma once

#include <string>

#include "engine/api/backend.h"

namespace tandem::api {

class memory_backend final : public controller_backend {
 public:
  memory_backend() : model_(cluster::initial_cluster()) {}
  const cluster::cluster& model() const override { return model_; }
  cluster::api_call_rcs mutate(const mutation& op) override {
    cluster::cluster next = model_;
    cluster::op_env env;
    env.now_ms = 1000;
    env.new_uuid = [this] { return "uuid-" + std::to_string(++counter_); };
    env.new_secret = [] { return std::string("secret"); };
    env.allow_offline_nodes = true;
    cluster::api_call_rcs rcs = op(next, env);
    if (!cluster::has_error(rcs)) {
      model_ = std::move(next);
      ++commits;
    }
    return rcs;
  }
  int commits = 0;

 private:
  cluster::cluster model_;
  int counter_ = 0;
};

}  // namespace tandem::api
