// The transmission phase's request checks, pure: given a decoded request header and what the
// connection negotiated, decide whether the request goes to the backend, gets an NBD error, or
// ends the connection. The server reads `payload_bytes` after the header in every case but a
// disconnect, so a refused WRITE never desynchronises the stream.
#pragma once

#include <cstdint>
#include <string>

#include "engine/nbd/backend.h"
#include "engine/nbd/protocol.h"

namespace tandem::nbd {

struct export_limits {
  std::uint64_t size_bytes = 0;
  bool writable = false;
  std::uint32_t max_request_bytes = 0;  // READ and WRITE; a multiple of 512
};

struct request_check {
  enum class verdict {
    submit,       // hand `op` to the backend
    reply_error,  // answer with `error`, touch nothing
    disconnect,   // NBD_CMD_DISC: finish in-flight requests, then close
    violation,    // the stream cannot be trusted any more: log `problem` and close
  };
  verdict action = verdict::reply_error;
  nbd_error error = nbd_error::none;
  std::string problem;  // reply_error and violation: what was wrong, for the log
  io_op op = io_op::read;
  bool fua = false;
  bool no_hole = false;
  // Bytes of WRITE payload that follow the header and must be read (and, unless submitted,
  // discarded) before the next request: length_bytes for every WRITE that is not a violation.
  std::uint32_t payload_bytes = 0;
};

request_check check_request(const request_header& header, const export_limits& limits);

const char* to_string(request_check::verdict action);

// Maps a backend status onto the NBD error value of the reply.
nbd_error to_nbd_error(io_status status);

}  // namespace tandem::nbd
