#include "engine/io/buffer_arena.h"

#include <sys/mman.h>

#include <bit>

namespace tandem::engine {

buffer_arena& buffer_arena::instance() {
  static buffer_arena* const arena = new buffer_arena();
  return *arena;
}

buffer_arena::buffer_arena()
    : free_head_(kOrders, kNone), next_(kBlocks, kNone), prev_(kBlocks, kNone),
      free_order_(kBlocks, 0) {
  // MAP_NORESERVE: address space only; a page costs memory once a buffer is written there or a
  // ring registers its chunk. Chunks must be aligned to their size for the buddy arithmetic,
  // which mmap's page alignment gives relative to base_ (blocks are aligned to their size
  // relative to base_, and base_ is page aligned, so every block is 4096-aligned).
  void* mapped = ::mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapped == MAP_FAILED) return;  // base_ stays null: every allocate() answers nullptr
  base_ = static_cast<std::byte*>(mapped);
  constexpr std::uint32_t blocks_per_chunk = kChunkBytes / kMinBlockBytes;
  // Highest chunk first on the list, so the first allocations come from chunk 0 and a light
  // load stays within one registered chunk.
  for (std::size_t chunk = kChunks; chunk-- > 0;) {
    push_free(static_cast<std::uint32_t>(chunk * blocks_per_chunk), kOrders - 1);
  }
}

std::size_t buffer_arena::block_bytes_for(std::size_t size_bytes) {
  return size_bytes <= kMinBlockBytes ? kMinBlockBytes : std::bit_ceil(size_bytes);
}

unsigned buffer_arena::order_for(std::size_t size_bytes) {
  return static_cast<unsigned>(std::countr_zero(block_bytes_for(size_bytes) / kMinBlockBytes));
}

void buffer_arena::push_free(std::uint32_t block, unsigned order) {
  const std::uint32_t head = free_head_[order];
  next_[block] = head;
  prev_[block] = kNone;
  if (head != kNone) prev_[head] = block;
  free_head_[order] = block;
  free_order_[block] = static_cast<std::uint8_t>(order + 1);
}

void buffer_arena::unlink_free(std::uint32_t block, unsigned order) {
  if (prev_[block] != kNone) {
    next_[prev_[block]] = next_[block];
  } else {
    free_head_[order] = next_[block];
  }
  if (next_[block] != kNone) prev_[next_[block]] = prev_[block];
  free_order_[block] = 0;
}

std::byte* buffer_arena::allocate(std::size_t size_bytes) {
  if (base_ == nullptr || size_bytes == 0 || size_bytes > kChunkBytes) return nullptr;
  const unsigned want = order_for(size_bytes);
  std::lock_guard lock(mutex_);
  unsigned order = want;
  while (order < kOrders && free_head_[order] == kNone) ++order;
  if (order == kOrders) return nullptr;
  const std::uint32_t block = free_head_[order];
  unlink_free(block, order);
  // Split down to the wanted size; the upper halves go on the free lists.
  while (order > want) {
    --order;
    push_free(block + (std::uint32_t{1} << order), order);
  }
  allocated_bytes_ += kMinBlockBytes << want;
  return base_ + std::size_t{block} * kMinBlockBytes;
}

// Offset of `data` in the arena, or kArenaBytes when it lies outside (integer arithmetic: the
// pointer may belong to any other allocation).
std::size_t buffer_arena::offset_of(const void* data) const {
  const auto address = reinterpret_cast<std::uintptr_t>(data);
  const auto base = reinterpret_cast<std::uintptr_t>(base_);
  if (base_ == nullptr || address < base || address >= base + kArenaBytes) return kArenaBytes;
  return address - base;
}

bool buffer_arena::release(std::byte* data, std::size_t size_bytes) {
  const std::size_t offset = offset_of(data);
  if (offset == kArenaBytes) return false;
  unsigned order = order_for(size_bytes);
  auto block = static_cast<std::uint32_t>(offset / kMinBlockBytes);
  std::lock_guard lock(mutex_);
  allocated_bytes_ -= kMinBlockBytes << order;
  // Merge with the buddy while it is free and whole (its free_order_ says the same order).
  while (order + 1 < kOrders) {
    const std::uint32_t buddy = block ^ (std::uint32_t{1} << order);
    if (free_order_[buddy] != order + 1) break;
    unlink_free(buddy, order);
    block &= ~(std::uint32_t{1} << order);
    ++order;
  }
  push_free(block, order);
  return true;
}

int buffer_arena::chunk_of(const void* data, std::size_t length_bytes) const {
  const std::size_t offset = offset_of(data);
  if (offset == kArenaBytes) return -1;
  const std::size_t chunk = offset / kChunkBytes;
  if (offset + length_bytes > (chunk + 1) * kChunkBytes) return -1;
  return static_cast<int>(chunk);
}

std::size_t buffer_arena::allocated_bytes() const {
  std::lock_guard lock(mutex_);
  return allocated_bytes_;
}

}  // namespace tandem::engine
