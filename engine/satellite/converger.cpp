#include "engine/satellite/converger.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/daemon/grow_journal.h"
#include "engine/daemon/resource_file.h"
#include "engine/daemon/volume_metadata.h"
#include "engine/satellite/resource_file_render.h"
#include "engine/storage/volume_naming.h"

namespace tandem::satellite {

namespace fs = std::filesystem;
using nlohmann::json;

struct converger::pool_entry {
  cluster::desired_pool wanted;
  std::unique_ptr<storage::storage_provider> provider;  // null for DISKLESS or when unusable
  std::string error;                                    // why there is no provider
};

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return in ? text.str() : std::string();
}

// Writes through a temporary file and rename(), so tandemd never reads half a file.
void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + temporary);
  }
  fs::rename(temporary, path);
}

std::optional<generation_uuid> parse_day0(const std::string& hex) {
  if (hex.empty()) return std::nullopt;
  return std::stoull(hex, nullptr, 16);
}

}  // namespace

converger::converger(satellite_config config, storage::command_runner& runner)
    : config_(std::move(config)), runner_(runner), tandemd_(config_.tandemd_socket) {}

converger::~converger() = default;

std::vector<std::string> converger::take_log() {
  std::vector<std::string> out;
  out.swap(log_);
  return out;
}

std::string converger::resource_file(const std::string& resource) const {
  return (fs::path(config_.resource_dir) / (resource + ".toml")).string();
}

storage::storage_provider* converger::provider(const std::string& pool) {
  auto it = pools_.find(pool);
  return it == pools_.end() ? nullptr : it->second->provider.get();
}

void converger::update_pools(const cluster::node_desired_state& state,
                             std::vector<convergence_error>& errors) {
  std::map<std::string, std::unique_ptr<pool_entry>> next;
  for (const cluster::desired_pool& wanted : state.pools) {
    auto old = pools_.find(wanted.name);
    if (old != pools_.end() && old->second->wanted == wanted) {
      next[wanted.name] = std::move(old->second);
      continue;
    }
    auto entry = std::make_unique<pool_entry>();
    entry->wanted = wanted;
    if (wanted.kind != cluster::pool_kind::diskless) {
      auto kind = storage::parse_provider_kind(cluster::to_string(wanted.kind));
      auto settings = storage::settings_from_properties(wanted.properties);
      if (!kind) {
        entry->error = kind.message();
      } else if (!settings) {
        entry->error = settings.message();
      } else {
        storage::provider_settings merged = settings.value();
        const storage::provider_settings& base = config_.provider_defaults;
        merged.command_timeout = base.command_timeout;
        merged.lvm_extra_args = base.lvm_extra_args;
        merged.lvm_zero_metadata_area = base.lvm_zero_metadata_area;
        merged.file_attach_loop_device = base.file_attach_loop_device;
        auto made =
            storage::make_provider(kind.value(), wanted.name, wanted.source, merged, runner_);
        if (made) {
          entry->provider = std::move(made).value();
        } else {
          entry->error = made.message();
        }
      }
      if (!entry->error.empty()) {
        errors.push_back({"", -1, "storage pool '" + wanted.name + "': " + entry->error});
      }
    }
    next[wanted.name] = std::move(entry);
  }
  pools_ = std::move(next);
}

std::vector<convergence_error> converger::apply(const cluster::node_desired_state& state) {
  std::vector<convergence_error> errors;
  if (state.node_name != config_.node_name) {
    errors.push_back({"", -1, "the desired state is for node '" + state.node_name +
                                  "', this satellite is '" + config_.node_name + "'"});
    return errors;
  }
  std::error_code ec;
  fs::create_directories(config_.resource_dir, ec);
  update_pools(state, errors);
  listings_.clear();

  // One status call tells which resources tandemd has up and which backing devices it holds.
  up_resources up;
  const tandemd_answer listed = tandemd_.ask({{"command", "status"}, {"json", true}});
  if (listed.ok && listed.body.contains("resources") && listed.body["resources"].is_array()) {
    for (const json& replica : listed.body["resources"]) {
      const std::string name = replica.value("name", std::string());
      if (name.empty()) continue;
      std::set<std::string>& open = up[name];
      if (!replica.contains("devices") || !replica["devices"].is_array()) continue;
      for (const json& device : replica["devices"]) {
        auto path = device.find("backing-device");
        if (path != device.end() && path->is_string()) open.insert(path->get<std::string>());
      }
    }
  } else {
    errors.push_back({"", -1, listed.message.empty() ? "tandemd did not list its resources"
                                                     : listed.message});
  }
  for (const cluster::desired_resource& r : state.resources) {
    converge_resource(r, up, listed.ok, errors);
  }
  if (listed.ok) remove_unlisted(state, up, errors);
  return errors;
}

