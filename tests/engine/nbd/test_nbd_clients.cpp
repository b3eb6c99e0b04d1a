// The NBD server against real clients: nbdinfo (libnbd), qemu-img, qemu-io, nbdcopy, nbdfuse and
// fio, on
// 127.0.0.1 and on a unix socket. Each client runs as a child process with a timeout; the bytes it
// wrote are checked in the backing file itself, not through the server.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "tests/engine/nbd/nbd_test_support.h"

using namespace tandem::nbd;
using namespace tandem::nbd::testing;

namespace {

std::vector<char> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_random_file(const std::filesystem::path& path, std::size_t size_bytes,
                       std::uint32_t seed) {
  std::mt19937 prng(seed);  // the bytes only need to differ from zeros and from each other
  std::vector<char> data(size_bytes);
  for (auto& c : data) c = static_cast<char>(prng() & 0xff);
  std::ofstream(path, std::ios::binary).write(data.data(), static_cast<long>(data.size()));
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void require_ok(const process_result& result) {
  INFO("client output:\n" << result.output);
  REQUIRE_FALSE(result.timed_out);
  REQUIRE(result.exit_code == 0);
}

}  // namespace

TEST_CASE("nbd clients: nbdinfo sees size, flags and block sizes over TCP") {
  server_fixture server;
  const auto result = run_process({"nbdinfo", server.uri("vm1")}, 30);
  require_ok(result);
  INFO(result.output);
  CHECK(contains(result.output, "export-size: 16777216"));
  CHECK(contains(result.output, "is_read_only: false"));
  CHECK(contains(result.output, "can_flush: true"));
  CHECK(contains(result.output, "can_fua: true"));
  CHECK(contains(result.output, "can_trim: true"));
  CHECK(contains(result.output, "can_zero: true"));
  CHECK(contains(result.output, "can_multi_conn: true"));
  CHECK(contains(result.output, "block_size_minimum: 512"));
  CHECK(contains(result.output, "block_size_preferred: 4096"));
  CHECK(contains(result.output, "block_size_maximum: 33554432"));
  CHECK(contains(result.output, "description: tandem test disk"));
}

TEST_CASE("nbd clients: nbdinfo --list over the unix socket") {
  server_fixture server;
  const auto result = run_process(
      {"nbdinfo", "--list", "nbd+unix:///?socket=" + (server.dir() / "nbd.sock").string()}, 30);
  require_ok(result);
  INFO(result.output);
  CHECK(contains(result.output, "export=\"vm1\""));
  CHECK(contains(result.output, "export=\"ro\""));
  CHECK(contains(result.output, "export=\"small\""));
}

TEST_CASE("nbd clients: nbdinfo on a read-only export and an unknown one") {
  server_fixture server;
  const auto ro = run_process({"nbdinfo", server.uri("ro")}, 30);
  require_ok(ro);
  CHECK(contains(ro.output, "is_read_only: true"));
  CHECK(contains(ro.output, "export-size: 1048576"));

  const auto unknown = run_process({"nbdinfo", server.uri("nope")}, 30);
  CHECK_FALSE(unknown.timed_out);
  CHECK(unknown.exit_code != 0);
  INFO(unknown.output);
  CHECK(contains(unknown.output, "nope"));
}

TEST_CASE("nbd clients: qemu-img info reports the virtual size") {
  server_fixture server;
  const auto result = run_process({"qemu-img", "info", "--output=json", server.uri("vm1")}, 30);
  require_ok(result);
  INFO(result.output);
  CHECK(contains(result.output, "\"virtual-size\": 16777216"));
}

TEST_CASE("nbd clients: qemu-io writes and reads back a pattern, the file holds it") {
  server_fixture server;
  const auto result =
      run_process({"qemu-io", "-f", "raw", "-c", "write -P 0xab 0 1M", "-c", "read -P 0xab 0 1M",
                   "-c", "write -z 1M 64k", "-c", "flush", server.uri("vm1")},
                  60);
  require_ok(result);
  INFO(result.output);
  CHECK_FALSE(contains(result.output, "Pattern verification failed"));
  CHECK_FALSE(contains(result.output, "error"));

  const auto bytes = read_file(server.file_of("vm1"));
  REQUIRE(bytes.size() == 16u << 20);
  CHECK(std::all_of(bytes.begin(), bytes.begin() + (1 << 20),
                    [](char c) { return static_cast<unsigned char>(c) == 0xab; }));
  CHECK(static_cast<unsigned char>(bytes[(1 << 20) + 10]) == 0);

  // Auto-promote contract: one writable open, and the matching close once the client left.
  CHECK(server.wait_until([&] { return server.backend().writers("vm1") == 0; }));
  const auto events =
      server.query<std::vector<open_event>>([&] { return server.backend().events(); });
  REQUIRE(events.size() == 2);
  CHECK(events[0].opened);
  CHECK(events[0].writable);
  CHECK_FALSE(events[1].opened);
  CHECK(events[1].writable);
}

TEST_CASE("nbd clients: qemu-io over the unix socket with completions from later handlers") {
  server_fixture::options options;
  options.mode = completion_mode::posted;
  server_fixture server(options);
  const auto result =
      run_process({"qemu-io", "-f", "raw", "-c", "aio_write -P 0x5a 0 256k", "-c",
                   "aio_write -P 0x6b 256k 256k", "-c", "aio_flush", "-c", "read -P 0x5a 0 256k",
                   "-c", "read -P 0x6b 256k 256k", server.unix_uri("vm1")},
                  60);
  require_ok(result);
  INFO(result.output);
  CHECK_FALSE(contains(result.output, "Pattern verification failed"));
  const auto bytes = read_file(server.file_of("vm1"));
  CHECK(static_cast<unsigned char>(bytes[0]) == 0x5a);
  CHECK(static_cast<unsigned char>(bytes[(256 << 10) + 1]) == 0x6b);
}

TEST_CASE("nbd clients: qemu-io cannot write a read-only export") {
  server_fixture server;
  const auto write =
      run_process({"qemu-io", "-f", "raw", "-c", "write -P 0x11 0 4k", server.uri("ro")}, 30);
  CHECK_FALSE(write.timed_out);
  INFO(write.output);
  // qemu either refuses to open read-write or reports the failed write.
  CHECK((write.exit_code != 0 || contains(write.output, "failed")));
  const auto bytes = read_file(server.file_of("ro"));
  CHECK(std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; }));

  const auto read =
      run_process({"qemu-io", "-r", "-f", "raw", "-c", "read -P 0 0 4k", server.uri("ro")}, 30);
  require_ok(read);
  CHECK_FALSE(contains(read.output, "Pattern verification failed"));
}

