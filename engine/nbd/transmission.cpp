#include "engine/nbd/transmission.h"

namespace tandem::nbd {

namespace {

request_check refuse(nbd_error error, std::string problem) {
  request_check out;
  out.action = request_check::verdict::reply_error;
  out.error = error;
  out.problem = std::move(problem);
  return out;
}

bool writes_data(command cmd) {
  return cmd == command::write || cmd == command::trim || cmd == command::write_zeroes;
}

std::string range_text(const request_header& header) {
  return std::to_string(header.length_bytes) + " bytes at offset " +
         std::to_string(header.offset_bytes);
}

}  // namespace

const char* to_string(request_check::verdict action) {
  switch (action) {
    case request_check::verdict::submit: return "submit";
    case request_check::verdict::reply_error: return "reply_error";
    case request_check::verdict::disconnect: return "disconnect";
    case request_check::verdict::violation: return "violation";
  }
  return "unknown verdict";
}

nbd_error to_nbd_error(io_status status) {
  switch (status) {
    case io_status::ok: return nbd_error::none;
    case io_status::io_error: return nbd_error::io;
    case io_status::no_space: return nbd_error::nospc;
    case io_status::not_permitted: return nbd_error::perm;
    case io_status::invalid: return nbd_error::inval;
    case io_status::shutting_down: return nbd_error::shutdown;
  }
  return nbd_error::io;
}

// The checks run in the order of the spec's "Error values": a WRITE's payload size first (it
// decides whether the stream can be followed at all), then type, flags, permission, shape, range.
request_check check_request(const request_header& header, const export_limits& limits) {
  const auto cmd = static_cast<command>(header.type);
  const char* name = to_string(cmd);
  std::uint32_t payload_bytes = 0;
  if (cmd == command::write) {
    if (header.length_bytes > limits.max_request_bytes) {
      request_check out;
      out.action = request_check::verdict::violation;
      out.problem = "NBD_CMD_WRITE of " + std::to_string(header.length_bytes) +
                    " bytes is larger than the advertised maximum of " +
                    std::to_string(limits.max_request_bytes);
      return out;
    }
    payload_bytes = header.length_bytes;
  }
  request_check out = [&]() -> request_check {
    io_op op = io_op::read;
    switch (cmd) {
      case command::read: op = io_op::read; break;
      case command::write: op = io_op::write; break;
      case command::flush: op = io_op::flush; break;
      case command::trim: op = io_op::trim; break;
      case command::write_zeroes: op = io_op::write_zeroes; break;
      case command::disc: {
        request_check disc;
        disc.action = request_check::verdict::disconnect;
        return disc;
      }
      default:
        return refuse(nbd_error::inval,
                      "command type " + std::to_string(header.type) + " is not supported");
    }
    std::uint16_t allowed_flags = kCmdFlagFua;
    if (cmd == command::write_zeroes) allowed_flags |= kCmdFlagNoHole;
    if ((header.flags & ~allowed_flags) != 0) {
      return refuse(nbd_error::inval, std::string(name) + " with command flags " +
                                          std::to_string(header.flags) +
                                          " the server does not accept");
    }
    if (cmd == command::flush) {
      if (header.offset_bytes != 0 || header.length_bytes != 0) {
        return refuse(nbd_error::inval,
                      "NBD_CMD_FLUSH with nonzero offset or length (" + range_text(header) + ")");
      }
    } else {
      if (writes_data(cmd) && !limits.writable) {
        return refuse(nbd_error::perm, std::string(name) + " on a read-only export");
      }
      if (header.length_bytes == 0) {
        return refuse(nbd_error::inval, std::string(name) + " of 0 bytes");
      }
      if (header.offset_bytes % kMinimumBlockBytes != 0 ||
          header.length_bytes % kMinimumBlockBytes != 0) {
        return refuse(nbd_error::inval, std::string(name) + " of " + range_text(header) +
                                            " is not aligned to 512 bytes");
      }
      const bool past_end = header.offset_bytes > limits.size_bytes ||
                            header.length_bytes > limits.size_bytes - header.offset_bytes;
      if (past_end) {
        return refuse(writes_data(cmd) ? nbd_error::nospc : nbd_error::inval,
                      std::string(name) + " of " + range_text(header) + " ends past the " +
                          std::to_string(limits.size_bytes) + "-byte export");
      }
      if (cmd == command::read && header.length_bytes > limits.max_request_bytes) {
        return refuse(nbd_error::inval, "NBD_CMD_READ of " + std::to_string(header.length_bytes) +
                                            " bytes is larger than the advertised maximum of " +
                                            std::to_string(limits.max_request_bytes));
      }
    }
    request_check ok;
    ok.action = request_check::verdict::submit;
    ok.op = op;
    // FUA only means something for requests that write; read and flush ignore it (the spec lets
    // clients set it on any command once SEND_FUA is advertised).
    ok.fua = writes_data(cmd) && (header.flags & kCmdFlagFua) != 0;
    ok.no_hole = cmd == command::write_zeroes && (header.flags & kCmdFlagNoHole) != 0;
    return ok;
  }();
  out.payload_bytes = payload_bytes;
  return out;
}

}  // namespace tandem::nbd
