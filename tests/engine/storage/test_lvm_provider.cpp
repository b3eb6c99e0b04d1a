// Thick LVM for real: a volume group on a loop device over a sparse file. This machine has no
// device-mapper, so LVs cannot be activated; "--driverloaded n" (a test-only provider setting)
// makes lvm2 edit its metadata without touching the kernel, which is all these operations need.
// Skipped, with a message, only when not root or when no loop device can be set up.
#include <doctest/doctest.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "engine/storage/lvm_report.h"
#include "engine/storage/process_runner.h"
#include "engine/storage/provider_factory.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::mentions;
using tandem::storage::testing::temp_dir;

namespace {

constexpr std::chrono::seconds kToolTimeout{60};

// A VG "tandem-test-<pid>" on a 2 GiB sparse file attached to a loop device. The destructor
// removes the VG, wipes the PV label and detaches the loop device, also after a failed REQUIRE.
class loop_volume_group {
 public:
  loop_volume_group() : vg_name_("tandem-test-" + std::to_string(::getpid())) {}
  loop_volume_group(const loop_volume_group&) = delete;
  loop_volume_group& operator=(const loop_volume_group&) = delete;

  // Attaches the sparse file to a loop device. Empty on success, else why not: the only reasons
  // to skip the test.
  std::string attach_loop_device() {
    if (::geteuid() != 0) return "not root";
    const std::string image = dir_.path() + "/pv.img";
    auto truncated = run_checked(runner_, {{"truncate", "-s", "2G", image}, kToolTimeout});
    if (!truncated) return truncated.message();
    auto attached = run_checked(runner_, {{"losetup", "--find", "--show", image}, kToolTimeout});
    if (!attached) return "losetup failed: " + attached.message();
    loop_device_ = attached.value().stdout_text.substr(0, attached.value().stdout_text.find('\n'));
    return {};
  }

  // pvcreate + vgcreate on the loop device: expected to work wherever lvm2 is installed.
  status create_volume_group() {
    if (auto pv = run_lvm("pvcreate", {loop_device_}); !pv) return pv.error();
    if (auto vg = run_lvm("vgcreate", {vg_name_, loop_device_}); !vg) return vg.error();
    vg_created_ = true;
    return success();
  }

  ~loop_volume_group() {
    if (vg_created_) run_lvm("vgremove", {"--force", vg_name_});
    if (!loop_device_.empty()) {
      run_lvm("pvremove", {"--force", loop_device_});
      runner_.run({{"losetup", "--detach", loop_device_}, kToolTimeout});
    }
  }

  // The provider settings that let lvm2 work without device-mapper, limited to this loop device.
  std::vector<std::string> extra_args() const {
    return {"--driverloaded", "n", "--config",
            "devices { filter=[\"a|^" + loop_device_ + "$|\",\"r|.*|\"] }"};
  }
  const std::string& vg_name() const { return vg_name_; }
  process_runner& runner() { return runner_; }

  result<command_output> run_lvm(const std::string& tool, std::vector<std::string> args) {
    command cmd{{tool}, kToolTimeout};
    for (std::string& arg : extra_args()) cmd.argv.push_back(std::move(arg));
    for (std::string& arg : args) cmd.argv.push_back(std::move(arg));
    return run_checked(runner_, cmd);
  }

  // lv_size in bytes as lvs reports it, independently of the provider.
  std::optional<std::uint64_t> lv_size_bytes(const std::string& lv_name) {
    auto output = run_lvm("lvs", {"--reportformat", "json", "--units", "b", "--nosuffix", "-o",
                                  kLvsFields, vg_name_});
    if (!output) return std::nullopt;
    auto rows = parse_lvs_report(output.value().stdout_text);
    if (!rows) return std::nullopt;
    for (const lvm_lv_row& row : rows.value()) {
      if (row.name == lv_name) return row.size_bytes;
    }
    return std::nullopt;
  }

 private:
  temp_dir dir_;
  process_runner runner_;
  std::string vg_name_;
  std::string loop_device_;
  bool vg_created_ = false;
};

}  // namespace

