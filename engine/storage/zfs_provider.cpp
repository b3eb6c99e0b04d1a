#include "engine/storage/zfs_provider.h"

#include "engine/storage/size_rounding.h"
#include "engine/storage/volume_naming.h"

namespace tandem::storage {
namespace {

constexpr std::uint64_t kZfsGranularityKib = 8;

std::string kib_argument(std::uint64_t size_kib) {
  return std::to_string(size_kib) + "k";
}

}  // namespace

zfs_provider::zfs_provider(provider_kind kind, std::string pool_name, std::string zpool,
                           const provider_settings& settings, command_runner& runner)
    : kind_(kind),
      pool_name_(std::move(pool_name)),
      zpool_(std::move(zpool)),
      settings_(settings),
      runner_(runner) {}

std::string zfs_provider::context() const {
  return std::string(to_string(kind_)) + " pool '" + pool_name_ + "' (" + zpool_ + "): ";
}

storage_error zfs_provider::failure(error_kind kind, const std::string& message) const {
  return make_error(kind, context() + message);
}

storage_error zfs_provider::failure(const storage_error& inner) const {
  return with_context(context(), inner);
}

command zfs_provider::zfs_command(std::vector<std::string> args) const {
  command cmd;
  cmd.argv.reserve(args.size() + 1);
  cmd.argv.push_back("zfs");
  cmd.argv.insert(cmd.argv.end(), std::make_move_iterator(args.begin()),
                  std::make_move_iterator(args.end()));
  cmd.timeout = settings_.command_timeout;
  return cmd;
}

result<command_output> zfs_provider::run_zfs(const command& cmd) {
  auto output = run_checked(runner_, cmd);
  if (output) return output;
  return failure(classify_zfs_failure(output.message()), output.message());
}

std::string zfs_provider::dataset(const volume_id& volume) const {
  return zpool_ + "/" + volume_name(volume);
}

result<std::vector<zfs_dataset_row>> zfs_provider::datasets() {
  auto output = run_zfs(
      zfs_command({"list", "-Hp", "-o", kZfsListFields, "-t", "volume,snapshot", "-r", zpool_}));
  if (!output) return output.error();
  auto rows = parse_zfs_list(output.value().stdout_text);
  if (!rows) return failure(rows.error());
  return rows;
}

const zfs_dataset_row* zfs_provider::find(const std::vector<zfs_dataset_row>& rows,
                                          const std::string& name) const {
  for (const zfs_dataset_row& row : rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

volume_info zfs_provider::describe(const volume_id& volume, const zfs_dataset_row& row,
                                   std::uint32_t peer_slots) const {
  volume_info info;
  info.volume = volume;
  info.name = volume_name(volume);
  info.device_path = "/dev/zvol/" + row.name;
  info.gross_kib = row.volsize_bytes / 1024;
  info.usable_kib = usable_size_kib(info.gross_kib, peer_slots);
  // A thick zvol holds its refreservation ("used"); a sparse one only what was written.
  info.allocated_kib = (thin() ? row.referenced_bytes : row.used_bytes) / 1024;
  return info;
}

result<capacity_info> zfs_provider::capacity() {
  auto output = run_zfs(
      zfs_command({"list", "-Hp", "-o", kZfsSpaceFields, "-t", "filesystem,volume", zpool_}));
  if (!output) return output.error();
  auto rows = parse_zfs_space(output.value().stdout_text);
  if (!rows) return failure(rows.error());
  for (const zfs_space_row& row : rows.value()) {
    if (row.name != zpool_) continue;
    return capacity_info{(row.used_bytes + row.available_bytes) / 1024, row.available_bytes / 1024};
  }
  return failure(error_kind::not_found, "zpool or dataset '" + zpool_ + "' not listed by zfs");
}

result<std::uint64_t> zfs_provider::allocation_granularity_kib() {
  return kZfsGranularityKib;
}

result<volume_info> zfs_provider::create_volume(const create_request& request) {
  if (auto valid = check_volume_id(request.volume); !valid) return failure(valid.error());
  auto gross = gross_size_kib(request.usable_kib, request.peer_slots, kZfsGranularityKib);
  if (!gross) return failure(gross.error());
  auto rows = datasets();
  if (!rows) return rows.error();
  const std::string name = dataset(request.volume);
  if (find(rows.value(), name) != nullptr) {
    return failure(error_kind::already_exists,
                   "volume '" + volume_name(request.volume) + "' already exists (" + name + ")");
  }
  if (!thin()) {
    auto space = capacity();
    if (!space) return space.error();
    if (space.value().free_kib < gross.value()) {
      return failure(error_kind::insufficient_space,
                     "volume '" + volume_name(request.volume) + "' needs " +
                         std::to_string(gross.value()) + " KiB but only " +
                         std::to_string(space.value().free_kib) + " KiB are available");
    }
  }
  std::vector<std::string> args{"create"};
  if (thin()) args.push_back("-s");
  args.insert(args.end(), settings_.zfs_create_options.begin(), settings_.zfs_create_options.end());
  args.insert(args.end(), {"-V", kib_argument(gross.value()), name});
  if (auto created = run_zfs(zfs_command(std::move(args))); !created) return created.error();
  auto after = datasets();
  if (!after) return after.error();
  const zfs_dataset_row* made = find(after.value(), name);
  if (made == nullptr) {
    return failure(error_kind::command_failed,
                   "zfs create reported success but '" + name + "' is not listed");
  }
  return describe(request.volume, *made, request.peer_slots);
}

result<volume_info> zfs_provider::resize_volume(const volume_id& volume,
                                                std::uint64_t new_usable_kib,
                                                std::uint32_t peer_slots) {
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  auto rows = datasets();
  if (!rows) return rows.error();
  const std::string name = dataset(volume);
  const zfs_dataset_row* row = find(rows.value(), name);
  if (row == nullptr) {
    return failure(error_kind::not_found,
                   "volume '" + volume_name(volume) + "' does not exist (" + name + ")");
  }
  const volume_info current = describe(volume, *row, peer_slots);
  if (new_usable_kib < current.usable_kib) {
    return failure(error_kind::invalid_argument,
                   "volume '" + volume_name(volume) + "' has " +
                       std::to_string(current.usable_kib) + " KiB usable; shrinking to " +
                       std::to_string(new_usable_kib) + " KiB is refused");
  }
  auto gross = gross_size_kib(new_usable_kib, peer_slots, kZfsGranularityKib);
  if (!gross) return failure(gross.error());
  if (gross.value() <= current.gross_kib) return current;
  if (auto resized = run_zfs(zfs_command({"set", "volsize=" + kib_argument(gross.value()), name}));
      !resized) {
    return resized.error();
  }
  auto after = datasets();
  if (!after) return after.error();
  const zfs_dataset_row* grown = find(after.value(), name);
  if (grown == nullptr) {
    return failure(error_kind::command_failed, "'" + name + "' vanished during zfs set volsize");
  }
  return describe(volume, *grown, peer_slots);
}

status zfs_provider::delete_volume(const volume_id& volume) {
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  auto rows = datasets();
  if (!rows) return rows.error();
  const std::string name = dataset(volume);
  if (find(rows.value(), name) == nullptr) {
    return failure(error_kind::not_found,
                   "volume '" + volume_name(volume) + "' does not exist (" + name + ")");
  }
  std::string snapshot_names;
  for (const zfs_dataset_row& row : rows.value()) {
    if (row.type == "snapshot" && row.name.starts_with(name + "@")) {
      snapshot_names += (snapshot_names.empty() ? "" : ", ") + row.name.substr(name.size() + 1);
    }
  }
  if (!snapshot_names.empty()) {
    return failure(error_kind::invalid_argument, "volume '" + volume_name(volume) +
                                                     "' still has snapshots (" + snapshot_names +
                                                     "); delete them first");
  }
  if (auto destroyed = run_zfs(zfs_command({"destroy", name})); !destroyed) {
    return destroyed.error();
  }
  return success();
}

result<std::vector<volume_info>> zfs_provider::list_volumes(std::uint32_t peer_slots) {
  auto rows = datasets();
  if (!rows) return rows.error();
  const std::string prefix = zpool_ + "/";
  std::vector<volume_info> volumes;
  for (const zfs_dataset_row& row : rows.value()) {
    if (row.type != "volume" || !row.name.starts_with(prefix)) continue;
    const auto volume = parse_volume_name(std::string_view(row.name).substr(prefix.size()));
    if (!volume) continue;  // not ours (or in a nested dataset)
    volumes.push_back(describe(*volume, row, peer_slots));
  }
  return volumes;
}

result<snapshot_info> zfs_provider::create_snapshot(const volume_id& volume,
                                                    const std::string& snapshot_name) {
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  if (auto valid = check_snapshot_name(snapshot_name); !valid) return failure(valid.error());
  auto rows = datasets();
  if (!rows) return rows.error();
  const std::string name = dataset(volume);
  const zfs_dataset_row* origin = find(rows.value(), name);
  if (origin == nullptr) {
    return failure(error_kind::not_found, "volume '" + volume_name(volume) + "' does not exist");
  }
  const std::string full = name + "@" + snapshot_name;
  if (find(rows.value(), full) != nullptr) {
    return failure(error_kind::already_exists, "snapshot '" + full + "' already exists");
  }
  if (auto made = run_zfs(zfs_command({"snapshot", full})); !made) return made.error();
  snapshot_info info;
  info.volume = volume;
  info.name = snapshot_name;
  info.provider_name = full;
  info.gross_kib = origin->volsize_bytes / 1024;
  info.method = copy_method::zfs_snapshot;
  return info;
}

status zfs_provider::delete_snapshot(const volume_id& volume, const std::string& snapshot_name) {
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  if (auto valid = check_snapshot_name(snapshot_name); !valid) return failure(valid.error());
  auto rows = datasets();
  if (!rows) return rows.error();
  const std::string full = dataset(volume) + "@" + snapshot_name;
  if (find(rows.value(), full) == nullptr) {
    return failure(error_kind::not_found, "snapshot '" + full + "' does not exist");
  }
  if (auto destroyed = run_zfs(zfs_command({"destroy", full})); !destroyed) {
    return destroyed.error();
  }
  return success();
}

result<std::vector<snapshot_info>> zfs_provider::list_snapshots() {
  auto rows = datasets();
  if (!rows) return rows.error();
  const std::string prefix = zpool_ + "/";
  std::vector<snapshot_info> snapshots;
  for (const zfs_dataset_row& row : rows.value()) {
    if (row.type != "snapshot" || !row.name.starts_with(prefix)) continue;
    const auto at = row.name.find('@');
    if (at == std::string::npos) continue;
    const auto volume =
        parse_volume_name(std::string_view(row.name).substr(prefix.size(), at - prefix.size()));
    const std::string snapshot_name = row.name.substr(at + 1);
    if (!volume || !check_snapshot_name(snapshot_name)) continue;
    snapshot_info info;
    info.volume = *volume;
    info.name = snapshot_name;
    info.provider_name = row.name;
    info.gross_kib = row.volsize_bytes / 1024;
    snapshots.push_back(std::move(info));
  }
  return snapshots;
}

result<restored_volume> zfs_provider::restore_snapshot(const volume_id& source,
                                                       const std::string& snapshot_name,
                                                       const volume_id& target,
                                                       std::uint32_t peer_slots) {
  if (auto valid = check_volume_id(source); !valid) return failure(valid.error());
  if (auto valid = check_volume_id(target); !valid) return failure(valid.error());
  if (auto valid = check_snapshot_name(snapshot_name); !valid) return failure(valid.error());
  auto rows = datasets();
  if (!rows) return rows.error();
  const std::string full = dataset(source) + "@" + snapshot_name;
  const std::string target_name = dataset(target);
  if (find(rows.value(), full) == nullptr) {
    return failure(error_kind::not_found, "snapshot '" + full + "' does not exist");
  }
  if (find(rows.value(), target_name) != nullptr) {
    return failure(error_kind::already_exists,
                   "restore target volume '" + target_name + "' already exists");
  }
  std::vector<std::string> args{"clone"};
  // A clone starts sparse; a thick pool's volume must own its whole size like any other.
  if (!thin()) args.insert(args.end(), {"-o", "refreservation=auto"});
  args.insert(args.end(), {full, target_name});
  if (auto cloned = run_zfs(zfs_command(std::move(args))); !cloned) return cloned.error();
  auto after = datasets();
  if (!after) return after.error();
  const zfs_dataset_row* made = find(after.value(), target_name);
  if (made == nullptr) {
    return failure(error_kind::command_failed,
                   "zfs clone reported success but '" + target_name + "' is not listed");
  }
  return restored_volume{describe(target, *made, peer_slots), copy_method::zfs_clone};
}

}  // namespace tandem::storage
