// A value or an error message, for the command-line client's pure helpers. Nothing in
// engine/cli throws to report bad input: a failed result carries one message that names the
// offending argument ("size '12Q': 'Q' is not a valid unit ...").
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace tandem::cli {

struct failure {
  std::string message;
};

template <typename T>
class expected {
 public:
  expected(T value) : value_(std::move(value)) {}                // NOLINT: implicit on purpose
  expected(failure error) : error_(std::move(error.message)) {}  // NOLINT

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
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

}  // namespace tandem::cli
