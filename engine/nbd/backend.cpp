#include "engine/nbd/backend.h"

namespace tandem::nbd {

const char* to_string(io_op op) {
  switch (op) {
    case io_op::read: return "read";
    case io_op::write: return "write";
    case io_op::flush: return "flush";
    case io_op::trim: return "trim";
    case io_op::write_zeroes: return "write_zeroes";
  }
  return "unknown op";
}

const char* to_string(io_status status) {
  switch (status) {
    case io_status::ok: return "ok";
    case io_status::io_error: return "io_error";
    case io_status::no_space: return "no_space";
    case io_status::not_permitted: return "not_permitted";
    case io_status::invalid: return "invalid";
    case io_status::shutting_down: return "shutting_down";
  }
  return "unknown status";
}

}  // namespace tandem::nbd
