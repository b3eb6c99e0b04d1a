#include "core/replica/io_error_policy.h"

namespace tandem {

std::optional<on_io_error> parse_on_io_error(std::string_view text) {
  if (text == "detach") return on_io_error::detach;
  if (text == "pass_on") return on_io_error::pass_on;
  if (text == "call-local-io-error") return on_io_error::call_local_io_error;
  return std::nullopt;
}

std::string_view to_string(on_io_error value) {
  switch (value) {
    case on_io_error::detach: return "detach";
    case on_io_error::pass_on: return "pass_on";
    case on_io_error::call_local_io_error: return "call-local-io-error";
  }
  return "detach";
}

}  // namespace tandem
