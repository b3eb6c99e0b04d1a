#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "engine/storage/device_wait.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::mentions;
using tandem::storage::testing::temp_dir;

TEST_CASE("wait_for_device returns when the node appears and names it when it does not") {
  temp_dir dir;
  const std::string path = dir.path() + "/zd0";
  // Appears 100 ms later, as a udev-created node does.
  std::thread creator([&path] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT, 0600);
    if (fd >= 0) ::close(fd);
  });
  const auto appeared = wait_for_device(path, std::chrono::seconds(20));
  creator.join();
  CHECK(appeared.ok());

  const auto missing = wait_for_device(dir.path() + "/never", std::chrono::milliseconds(50));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.kind() == error_kind::not_found);
  CHECK(mentions(missing.message(), {"/never", "did not appear within 50 ms"}));
  CHECK(wait_for_device("", std::chrono::milliseconds(1)).kind() == error_kind::invalid_argument);
}
