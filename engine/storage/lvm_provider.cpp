#include "engine/storage/lvm_provider.h"

#include <cmath>

#include "engine/storage/device_wait.h"
#include "engine/storage/metadata_wipe.h"
#include "engine/storage/size_rounding.h"
#include "engine/storage/volume_naming.h"

namespace tandem::storage {
namespace {

constexpr std::chrono::seconds kDeviceNodeTimeout{10};

std::string kib_argument(std::uint64_t size_kib) {
  return std::to_string(size_kib) + "k";
}

command lvm_command_base(const std::string& tool, const std::vector<std::string>& extra) {
  command cmd;
  cmd.argv.push_back(tool);
  cmd.argv.insert(cmd.argv.end(), extra.begin(), extra.end());
  return cmd;
}

}  // namespace

lvm_provider::lvm_provider(provider_kind kind, std::string pool_name, std::string volume_group,
                           std::string thin_pool, const provider_settings& settings,
                           command_runner& runner)
    : kind_(kind),
      pool_name_(std::move(pool_name)),
      volume_group_(std::move(volume_group)),
      thin_pool_(std::move(thin_pool)),
      source_(thin_pool_.empty() ? volume_group_ : volume_group_ + "/" + thin_pool_),
      settings_(settings),
      runner_(runner) {}

std::string lvm_provider::context() const {
  return std::string(to_string(kind_)) + " pool '" + pool_name_ + "' (" + source_ + "): ";
}

storage_error lvm_provider::failure(error_kind kind, const std::string& message) const {
  return make_error(kind, context() + message);
}

storage_error lvm_provider::failure(const storage_error& inner) const {
  return with_context(context(), inner);
}

command lvm_provider::lvm_command(const std::string& tool, std::vector<std::string> args,
                                  bool is_lvcreate) const {
  command cmd = lvm_command_base(tool, settings_.lvm_extra_args);
  if (is_lvcreate) {
    cmd.argv.insert(cmd.argv.end(), settings_.lvcreate_options.begin(),
                    settings_.lvcreate_options.end());
  }
  cmd.argv.insert(cmd.argv.end(), std::make_move_iterator(args.begin()),
                  std::make_move_iterator(args.end()));
  cmd.timeout = settings_.command_timeout;
  return cmd;
}

result<command_output> lvm_provider::run_lvm(const command& cmd) {
  auto output = run_checked(runner_, cmd);
  if (output) return output;
  return failure(classify_lvm_failure(output.message()), output.message());
}

result<lvm_vg_row> lvm_provider::volume_group_info() {
  auto output = run_lvm(lvm_command("vgs", {"--reportformat", "json", "--units", "b", "--nosuffix",
                                            "-o", kVgsFields, volume_group_}));
  if (!output) return output.error();
  auto rows = parse_vgs_report(output.value().stdout_text);
  if (!rows) return failure(rows.error());
  for (const lvm_vg_row& row : rows.value()) {
    if (row.name == volume_group_) {
      if (row.extent_size_bytes == 0 || row.extent_size_bytes % 1024 != 0) {
        return failure(error_kind::command_failed, "volume group reports an extent size of " +
                                                       std::to_string(row.extent_size_bytes) +
                                                       " bytes");
      }
      return row;
    }
  }
  return failure(error_kind::not_found, "volume group '" + volume_group_ + "' not found");
}

result<std::vector<lvm_lv_row>> lvm_provider::logical_volumes() {
  auto output = run_lvm(lvm_command("lvs", {"--reportformat", "json", "--units", "b", "--nosuffix",
                                            "-o", kLvsFields, volume_group_}));
  if (!output) return output.error();
  auto rows = parse_lvs_report(output.value().stdout_text);
  if (!rows) return failure(rows.error());
  return rows;
}

result<std::optional<lvm_lv_row>> lvm_provider::find_lv(const std::string& lv_name) {
  auto lvs = logical_volumes();
  if (!lvs) return lvs.error();
  for (lvm_lv_row& lv : lvs.value()) {
    if (lv.name == lv_name) return std::optional<lvm_lv_row>(std::move(lv));
  }
  return std::optional<lvm_lv_row>();
}

std::string lvm_provider::device_path(const std::string& lv_name) const {
  return "/dev/" + volume_group_ + "/" + lv_name;
}

std::string lvm_provider::snapshot_lv_name(const volume_id& volume,
                                           const std::string& snapshot_name) const {
  return volume_name(volume) + "_" + snapshot_name;
}

volume_info lvm_provider::describe(const volume_id& volume, const lvm_lv_row& lv,
                                   std::uint32_t peer_slots) const {
  volume_info info;
  info.volume = volume;
  info.name = lv.name;
  info.device_path = device_path(lv.name);
  info.gross_kib = lv.size_bytes / 1024;
  info.usable_kib = usable_size_kib(info.gross_kib, peer_slots);
  info.allocated_kib = info.gross_kib;
  if (thin()) {
    const double used = lv.data_percent.value_or(0.0) / 100.0;
    info.allocated_kib = static_cast<std::uint64_t>(std::ceil(used * info.gross_kib));
  }
  return info;
}

status lvm_provider::zero_tail(const volume_info& info, std::uint32_t peer_slots) const {
  if (!settings_.lvm_zero_metadata_area) return success();
  // lvcreate normally waits for udev, but a node can still lag behind on a busy host.
  if (auto appeared = wait_for_device(info.device_path, kDeviceNodeTimeout); !appeared) {
    return failure(appeared.error());
  }
  if (auto zeroed = zero_metadata_area(info.device_path, info.gross_kib, peer_slots); !zeroed) {
    return failure(zeroed.error());
  }
  return success();
}

result<capacity_info> lvm_provider::capacity() {
  if (!thin()) {
    auto vg = volume_group_info();
    if (!vg) return vg.error();
    return capacity_info{vg.value().size_bytes / 1024, vg.value().free_bytes / 1024};
  }
  auto output = run_lvm(lvm_command("lvs", {"--reportformat", "json", "--units", "b", "--nosuffix",
                                            "-o", kLvsFields, volume_group_ + "/" + thin_pool_}));
  if (!output) return output.error();
  auto rows = parse_lvs_report(output.value().stdout_text);
  if (!rows) return failure(rows.error());
  for (const lvm_lv_row& row : rows.value()) {
    if (row.name != thin_pool_) continue;
    if (row.type() != 't') {
      return failure(error_kind::invalid_argument,
                     "'" + source_ + "' is not a thin pool (lv_attr " + row.attr + ")");
    }
    // An inactive pool has no data_percent; guessing "empty" would invite overcommitment.
    if (!row.data_percent) {
      return failure(error_kind::command_failed,
                     "thin pool reports no data_percent (is it active?), free space unknown");
    }
    const std::uint64_t total_kib = row.size_bytes / 1024;
    const double used = *row.data_percent / 100.0;
    const auto used_kib = static_cast<std::uint64_t>(std::ceil(used * total_kib));
    return capacity_info{total_kib, used_kib >= total_kib ? 0 : total_kib - used_kib};
  }
  return failure(error_kind::not_found, "thin pool '" + source_ + "' not found");
}

result<std::uint64_t> lvm_provider::allocation_granularity_kib() {
  auto vg = volume_group_info();
  if (!vg) return vg.error();
  return vg.value().extent_size_bytes / 1024;
}

result<volume_info> lvm_provider::create_volume(const create_request& request) {
  if (auto valid = check_volume_id(request.volume); !valid) return failure(valid.error());
  auto vg = volume_group_info();
  if (!vg) return vg.error();
  auto gross =
      gross_size_kib(request.usable_kib, request.peer_slots, vg.value().extent_size_bytes / 1024);
  if (!gross) return failure(gross.error());
  const std::string name = volume_name(request.volume);
  auto existing = find_lv(name);
  if (!existing) return existing.error();
  if (existing.value()) {
    return failure(error_kind::already_exists, "volume '" + name + "' already exists");
  }
  if (!thin() && vg.value().free_bytes / 1024 < gross.value()) {
    return failure(error_kind::insufficient_space,
                   "volume '" + name + "' needs " + std::to_string(gross.value()) +
                       " KiB but the volume group has only " +
                       std::to_string(vg.value().free_bytes / 1024) + " KiB free");
  }
  const command create =
      thin() ? lvm_command("lvcreate",
                           {"--virtualsize", kib_argument(gross.value()), "--thinpool", thin_pool_,
                            "--name", name, "--yes", volume_group_},
                           true)
             : lvm_command(
                   "lvcreate",
                   {"--size", kib_argument(gross.value()), "--name", name, "--yes", volume_group_},
                   true);
  if (auto created = run_lvm(create); !created) return created.error();
  auto made = find_lv(name);
  if (!made) return made.error();
  if (!made.value()) {
    return failure(error_kind::command_failed,
                   "lvcreate reported success but volume '" + name + "' is not listed");
  }
  const volume_info info = describe(request.volume, *made.value(), request.peer_slots);
  if (auto zeroed = zero_tail(info, request.peer_slots); !zeroed) {
    // A volume that may carry someone else's superblock must not be handed out.
    run_lvm(lvm_command("lvremove", {"--force", volume_group_ + "/" + name}));
    return zeroed.error();
  }
  return info;
}

result<volume_info> lvm_provider::resize_volume(const volume_id& volume,
                                                std::uint64_t new_usable_kib,
                                                std::uint32_t peer_slots) {
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  const std::string name = volume_name(volume);
  auto lv = find_lv(name);
  if (!lv) return lv.error();
  if (!lv.value()) return failure(error_kind::not_found, "volume '" + name + "' does not exist");
  const volume_info current = describe(volume, *lv.value(), peer_slots);
  if (new_usable_kib < current.usable_kib) {
    return failure(error_kind::invalid_argument,
                   "volume '" + name + "' has " + std::to_string(current.usable_kib) +
                       " KiB usable; shrinking to " + std::to_string(new_usable_kib) +
                       " KiB is refused");
  }
  auto vg = volume_group_info();
  if (!vg) return vg.error();
  auto gross = gross_size_kib(new_usable_kib, peer_slots, vg.value().extent_size_bytes / 1024);
  if (!gross) return failure(gross.error());
  if (gross.value() <= current.gross_kib) return current;
  const std::uint64_t missing_kib = gross.value() - current.gross_kib;
  if (!thin() && vg.value().free_bytes / 1024 < missing_kib) {
    return failure(error_kind::insufficient_space,
                   "growing volume '" + name + "' to " + std::to_string(gross.value()) +
                       " KiB needs " + std::to_string(missing_kib) +
                       " KiB more but the volume group has only " +
                       std::to_string(vg.value().free_bytes / 1024) + " KiB free");
  }
  if (auto resized = run_lvm(lvm_command(
          "lvresize", {"--size", kib_argument(gross.value()), volume_group_ + "/" + name}));
      !resized) {
    return resized.error();
  }
  auto grown = find_lv(name);
  if (!grown) return grown.error();
  if (!grown.value()) {
    return failure(error_kind::command_failed, "volume '" + name + "' vanished during lvresize");
  }
  const volume_info info = describe(volume, *grown.value(), peer_slots);
  if (auto zeroed = zero_tail(info, peer_slots); !zeroed) return zeroed.error();
  return info;
}

status lvm_provider::delete_volume(const volume_id& volume) {
  if (auto valid = check_volume_id(volume); !valid) return failure(valid.error());
  const std::string name = volume_name(volume);
  auto lv = find_lv(name);
  if (!lv) return lv.error();
  if (!lv.value()) return failure(error_kind::not_found, "volume '" + name + "' does not exist");
  auto removed = run_lvm(lvm_command("lvremove", {"--force", volume_group_ + "/" + name}));
  if (!removed) return removed.error();
  return success();
}

result<std::vector<volume_info>> lvm_provider::list_volumes(std::uint32_t peer_slots) {
  auto lvs = logical_volumes();
  if (!lvs) return lvs.error();
  std::vector<volume_info> volumes;
  for (const lvm_lv_row& lv : lvs.value()) {
    const bool ours =
        thin() ? (lv.type() == 'V' && lv.pool_lv == thin_pool_ && !lv.activation_skipped())
               : (lv.type() == '-' && lv.pool_lv.empty());
    if (!ours) continue;
    const auto volume = parse_volume_name(lv.name);
    if (!volume) continue;
    volumes.push_back(describe(*volume, lv, peer_slots));
  }
  return volumes;
}

}  // namespace tandem::storage
