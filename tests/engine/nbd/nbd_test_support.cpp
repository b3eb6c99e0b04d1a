#include "tests/engine/nbd/nbd_test_support.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstring>
#include <future>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace tandem::nbd::testing {

namespace asio = boost::asio;

// ------------------------------------------------------------------------------- processes

process_result run_process(const std::vector<std::string>& argv, int timeout_s) {
  process_result result;
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // own group: a timeout kills it all
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out_pipe[1]);
  if (spawned != 0) {
    ::close(out_pipe[0]);
    result.output = "cannot start " + argv[0] + ": " + std::strerror(spawned);
    return result;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  char chunk[4096];
  for (;;) {  // bounded by the deadline
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    pollfd pfd{out_pipe[0], POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t got = ::read(out_pipe[0], chunk, sizeof chunk);
    if (got <= 0) break;  // EOF: the process (and its children) closed the pipe
    result.output.append(chunk, static_cast<std::size_t>(got));
  }
  ::close(out_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

// ------------------------------------------------------------------------------ the server

struct server_fixture::runtime {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread thread;
};

server_fixture::server_fixture(options opts) : rt_(std::make_unique<runtime>()) {
  char templ[] = "/tmp/tandem-nbd-XXXXXX";
  if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = templ;
  backend_ = std::make_unique<file_backend>(
      [this](std::function<void()> fn) { asio::post(rt_->io, std::move(fn)); });
  backend_->add_export({"vm1", "tandem test disk", opts.export_size_bytes, false, true},
                       file_of("vm1").string());
  backend_->add_export({"ro", "", 1 << 20, true, false}, file_of("ro").string());
  backend_->add_export({"small", "", 64 << 10, false, false}, file_of("small").string());
  backend_->set_completion_mode(opts.mode, opts.reversed_batch);

  server_config config;
  config.tcp_address = "127.0.0.1";
  config.tcp_port = 0;
  config.unix_socket_path = (dir_ / "nbd.sock").string();
  config.log = [this](log_level, std::string_view line) {
    std::lock_guard lock(log_mutex_);
    log_.emplace_back(line);
  };
  if (opts.tune) opts.tune(config);
  server_ = std::make_unique<nbd_server>(rt_->io, *backend_, config);
  if (auto problem = server_->start(); !problem.empty()) throw std::runtime_error(problem);
  port_ = server_->tcp_port();
  rt_->thread = std::thread([this] { rt_->io.run(); });
}

server_fixture::~server_fixture() {
  stop_server();
  // Connections finish once their sockets are closed and their requests completed; bounded, so a
  // stuck test still ends (the leftovers are destroyed with the io_context).
  wait_until([this] { return server_->client_count() == 0; });
  rt_->work.reset();
  rt_->io.stop();
  rt_->thread.join();
  server_.reset();
  backend_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void server_fixture::stop_server() {
  on_io([this] { server_->stop(); });
}

std::string server_fixture::uri(const std::string& name) const {
  return "nbd://127.0.0.1:" + std::to_string(port_) + "/" + name;
}

std::string server_fixture::unix_uri(const std::string& name) const {
  return "nbd+unix:///" + name + "?socket=" + (dir_ / "nbd.sock").string();
}

void server_fixture::on_io(const std::function<void()>& fn) {
  if (rt_->io.stopped()) return;
  std::promise<void> done;
  auto finished = done.get_future();
  asio::post(rt_->io, [&] {
    fn();
    done.set_value();
  });
  if (finished.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    throw std::runtime_error("io_context thread did not answer within 10 s");
  }
}

bool server_fixture::wait_until(const std::function<bool()>& predicate, int timeout_ms) {
  for (int waited_ms = 0; waited_ms < timeout_ms; waited_ms += 10) {
    if (query<bool>(predicate)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return query<bool>(predicate);
}

std::vector<std::string> server_fixture::log_lines() const {
  std::lock_guard lock(log_mutex_);
  return log_;
}

bool server_fixture::logged(const std::string& fragment) const {
  std::lock_guard lock(log_mutex_);
  for (const auto& line : log_) {
    if (line.find(fragment) != std::string::npos) return true;
  }
  return false;
}

// --------------------------------------------------------------------------- a raw client

std::uint64_t read_be(const bytes& in, std::size_t offset, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    value = (value << 8) | std::to_integer<std::uint64_t>(in.at(offset + i));
  }
  return value;
}

namespace {

void put_be(bytes& out, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    out.push_back(static_cast<std::byte>((value >> (8 * (width - 1 - i))) & 0xff));
  }
}

int with_timeouts(int fd) {
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  return fd;
}

}  // namespace

std::optional<raw_client> raw_client::connect_tcp(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  return raw_client(with_timeouts(fd));
}

std::optional<raw_client> raw_client::connect_unix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  return raw_client(with_timeouts(fd));
}

raw_client::raw_client(raw_client&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

raw_client::~raw_client() {
  if (fd_ >= 0) ::close(fd_);
}

bool raw_client::send(const bytes& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t put = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (put <= 0) return false;
    sent += static_cast<std::size_t>(put);
  }
  return true;
}

std::optional<bytes> raw_client::receive(std::size_t n) {
  bytes out(n);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t part = ::recv(fd_, out.data() + got, n - got, 0);
    if (part <= 0) return std::nullopt;
    got += static_cast<std::size_t>(part);
  }
  return out;
}

bool raw_client::closed_by_peer() {
  std::byte scratch[512];
  for (int reads = 0; reads < 10000; ++reads) {  // bounded: drains what is still queued
    const ssize_t part = ::recv(fd_, scratch, sizeof scratch, 0);
    if (part == 0) return true;
    if (part < 0) return errno == ECONNRESET;
  }
  return false;
}

std::optional<raw_client::negotiated> raw_client::go(const std::string& name) {
  const auto greeting = receive(kGreetingBytes);
  if (!greeting || read_be(*greeting, 0, 8) != kNbdMagic) return std::nullopt;
  bytes out;
  put_be(out, kClientFlagFixedNewstyle | kClientFlagNoZeroes, 4);
  put_be(out, kOptionMagic, 8);
  put_be(out, static_cast<std::uint32_t>(option::go), 4);
  put_be(out, 4 + name.size() + 2, 4);
  put_be(out, name.size(), 4);
  for (char c : name) out.push_back(static_cast<std::byte>(c));
  put_be(out, 0, 2);
  if (!send(out)) return std::nullopt;
  negotiated result;
  for (int replies = 0; replies < 16; ++replies) {
    const auto header = receive(kOptionReplyHeaderBytes);
    if (!header) return std::nullopt;
    const auto type = read_be(*header, 12, 4);
    const auto length = read_be(*header, 16, 4);
    const auto data = receive(length);
    if (!data) return std::nullopt;
    if (type == static_cast<std::uint32_t>(reply_type::ack)) return result;
    if (type != static_cast<std::uint32_t>(reply_type::info)) return std::nullopt;
    if (read_be(*data, 0, 2) == static_cast<std::uint16_t>(info_type::export_)) {
      result.size_bytes = read_be(*data, 2, 8);
      result.flags = static_cast<std::uint16_t>(read_be(*data, 10, 2));
    }
  }
  return std::nullopt;
}

bool raw_client::send_request(command cmd, std::uint64_t handle, std::uint64_t offset,
                              std::uint32_t length, std::uint16_t flags, const bytes& payload) {
  bytes out;
  encode_request_header(
      request_header{flags, static_cast<std::uint16_t>(cmd), handle, offset, length}, out);
  out.insert(out.end(), payload.begin(), payload.end());
  return send(out);
}

std::optional<raw_client::reply> raw_client::receive_reply() {
  const auto header = receive(kSimpleReplyBytes);
  if (!header || read_be(*header, 0, 4) != kSimpleReplyMagic) return std::nullopt;
  return reply{static_cast<std::uint32_t>(read_be(*header, 4, 4)), read_be(*header, 8, 8)};
}

}  // namespace tandem::nbd::testing
