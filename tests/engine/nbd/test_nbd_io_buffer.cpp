// io_buffer: the owned payload that travels between the server and a backend.
#include <doctest/doctest.h>

#include <cstdint>
#include <utility>

#include "engine/nbd/io_buffer.h"

using tandem::nbd::io_buffer;

TEST_CASE("nbd io_buffer: aligned for O_DIRECT, sized, empty by default") {
  const io_buffer empty;
  CHECK(empty.empty());
  CHECK(empty.data() == nullptr);
  const io_buffer zero(0);
  CHECK(zero.empty());

  io_buffer buffer(12345);
  CHECK(buffer.size() == 12345);
  CHECK(reinterpret_cast<std::uintptr_t>(buffer.data()) % io_buffer::kAlignmentBytes == 0);
  buffer.bytes()[12344] = std::byte{7};
  CHECK(buffer.bytes().size() == 12345);
}

TEST_CASE("nbd io_buffer: moving hands over the bytes, the source is left empty") {
  io_buffer first(4096);
  first.bytes()[0] = std::byte{42};
  std::byte* const bytes = first.data();

  io_buffer second(std::move(first));
  CHECK(first.empty());  // NOLINT: checking the moved-from state is the point
  CHECK(second.data() == bytes);
  CHECK(second.bytes()[0] == std::byte{42});

  io_buffer third(512);
  third = std::move(second);
  CHECK(second.empty());  // NOLINT
  CHECK(third.data() == bytes);
  CHECK(third.size() == 4096);
}

TEST_CASE("nbd io_buffer: large buffers are recycled, small ones and odd sizes are not cached") {
  using cache = tandem::nbd::detail::io_buffer_cache;
  CHECK(cache::capacity_for(4096) == 4096);               // below the cache: malloc's business
  CHECK(cache::capacity_for(1 << 20) == (1u << 20));
  CHECK(cache::capacity_for((1 << 20) + 512) == (2u << 20));  // rounded up to a power of two
  CHECK(cache::capacity_for(8u << 20) == (8u << 20));     // above the cache: not rounded
  const std::byte* first = nullptr;
  {
    io_buffer a(1 << 20);
    first = a.data();
  }
  // The same thread asks again for the same class: it gets the buffer just freed (no new mmap).
  io_buffer b((1 << 20) - 4096);
  CHECK(b.data() == first);
  CHECK(b.size() == (1u << 20) - 4096);
  CHECK(reinterpret_cast<std::uintptr_t>(b.data()) % io_buffer::kAlignmentBytes == 0);
  // Two live buffers never share bytes.
  io_buffer c(1 << 20);
  CHECK(c.data() != b.data());
}
