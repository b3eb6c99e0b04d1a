// A block frontend makes a block_backend's exports reachable to clients: the NBD server today, a
// ublk frontend (/dev/ublkbN) later on hosts that have ublk_drv. The daemon owns its frontends
// through this interface and starts/stops them with the rest of its io_context.
#pragma once

#include <string>
#include <string_view>

namespace tandem::nbd {

class block_frontend {
 public:
  virtual ~block_frontend() = default;

  // Starts serving (binds listeners, ...). Returns an empty string on success, otherwise a
  // message naming what failed ("nbd: bind 127.0.0.1:10809: Address already in use").
  virtual std::string start() = 0;
  // Stops accepting clients and closes every client (after answering the requests in flight, for
  // a bounded time); backend requests still in flight after that complete in the background and
  // every opened session is closed once they have. Idempotent.
  virtual void stop() = 0;

  virtual std::string_view kind() const = 0;  // "nbd", "ublk"
};

}  // namespace tandem::nbd
