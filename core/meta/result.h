// The value-or-error type of tandem::meta. Nothing in core/meta throws: every decode or size
// computation returns a result, and a failed result carries one message that names the offending
// field ("superblock: bm_max_peers 40 outside 1..31").
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace tandem::meta {

struct error {
  std::string message;
};

template <typename T>
class result {
 public:
  result(T value) : value_(std::move(value)) {}                  // NOLINT: implicit on purpose
  result(error failure) : error_(std::move(failure.message)) {}  // NOLINT

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
  // Empty when ok().
  const std::string& message() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

}  // namespace tandem::meta