void converger::converge_resource(const cluster::desired_resource& r,
                                  const up_resources& up, bool tandemd_reachable,
                                  std::vector<convergence_error>& errors) {
  if (auto named = storage::check_resource_name(r.name); !named) {
    errors.push_back({r.name, -1, named.message()});
    return;
  }
  managed_.insert(r.name);
  auto failed = [&](std::int64_t volume, const std::string& message) {
    errors.push_back({r.name, volume, message});
  };

  // 1. Backing volumes (created, restored or grown).
  std::vector<std::string> disks;
  std::vector<bool> restored;
  if (!r.diskless) {
    for (const cluster::desired_volume& v : r.volumes) {
      storage::storage_provider* pool = provider(v.pool);
      if (pool == nullptr) {
        return failed(v.number, "storage pool '" + v.pool + "' is not usable on this node");
      }
      const storage::volume_id id{r.name, v.number};
      auto found = lookup_volume(v.pool, id, r.peer_slots);
      if (!found) return failed(v.number, found.message());
      std::optional<storage::volume_info> info = found.value();
      bool fresh_from_snapshot = false;
      if (!info && !v.restore_from_snapshot.empty()) {
        const auto slash = v.restore_from_snapshot.find('/');
        if (slash == std::string::npos) {
          return failed(v.number, "restore_from_snapshot '" + v.restore_from_snapshot +
                                      "' is not <resource>/<snapshot>");
        }
        const storage::volume_id source{v.restore_from_snapshot.substr(0, slash), v.number};
        auto made = pool->restore_snapshot(source, v.restore_from_snapshot.substr(slash + 1), id,
                                           r.peer_slots);
        if (!made) return failed(v.number, made.message());
        info = made.value().volume;
        fresh_from_snapshot = true;
        note("restored " + info->name + " from " + v.restore_from_snapshot + " (" +
             std::string(storage::to_string(made.value().method)) + ")");
      } else if (!info) {
        auto made = pool->create_volume({id, v.size_kib, r.peer_slots});
        if (!made) return failed(v.number, made.message());
        info = made.value();
        note("created " + info->name + " in pool " + v.pool + " (" +
             std::to_string(info->gross_kib) + " KiB)");
      } else if (info->usable_kib < v.size_kib) {
        auto grown = pool->resize_volume(id, v.size_kib, r.peer_slots);
        if (!grown) return failed(v.number, grown.message());
        const std::uint64_t old_device_bytes = info->gross_kib * 1024;
        info = grown.value();
        note("grew " + info->name + " to " + std::to_string(info->gross_kib) + " KiB");
        // tandemd moves the metadata of a device it has open; of one it has not, we do, before
        // anything looks for the metadata at the new end.
        const auto running = up.find(r.name);
        if (running == up.end() || !running->second.contains(info->device_path)) {
          try {
            engine::uring_disk disk(info->device_path, {});
            engine::volume_metadata::move_to_grown_end(
                disk, old_device_bytes, r.peer_slots,
                engine::grow_journal_path(resource_file(r.name), v.number));
            note("moved the metadata of " + info->device_path + " to its new end");
          } catch (const std::exception& e) {
            return failed(v.number, std::string("grown, but its metadata was not moved: ") +
                                        e.what());
          }
        }
      }
      if (!found.value() || info->gross_kib != found.value()->gross_kib) forget_listing(v.pool);
      disks.push_back(info->device_path);
      restored.push_back(fresh_from_snapshot);
    }
  }

  // 2. The resource file.
  engine::resource_definition definition;
  const std::string path = resource_file(r.name);
  try {
    rendered_resource_file rendered = render_resource_file(r, config_.node_name, disks, path);
    definition = std::move(rendered.definition);
    if (read_file(path) != rendered.text) {
      write_file_atomically(path, rendered.text);
      note("wrote " + path);
    }
  } catch (const std::exception& e) {
    return failed(-1, e.what());
  }

  // 3. Metadata on volumes tandemd does not have open: created once, day 0 when told so. A
  //    restored volume carries the metadata of the resource it was copied from: replaced.
  const auto running = up.find(r.name);
  const bool is_up = running != up.end();
  if (!r.diskless) {
    const std::set<std::string> open = is_up ? running->second : std::set<std::string>{};
    for (std::size_t i = 0; i < disks.size(); ++i) {
      if (open.contains(disks[i])) continue;
      try {
        engine::uring_disk disk(disks[i], {});
        bool present = false;
        if (!restored[i]) {
          try {
            (void)engine::volume_metadata::load(
                disk, definition.max_peers, definition.al_extents,
                engine::grow_journal_path(path, r.volumes[i].number));
            present = true;
          } catch (const std::exception&) {
          }
        }
        if (present) continue;
        engine::create_md_options options;
        options.max_peers = definition.max_peers;
        options.node_id = static_cast<std::int32_t>(r.node_id);
        options.al_extents = definition.al_extents;
        options.day0_uuid = parse_day0(r.day0_uuid);
        engine::volume_metadata::create(disk, options, /*force=*/restored[i]);
        note("created metadata on " + disks[i] +
             (options.day0_uuid ? " (UpToDate, day 0 generation " + r.day0_uuid + ")"
                                : " (Inconsistent: syncs from a peer)"));
      } catch (const std::exception& e) {
        return failed(static_cast<std::int64_t>(r.volumes[i].number), e.what());
      }
    }
  }

  // 4. tandemd.
  if (!tandemd_reachable) return;
  const tandemd_answer answer =
      tandemd_.ask({{"command", is_up ? "adjust" : "up"}, {"resource", r.name}});
  if (!answer.ok) {
    return failed(-1, (is_up ? "adjust: " : "up: ") + answer.message);
  }
  if (!is_up) note("up " + r.name);
  // A replica turned diskless (toggle-disk) leaves its old backing volume behind.
  if (r.diskless) delete_backing_volumes(r.name, errors);
  if (!r.diskless) sync_snapshots(r, errors);
}

