// FILE and FILE_THIN for real, in a temporary directory on whatever filesystem $TMPDIR is.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/storage/file_provider.h"
#include "engine/storage/process_runner.h"
#include "engine/storage/provider_factory.h"
#include "engine/storage/size_rounding.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::mentions;
using tandem::storage::testing::temp_dir;

namespace {

constexpr std::uint64_t kUsableKib = 64 * 1024;  // 64 MiB

struct file_pool {
  temp_dir dir;
  process_runner runner;
  std::unique_ptr<storage_provider> provider;

  explicit file_pool(provider_kind kind, provider_settings settings = {}) {
    auto made = make_provider(kind, "pool1", dir.path(), settings, runner);
    REQUIRE(made.ok());
    provider = std::move(made.value());
  }
  file_provider& files() { return static_cast<file_provider&>(*provider); }
};

struct stat stat_of(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info;
}

std::uint64_t allocated_bytes(const std::string& path) {
  return static_cast<std::uint64_t>(stat_of(path).st_blocks) * 512;
}

void write_at(const std::string& path, std::uint64_t offset, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)) ==
          static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

std::string read_at(const std::string& path, std::uint64_t offset, std::size_t length) {
  std::string bytes(length, '\0');
  const int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pread(fd, bytes.data(), length, static_cast<off_t>(offset)) ==
          static_cast<ssize_t>(length));
  ::close(fd);
  return bytes;
}

void make_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  REQUIRE(fd >= 0);
  ::close(fd);
}

std::string pattern(char seed, std::size_t length) {
  std::string bytes(length, '\0');
  for (std::size_t i = 0; i < length; ++i) bytes[i] = static_cast<char>(seed + i % 251);
  return bytes;
}

}  // namespace

TEST_CASE("FILE pool capacity is the filesystem's, from statvfs") {
  file_pool pool(provider_kind::file);
  const auto capacity = pool.provider->capacity();
  REQUIRE(capacity.ok());
  struct statvfs fs {};
  REQUIRE(::statvfs(pool.dir.path().c_str(), &fs) == 0);
  CHECK(capacity.value().total_kib == std::uint64_t{fs.f_blocks} * fs.f_frsize / 1024);
  // Free space moves with other writers on the machine; it is near statvfs's and below total.
  const std::uint64_t free_kib = std::uint64_t{fs.f_bavail} * fs.f_frsize / 1024;
  CHECK(capacity.value().free_kib <= capacity.value().total_kib);
  CHECK(capacity.value().free_kib + 1024 * 1024 >= free_kib);
  CHECK(pool.provider->allocation_granularity_kib().value() == 1);
}

TEST_CASE("FILE preallocates the gross size, FILE_THIN creates a sparse file of the same size") {
  file_pool thick(provider_kind::file);
  file_pool thin(provider_kind::file_thin);
  const volume_id volume{"vm-100-disk-1", 0};
  // usable + 7 peer slots of DRBD metadata (FILE rounds to 1 KiB).
  const std::uint64_t kGrossKib = gross_size_kib(kUsableKib, 7, 1).value();
  CHECK(kGrossKib > kUsableKib);
  CHECK(kGrossKib < kUsableKib + 1024);
  const auto made_thick = thick.provider->create_volume({volume, kUsableKib});
  const auto made_thin = thin.provider->create_volume({volume, kUsableKib});
  REQUIRE(made_thick.ok());
  REQUIRE(made_thin.ok());
  for (const volume_info* info : {&made_thick.value(), &made_thin.value()}) {
    CHECK(info->name == "vm-100-disk-1_00000");
    CHECK(info->gross_kib == kGrossKib);
    CHECK(info->usable_kib >= kUsableKib);
    CHECK(info->device_path.ends_with("/vm-100-disk-1_00000.img"));
    CHECK(static_cast<std::uint64_t>(stat_of(info->device_path).st_size) == kGrossKib * 1024);
  }
  CHECK(made_thick.value().device_path == thick.dir.path() + "/vm-100-disk-1_00000.img");
  // st_blocks: every byte of the thick file is allocated, the thin one holds (almost) nothing.
  CHECK(allocated_bytes(made_thick.value().device_path) >= kGrossKib * 1024);
  CHECK(allocated_bytes(made_thin.value().device_path) < 1024 * 1024);
  CHECK(made_thick.value().allocated_kib >= kGrossKib);
  CHECK(made_thin.value().allocated_kib < 1024);
  // The file is usable as a plain file: tandemd opens the path.
  write_at(made_thin.value().device_path, 4096, "hello");
  CHECK(read_at(made_thin.value().device_path, 4096, 5) == "hello");
}

