// Converges this node to the controller's desired state (docs/satellite-protocol.md §3.1):
// backing volumes in the storage pools, tandemd resource files, internal metadata for new
// volumes (day 0 when the controller says so), tandemd up/adjust/down through its admin socket,
// snapshots; and builds the status report (§4.2).
//
// Stateless across restarts: every step first looks at what exists (volumes, files, metadata,
// what tandemd has up) and only does what is missing, so a satellite killed half-way simply
// continues on the next desired state. Removal is conservative, because it deletes data: only
// resources whose resource file the satellite generated (or that it saw in a desired state) are
// taken down and have their backing volumes deleted, and only after tandemd let them go.
//
// Not thread-safe: the satellite calls it from one worker thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/cluster/desired_state.h"
#include "engine/satellite/status_report.h"
#include "engine/satellite/tandemd_client.h"
#include "engine/storage/provider_factory.h"

namespace tandem::satellite {

struct satellite_config {
  std::string node_name;
  std::string resource_dir = "/etc/tandem/resources.d";
  std::string tandemd_socket = "/run/tandem/tandemd.sock";
  // Base settings of every provider; pool properties add to them. Tests on machines without
  // device-mapper put LVM's metadata-only arguments here.
  storage::provider_settings provider_defaults;
};

struct convergence_error {
  std::string resource;  // empty: node or pool level
  std::int64_t volume = -1;
  std::string message;
};

class converger {
 public:
  converger(satellite_config config, storage::command_runner& runner);
  ~converger();

  std::vector<convergence_error> apply(const cluster::node_desired_state& state);

  // The status message (type "status"). refresh_storage re-reads pool capacities, volume
  // allocations and snapshots (external commands for LVM/ZFS); otherwise the last values are used
  // with tandemd's current replication state.
  nlohmann::json status(bool refresh_storage);

  // Log lines of what apply() changed ("created volume ...", "up res1"); drained by the caller.
  std::vector<std::string> take_log();

 private:
  struct pool_entry;

  void update_pools(const cluster::node_desired_state& state,
                    std::vector<convergence_error>& errors);
  storage::storage_provider* provider(const std::string& pool);
  // Resources tandemd has up -> the backing devices it holds open for them (their metadata is
  // tandemd's).
  using up_resources = std::map<std::string, std::set<std::string>>;

  void converge_resource(const cluster::desired_resource& r, const up_resources& up,
                         bool tandemd_reachable, std::vector<convergence_error>& errors);
  void remove_unlisted(const cluster::node_desired_state& state, const up_resources& up,
                       std::vector<convergence_error>& errors);
  // find_volume through one listing per pool and apply(): a node with a thousand resources would
  // otherwise run `lvs` (or list a directory) a thousand times per desired state.
  storage::result<std::optional<storage::volume_info>> lookup_volume(
      const std::string& pool, const storage::volume_id& id, std::uint32_t peer_slots);
  void forget_listing(const std::string& pool);
  void delete_backing_volumes(const std::string& resource, std::vector<convergence_error>& errors);
  void sync_snapshots(const cluster::desired_resource& r, std::vector<convergence_error>& errors);
  std::string resource_file(const std::string& resource) const;
  void note(std::string line) { log_.push_back(std::move(line)); }

  satellite_config config_;
  storage::command_runner& runner_;
  tandemd_client tandemd_;
  std::map<std::string, std::unique_ptr<pool_entry>> pools_;
  std::set<std::string> managed_;  // resources seen in a desired state by this process
  // (pool, peer slots) -> (resource, volume) -> volume: valid during one apply()
  std::map<std::pair<std::string, std::uint32_t>,
           std::map<std::pair<std::string, std::uint32_t>, storage::volume_info>>
      listings_;
  storage_facts storage_;  // cached by status()
  bool storage_known_ = false;
  std::vector<std::string> log_;
};

}  // namespace tandem::satellite
