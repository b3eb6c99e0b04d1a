#include "engine/daemon/grow_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/meta/crc32c.h"

namespace tandem::engine {
namespace {

constexpr char kMagic[8] = {'T', 'D', 'M', 'G', 'R', 'O', 'W', '1'};
constexpr std::size_t kHeaderBytes = 8 + 8 + 8 + 4 + 4;

template <typename T>
void put(std::vector<std::byte>& out, T value) {
  const auto* bytes = reinterpret_cast<const std::byte*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof value);
}

template <typename T>
T get(const std::vector<std::byte>& in, std::size_t offset) {
  T value;
  std::memcpy(&value, in.data() + offset, sizeof value);
  return value;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("grow journal " + path + ": " + what);
}

void sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) fail(path, std::string("cannot open to sync: ") + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) fail(path, std::string("fsync: ") + std::strerror(error));
}

}  // namespace

std::string grow_journal_path(const std::string& resource_file, volume_nr volume) {
  return resource_file + ".grow-v" + std::to_string(volume);
}

void write_grow_journal(const std::string& path, const grow_journal_entry& entry) {
  std::vector<std::byte> bytes;
  bytes.reserve(kHeaderBytes + entry.image.size());
  const auto* magic = reinterpret_cast<const std::byte*>(kMagic);
  bytes.insert(bytes.end(), magic, magic + sizeof kMagic);
  put<std::uint64_t>(bytes, entry.old_device_bytes);
  put<std::uint64_t>(bytes, entry.image.size());
  put<std::uint32_t>(bytes, meta::crc32c(entry.image));
  put<std::uint32_t>(bytes, 0);
  bytes.insert(bytes.end(), entry.image.begin(), entry.image.end());

  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) fail(temporary, "cannot write");
  }
  sync_path(temporary, O_RDONLY);
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) fail(path, "cannot rename " + temporary + ": " + ec.message());
  const auto directory = std::filesystem::path(path).parent_path();
  sync_path(directory.empty() ? std::string(".") : directory.string(), O_RDONLY | O_DIRECTORY);
}

grow_journal_entry read_grow_journal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open");
  std::vector<std::byte> header(kHeaderBytes);
  in.read(reinterpret_cast<char*>(header.data()), static_cast<std::streamsize>(header.size()));
  if (in.gcount() != static_cast<std::streamsize>(kHeaderBytes)) fail(path, "header is truncated");
  if (std::memcmp(header.data(), kMagic, sizeof kMagic) != 0) fail(path, "bad magic");
  grow_journal_entry entry;
  entry.old_device_bytes = get<std::uint64_t>(header, 8);
  const auto image_bytes = get<std::uint64_t>(header, 16);
  const auto checksum = get<std::uint32_t>(header, 24);
  std::error_code ec;
  const std::uintmax_t file_bytes = std::filesystem::file_size(path, ec);
  if (ec || image_bytes == 0 || file_bytes - kHeaderBytes != image_bytes) {
    fail(path, "image size " + std::to_string(image_bytes) + " does not match the file");
  }
  if (entry.old_device_bytes < image_bytes) {
    fail(path, "old device size " + std::to_string(entry.old_device_bytes) +
                   " is smaller than the metadata image");
  }
  entry.image.resize(image_bytes);
  in.read(reinterpret_cast<char*>(entry.image.data()), static_cast<std::streamsize>(image_bytes));
  if (in.gcount() != static_cast<std::streamsize>(image_bytes)) fail(path, "image is truncated");
  if (meta::crc32c(entry.image) != checksum) fail(path, "image checksum mismatch");
  return entry;
}

}  // namespace tandem::engine
