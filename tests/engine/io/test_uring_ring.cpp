// uring_ring shared by several uring_disks, as tandemd shares one among every resource: each
// completion reaches the disk that submitted it, and a disk that closes with requests in flight
// waits for its own only, keeping the others' completions for the next reap.
#include <doctest/doctest.h>
#include <poll.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "engine/io/uring_disk.h"
#include "engine/io/uring_ring.h"

using namespace tandem::engine;

namespace {

constexpr std::size_t kFileBytes = 1 << 20;
constexpr std::uint32_t kBlockBytes = 4096;

struct temp_disk_file {
  std::string path;
  explicit temp_disk_file(const std::string& name) {
    path = (std::filesystem::temp_directory_path() /
            ("tandem-uring-ring-" + std::to_string(::getpid()) + "-" + name + ".img"))
               .string();
    std::filesystem::remove(path);
  }
  ~temp_disk_file() { std::filesystem::remove(path); }
};

disk_options buffered_new_file() {
  disk_options options;
  options.direct = direct_io::off;
  options.create_if_missing = true;
  options.create_size_bytes = kFileBytes;
  return options;
}

struct block {
  std::byte* data = static_cast<std::byte*>(::operator new(kBlockBytes, std::align_val_t{4096}));
  ~block() { ::operator delete(data, std::align_val_t{4096}); }
};

// Reaps the ring until `done` holds, at most 5 s.
template <typename Done>
void reap_until(uring_ring& ring, Done done) {
  for (int attempt = 0; attempt < 50 && !done(); ++attempt) {
    pollfd pfd{ring.event_fd(), POLLIN, 0};
    ::poll(&pfd, 1, 100);
    ring.reap();
  }
}

}  // namespace

TEST_CASE("uring_ring: disks sharing one ring each get their own completions") {
  temp_disk_file file_a("a"), file_b("b");
  auto ring = std::make_shared<uring_ring>();
  uring_disk a(file_a.path, buffered_new_file(), ring);
  uring_disk b(file_b.path, buffered_new_file(), ring);
  CHECK(a.event_fd() == b.event_fd());
  std::map<std::uint64_t, int> done_a, done_b;
  a.set_completion_handler([&](std::uint64_t cookie, int result) { done_a[cookie] = result; });
  b.set_completion_handler([&](std::uint64_t cookie, int result) { done_b[cookie] = result; });

  std::vector<block> blocks(8);
  for (std::uint64_t i = 0; i < 4; ++i) {  // the same cookies on both disks
    a.submit(disk_op::write, i * kBlockBytes, kBlockBytes, blocks[i].data, false, i);
    b.submit(disk_op::write, i * kBlockBytes, kBlockBytes, blocks[4 + i].data, false, i);
  }
  a.flush_submissions();  // one submission for both disks' requests
  reap_until(*ring, [&] { return done_a.size() == 4 && done_b.size() == 4; });
  REQUIRE(done_a.size() == 4);
  REQUIRE(done_b.size() == 4);
  for (std::uint64_t i = 0; i < 4; ++i) {
    CHECK(done_a[i] == static_cast<int>(kBlockBytes));
    CHECK(done_b[i] == static_cast<int>(kBlockBytes));
  }
  CHECK(a.in_flight() == 0);
  CHECK(b.in_flight() == 0);
  CHECK(ring->in_flight() == 0);
}

TEST_CASE("uring_ring: a disk closing with requests in flight leaves the others' completions") {
  temp_disk_file file_a("close-a"), file_b("close-b");
  auto ring = std::make_shared<uring_ring>();
  auto b = std::make_unique<uring_disk>(file_b.path, buffered_new_file(), ring);
  std::map<std::uint64_t, int> done_a, done_b;
  b->set_completion_handler([&](std::uint64_t cookie, int result) { done_b[cookie] = result; });
  std::vector<block> blocks(8);
  {
    uring_disk a(file_a.path, buffered_new_file(), ring);
    a.set_completion_handler([&](std::uint64_t cookie, int result) { done_a[cookie] = result; });
    for (std::uint64_t i = 0; i < 4; ++i) {
      b->submit(disk_op::write, i * kBlockBytes, kBlockBytes, blocks[4 + i].data, false, 10 + i);
      a.submit(disk_op::write, i * kBlockBytes, kBlockBytes, blocks[i].data, false, i);
    }
    a.flush_submissions();
  }  // `a` closes: it waits for its four requests, and does not run b's handler meanwhile
  CHECK(done_a.empty());
  CHECK(done_b.empty());
  reap_until(*ring, [&] { return done_b.size() == 4; });
  CHECK(done_b.size() == 4);
  CHECK(b->in_flight() == 0);
  CHECK(ring->in_flight() == 0);
  b.reset();
}