storage::result<std::optional<storage::volume_info>> converger::lookup_volume(
    const std::string& pool, const storage::volume_id& id, std::uint32_t peer_slots) {
  const auto key = std::make_pair(pool, peer_slots);
  auto listing = listings_.find(key);
  if (listing == listings_.end()) {
    auto listed = provider(pool)->list_volumes(peer_slots);
    if (!listed) return listed.error();
    std::map<std::pair<std::string, std::uint32_t>, storage::volume_info> by_id;
    for (storage::volume_info& v : listed.value()) {
      by_id[{v.volume.resource, v.volume.volume_number}] = std::move(v);
    }
    listing = listings_.emplace(key, std::move(by_id)).first;
  }
  auto found = listing->second.find({id.resource, id.volume_number});
  if (found == listing->second.end()) return std::optional<storage::volume_info>();
  return std::optional<storage::volume_info>(found->second);
}

void converger::forget_listing(const std::string& pool) {
  std::erase_if(listings_, [&](const auto& entry) { return entry.first.first == pool; });
}

void converger::remove_unlisted(const cluster::node_desired_state& state,
                                const up_resources& up,
                                std::vector<convergence_error>& errors) {
  std::set<std::string> wanted;
  for (const cluster::desired_resource& r : state.resources) wanted.insert(r.name);
  std::set<std::string> ours = managed_;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config_.resource_dir, ec)) {
    if (entry.path().extension() == ".toml" && is_generated_resource_file(entry.path().string())) {
      ours.insert(entry.path().stem().string());
    }
  }
  for (const std::string& name : ours) {
    if (wanted.contains(name)) continue;
    if (up.contains(name)) {
      const tandemd_answer answer = tandemd_.ask({{"command", "down"}, {"resource", name}});
      if (!answer.ok) {
        errors.push_back({name, -1, "cannot remove it: down: " + answer.message});
        continue;  // keep its file and its data
      }
      note("down " + name);
    }
    const std::string path = resource_file(name);
    if (fs::exists(path) && is_generated_resource_file(path)) {
      fs::remove(path, ec);
      note("removed " + path);
    }
    const std::size_t before = errors.size();
    delete_backing_volumes(name, errors);
    if (errors.size() == before) managed_.erase(name);
  }
}

