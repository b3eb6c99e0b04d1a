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

TEST_CASE("nbd io_buffer: memory comes from the buffer arena and is reused; too large, from the heap") {
  using tandem::engine::buffer_arena;
  buffer_arena& arena = buffer_arena::instance();
  const std::byte* first = nullptr;
  {
    io_buffer a(1 << 20);
    first = a.data();
    CHECK(arena.chunk_of(a.data(), a.size()) >= 0);
  }
  // Asked again for the same block size, the arena hands back the block just freed (buddies
  // merged and split again the same way), so no new memory is touched.
  io_buffer b((1 << 20) - 4096);
  CHECK(b.data() == first);
  CHECK(b.size() == (1u << 20) - 4096);
  CHECK(reinterpret_cast<std::uintptr_t>(b.data()) % io_buffer::kAlignmentBytes == 0);
  // Two live buffers never share bytes.
  io_buffer c(1 << 20);
  CHECK(c.data() != b.data());
  // Larger than a chunk: the heap, still aligned, freed back to the heap.
  io_buffer huge(buffer_arena::kChunkBytes + 4096);
  CHECK(arena.chunk_of(huge.data(), 1) == -1);
  CHECK(reinterpret_cast<std::uintptr_t>(huge.data()) % io_buffer::kAlignmentBytes == 0);
  huge.bytes()[huge.size() - 1] = std::byte{1};
}
