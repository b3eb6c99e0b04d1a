// DRBD's on-io-error (a disk option): what a replica does when its backing device fails a read or
// a write of data. Either way the I/O that failed is served through a peer where one can.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem {

enum class on_io_error : std::uint8_t {
  // The disk goes Failed, then Diskless; the node goes on with its peers' data (DRBD's default).
  detach,
  // The disk stays attached but Inconsistent, the failed blocks are marked out of sync toward
  // every peer; the next handshake with an UpToDate peer resyncs it.
  pass_on,
  // As detach, after telling the operator: DRBD runs the local-io-error handler here; tandem
  // reports a `local-io-error` event that the driver logs (and may act on).
  call_local_io_error,
};
// "detach", "pass_on" or "call-local-io-error", as drbd.conf spells them.
std::optional<on_io_error> parse_on_io_error(std::string_view text);
std::string_view to_string(on_io_error value);

}  // namespace tandem
