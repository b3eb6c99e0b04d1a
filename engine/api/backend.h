// What the REST API needs from the controller: the current model, a way to run a mutation as
// one transaction, and a few facts about itself.
#pragma once

#include <functional>
#include <string>

#include "core/cluster/api_codes.h"
#include "core/cluster/model.h"
#include "core/cluster/operations.h"

namespace tandem::api {

using mutation = std::function<cluster::api_call_rcs(cluster::cluster&, const cluster::op_env&)>;

class controller_backend {
 public:
  virtual ~controller_backend() = default;
  virtual const cluster::cluster& model() const = 0;
  // Runs `op` on a copy of the model; when it answers without error the copy is committed to the
  // database (one transaction) and becomes the model. A failed commit answers with an error.
  virtual cluster::api_call_rcs mutate(const mutation& op) = 0;
};

}  // namespace tandem::api
