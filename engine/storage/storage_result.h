// The value-or-error type of tandem::storage. Providers never throw and never crash on bad input:
// every operation returns a result whose error has a kind (so the satellite can map it onto a
// LINSTOR ApiCallRc) and one message that names what was wrong ("LVM pool 'pool1' (VG 'vg0'):
// volume 'vm-100-disk-1_00000' already exists").
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tandem::storage {

enum class error_kind {
  invalid_argument,    // a bad name, size, kind or setting in the request
  not_found,           // pool, volume or snapshot does not exist
  already_exists,      // volume or snapshot name taken
  insufficient_space,  // the pool cannot hold the requested size
  unsupported,         // the provider kind cannot do this (snapshots on thick LVM, ...)
  command_failed,      // an external command failed, timed out or could not be started
  io_error,            // a system call on a file or directory failed
};

std::string_view to_string(error_kind kind);

struct storage_error {
  error_kind kind = error_kind::invalid_argument;
  std::string message;
};

template <typename T>
class result {
 public:
  result(T value) : value_(std::move(value)) {}                  // NOLINT: implicit on purpose
  result(storage_error failure) : error_(std::move(failure)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  // Meaningful only when !ok().
  const storage_error& error() const { return error_; }
  const std::string& message() const { return error_.message; }
  error_kind kind() const { return error_.kind; }

 private:
  std::optional<T> value_;
  storage_error error_;
};

// Result of an operation that returns nothing on success.
using status = result<std::monostate>;
inline status success() {
  return std::monostate{};
}

inline storage_error make_error(error_kind kind, std::string message) {
  return storage_error{kind, std::move(message)};
}

// Prefixes an error's message with context ("FILE pool 'p' (/srv/p): ") and keeps its kind.
inline storage_error with_context(std::string_view context, const storage_error& inner) {
  return storage_error{inner.kind, std::string(context) + inner.message};
}

}  // namespace tandem::storage
