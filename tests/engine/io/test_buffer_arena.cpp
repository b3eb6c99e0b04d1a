// buffer_arena: the buddy allocator behind every I/O payload, and the fixed-buffer path the rings
// take for memory inside it (READ_FIXED / WRITE_FIXED must move the same bytes as plain I/O).
#include <doctest/doctest.h>
#include <poll.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/io/buffer_arena.h"
#include "engine/io/uring_disk.h"
#include "engine/io/uring_ring.h"

using namespace tandem::engine;

namespace {

// Every test leaves the arena as it found it; allocations it cannot get are counted as failures.
struct arena_lease {
  buffer_arena& arena = buffer_arena::instance();
  std::vector<std::pair<std::byte*, std::size_t>> held;
  std::byte* take(std::size_t size_bytes) {
    std::byte* data = arena.allocate(size_bytes);
    if (data != nullptr) held.emplace_back(data, size_bytes);
    return data;
  }
  void give_back(std::byte* data) {
    for (auto it = held.begin(); it != held.end(); ++it) {
      if (it->first != data) continue;
      CHECK(arena.release(it->first, it->second));
      held.erase(it);
      return;
    }
    FAIL("not held");
  }
  ~arena_lease() {
    for (auto& [data, size] : held) arena.release(data, size);
  }
};

}  // namespace

TEST_CASE("buffer_arena: blocks are aligned, disjoint, and a block never spans two chunks") {
  arena_lease lease;
  const std::size_t before = lease.arena.allocated_bytes();
  std::set<std::byte*> starts;
  for (std::size_t size : {std::size_t{1}, std::size_t{512}, std::size_t{4096}, std::size_t{4097},
                           std::size_t{65536}, std::size_t{1} << 20, buffer_arena::kChunkBytes}) {
    std::byte* data = lease.take(size);
    REQUIRE(data != nullptr);
    CHECK(reinterpret_cast<std::uintptr_t>(data) % buffer_arena::kMinBlockBytes == 0);
    CHECK(lease.arena.chunk_of(data, buffer_arena::block_bytes_for(size)) >= 0);
    CHECK(starts.insert(data).second);
    std::memset(data, 0xa5, size);  // the whole block is writable
  }
  CHECK(lease.arena.allocated_bytes() - before ==
        4096 + 4096 + 4096 + 8192 + 65536 + (std::size_t{1} << 20) + buffer_arena::kChunkBytes);
  CHECK(buffer_arena::block_bytes_for(4097) == 8192);
  CHECK(buffer_arena::block_bytes_for(3 << 20) == std::size_t{4} << 20);
}

TEST_CASE("buffer_arena: requests it cannot serve answer nullptr and foreign memory is refused") {
  buffer_arena& arena = buffer_arena::instance();
  CHECK(arena.allocate(0) == nullptr);
  CHECK(arena.allocate(buffer_arena::kChunkBytes + 1) == nullptr);
  std::vector<std::byte> heap(4096);
  CHECK_FALSE(arena.release(heap.data(), heap.size()));
  CHECK(arena.chunk_of(heap.data(), heap.size()) == -1);
}

TEST_CASE("buffer_arena: freed buddies merge back, so a full split arena serves whole chunks again") {
  arena_lease lease;
  // Take every 4 KiB block there is (the arena may already hold blocks of other tests' objects:
  // this test only needs what is free now).
  std::vector<std::byte*> small;
  for (std::size_t i = 0; i < buffer_arena::kArenaBytes / buffer_arena::kMinBlockBytes; ++i) {
    std::byte* data = lease.take(buffer_arena::kMinBlockBytes);
    if (data == nullptr) break;
    small.push_back(data);
  }
  REQUIRE(!small.empty());
  CHECK(lease.arena.allocate(buffer_arena::kMinBlockBytes) == nullptr);  // full
  CHECK(lease.arena.allocate(buffer_arena::kChunkBytes) == nullptr);
  // Free in an interleaved order (odd blocks first) so merges happen late and from both sides.
  for (std::size_t i = 1; i < small.size(); i += 2) lease.give_back(small[i]);
  CHECK(lease.arena.allocate(buffer_arena::kMinBlockBytes * 2) == nullptr);  // no buddy pair yet
  for (std::size_t i = 0; i < small.size(); i += 2) lease.give_back(small[i]);
  std::byte* chunk = lease.take(buffer_arena::kChunkBytes);
  CHECK(chunk != nullptr);
}

namespace {

struct temp_file {
  std::string path;
  temp_file() {
    path = (std::filesystem::temp_directory_path() /
            ("tandem-buffer-arena-" + std::to_string(::getpid()) + ".img"))
               .string();
    std::filesystem::remove(path);
  }
  ~temp_file() { std::filesystem::remove(path); }
};

void run_until(uring_ring& ring, const bool& done) {
  for (int attempt = 0; attempt < 50 && !done; ++attempt) {
    pollfd pfd{ring.event_fd(), POLLIN, 0};
    ::poll(&pfd, 1, 100);
    ring.reap();
  }
}

}  // namespace

TEST_CASE("uring_ring: reads and writes in arena memory go as fixed I/O and move the same bytes") {
  temp_file file;
  disk_options options;
  options.direct = direct_io::automatic;  // O_DIRECT where the temp directory allows it
  options.create_if_missing = true;
  options.create_size_bytes = 8 << 20;
  auto ring = std::make_shared<uring_ring>();
  REQUIRE_MESSAGE(ring->fixed_buffer_status().empty(), ring->fixed_buffer_status());
  uring_disk disk(file.path, options, ring);
  int last_result = 0;
  bool done = false;
  disk.set_completion_handler([&](std::uint64_t, int result) {
    last_result = result;
    done = true;
  });
  auto transfer = [&](disk_op op, std::uint64_t offset, std::byte* data, std::uint32_t length) {
    done = false;
    disk.submit(op, offset, length, data, op == disk_op::write, 1);
    disk.flush_submissions();
    run_until(*ring, done);
    REQUIRE(done);
    CHECK(last_result == static_cast<int>(length));
  };

  arena_lease lease;
  constexpr std::uint32_t kLength = 256 << 10;
  std::byte* written = lease.take(kLength);
  std::byte* read_back = lease.take(kLength);
  REQUIRE(written != nullptr);
  REQUIRE(read_back != nullptr);
  for (std::uint32_t i = 0; i < kLength; ++i) written[i] = static_cast<std::byte>(i * 7 + i / 4096);
  std::memset(read_back, 0, kLength);
  transfer(disk_op::write, 1 << 20, written, kLength);
  transfer(disk_op::read, 1 << 20, read_back, kLength);
  CHECK(ring->fixed_requests() == 2);
  CHECK(std::memcmp(written, read_back, kLength) == 0);

  // The same bytes through plain I/O on heap memory: the fixed write really reached the file.
  std::vector<std::byte> plain(kLength);
  disk.read_sync(1 << 20, plain.data(), plain.size());
  CHECK(std::memcmp(written, plain.data(), kLength) == 0);
  // And a fixed read of bytes written by plain I/O.
  std::vector<std::byte> pattern(kLength, std::byte{0x5c});
  disk.write_sync(2 << 20, pattern.data(), pattern.size());
  transfer(disk_op::read, 2 << 20, read_back, kLength);
  CHECK(ring->fixed_requests() == 3);
  CHECK(std::memcmp(pattern.data(), read_back, kLength) == 0);
}
