// The reflink path of FILE/FILE_THIN snapshots, for real: an XFS filesystem with reflink=1 made in
// a file and loop-mounted. Skipped, with a message, when not root, when mkfs.xfs (xfsprogs) is
// missing or when the kernel cannot mount it.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <string>

#include "engine/storage/process_runner.h"
#include "engine/storage/provider_factory.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::temp_dir;

namespace {

constexpr std::chrono::seconds kToolTimeout{60};

// A 512 MiB XFS (reflink=1) mounted at <temp>/mnt; unmounted (which frees its loop device) and
// removed by the destructor, also after a failed check.
class reflink_filesystem {
 public:
  reflink_filesystem() : mount_point_(dir_.path() + "/mnt") {}
  reflink_filesystem(const reflink_filesystem&) = delete;
  reflink_filesystem& operator=(const reflink_filesystem&) = delete;
  ~reflink_filesystem() {
    if (mounted_) runner_.run({{"umount", mount_point_}, kToolTimeout});
  }

  // Empty when mounted, else why not (the test is then skipped).
  std::string mount() {
    if (::geteuid() != 0) return "not root";
    const std::string image = dir_.path() + "/xfs.img";
    if (::mkdir(mount_point_.c_str(), 0700) != 0) return "mkdir failed";
    auto sized = run_checked(runner_, {{"truncate", "-s", "512M", image}, kToolTimeout});
    if (!sized) return sized.message();
    auto made = run_checked(runner_, {{"mkfs.xfs", "-q", "-m", "reflink=1", image}, kToolTimeout});
    if (!made) return made.message();
    auto mounted =
        run_checked(runner_, {{"mount", "-o", "loop", image, mount_point_}, kToolTimeout});
    if (!mounted) return mounted.message();
    mounted_ = true;
    return {};
  }
  const std::string& path() const { return mount_point_; }
  process_runner& runner() { return runner_; }

 private:
  temp_dir dir_;
  process_runner runner_;
  std::string mount_point_;
  bool mounted_ = false;
};

std::uint64_t free_kib(const std::string& path) {
  struct statvfs fs {};
  REQUIRE(::statvfs(path.c_str(), &fs) == 0);
  return std::uint64_t{fs.f_bavail} * fs.f_frsize / 1024;
}

void fill(const std::string& path, char byte, std::size_t length_bytes) {
  const std::string data(length_bytes, byte);
  const int fd = ::open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
  REQUIRE(::fsync(fd) == 0);
  ::close(fd);
}

std::string first_bytes(const std::string& path, std::size_t length_bytes) {
  std::string data(length_bytes, '\0');
  const int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pread(fd, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
  ::close(fd);
  return data;
}

}  // namespace

TEST_CASE("FILE_THIN snapshots and restores are reflinks on XFS with reflink=1") {
  reflink_filesystem fs;
  if (const std::string why = fs.mount(); !why.empty()) {
    MESSAGE("skipped: no reflink filesystem (" << why << ")");
    return;
  }
  auto made = make_provider(provider_kind::file_thin, "xfs", fs.path(), {}, fs.runner());
  REQUIRE(made.ok());
  storage_provider& pool = *made.value();
  const volume_id source{"vm-1", 0};
  const auto volume = pool.create_volume({source, 128 * 1024});
  REQUIRE(volume.ok());
  constexpr std::size_t kWrittenBytes = 96u << 20;
  fill(volume.value().device_path, 'A', kWrittenBytes);

  const std::uint64_t free_before_kib = free_kib(fs.path());
  const auto snapshot = pool.create_snapshot(source, "s1");
  REQUIRE(snapshot.ok());
  CHECK(snapshot.value().method == copy_method::reflink);
  const auto restored = pool.restore_snapshot(source, "s1", {"vm-2", 0}, kDefaultPeerSlots);
  REQUIRE(restored.ok());
  CHECK(restored.value().method == copy_method::reflink);
  // Shared extents: two more 96 MiB "copies" took far less than 96 MiB of the filesystem.
  CHECK(free_before_kib - free_kib(fs.path()) < 16 * 1024);

  // Copy-on-write: writing the origin leaves snapshot and restored volume as they were.
  fill(volume.value().device_path, 'B', 1 << 20);
  const std::string snapshot_path = fs.path() + "/vm-1_00000@s1.snap";
  CHECK(first_bytes(snapshot_path, 1 << 20) == std::string(1 << 20, 'A'));
  CHECK(first_bytes(restored.value().volume.device_path, 1 << 20) == std::string(1 << 20, 'A'));
  CHECK(first_bytes(volume.value().device_path, 1 << 20) == std::string(1 << 20, 'B'));
}