void converger::delete_backing_volumes(const std::string& resource,
                                       std::vector<convergence_error>& errors) {
  for (auto& [pool_name, entry] : pools_) {
    if (!entry->provider) continue;
    auto listed = entry->provider->list_volumes(storage::kDefaultPeerSlots);
    if (!listed) continue;  // a pool that cannot be listed holds nothing we could delete
    if (entry->provider->supports_snapshots()) {
      auto snapshots = entry->provider->list_snapshots();
      if (snapshots) {
        for (const storage::snapshot_info& s : snapshots.value()) {
          if (s.volume.resource != resource) continue;
          if (auto gone = entry->provider->delete_snapshot(s.volume, s.name); !gone) {
            errors.push_back({resource, s.volume.volume_number, gone.message()});
          }
        }
      }
    }
    for (const storage::volume_info& v : listed.value()) {
      if (v.volume.resource != resource) continue;
      forget_listing(pool_name);
      if (auto gone = entry->provider->delete_volume(v.volume); !gone) {
        errors.push_back({resource, v.volume.volume_number, gone.message()});
      } else {
        note("deleted " + v.name + " from pool " + pool_name);
      }
    }
  }
}

void converger::sync_snapshots(const cluster::desired_resource& r,
                               std::vector<convergence_error>& errors) {
  const std::set<std::string> wanted(r.snapshots.begin(), r.snapshots.end());
  for (const cluster::desired_volume& v : r.volumes) {
    storage::storage_provider* pool = provider(v.pool);
    if (pool == nullptr) continue;
    if (!pool->supports_snapshots()) {
      if (!wanted.empty()) {
        errors.push_back({r.name, v.number, "storage pool '" + v.pool + "' (" +
                                                std::string(storage::to_string(pool->kind())) +
                                                ") cannot take snapshots"});
      }
      continue;
    }
    auto listed = pool->list_snapshots();
    if (!listed) {
      errors.push_back({r.name, v.number, listed.message()});
      continue;
    }
    std::set<std::string> present;
    for (const storage::snapshot_info& s : listed.value()) {
      if (s.volume.resource == r.name && s.volume.volume_number == v.number) present.insert(s.name);
    }
    const storage::volume_id id{r.name, v.number};
    for (const std::string& name : wanted) {
      if (present.contains(name)) continue;
      auto made = pool->create_snapshot(id, name);
      if (!made) {
        errors.push_back({r.name, v.number, made.message()});
      } else {
        note("took snapshot " + made.value().provider_name);
      }
    }
    for (const std::string& name : present) {
      if (wanted.contains(name)) continue;
      if (auto gone = pool->delete_snapshot(id, name); !gone) {
        errors.push_back({r.name, v.number, gone.message()});
      } else {
        note("deleted snapshot " + name + " of " + r.name);
      }
    }
  }
}

json converger::status(bool refresh_storage) {
  if (refresh_storage || !storage_known_) {
    storage_facts facts;
    for (auto& [name, entry] : pools_) {
      if (entry->wanted.kind == cluster::pool_kind::diskless) continue;
      pool_fact pool{name, 0, 0, entry->error};
      if (entry->provider) {
        auto capacity = entry->provider->capacity();
        if (capacity) {
          pool.free_kib = capacity.value().free_kib;
          pool.total_kib = capacity.value().total_kib;
        } else {
          pool.error = capacity.message();
        }
        if (auto volumes = entry->provider->list_volumes(storage::kDefaultPeerSlots)) {
          for (const storage::volume_info& v : volumes.value()) {
            facts.allocated_kib[{v.volume.resource, v.volume.volume_number}] = v.allocated_kib;
          }
        }
        if (entry->provider->supports_snapshots()) {
          if (auto snapshots = entry->provider->list_snapshots()) {
            for (const storage::snapshot_info& s : snapshots.value()) {
              if (s.volume.volume_number == 0) facts.snapshots[s.volume.resource].insert(s.name);
            }
          }
        }
      }
      facts.pools.push_back(pool);
    }
    storage_ = std::move(facts);
    storage_known_ = true;
  }
  json replicas = json::array();
  const tandemd_answer answer = tandemd_.ask({{"command", "status"}, {"json", true}});
  if (answer.ok && answer.body.contains("resources")) replicas = answer.body["resources"];
  return status_message(storage_, replicas);
}

}  // namespace tandem::satellite
