#include "engine/storage/device_wait.h"

#include <sys/stat.h>

#include <thread>

namespace tandem::storage {

status wait_for_device(const std::string& path, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds poll_interval) {
  if (path.empty()) {
    return make_error(error_kind::invalid_argument, "wait_for_device: empty device path");
  }
  if (poll_interval.count() <= 0) poll_interval = std::chrono::milliseconds(1);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Bounded by the deadline.
  for (;;) {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0) return success();
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(poll_interval);
  }
  return make_error(error_kind::not_found, "device '" + path + "' did not appear within " +
                                               std::to_string(timeout.count()) + " ms");
}

}  // namespace tandem::storage
