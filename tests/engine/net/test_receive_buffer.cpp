#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "engine/net/receive_buffer.h"

using namespace tandem::engine;
using namespace std::chrono_literals;

namespace {

// Reads `bytes` of a counting pattern (starting at `next`) into the buffer, as a socket would,
// at most one prepared span per read.
void receive(receive_buffer& rx, std::size_t bytes, std::uint8_t& next,
             receive_buffer::clock::time_point now) {
  while (bytes > 0) {  // bounded: every round reads at least one byte
    auto room = rx.prepare(now);
    REQUIRE(room.size() > 0);
    const std::size_t n = std::min(bytes, room.size());
    for (std::size_t i = 0; i < n; ++i) room[i] = std::byte{next++};
    rx.commit(n, now);
    bytes -= n;
  }
}

bool is_pattern(std::span<const std::byte> bytes, std::uint8_t first) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != std::byte{static_cast<std::uint8_t>(first + i)}) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("receive buffer: holds nothing until the first read, which starts small") {
  receive_buffer rx;
  CHECK(rx.capacity_bytes() == 0);
  CHECK(rx.data().empty());
  const auto now = receive_buffer::clock::now();
  auto room = rx.prepare(now);
  CHECK(room.size() == receive_buffer::kMinReadBytes);
  CHECK(rx.capacity_bytes() < receive_buffer::kMaxReadBytes);
}

TEST_CASE("receive buffer: full reads widen the read size up to the maximum, bytes stay in order") {
  receive_buffer rx;
  const auto now = receive_buffer::clock::now();
  std::uint8_t next = 0;
  std::size_t previous = rx.read_size_bytes();
  for (int i = 0; i < 16; ++i) {  // every read fills all it was offered
    auto room = rx.prepare(now);
    for (auto& b : room) b = std::byte{next++};
    rx.commit(room.size(), now);
    CHECK(rx.read_size_bytes() >= previous);
    previous = rx.read_size_bytes();
  }
  CHECK(rx.read_size_bytes() == receive_buffer::kMaxReadBytes);
  CHECK(is_pattern(rx.data(), 0));
}

TEST_CASE("receive buffer: a frame larger than the storage is kept whole across reads") {
  receive_buffer rx;
  const auto now = receive_buffer::clock::now();
  std::uint8_t next = 0;
  constexpr std::size_t frame_bytes = 1024 * 1024 + 100;
  receive(rx, frame_bytes + 10, next, now);  // one frame and the start of the next
  REQUIRE(rx.data().size() == frame_bytes + 10);
  CHECK(is_pattern(rx.data(), 0));
  rx.consume(frame_bytes);
  CHECK(is_pattern(rx.data(), static_cast<std::uint8_t>(frame_bytes)));
  // Compaction or growth on the next reads keeps the undispatched tail intact.
  receive(rx, 3 * receive_buffer::kMaxReadBytes, next, now);
  CHECK(rx.data().size() == 10 + 3 * receive_buffer::kMaxReadBytes);
  CHECK(is_pattern(rx.data(), static_cast<std::uint8_t>(frame_bytes)));
}

TEST_CASE("receive buffer: an empty buffer is released only after the idle delay") {
  receive_buffer rx(2000ms);
  const auto start = receive_buffer::clock::now();
  std::uint8_t next = 0;
  receive(rx, 512 * 1024, next, start);  // a burst
  const std::size_t busy_capacity = rx.capacity_bytes();
  CHECK(busy_capacity > receive_buffer::kMinReadBytes);
  rx.consume(rx.data().size());

  // Shortly after the burst the storage is kept, so a busy stream does not reallocate.
  rx.prepare(start + 100ms);
  CHECK(rx.capacity_bytes() == busy_capacity);
  rx.commit(16, start + 100ms);  // a ping: not a full read

  // With undispatched bytes nothing is released, however long it has been.
  rx.prepare(start + 10s);
  CHECK(rx.capacity_bytes() == busy_capacity);
  rx.commit(0, start + 10s);
  rx.consume(rx.data().size());

  // Empty and quiet: released, the next read is small again.
  auto room = rx.prepare(start + 10s);
  CHECK(rx.capacity_bytes() < busy_capacity);
  CHECK(room.size() == receive_buffer::kMinReadBytes);
}
