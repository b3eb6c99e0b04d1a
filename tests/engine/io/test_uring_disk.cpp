// uring_disk with O_DIRECT on a file of a real file system: ring I/O, FUA, FLUSH, the metadata
// helpers with unaligned buffers (bounce + read-modify-write), and the automatic fallback where
// O_DIRECT is unusable at 512-byte granularity. (tmpfs takes O_DIRECT since Linux 6.6, so it is
// no longer a portable example of a refusal.)
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/io/uring_disk.h"

using namespace tandem::engine;

namespace {

bool on_tmpfs(const std::string& dir) {
  struct statfs fs {};
  return ::statfs(dir.c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

// A directory on a file system that is not tmpfs (O_DIRECT must be possible there): the
// environment's choice, else /var/tmp, else the working directory (ctest runs in the build tree).
std::string real_fs_dir() {
  std::vector<std::string> candidates;
  if (const char* dir = std::getenv("TANDEM_DIRECT_TEST_DIR")) candidates.emplace_back(dir);
  candidates.emplace_back("/var/tmp");
  candidates.emplace_back(std::filesystem::current_path().string());
  for (const auto& dir : candidates) {
    if (std::filesystem::is_directory(dir) && !on_tmpfs(dir)) return dir;
  }
  return "";
}

// A file with a known pattern (byte i = i * 7 + 3), removed at the end of the test.
struct temp_file {
  std::string path;
  temp_file(const std::string& dir, std::size_t size_bytes) {
    path = dir + "/tandem-uring-disk-" + std::to_string(::getpid()) + "-" +
           std::to_string(counter()++) + ".img";
    std::ofstream out(path, std::ios::binary);
    for (std::size_t i = 0; i < size_bytes; ++i) out.put(static_cast<char>(i * 7 + 3));
  }
  ~temp_file() { std::filesystem::remove(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  // Through the page cache with a separate descriptor: what another reader of the file sees.
  std::vector<std::byte> contents(std::uint64_t offset_bytes, std::size_t length_bytes) const {
    std::vector<std::byte> bytes(length_bytes);
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset_bytes));
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(length_bytes));
    REQUIRE(in.gcount() == static_cast<std::streamsize>(length_bytes));
    return bytes;
  }
};

struct aligned_buffer {
  std::byte* data;
  std::size_t size_bytes;
  explicit aligned_buffer(std::size_t n)
      : data(static_cast<std::byte*>(::operator new(n, std::align_val_t{4096}))), size_bytes(n) {}
  ~aligned_buffer() { ::operator delete(data, std::align_val_t{4096}); }
};

// Submits one request and waits (at most 5 s) for its completion; returns the result.
int run_one(uring_disk& disk, disk_op op, std::uint64_t offset_bytes, std::uint32_t length_bytes,
            void* buffer, bool fua) {
  disk.submit(op, offset_bytes, length_bytes, buffer, fua, 42);
  disk.flush_submissions();
  int result = 1 << 30;
  for (int attempt = 0; attempt < 50 && disk.in_flight() > 0; ++attempt) {
    pollfd pfd{disk.event_fd(), POLLIN, 0};
    ::poll(&pfd, 1, 100);
    disk.reap([&](std::uint64_t cookie, int r) {
      CHECK(cookie == 42);
      result = r;
    });
  }
  REQUIRE(disk.in_flight() == 0);
  return result;
}

}  // namespace

TEST_CASE("uring_disk: direct-io on, on a real file system, stores and returns the bytes") {
  const std::string dir = real_fs_dir();
  if (dir.empty()) {
    WARN_MESSAGE(false, "no non-tmpfs directory: O_DIRECT test not run");
    return;
  }
  constexpr std::size_t kFileBytes = 1 << 20;
  temp_file file(dir, kFileBytes);
  disk_options options;
  options.direct = direct_io::on;
  uring_disk disk(file.path, options);
  REQUIRE(disk.direct());
  CHECK(disk.direct_fallback_reason().empty());
  CHECK(disk.size_bytes() == kFileBytes);

  SUBCASE("ring writes (plain and FUA), flush and reads at 512-byte granularity") {
    aligned_buffer out(8192);
    for (std::size_t i = 0; i < out.size_bytes; ++i) out.data[i] = std::byte(i % 251);
    CHECK(run_one(disk, disk_op::write, 4096, 8192, out.data, false) == 8192);
    CHECK(run_one(disk, disk_op::write, 512 * 3, 512, out.data, true) == 512);  // FUA
    CHECK(run_one(disk, disk_op::flush, 0, 0, nullptr, false) == 0);
    aligned_buffer in(8192);
    CHECK(run_one(disk, disk_op::read, 4096, 8192, in.data, false) == 8192);
    CHECK(std::memcmp(in.data, out.data, 8192) == 0);
    // O_DIRECT invalidates the page cache over the range: a buffered reader sees the new bytes.
    const auto seen = file.contents(4096, 8192);
    CHECK(std::memcmp(seen.data(), out.data, 8192) == 0);
    const auto fua_block = file.contents(512 * 3, 512);
    CHECK(std::memcmp(fua_block.data(), out.data, 512) == 0);
    // The byte before the FUA block kept the file's original pattern.
    CHECK(file.contents(512 * 3 - 1, 1)[0] == std::byte((512 * 3 - 1) * 7 + 3));
  }

  SUBCASE("the descriptor really is O_DIRECT: a misaligned offset is refused by the kernel") {
    aligned_buffer in(8192);
    CHECK(run_one(disk, disk_op::read, 100, 512, in.data, false) == -EINVAL);
  }

  SUBCASE("metadata helpers take unaligned buffers, offsets and lengths") {
    std::vector<std::byte> record(1000);
    for (std::size_t i = 0; i < record.size(); ++i) record[i] = std::byte(0xA0 ^ (i & 0x3F));
    const std::uint64_t offset_bytes = 700;  // spans three 512-byte sectors, neither end aligned
    disk.write_sync(offset_bytes, record.data(), record.size());
    disk.flush_sync();
    std::vector<std::byte> back(record.size());
    disk.read_sync(offset_bytes, back.data(), back.size());
    CHECK(back == record);
    CHECK(file.contents(offset_bytes, record.size()) == record);
    // Read-modify-write kept the neighbours of the partial sectors.
    CHECK(file.contents(offset_bytes - 1, 1)[0] == std::byte((offset_bytes - 1) * 7 + 3));
    const std::uint64_t after = offset_bytes + record.size();
    CHECK(file.contents(after, 1)[0] == std::byte(after * 7 + 3));
  }

  SUBCASE("a metadata transfer larger than the 1 MiB bounce window, unaligned memory") {
    temp_file big(dir, (3 << 20) + 4096);
    uring_disk big_disk(big.path, options);
    REQUIRE(big_disk.direct());
    std::vector<std::byte> area((2 << 20) + 512 * 3 + 17);
    for (std::size_t i = 0; i < area.size(); ++i) area[i] = std::byte((i * 13) >> 3);
    big_disk.write_sync(4096 + 100, area.data(), area.size());
    std::vector<std::byte> back(area.size());
    big_disk.read_sync(4096 + 100, back.data(), back.size());
    CHECK(back == area);
    CHECK(big.contents(4096 + 100, area.size()) == area);
    CHECK(big.contents(4096 + 99, 1)[0] == std::byte((4096 + 99) * 7 + 3));
  }
}

TEST_CASE("uring_disk: direct-io auto falls back to buffered I/O where O_DIRECT cannot work") {
  SUBCASE("a file whose size is not a multiple of 512 bytes") {
    const std::string dir = real_fs_dir();
    if (dir.empty()) return;
    temp_file file(dir, 4096 + 100);
    disk_options options;
    options.direct = direct_io::automatic;
    uring_disk disk(file.path, options);
    CHECK_FALSE(disk.direct());
    CHECK(disk.direct_fallback_reason().find("512") != std::string::npos);
    // Still a working disk: buffered I/O at any alignment.
    aligned_buffer out(4096);
    std::memset(out.data, 0x5A, 4096);
    CHECK(run_one(disk, disk_op::write, 100, 4096, out.data, true) == 4096);
    CHECK(file.contents(100, 1)[0] == std::byte{0x5A});
    // direct-io = "on" refuses to open what O_DIRECT cannot serve, naming why.
    options.direct = direct_io::on;
    CHECK_THROWS_WITH_AS(uring_disk(file.path, options), doctest::Contains("512"),
                         std::runtime_error);
  }
  SUBCASE("off never uses O_DIRECT") {
    const std::string dir = real_fs_dir();
    if (dir.empty()) return;
    temp_file file(dir, 8192);
    uring_disk disk(file.path, disk_options{});
    CHECK_FALSE(disk.direct());
    CHECK(disk.direct_fallback_reason().empty());
  }
}
