#include "engine/net/receive_buffer.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace tandem::engine {

std::span<std::byte> receive_buffer::prepare(clock::time_point now) {
  const std::size_t live = end_ - start_;
  if (live == 0) {
    start_ = end_ = 0;
    if (storage_ && capacity_ > kMinReadBytes && now - last_full_read_ >= idle_release_) {
      // Quiet for idle_release: give the memory back; the next read starts small again.
      storage_.reset();
      capacity_ = 0;
      read_size_ = kMinReadBytes;
    }
  }
  if (capacity_ - end_ < read_size_) {
    if (start_ > 0 && start_ >= live && capacity_ - live >= read_size_) {
      // Moving the tail costs at most what was consumed since it arrived.
      std::memmove(storage_.get(), storage_.get() + start_, live);
      start_ = 0;
      end_ = live;
    } else {
      reallocate(std::max(2 * capacity_, live + read_size_));
    }
  }
  return {storage_.get() + end_, read_size_};
}

void receive_buffer::commit(std::size_t bytes, clock::time_point now) {
  assert(bytes <= read_size_ && end_ + bytes <= capacity_);
  end_ += bytes;
  if (bytes == read_size_) {  // the stream had more: read more at once next time
    last_full_read_ = now;
    read_size_ = std::min(2 * read_size_, kMaxReadBytes);
  }
}

void receive_buffer::consume(std::size_t bytes) {
  assert(bytes <= end_ - start_);
  start_ += bytes;
}

void receive_buffer::reallocate(std::size_t capacity_bytes) {
  const std::size_t live = end_ - start_;
  // new std::byte[n] leaves the bytes uninitialised: no zero-fill, no pages touched beyond use.
  std::unique_ptr<std::byte[]> grown(new std::byte[capacity_bytes]);
  if (live > 0) std::memcpy(grown.get(), storage_.get() + start_, live);
  storage_ = std::move(grown);
  capacity_ = capacity_bytes;
  start_ = 0;
  end_ = live;
}

}  // namespace tandem::engine
