// What a correct volume must hold: every acknowledged write applied in completion order. Used by
// the sweep and the scenario runner to check replicas byte for byte. At most one write per block is
// in flight (a write spanning several blocks holds them all), so the order per block is well
// defined.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/cluster.h"

namespace tandem::sim {

class write_tracker {
 public:
  explicit write_tracker(std::uint64_t volume_size_bytes);

  // Starts a write of `count` random bytes at a random free block (a whole block, or with
  // sub_block a run of 1..6 sectors at any sector in it). Returns false when the block was busy.
  bool start_random_write(cluster& c, node_id node, prng& random, bool sub_block);
  bool start_write(cluster& c, node_id node, std::uint64_t offset_bytes,
                   std::vector<std::byte> data, bool may_fail);

  // Folds completed writes into the model. A failed write leaves its block undefined (old or new
  // data may be there) until a whole-block write defines it again. `failure_allowed` decides,
  // per write, whether a failure is a violation.
  using failure_policy = std::function<bool(io_status status, bool may_fail)>;
  // With quorum_required, a write acknowledged by a node that had no quorum is a violation.
  void collect(const cluster& c, const failure_policy& failure_allowed, bool quorum_required,
               std::vector<std::string>& violations);

  // Every listed node's disk holds the model, and undefined blocks hold what `reference` holds.
  void check_replicas(const cluster& c, const std::vector<node_id>& nodes, node_id reference,
                      std::vector<std::string>& violations) const;

  // The model's content of a block range, or nullopt while any block in it is busy or undefined.
  std::optional<std::vector<std::byte>> expected(std::uint64_t offset_bytes,
                                                 std::uint32_t length_bytes) const;

  std::size_t in_flight() const { return in_flight_.size(); }
  std::uint64_t acknowledged() const { return acknowledged_; }
  // The slowest acknowledged write so far, from submission to acknowledgement.
  std::uint64_t max_ack_latency_ns() const { return max_ack_latency_ns_; }
  std::uint64_t blocks() const { return model_.size() / kBlockBytes; }

 private:
  struct pending {
    std::uint64_t offset_bytes;
    std::vector<std::byte> data;
    bool may_fail;
  };
  std::vector<std::byte> model_;
  std::map<std::uint64_t, pending> in_flight_;  // tag -> write
  std::set<std::uint64_t> busy_blocks_;
  std::set<std::uint64_t> undefined_blocks_;
  std::uint64_t acknowledged_ = 0;
  std::uint64_t max_ack_latency_ns_ = 0;
};

}  // namespace tandem::sim
