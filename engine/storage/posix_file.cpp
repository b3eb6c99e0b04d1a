#include "engine/storage/posix_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem::storage {

void unique_fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string errno_text(int error_number) {
  return std::strerror(error_number);
}

int rename_no_replace(const std::string& from, const std::string& to) {
  return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
}

result<std::vector<std::string>> names_with_suffix(const std::string& directory,
                                                   std::string_view suffix) {
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) {
    const int open_errno = errno;
    return make_error(open_errno == ENOENT ? error_kind::not_found : error_kind::io_error,
                      "opening directory '" + directory + "' failed: " + errno_text(open_errno));
  }
  std::vector<std::string> names;
  std::size_t seen = 0;
  for (const dirent* entry = ::readdir(dir); entry != nullptr; entry = ::readdir(dir)) {
    if (++seen > kMaxDirectoryEntries) {
      ::closedir(dir);
      return make_error(error_kind::io_error, "directory '" + directory + "' has more than " +
                                                  std::to_string(kMaxDirectoryEntries) +
                                                  " entries");
    }
    const std::string_view name(entry->d_name);
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      names.emplace_back(name.substr(0, name.size() - suffix.size()));
    }
  }
  ::closedir(dir);
  return names;
}

}  // namespace tandem::storage