TEST_CASE("nbd clients: nbdcopy to the export and back gives the same bytes") {
  server_fixture server;
  const auto source = server.dir() / "source.bin";
  const auto copy = server.dir() / "copy.bin";
  write_random_file(source, 16 << 20, 7);

  require_ok(run_process({"nbdcopy", source.string(), server.uri("vm1")}, 120));
  CHECK(read_file(server.file_of("vm1")) == read_file(source));
  // The export advertises CAN_MULTI_CONN, so nbdcopy spreads the copy over several connections.
  const auto opens = server.query<std::size_t>([&] {
    std::size_t count = 0;
    for (const auto& event : server.backend().events()) count += event.opened ? 1 : 0;
    return count;
  });
  CHECK(opens > 1);

  std::ofstream(copy, std::ios::binary).close();
  require_ok(run_process({"nbdcopy", server.unix_uri("vm1"), copy.string()}, 120));
  CHECK(read_file(copy) == read_file(source));
}

TEST_CASE("nbd clients: fio's nbd engine, random writes verified, 16 requests in flight") {
  const auto help = run_process({"fio", "--enghelp"}, 30);
  if (!contains(help.output, "nbd")) {
    MESSAGE("fio has no nbd ioengine here; skipped");
    return;
  }
  server_fixture::options options;
  options.mode = completion_mode::posted;
  // A tight per-client budget makes the reader pause and resume all the time.
  options.tune = [](server_config& config) { config.max_inflight_requests_per_client = 4; };
  server_fixture server(options);
  const auto result = run_process(
      {"fio", "--name=nbd-verify", "--ioengine=nbd", "--uri=" + server.uri("vm1"), "--rw=randwrite",
       "--bs=4k", "--size=8M", "--iodepth=16", "--verify=crc32c", "--do_verify=1",
       "--verify_fatal=1", "--verify_state_save=0", "--randrepeat=1", "--output-format=terse"},
      120);
  require_ok(result);
  INFO(result.output);
  CHECK_FALSE(contains(result.output, "verify:"));
}