TEST_CASE("FILE volumes grow, refuse to shrink, list and delete") {
  for (provider_kind kind : {provider_kind::file, provider_kind::file_thin}) {
    CAPTURE(to_string(kind));
    file_pool pool(kind);
    const volume_id first{"res-a", 0};
    const volume_id second{"res-a", 1};
    REQUIRE(pool.provider->create_volume({first, kUsableKib}).ok());
    REQUIRE(pool.provider->create_volume({second, 1024, 0}).ok());

    const auto grown = pool.provider->resize_volume(first, 2 * kUsableKib, kDefaultPeerSlots);
    REQUIRE(grown.ok());
    CHECK(grown.value().usable_kib >= 2 * kUsableKib);
    CHECK(grown.value().gross_kib == gross_size_kib(2 * kUsableKib, 7, 1).value());
    const std::string path = grown.value().device_path;
    CHECK(static_cast<std::uint64_t>(stat_of(path).st_size) == grown.value().gross_kib * 1024);
    if (kind == provider_kind::file) {
      CHECK(allocated_bytes(path) >= grown.value().gross_kib * 1024);
    } else {
      CHECK(allocated_bytes(path) < 1024 * 1024);
    }
    // The same size again is a no-op; less is refused with both sizes named.
    CHECK(
        pool.provider->resize_volume(first, 2 * kUsableKib, kDefaultPeerSlots).value().gross_kib ==
        grown.value().gross_kib);
    const auto shrink = pool.provider->resize_volume(first, kUsableKib, kDefaultPeerSlots);
    REQUIRE_FALSE(shrink.ok());
    CHECK(shrink.kind() == error_kind::invalid_argument);
    CHECK(mentions(shrink.message(), {"res-a_00000", "shrinking to 65536 KiB is refused"}));

    // Foreign files in the pool directory are not volumes.
    make_file(pool.dir.path() + "/notes.txt");
    make_file(pool.dir.path() + "/other.img");
    const auto listed = pool.provider->list_volumes(kDefaultPeerSlots);
    REQUIRE(listed.ok());
    REQUIRE(listed.value().size() == 2);
    // Listings cannot know how much metadata a volume carries: the caller says (0 here).
    const auto found = pool.provider->find_volume(second, 0);
    REQUIRE(found.ok());
    REQUIRE(found.value().has_value());
    CHECK(found.value()->gross_kib == 1024);
    CHECK(found.value()->usable_kib == 1024);
    CHECK(pool.provider->find_volume(second, kDefaultPeerSlots).value()->usable_kib <
          1024);  // 7 slots assumed

    REQUIRE(pool.provider->delete_volume(first).ok());
    CHECK(::access(path.c_str(), F_OK) != 0);
    const auto again = pool.provider->delete_volume(first);
    CHECK(again.kind() == error_kind::not_found);
    CHECK(mentions(again.message(), {"pool 'pool1'", "volume 'res-a_00000' does not exist"}));
    CHECK(pool.provider->list_volumes(kDefaultPeerSlots).value().size() == 1);
    CHECK_FALSE(pool.provider->find_volume(first, kDefaultPeerSlots).value().has_value());
  }
}