TEST_CASE("LVM on a real volume group: capacity, 257-extent rounding, list, resize, delete") {
  loop_volume_group vg;
  if (const std::string why = vg.attach_loop_device(); !why.empty()) {
    MESSAGE("skipped: no loop device (" << why << ")");
    return;
  }
  const auto created_vg = vg.create_volume_group();
  REQUIRE_MESSAGE(created_vg.ok(), created_vg.message());
  provider_settings settings;
  settings.lvm_extra_args = vg.extra_args();
  settings.lvm_zero_metadata_area = false;  // no device nodes without device-mapper
  auto made = make_provider(provider_kind::lvm, "lvmpool", vg.vg_name(), settings, vg.runner());
  REQUIRE(made.ok());
  storage_provider& lvm = *made.value();

  // 2 GiB PV minus lvm2's metadata area: 511 extents of 4 MiB.
  const auto empty = lvm.capacity();
  REQUIRE(empty.ok());
  CHECK(empty.value().total_kib == 511 * 4096);
  CHECK(empty.value().free_kib == 511 * 4096);
  CHECK(lvm.allocation_granularity_kib().value() == 4096);

  // 1 GiB usable -> 1048840 KiB with DRBD metadata -> 257 extents = 1052672 KiB.
  const volume_id volume{"vm-100-disk-1", 0};
  const auto created = lvm.create_volume({volume, 1048576});
  REQUIRE(created.ok());
  CHECK(created.value().name == "vm-100-disk-1_00000");
  CHECK(created.value().gross_kib == 1052672);
  CHECK(created.value().usable_kib == 1052408);
  CHECK(created.value().device_path == "/dev/" + vg.vg_name() + "/vm-100-disk-1_00000");
  CHECK(vg.lv_size_bytes("vm-100-disk-1_00000") == std::uint64_t{1052672} * 1024);
  CHECK(lvm.capacity().value().free_kib == (511 - 257) * 4096);

  const auto twice = lvm.create_volume({volume, 1048576});
  CHECK(twice.kind() == error_kind::already_exists);
  CHECK(mentions(twice.message(), {"LVM pool 'lvmpool'", "'vm-100-disk-1_00000' already exists"}));

  // Foreign LVs in the VG are not listed.
  REQUIRE(vg.run_lvm("lvcreate", {"--size", "4m", "--name", "not-linstor", vg.vg_name()}).ok());
  const auto listed = lvm.list_volumes(kDefaultPeerSlots);
  REQUIRE(listed.ok());
  REQUIRE(listed.value().size() == 1);
  CHECK(listed.value()[0].volume == volume);
  CHECK(listed.value()[0].gross_kib == 1052672);

  // Grow by 100 MiB usable: 1151260 KiB with metadata -> 282 extents.
  const auto grown = lvm.resize_volume(volume, 1048576 + 102400, kDefaultPeerSlots);
  REQUIRE(grown.ok());
  CHECK(grown.value().gross_kib == 282 * 4096);
  CHECK(vg.lv_size_bytes("vm-100-disk-1_00000") == std::uint64_t{282} * 4096 * 1024);
  CHECK(lvm.resize_volume(volume, 1048576, kDefaultPeerSlots).kind() ==
        error_kind::invalid_argument);

  // Not enough space: refused with the sizes, before lvcreate runs.
  const auto huge = lvm.create_volume({{"huge", 0}, 4 * 1048576});
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.kind() == error_kind::insufficient_space);
  CHECK(mentions(huge.message(), {"'huge_00000' needs", "KiB free"}));
  const auto too_big = lvm.resize_volume(volume, 4 * 1048576, kDefaultPeerSlots);
  CHECK(too_big.kind() == error_kind::insufficient_space);

  // Thick LVM has no snapshots, as in LINSTOR.
  CHECK_FALSE(lvm.supports_snapshots());
  const auto snapshot = lvm.create_snapshot(volume, "s1");
  CHECK(snapshot.kind() == error_kind::unsupported);
  CHECK(mentions(snapshot.message(), {"thin pool"}));

  REQUIRE(lvm.delete_volume(volume).ok());
  CHECK_FALSE(vg.lv_size_bytes("vm-100-disk-1_00000").has_value());
  CHECK(lvm.list_volumes(kDefaultPeerSlots).value().empty());
  CHECK(lvm.delete_volume(volume).kind() == error_kind::not_found);
  CHECK(lvm.capacity().value().free_kib == (511 - 1) * 4096);  // "not-linstor" remains
}

TEST_CASE("LVM pool on a volume group that does not exist reports lvm2's message") {
  loop_volume_group vg;
  if (const std::string why = vg.attach_loop_device(); !why.empty()) {
    MESSAGE("skipped: no loop device (" << why << ")");
    return;
  }
  const auto created_vg = vg.create_volume_group();
  REQUIRE_MESSAGE(created_vg.ok(), created_vg.message());
  provider_settings settings;
  settings.lvm_extra_args = vg.extra_args();
  auto made = make_provider(provider_kind::lvm, "gone", "tandem-no-such-vg", settings, vg.runner());
  REQUIRE(made.ok());
  const auto capacity = made.value()->capacity();
  REQUIRE_FALSE(capacity.ok());
  CHECK(capacity.kind() == error_kind::not_found);
  CHECK(mentions(capacity.message(), {"LVM pool 'gone' (tandem-no-such-vg)", "vgs", "exited with 5",
                                      "Volume group \"tandem-no-such-vg\" not found"}));
  CHECK(made.value()->create_volume({{"r", 0}, 1024}).kind() == error_kind::not_found);
}