TEST_CASE("nbd clients: four qemu-io clients write their own quarter at the same time") {
  server_fixture server;
  std::vector<process_result> results(4);
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      const std::string offset = std::to_string(i * 4) + "M";
      const std::string pattern = std::to_string(0x21 + i);
      results[static_cast<std::size_t>(i)] =
          run_process({"qemu-io", "-f", "raw", "-c", "write -P " + pattern + " " + offset + " 4M",
                       "-c", "read -P " + pattern + " " + offset + " 4M",
                       i % 2 == 0 ? server.uri("vm1") : server.unix_uri("vm1")},
                      120);
    });
  }
  for (auto& client : clients) client.join();
  for (const auto& result : results) require_ok(result);
  const auto bytes = read_file(server.file_of("vm1"));
  REQUIRE(bytes.size() == 16u << 20);
  for (std::size_t quarter = 0; quarter < 4; ++quarter) {
    const auto first = bytes.begin() + static_cast<long>(quarter * (4 << 20));
    CHECK(std::all_of(first, first + (4 << 20),
                      [&](char c) { return static_cast<unsigned char>(c) == 0x21 + quarter; }));
  }
  CHECK(server.wait_until([&] { return server.backend().writers("vm1") == 0; }));
}

namespace {

// nbdfuse runs in the foreground until its mount point is unmounted; this runs it on a thread and
// always unmounts and joins, so a failed check cannot leave a mount (or a hung thread) behind.
class nbdfuse_mount {
 public:
  nbdfuse_mount(const std::filesystem::path& mount_dir, const std::string& uri)
      : mount_dir_(mount_dir),
        runner_([this, uri] {
          result_ = run_process({"nbdfuse", (mount_dir_ / "disk").string(), uri}, 120);
        }) {}
  ~nbdfuse_mount() { unmount(); }

  // True once the export shows as mount_dir/disk of `size_bytes` (at most 10 s).
  bool wait_mounted(std::uintmax_t size_bytes) const {
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::error_code ec;
      if (std::filesystem::file_size(mount_dir_ / "disk", ec) == size_bytes && !ec) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  const process_result& unmount() {
    if (runner_.joinable()) {
      // fusermount3 where fuse3 is installed; root can also umount a FUSE mount directly.
      if (run_process({"fusermount3", "-u", mount_dir_.string()}, 30).exit_code != 0) {
        run_process({"umount", mount_dir_.string()}, 30);
      }
      runner_.join();
    }
    return result_;
  }

 private:
  std::filesystem::path mount_dir_;
  process_result result_;
  std::thread runner_;
};

}  // namespace

TEST_CASE("nbd clients: nbdfuse mounts the export as a file; reads and flushed writes go through") {
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    MESSAGE("no usable /dev/fuse here; skipped");
    return;
  }
  server_fixture server;
  constexpr std::size_t kBytes = 1 << 20;
  // A known first MiB in the backing file, read back through the mount.
  std::vector<char> before(kBytes);
  for (std::size_t i = 0; i < kBytes; ++i) before[i] = static_cast<char>((i * 13 + i / 4096) & 0xff);
  {
    std::fstream backing(server.file_of("vm1"), std::ios::in | std::ios::out | std::ios::binary);
    backing.write(before.data(), static_cast<long>(before.size()));
  }
  const auto mount_dir = server.dir() / "mnt";
  std::filesystem::create_directory(mount_dir);
  nbdfuse_mount mount(mount_dir, server.unix_uri("vm1"));
  REQUIRE(mount.wait_mounted(16 << 20));

  const int fd = ::open((mount_dir / "disk").c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  std::vector<char> read_back(kBytes);
  CHECK(::pread(fd, read_back.data(), kBytes, 0) == static_cast<ssize_t>(kBytes));
  CHECK(read_back == before);
  // 1 MiB at 4 MiB through the mount; fsync makes nbdfuse send the writes and a FLUSH.
  std::vector<char> written(kBytes);
  for (std::size_t i = 0; i < kBytes; ++i) written[i] = static_cast<char>((i * 7 + 1) & 0xff);
  CHECK(::pwrite(fd, written.data(), kBytes, 4 << 20) == static_cast<ssize_t>(kBytes));
  CHECK(::fsync(fd) == 0);
  ::close(fd);
  const process_result& fuse = mount.unmount();
  INFO("nbdfuse output:\n" << fuse.output);
  CHECK_FALSE(fuse.timed_out);
  CHECK(fuse.exit_code == 0);

  const std::vector<char> backing = read_file(server.file_of("vm1"));
  REQUIRE(backing.size() == std::size_t{16} << 20);
  CHECK(std::equal(written.begin(), written.end(), backing.begin() + (4 << 20)));
}
