#include "engine/daemon/disk_ring.h"

#include <unistd.h>

#include <boost/asio.hpp>

#include "engine/io/uring_ring.h"

namespace tandem::engine {
namespace asio = boost::asio;

// Shared with the pending wait's handler, so a handler that runs after ~disk_ring (with
// operation_aborted) still has what it touches.
struct disk_ring::watch {
  watch(asio::io_context& io, std::shared_ptr<uring_ring> r)
      : ring(std::move(r)), readable(io, ::dup(ring->event_fd())) {}
  std::shared_ptr<uring_ring> ring;
  asio::posix::stream_descriptor readable;  // a dup of the ring's eventfd
};

disk_ring::~disk_ring() {
  if (!watch_) return;
  boost::system::error_code ignored;
  watch_->readable.cancel(ignored);
  watch_->readable.close(ignored);
}

std::shared_ptr<uring_ring> disk_ring::ring() {
  if (!watch_) {
    watch_ = std::make_shared<watch>(io_, std::make_shared<uring_ring>());
    arm(watch_);
  }
  return watch_->ring;
}

std::uint64_t disk_ring::fixed_requests() const {
  return watch_ ? watch_->ring->fixed_requests() : 0;
}

std::string disk_ring::fixed_buffer_status() const {
  return watch_ ? watch_->ring->fixed_buffer_status() : std::string();
}

void disk_ring::arm(const std::shared_ptr<watch>& w) {
  w->readable.async_wait(asio::posix::stream_descriptor::wait_read,
                         [w](boost::system::error_code ec) {
                           if (ec || !w->readable.is_open()) return;
                           w->ring->reap();
                           arm(w);
                         });
}

}  // namespace tandem::engine
