#include "engine/storage/storage_result.h"

namespace tandem::storage {

std::string_view to_string(error_kind kind) {
  switch (kind) {
    case error_kind::invalid_argument: return "invalid argument";
    case error_kind::not_found: return "not found";
    case error_kind::already_exists: return "already exists";
    case error_kind::insufficient_space: return "insufficient space";
    case error_kind::unsupported: return "unsupported";
    case error_kind::command_failed: return "command failed";
    case error_kind::io_error: return "I/O error";
  }
  return "unknown error";
}

}  // namespace tandem::storage
