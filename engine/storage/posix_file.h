// Small POSIX file helpers shared by the FILE providers and the file cloner.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/storage/storage_result.h"

namespace tandem::storage {

// Owns one file descriptor; closes it on destruction.
class unique_fd {
 public:
  explicit unique_fd(int fd = -1) : fd_(fd) {}
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }
  int get() const { return fd_; }
  void reset();

 private:
  int fd_;
};

std::string errno_text(int error_number);

// rename(2) that refuses to replace an existing target (RENAME_NOREPLACE): two restores racing for
// one name cannot overwrite each other. Returns 0 or -1 with errno set, like rename.
int rename_no_replace(const std::string& from, const std::string& to);

// A pool directory with more entries than this is not one we manage; stop rather than loop on.
inline constexpr std::size_t kMaxDirectoryEntries = 1'000'000;

// Names of the directory's entries that end in suffix, with the suffix removed. not_found when the
// directory does not exist.
result<std::vector<std::string>> names_with_suffix(const std::string& directory,
                                                   std::string_view suffix);

}  // namespace tandem::storage
