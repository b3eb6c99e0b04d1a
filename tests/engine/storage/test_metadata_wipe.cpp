#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "core/meta/size.h"
#include "engine/storage/metadata_wipe.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::mentions;
using tandem::storage::testing::temp_dir;

namespace {

std::string read_all(const std::string& path, std::size_t size_bytes) {
  std::string bytes(size_bytes, '\0');
  const int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pread(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
  return bytes;
}

void write_all(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

}  // namespace

TEST_CASE("zero_metadata_area clears exactly the internal metadata at the end of a volume") {
  temp_dir dir;
  const std::string path = dir.path() + "/volume";
  constexpr std::uint64_t kGrossKib = 8192;  // 8 MiB of stale bytes everywhere
  write_all(path, std::string(kGrossKib * 1024, '\xAB'));
  REQUIRE(zero_metadata_area(path, kGrossKib, 7).ok());
  const std::uint64_t md_kib = tandem::meta::md_size_kib(kGrossKib, 7).value();
  CHECK(md_kib == 40);  // 4 KiB bitmap + 32 KiB activity log + 4 KiB superblock
  const std::string after = read_all(path, kGrossKib * 1024);
  const std::size_t data_bytes = (kGrossKib - md_kib) * 1024;
  CHECK(after.substr(0, data_bytes) == std::string(data_bytes, '\xAB'));  // data untouched
  CHECK(after.substr(data_bytes) == std::string(md_kib * 1024, '\0'));
}

TEST_CASE("zero_metadata_area without internal metadata still clears the superblock block") {
  temp_dir dir;
  const std::string path = dir.path() + "/volume";
  // 1 MiB + 1 KiB: the superblock block is the last 4 KiB-aligned one, the odd KiB stays.
  write_all(path, std::string(1025 * 1024, '\x11'));
  REQUIRE(zero_metadata_area(path, 1025, 0).ok());
  const std::string after = read_all(path, 1025 * 1024);
  CHECK(after.substr(0, 1020 * 1024) == std::string(1020 * 1024, '\x11'));
  CHECK(after.substr(1020 * 1024, 4096) == std::string(4096, '\0'));
  CHECK(after.substr(1024 * 1024) == std::string(1024, '\x11'));

  const auto missing = zero_metadata_area(dir.path() + "/nope", 1024, 7);
  CHECK(missing.kind() == error_kind::not_found);
  CHECK(mentions(missing.message(), {"/nope", "open failed"}));
  CHECK(zero_metadata_area(path, 1024, 40).kind() == error_kind::invalid_argument);
}
