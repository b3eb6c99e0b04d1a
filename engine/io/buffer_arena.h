// buffer_arena — the process's I/O buffer memory: one mapping, carved by a buddy allocator, that
// io_uring rings register so disk reads and writes into it skip the kernel's per-request page
// pinning (READ_FIXED / WRITE_FIXED).
//
// Why one arena: an O_DIRECT request on ordinary memory pins its pages on every submission and
// unpins them on completion (perf: 4-6 % of tandemd's CPU on 1 MiB writes, ~1 % on 4 KiB).
// Registered memory is pinned once. Registering needs memory that stays put, so every payload
// buffer (nbd::io_buffer: NBD requests, peer payloads, resync blocks) comes from here and is
// reused, which also spares malloc and, for large buffers, the mmap/page-fault/unmap cycle.
//
// Layout: kArenaBytes of address space reserved at first use (untouched pages cost nothing),
// split into kChunkBytes chunks. A ring registers a chunk (one iovec per chunk) the first time a
// request uses memory inside it, so a process pins only the chunks it has used. Blocks are
// powers of two from kMinBlockBytes to kChunkBytes, aligned to their size (so never across a
// chunk); a request larger than a chunk, or one that finds the arena full, gets nullptr and the
// caller uses ordinary memory.
//
// Thread-safe (one mutex: a buffer may be freed on another thread than the one that allocated it).
// Memory is never returned to the kernel: madvise(DONTNEED) on a registered page would detach the
// mapping from the pages the kernel pinned, and fixed I/O would then miss the process's bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace tandem::engine {

class buffer_arena {
 public:
  static constexpr std::size_t kMinBlockBytes = std::size_t{4} << 10;
  static constexpr std::size_t kChunkBytes = std::size_t{4} << 20;
  static constexpr std::size_t kChunks = 8;
  static constexpr std::size_t kArenaBytes = kChunkBytes * kChunks;

  // The process's arena (created on first use, never destroyed: buffers may outlive statics).
  static buffer_arena& instance();

  // A block of at least size_bytes, aligned to kMinBlockBytes (4096); nullptr when size_bytes is
  // 0, larger than a chunk, or no block is free. Contents unspecified.
  std::byte* allocate(std::size_t size_bytes);
  // Returns a block from allocate() (same size_bytes); false when `data` is not arena memory
  // (the caller allocated it elsewhere and frees it there).
  bool release(std::byte* data, std::size_t size_bytes);

  // The chunk holding [data, data + length_bytes), or -1 when that range is not wholly inside
  // one chunk of the arena.
  int chunk_of(const void* data, std::size_t length_bytes) const;
  // Start of chunk `index` (for registration).
  std::byte* chunk_base(int index) const { return base_ + static_cast<std::size_t>(index) * kChunkBytes; }

  // Bytes handed out and not yet released (tests, metrics).
  std::size_t allocated_bytes() const;

  // Block size an allocation of size_bytes takes (a power of two >= kMinBlockBytes).
  static std::size_t block_bytes_for(std::size_t size_bytes);

  buffer_arena(const buffer_arena&) = delete;
  buffer_arena& operator=(const buffer_arena&) = delete;

 private:
  buffer_arena();

  static constexpr std::size_t kBlocks = kArenaBytes / kMinBlockBytes;
  static constexpr unsigned kOrders = 11;  // 4 KiB << 10 = 4 MiB = one chunk
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};

  static unsigned order_for(std::size_t size_bytes);
  std::size_t offset_of(const void* data) const;
  // Free lists are doubly linked through per-block arrays, not through the memory itself, so
  // keeping the lists never touches (and never makes resident) a free page.
  void push_free(std::uint32_t block, unsigned order);
  void unlink_free(std::uint32_t block, unsigned order);

  std::byte* base_ = nullptr;
  mutable std::mutex mutex_;
  std::vector<std::uint32_t> free_head_;  // per order: first free block, or kNone
  std::vector<std::uint32_t> next_;       // per block (index in kMinBlockBytes units)
  std::vector<std::uint32_t> prev_;
  std::vector<std::uint8_t> free_order_;  // per block: order + 1 when a free block starts here, else 0
  std::size_t allocated_bytes_ = 0;
};

}  // namespace tandem::engine
