// An owned, 4096-byte-aligned byte buffer: the payload of one NBD request on its way between the
// server and a block backend. Move-only, so exactly one side owns it at any time:
//   * WRITE: the server fills it with the client's payload and moves it into io_request::data; the
//     backend owns it until it calls the completion (it may keep it, move it into a shared_ptr for
//     replication to peers, hand it to io_uring...). No copy is needed anywhere.
//   * READ: the server moves in a buffer of length_bytes (contents unspecified); the backend fills
//     it and moves it back through the completion.
// The alignment lets an O_DIRECT / io_uring backend use the bytes as they are.
//
// The memory comes from the process's buffer_arena (engine/io/buffer_arena.h): reused rather than
// allocated per request, and registered with the io_uring rings so disk I/O into it skips page
// pinning. A buffer larger than an arena chunk, or one asked for while the arena is full, comes
// from the heap instead and works the same (without the fixed-I/O saving).
#pragma once

#include <cstddef>
#include <new>
#include <span>
#include <utility>

#include "engine/io/buffer_arena.h"

namespace tandem::nbd {

class io_buffer {
 public:
  static constexpr std::size_t kAlignmentBytes = engine::buffer_arena::kMinBlockBytes;

  io_buffer() = default;
  // Allocates size_bytes (uninitialised; a recycled buffer holds old bytes). Throws
  // std::bad_alloc like operator new.
  explicit io_buffer(std::size_t size_bytes)
      : data_(size_bytes == 0 ? nullptr : allocate(size_bytes)), size_bytes_(size_bytes) {}
  ~io_buffer() { release(); }

  io_buffer(io_buffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_bytes_(std::exchange(other.size_bytes_, 0)) {}
  io_buffer& operator=(io_buffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_bytes_ = std::exchange(other.size_bytes_, 0);
    }
    return *this;
  }
  io_buffer(const io_buffer&) = delete;
  io_buffer& operator=(const io_buffer&) = delete;

  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_bytes_; }
  bool empty() const { return size_bytes_ == 0; }
  std::span<std::byte> bytes() { return {data_, size_bytes_}; }
  std::span<const std::byte> bytes() const { return {data_, size_bytes_}; }

 private:
  void release() {
    if (data_ != nullptr && !engine::buffer_arena::instance().release(data_, size_bytes_)) {
      ::operator delete(data_, std::align_val_t{kAlignmentBytes});
    }
    data_ = nullptr;
    size_bytes_ = 0;
  }

  static std::byte* allocate(std::size_t size_bytes) {
    std::byte* data = engine::buffer_arena::instance().allocate(size_bytes);
    if (data != nullptr) return data;
    return static_cast<std::byte*>(::operator new(size_bytes, std::align_val_t{kAlignmentBytes}));
  }

  std::byte* data_ = nullptr;
  std::size_t size_bytes_ = 0;
};

}  // namespace tandem::nbd