TEST_CASE("FILE_THIN snapshot and restore: bytes at snapshot time, holes kept, method reported") {
  for (bool prefer_reflink : {true, false}) {
    CAPTURE(prefer_reflink);
    file_pool pool(provider_kind::file_thin);
    pool.files().set_prefer_reflink(prefer_reflink);
    const volume_id source{"vm-1", 0};
    const auto made = pool.provider->create_volume({source, kUsableKib});
    REQUIRE(made.ok());
    const std::string path = made.value().device_path;
    // Data at the start, in the middle and in the last block; holes everywhere else.
    const std::string head = pattern('a', 8192);
    const std::string middle = pattern('m', 3 * 1024 * 1024);
    const std::string tail = pattern('z', 4096);
    const std::uint64_t size_bytes = made.value().gross_kib * 1024;
    write_at(path, 0, head);
    write_at(path, 16 * 1024 * 1024 + 512, middle);
    write_at(path, size_bytes - 4096, tail);

    const auto snapshot = pool.provider->create_snapshot(source, "snap1");
    REQUIRE(snapshot.ok());
    REQUIRE(snapshot.value().method.has_value());
    MESSAGE("FILE_THIN snapshot (reflink preferred: " << prefer_reflink << ") ran as "
                                                      << to_string(*snapshot.value().method));
    if (!prefer_reflink) CHECK(*snapshot.value().method == copy_method::sparse_copy);
    CHECK(snapshot.value().provider_name == "vm-1_00000@snap1");
    CHECK(snapshot.value().gross_kib == made.value().gross_kib);

    // Writes after the snapshot must not reach it.
    write_at(path, 0, pattern('X', 8192));
    write_at(path, 40 * 1024 * 1024, pattern('Y', 4096));

    const volume_id target{"vm-2", 0};
    const auto restored =
        pool.provider->restore_snapshot(source, "snap1", target, kDefaultPeerSlots);
    REQUIRE(restored.ok());
    if (!prefer_reflink) CHECK(restored.value().method == copy_method::sparse_copy);
    const std::string copy = restored.value().volume.device_path;
    CHECK(copy == pool.dir.path() + "/vm-2_00000.img");
    CHECK(restored.value().volume.gross_kib == made.value().gross_kib);
    CHECK(static_cast<std::uint64_t>(stat_of(copy).st_size) == size_bytes);
    CHECK(read_at(copy, 0, head.size()) == head);
    CHECK(read_at(copy, 16 * 1024 * 1024 + 512, middle.size()) == middle);
    CHECK(read_at(copy, size_bytes - 4096, tail.size()) == tail);
    CHECK(read_at(copy, 40 * 1024 * 1024, 4096) == std::string(4096, '\0'));
    CHECK(read_at(copy, 8 * 1024 * 1024, 4096) == std::string(4096, '\0'));
    // Sparse: about the 3 MiB written, far from the 64 MiB size.
    CHECK(allocated_bytes(copy) < 8 * 1024 * 1024);

    // The restored volume is a volume of its own: writable, independent of the snapshot.
    write_at(copy, 0, "new");
    const auto listed = pool.provider->list_snapshots();
    REQUIRE(listed.ok());
    REQUIRE(listed.value().size() == 1);
    CHECK(listed.value()[0].volume == source);
    CHECK(listed.value()[0].name == "snap1");
    CHECK(pool.provider->list_volumes(kDefaultPeerSlots).value().size() == 2);

    const auto duplicate = pool.provider->create_snapshot(source, "snap1");
    CHECK(duplicate.kind() == error_kind::already_exists);
    const auto taken = pool.provider->restore_snapshot(source, "snap1", target, kDefaultPeerSlots);
    CHECK(taken.kind() == error_kind::already_exists);
    CHECK(mentions(taken.message(), {"restore target volume 'vm-2_00000' already exists"}));
    CHECK(pool.provider->restore_snapshot(source, "nope", {"vm-3", 0}, kDefaultPeerSlots).kind() ==
          error_kind::not_found);
    CHECK(pool.provider->create_snapshot({"vm-9", 0}, "s").kind() == error_kind::not_found);

    REQUIRE(pool.provider->delete_snapshot(source, "snap1").ok());
    CHECK(pool.provider->list_snapshots().value().empty());
    CHECK(pool.provider->delete_snapshot(source, "snap1").kind() == error_kind::not_found);
  }
}

TEST_CASE("FILE restore of a snapshot is fully allocated like every FILE volume") {
  file_pool pool(provider_kind::file);
  const volume_id source{"thick", 0};
  REQUIRE(pool.provider->create_volume({source, 8192}).ok());
  const auto snapshot = pool.provider->create_snapshot(source, "s1");
  REQUIRE(snapshot.ok());
  const auto restored =
      pool.provider->restore_snapshot(source, "s1", {"thick-copy", 0}, kDefaultPeerSlots);
  REQUIRE(restored.ok());
  CHECK(allocated_bytes(restored.value().volume.device_path) >=
        restored.value().volume.gross_kib * 1024);
}

