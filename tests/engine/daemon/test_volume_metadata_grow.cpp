// Moving the metadata to the end of a grown backing device (volume_metadata.h): the state it
// holds survives the move, an interrupted move is finished from the grow journal, a stale journal
// is dropped, a shrunk device is refused.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/daemon/grow_journal.h"
#include "engine/daemon/volume_metadata.h"

using namespace tandem;
using namespace tandem::engine;

namespace {

constexpr std::uint64_t kOldBytes = 64 << 20;
constexpr std::uint64_t kNewBytes = 96 << 20;
constexpr std::uint32_t kMaxPeers = 3;

struct scratch {
  std::filesystem::path dir;
  std::string device;
  std::string journal;
  scratch() {
    dir = std::filesystem::temp_directory_path() /
          ("tandem-grow-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    device = (dir / "disk").string();
    journal = grow_journal_path((dir / "r0.toml").string(), 0);
  }
  ~scratch() { std::filesystem::remove_all(dir); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

disk_options file_of(std::uint64_t bytes) {
  disk_options options;
  options.create_if_missing = true;
  options.create_size_bytes = bytes;
  return options;
}

const meta::bitmap_slots kSlots = {{1, 0}, {2, 1}};

// Metadata holding recognisable state: generations, marks toward both peers near the old end,
// two hot extents.
volume_persistent_state written_state(uring_disk& disk) {
  volume_metadata::create(disk, {kMaxPeers, 0, 1237, std::nullopt}, false);
  auto md = volume_metadata::load(disk, kMaxPeers, 1237);
  const std::uint64_t blocks = md.usable_bytes() / kBlockBytes;
  volume_persistent_state state = md.state(0, blocks);
  state.disk = disk_state::uptodate;
  state.uuids.current = 0xabcdef00;
  state.bitmaps[1] = block_bitmap(blocks);
  state.bitmaps[1].set({3, 5});
  state.bitmaps[1].set({blocks - 2, 2});
  state.bitmaps[2] = block_bitmap(blocks);
  state.bitmaps[2].set({100, 1});
  state.active_extents = {0, 7};
  md.commit(state, kSlots, blocks * kSectorsPerBlock);
  return state;
}

void check_same(const volume_persistent_state& a, const volume_persistent_state& b) {
  CHECK(a.disk == b.disk);
  CHECK(a.uuids.current == b.uuids.current);
  CHECK(a.active_extents == b.active_extents);
  for (node_id peer : {1, 2}) {
    REQUIRE(a.bitmaps.count(peer) == 1);
    REQUIRE(b.bitmaps.count(peer) == 1);
    CHECK(a.bitmaps.at(peer).words() == b.bitmaps.at(peer).words());
  }
}

// The metadata region (bitmap area to superblock) of a device of device_bytes, as it holds it.
std::vector<std::byte> old_metadata_image(uring_disk& disk, std::uint64_t device_bytes) {
  const auto layout = meta::compute_internal_layout(device_bytes, kMaxPeers).value();
  std::vector<std::byte> image(layout.md_offset_bytes + meta::kSuperblockBytes -
                               layout.bm_area_offset_bytes());
  disk.read_sync(layout.bm_area_offset_bytes(), image.data(), image.size());
  return image;
}

void grow_file(const std::string& path, std::uint64_t bytes) {
  std::filesystem::resize_file(path, bytes);
}

}  // namespace

TEST_CASE("the metadata follows a grown device and keeps every bit of state") {
  scratch s;
  uring_disk disk(s.device, file_of(kOldBytes));
  const auto before = written_state(disk);
  auto md = volume_metadata::load(disk, kMaxPeers, 1237);
  const std::uint64_t old_usable = md.usable_bytes();
  const std::uint64_t blocks = old_usable / kBlockBytes;

  CHECK_FALSE(md.follow_grown_device(s.journal));  // nothing grew
  grow_file(s.device, kNewBytes);
  REQUIRE(disk.refresh_size() == kNewBytes);
  CHECK(md.follow_grown_device(s.journal));
  CHECK(md.usable_bytes() > old_usable);
  CHECK_FALSE(std::filesystem::exists(s.journal));  // removed once the move is durable

  uring_disk reopened(s.device, {});
  const auto loaded = volume_metadata::load(reopened, kMaxPeers, 1237, s.journal);
  CHECK(loaded.usable_bytes() == md.usable_bytes());
  check_same(loaded.state(0, blocks), before);
}

TEST_CASE("a move interrupted by a crash is finished from the grow journal") {
  scratch s;
  std::uint64_t blocks = 0;
  volume_persistent_state before;
  {
    uring_disk disk(s.device, file_of(kOldBytes));
    before = written_state(disk);
    blocks = volume_metadata::load(disk, kMaxPeers, 1237).usable_bytes() / kBlockBytes;
    // The crash: the journal is durable and the device grew, nothing was moved yet; half of the
    // old metadata region was even overwritten (as when the regions overlap).
    const auto layout = meta::compute_internal_layout(kOldBytes, kMaxPeers).value();
    const auto image = old_metadata_image(disk, kOldBytes);
    write_grow_journal(s.journal, {kOldBytes, image});
    std::vector<std::byte> junk(image.size() / 2, std::byte{0x5a});
    disk.write_sync(layout.md_offset_bytes + meta::kSuperblockBytes - junk.size(), junk.data(),
                    junk.size());
  }
  grow_file(s.device, kNewBytes);
  uring_disk disk(s.device, {});
  CHECK_THROWS(volume_metadata::load(disk, kMaxPeers, 1237));  // without the journal: lost
  const auto loaded = volume_metadata::load(disk, kMaxPeers, 1237, s.journal);
  CHECK_FALSE(std::filesystem::exists(s.journal));
  check_same(loaded.state(0, blocks), before);
  CHECK(loaded.usable_bytes() ==
        meta::compute_internal_layout(kNewBytes, kMaxPeers).value().usable_bytes);
}

TEST_CASE("a journal beside metadata that is already at the end is stale and dropped") {
  scratch s;
  uring_disk disk(s.device, file_of(kOldBytes));
  const auto before = written_state(disk);
  const std::uint64_t blocks =
      volume_metadata::load(disk, kMaxPeers, 1237).usable_bytes() / kBlockBytes;
  const auto image = old_metadata_image(disk, kOldBytes);
  {
    auto md = volume_metadata::load(disk, kMaxPeers, 1237);
    grow_file(s.device, kNewBytes);
    disk.refresh_size();
    REQUIRE(md.follow_grown_device(s.journal));
  }
  // The crash came after the move, before the journal was removed.
  write_grow_journal(s.journal, {kOldBytes, image});
  const auto loaded = volume_metadata::load(disk, kMaxPeers, 1237, s.journal);
  CHECK_FALSE(std::filesystem::exists(s.journal));
  CHECK(loaded.usable_bytes() ==
        meta::compute_internal_layout(kNewBytes, kMaxPeers).value().usable_bytes);
  check_same(loaded.state(0, blocks), before);
}

TEST_CASE("leftover metadata of another volume at the new end does not pass for the moved one") {
  scratch s;
  uring_disk disk(s.device, file_of(kOldBytes));
  const auto before = written_state(disk);
  const std::uint64_t blocks =
      volume_metadata::load(disk, kMaxPeers, 1237).usable_bytes() / kBlockBytes;
  write_grow_journal(s.journal, {kOldBytes, old_metadata_image(disk, kOldBytes)});
  grow_file(s.device, kNewBytes);
  disk.refresh_size();
  // A thick LV extended over an old volume's extents: a valid superblock sits at the new end.
  volume_metadata::create(disk, {kMaxPeers, 1, 1237, std::nullopt}, true);
  const auto loaded = volume_metadata::load(disk, kMaxPeers, 1237, s.journal);
  CHECK_FALSE(std::filesystem::exists(s.journal));
  check_same(loaded.state(0, blocks), before);
}

TEST_CASE("a device grown while it was not open: the metadata is moved offline") {
  scratch s;
  volume_persistent_state before;
  std::uint64_t blocks = 0;
  {
    uring_disk disk(s.device, file_of(kOldBytes));
    before = written_state(disk);
    blocks = volume_metadata::load(disk, kMaxPeers, 1237).usable_bytes() / kBlockBytes;
  }
  grow_file(s.device, kNewBytes);
  uring_disk disk(s.device, {});
  volume_metadata::move_to_grown_end(disk, kOldBytes, kMaxPeers, s.journal);
  check_same(volume_metadata::load(disk, kMaxPeers, 1237).state(0, blocks), before);
}

TEST_CASE("a shrunk device is refused and its metadata stays") {
  scratch s;
  uring_disk disk(s.device, file_of(kNewBytes));
  (void)written_state(disk);
  auto md = volume_metadata::load(disk, kMaxPeers, 1237);
  grow_file(s.device, kOldBytes);
  disk.refresh_size();
  CHECK_THROWS_WITH_AS(md.follow_grown_device(s.journal), doctest::Contains("shrank"),
                       std::runtime_error);
  CHECK_FALSE(std::filesystem::exists(s.journal));
}

TEST_CASE("a damaged grow journal is an error naming the file") {
  scratch s;
  write_grow_journal(s.journal, {kOldBytes, std::vector<std::byte>(8192, std::byte{7})});
  {
    std::FILE* f = std::fopen(s.journal.c_str(), "r+b");
    REQUIRE(f != nullptr);
    std::fseek(f, 40, SEEK_SET);
    std::fputc(0, f);
    std::fclose(f);
  }
  CHECK_THROWS_WITH_AS(read_grow_journal(s.journal), doctest::Contains("checksum"),
                       std::runtime_error);
  std::filesystem::resize_file(s.journal, 100);
  CHECK_THROWS_WITH_AS(read_grow_journal(s.journal), doctest::Contains("does not match"),
                       std::runtime_error);
}
