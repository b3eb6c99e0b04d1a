// Shared by the NBD server tests: a server running on its own io_context thread over a
// file_backend in a temporary directory, a process runner with a timeout for the real clients,
// and a small blocking raw-socket client for byte-exact checks.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/nbd/protocol.h"
#include "engine/nbd/server.h"
#include "tests/engine/nbd/file_backend.h"

namespace tandem::nbd::testing {

// ------------------------------------------------------------------------------- processes

struct process_result {
  int exit_code = -1;  // -1 when killed or not started
  bool timed_out = false;
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] (looked up in PATH) without a shell; kills it after timeout_s.
process_result run_process(const std::vector<std::string>& argv, int timeout_s = 60);

// ------------------------------------------------------------------------------ the server

class server_fixture {
 public:
  struct options {
    std::uint64_t export_size_bytes = 16 << 20;
    completion_mode mode = completion_mode::inline_;
    std::size_t reversed_batch = 2;
    std::function<void(server_config&)> tune;  // adjust the config before start
  };

  server_fixture() : server_fixture(options{}) {}
  explicit server_fixture(options opts);
  ~server_fixture();
  server_fixture(const server_fixture&) = delete;
  server_fixture& operator=(const server_fixture&) = delete;

  // Exports: "vm1" (read-write, multi-conn), "ro" (read-only, 1 MiB), "small" (64 KiB).
  std::uint16_t port() const { return port_; }
  std::string uri(const std::string& name) const;       // nbd://127.0.0.1:PORT/name
  std::string unix_uri(const std::string& name) const;  // nbd+unix:///name?socket=...
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path file_of(const std::string& name) const { return dir_ / (name + ".img"); }

  // Runs fn on the io_context thread and waits for it (the backend is not thread-safe).
  void on_io(const std::function<void()>& fn);
  template <typename T>
  T query(const std::function<T()>& fn) {
    T out{};
    on_io([&] { out = fn(); });
    return out;
  }
  file_backend& backend() { return *backend_; }  // only inside on_io()

  // Polls (bounded) until predicate() holds on the io thread; false on timeout.
  bool wait_until(const std::function<bool()>& predicate, int timeout_ms = 5000);

  std::vector<std::string> log_lines() const;
  bool logged(const std::string& fragment) const;
  void stop_server();

 private:
  struct runtime;
  std::filesystem::path dir_;
  std::unique_ptr<runtime> rt_;
  std::unique_ptr<file_backend> backend_;
  std::unique_ptr<nbd_server> server_;
  std::uint16_t port_ = 0;
  mutable std::mutex log_mutex_;
  std::vector<std::string> log_;
};

// --------------------------------------------------------------------------- a raw client

class raw_client {
 public:
  static std::optional<raw_client> connect_tcp(std::uint16_t port);
  static std::optional<raw_client> connect_unix(const std::string& path);
  raw_client(raw_client&& other) noexcept;
  ~raw_client();

  bool send(const bytes& data);
  // Exactly n bytes, or nullopt on EOF / error / 5 s without data.
  std::optional<bytes> receive(std::size_t n);
  // True when the server closed the connection (EOF or reset) within 5 s.
  bool closed_by_peer();

  struct negotiated {
    std::uint64_t size_bytes = 0;
    std::uint16_t flags = 0;
  };
  // Greeting, client flags, NBD_OPT_GO(name); nullopt unless the reply ends with NBD_REP_ACK.
  std::optional<negotiated> go(const std::string& name);

  bool send_request(command cmd, std::uint64_t handle, std::uint64_t offset, std::uint32_t length,
                    std::uint16_t flags = 0, const bytes& payload = {});
  struct reply {
    std::uint32_t error = 0;
    std::uint64_t handle = 0;
  };
  std::optional<reply> receive_reply();

 private:
  explicit raw_client(int fd) : fd_(fd) {}
  int fd_ = -1;
};

std::uint64_t read_be(const bytes& in, std::size_t offset, std::size_t width);

}  // namespace tandem::nbd::testing