TEST_CASE("FILE pools give clear errors for bad names, a missing directory and no space") {
  file_pool pool(provider_kind::file);
  const auto escape = pool.provider->create_volume({{"../../etc/x", 0}, 1024});
  REQUIRE_FALSE(escape.ok());
  CHECK(escape.kind() == error_kind::invalid_argument);
  CHECK(mentions(escape.message(), {"FILE pool 'pool1'", "'../../etc/x'"}));
  CHECK(pool.provider->create_volume({{"r", 0}, 0}).kind() == error_kind::invalid_argument);
  CHECK(pool.provider->create_snapshot({"r", 0}, "../s").kind() == error_kind::invalid_argument);

  REQUIRE(pool.provider->create_volume({{"r", 0}, 1024}).ok());
  const auto twice = pool.provider->create_volume({{"r", 0}, 1024});
  CHECK(twice.kind() == error_kind::already_exists);
  CHECK(mentions(twice.message(), {"volume 'r_00000' already exists"}));

  // More than the filesystem has: refused before anything is allocated.
  const std::uint64_t free_kib = pool.provider->capacity().value().free_kib;
  const auto huge = pool.provider->create_volume({{"huge", 0}, free_kib + 1024 * 1024});
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.kind() == error_kind::insufficient_space);
  CHECK(mentions(huge.message(), {"'huge_00000' needs", "KiB are free"}));
  CHECK(::access((pool.dir.path() + "/huge_00000.img").c_str(), F_OK) != 0);
  CHECK(pool.provider->resize_volume({"r", 0}, free_kib + 1024 * 1024, kDefaultPeerSlots).kind() ==
        error_kind::insufficient_space);
  // FILE_THIN overcommits like every thin pool: the same request succeeds as a sparse file.
  file_pool thin(provider_kind::file_thin);
  const auto sparse = thin.provider->create_volume({{"huge", 0}, free_kib + 1024 * 1024});
  REQUIRE(sparse.ok());
  CHECK(sparse.value().allocated_kib < 1024);

  process_runner runner;
  auto missing =
      make_provider(provider_kind::file_thin, "gone", "/nonexistent/tandem-pool", {}, runner);
  REQUIRE(missing.ok());  // the factory does not touch the system
  const auto capacity = missing.value()->capacity();
  CHECK(capacity.kind() == error_kind::not_found);
  CHECK(mentions(capacity.message(), {"FILE_THIN pool 'gone'", "/nonexistent/tandem-pool"}));
  CHECK(missing.value()->create_volume({{"r", 0}, 1024}).kind() == error_kind::not_found);
  CHECK(missing.value()->list_volumes(kDefaultPeerSlots).kind() == error_kind::not_found);
}

TEST_CASE("FILE pool with loop devices attaches on create and detaches on delete") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: losetup needs root");
    return;
  }
  provider_settings settings;
  settings.file_attach_loop_device = true;
  file_pool pool(provider_kind::file_thin, settings);
  const volume_id volume{"looped", 0};
  const auto made = pool.provider->create_volume({volume, 4096});
  if (!made.ok() && made.kind() == error_kind::command_failed) {
    MESSAGE("skipped: losetup cannot attach here: " << made.message());
    return;
  }
  REQUIRE(made.ok());
  CHECK(made.value().device_path.starts_with("/dev/loop"));
  const auto grown = pool.provider->resize_volume(volume, 8192, kDefaultPeerSlots);
  const auto listed = pool.provider->list_volumes(kDefaultPeerSlots);
  const auto deleted = pool.provider->delete_volume(volume);  // detaches before checks can fail
  REQUIRE(grown.ok());
  CHECK(grown.value().device_path == made.value().device_path);
  REQUIRE(listed.ok());
  REQUIRE(listed.value().size() == 1);
  CHECK(listed.value()[0].device_path == made.value().device_path);
  REQUIRE(deleted.ok());
  process_runner runner;
  const auto still = runner.run({{"losetup", "--list", "--noheadings", "--output", "BACK-FILE"}});
  REQUIRE(still.ok());
  CHECK(still.value().stdout_text.find(pool.dir.path()) == std::string::npos);
}

TEST_CASE("FILE pools ignore and replace half-written files a crash left behind") {
  file_pool pool(provider_kind::file_thin);
  // What a crash during create or snapshot leaves: ".partial" files under the final names.
  make_file(pool.dir.path() + "/r_00000.img.partial");
  make_file(pool.dir.path() + "/r_00000@s1.snap.partial");
  CHECK(pool.provider->list_volumes(kDefaultPeerSlots).value().empty());
  CHECK(pool.provider->list_snapshots().value().empty());
  // Retrying the operation replaces them.
  REQUIRE(pool.provider->create_volume({{"r", 0}, 1024}).ok());
  REQUIRE(pool.provider->create_snapshot({"r", 0}, "s1").ok());
  CHECK(::access((pool.dir.path() + "/r_00000.img.partial").c_str(), F_OK) != 0);
  CHECK(::access((pool.dir.path() + "/r_00000@s1.snap.partial").c_str(), F_OK) != 0);
  CHECK(pool.provider->list_volumes(kDefaultPeerSlots).value().size() == 1);
  CHECK(pool.provider->list_snapshots().value().size() == 1);
  // Snapshots are read-only files.
  CHECK((stat_of(pool.dir.path() + "/r_00000@s1.snap").st_mode & 0777) == 0400);
}
