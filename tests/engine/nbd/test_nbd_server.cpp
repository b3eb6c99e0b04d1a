// The NBD server against a raw-socket client: byte-exact replies, errors, out-of-order
// completions, hostile input, the per-client budget and shutdown.
#include <doctest/doctest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <iterator>
#include <thread>

#include "tests/engine/nbd/nbd_test_support.h"

using namespace tandem::nbd;
using namespace tandem::nbd::testing;

namespace {

raw_client connected(server_fixture& server, const std::string& name) {
  auto client = raw_client::connect_tcp(server.port());
  REQUIRE(client);
  REQUIRE(client->go(name));
  return std::move(*client);
}

bytes filled(std::size_t size, int value) {
  return bytes(size, static_cast<std::byte>(value));
}

std::uint32_t err(nbd_error e) {
  return static_cast<std::uint32_t>(e);
}

void require_ok_process(const process_result& result) {
  INFO("output:\n" << result.output);
  REQUIRE_FALSE(result.timed_out);
  REQUIRE(result.exit_code == 0);
}

// Whether nbdinfo still gets a full answer: the server survived whatever came before.
bool server_still_serves(server_fixture& server) {
  const auto result = run_process({"nbdinfo", "--size", server.uri("vm1")}, 30);
  return result.exit_code == 0 && result.output.find("16777216") != std::string::npos;
}

}  // namespace

TEST_CASE("nbd server: NBD_OPT_GO over TCP and unix socket reports size and flags") {
  server_fixture server;
  auto tcp = raw_client::connect_tcp(server.port());
  REQUIRE(tcp);
  const auto rw = tcp->go("vm1");
  REQUIRE(rw);
  CHECK(rw->size_bytes == 16u << 20);
  CHECK(rw->flags == (kFlagHasFlags | kFlagSendFlush | kFlagSendFua | kFlagSendTrim |
                      kFlagSendWriteZeroes | kFlagCanMultiConn));

  auto local = raw_client::connect_unix((server.dir() / "nbd.sock").string());
  REQUIRE(local);
  const auto ro = local->go("ro");
  REQUIRE(ro);
  CHECK((ro->flags & kFlagReadOnly) != 0);
  CHECK((ro->flags & kFlagCanMultiConn) == 0);
}

TEST_CASE("nbd server: write, read back, flush, trim and write-zeroes with FUA") {
  server_fixture server;
  auto client = connected(server, "vm1");
  REQUIRE(client.send_request(command::write, 1, 8192, 4096, kCmdFlagFua, filled(4096, 0x42)));
  auto reply = client.receive_reply();
  REQUIRE(reply);
  CHECK(reply->handle == 1);
  CHECK(reply->error == 0);

  REQUIRE(client.send_request(command::read, 2, 8192, 4096));
  reply = client.receive_reply();
  REQUIRE(reply);
  CHECK(reply->error == 0);
  CHECK(client.receive(4096) == filled(4096, 0x42));

  REQUIRE(client.send_request(command::write_zeroes, 3, 8192, 512, kCmdFlagNoHole | kCmdFlagFua));
  REQUIRE(client.send_request(command::trim, 4, 1 << 20, 1 << 20));
  REQUIRE(client.send_request(command::flush, 5, 0, 0));
  for (int i = 0; i < 3; ++i) {
    reply = client.receive_reply();
    REQUIRE(reply);
    CHECK(reply->error == 0);
  }
  REQUIRE(client.send_request(command::read, 6, 8192, 1024));
  reply = client.receive_reply();
  REQUIRE(reply);
  const auto data = client.receive(1024);
  REQUIRE(data);
  CHECK(bytes(data->begin(), data->begin() + 512) == filled(512, 0));
  CHECK(bytes(data->begin() + 512, data->end()) == filled(512, 0x42));
  CHECK(server.query<std::uint64_t>([&] { return server.backend().flushes(); }) == 1);
}

TEST_CASE("nbd server: replies come in completion order and echo each handle") {
  server_fixture::options options;
  options.mode = completion_mode::reversed;
  options.reversed_batch = 3;
  server_fixture server(options);
  auto client = connected(server, "vm1");
  REQUIRE(client.send_request(command::write, 0xa1, 0, 512, 0, filled(512, 1)));
  REQUIRE(client.send_request(command::write, 0xa2, 512, 512, 0, filled(512, 2)));
  REQUIRE(client.send_request(command::read, 0xa3, 4096, 512));
  // The backend completes the batch newest first: the read's reply (with data) comes first.
  auto reply = client.receive_reply();
  REQUIRE(reply);
  CHECK(reply->handle == 0xa3);
  CHECK(client.receive(512) == filled(512, 0));
  reply = client.receive_reply();
  REQUIRE(reply);
  CHECK(reply->handle == 0xa2);
  reply = client.receive_reply();
  REQUIRE(reply);
  CHECK(reply->handle == 0xa1);
}

TEST_CASE("nbd server: bad requests get EINVAL/ENOSPC/EPERM and the stream stays in step") {
  server_fixture server;
  auto client = connected(server, "vm1");
  // Unaligned write: refused, but its 100 payload bytes are consumed.
  REQUIRE(client.send_request(command::write, 1, 0, 100, 0, filled(100, 7)));
  REQUIRE(client.send_request(command::write, 2, 16u << 20, 4096, 0, filled(4096, 7)));
  REQUIRE(client.send_request(command::read, 3, (16u << 20) - 512, 1024));
  REQUIRE(client.send_request(static_cast<command>(42), 4, 0, 512));
  REQUIRE(client.send_request(command::read, 5, 0, 512, kCmdFlagDf));
  REQUIRE(client.send_request(command::read, 6, 0, 512));
  const std::uint32_t expected[] = {err(nbd_error::inval), err(nbd_error::nospc),
                                    err(nbd_error::inval), err(nbd_error::inval),
                                    err(nbd_error::inval), 0};
  for (std::uint64_t handle = 1; handle <= 6; ++handle) {
    const auto reply = client.receive_reply();
    REQUIRE(reply);
    CHECK(reply->handle == handle);
    CHECK(reply->error == expected[handle - 1]);
  }
  CHECK(client.receive(512) == filled(512, 0));
  CHECK(server.logged("is not aligned to 512 bytes"));

  auto ro = connected(server, "ro");
  REQUIRE(ro.send_request(command::write, 9, 0, 512, 0, filled(512, 1)));
  REQUIRE(ro.send_request(command::trim, 10, 0, 512));
  REQUIRE(ro.send_request(command::read, 11, 0, 512));
  CHECK(ro.receive_reply()->error == err(nbd_error::perm));
  CHECK(ro.receive_reply()->error == err(nbd_error::perm));
  CHECK(ro.receive_reply()->error == 0);
  REQUIRE(ro.receive(512));
  // A refused 1 MiB write: most of its payload is still on the wire and is skipped from there.
  REQUIRE(ro.send_request(command::write, 12, 0, 1 << 20, 0, filled(1 << 20, 1)));
  REQUIRE(ro.send_request(command::read, 13, 512, 512));
  auto refused_big = ro.receive_reply();
  REQUIRE(refused_big);
  CHECK(refused_big->handle == 12);
  CHECK(refused_big->error == err(nbd_error::perm));
  auto after = ro.receive_reply();
  REQUIRE(after);
  CHECK(after->handle == 13);
  CHECK(after->error == 0);
  std::ifstream file(server.file_of("ro"), std::ios::binary);
  const std::string contents{std::istreambuf_iterator<char>(file), {}};
  CHECK(contents.size() == 1u << 20);
  CHECK(contents.find_first_not_of('\0') == std::string::npos);
}

TEST_CASE("nbd server: backend errors reach the client as EIO / ENOSPC") {
  server_fixture server;
  auto client = connected(server, "vm1");
  server.on_io([&] { server.backend().fail_requests(io_status::io_error); });
  REQUIRE(client.send_request(command::read, 1, 0, 4096));
  auto reply = client.receive_reply();
  REQUIRE(reply);
  CHECK(reply->error == err(nbd_error::io));  // and no data follows
  server.on_io([&] { server.backend().fail_requests(io_status::no_space); });
  REQUIRE(client.send_request(command::write, 2, 0, 512, 0, filled(512, 3)));
  reply = client.receive_reply();
  REQUIRE(reply);
  CHECK(reply->handle == 2);
  CHECK(reply->error == err(nbd_error::nospc));
  CHECK(server.logged("read of 4096 bytes failed: io_error (1 failed requests"));
  CHECK(server.logged("write of 512 bytes failed: no_space (2 failed requests"));
}

TEST_CASE("nbd server: garbage on the port does not crash the server") {
  server_fixture server;
  {
    auto client = raw_client::connect_tcp(server.port());
    REQUIRE(client);
    REQUIRE(client->receive(kGreetingBytes));
    bytes junk;
    for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<std::byte>((i * 37 + 11) & 0xff));
    client->send(junk);
    CHECK(client->closed_by_peer());
  }
  {  // Valid flags, then an option with a bad magic.
    auto client = raw_client::connect_tcp(server.port());
    REQUIRE(client);
    REQUIRE(client->receive(kGreetingBytes));
    REQUIRE(client->send(bytes{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}}));
    REQUIRE(client->send(bytes(16, std::byte{0x41})));
    CHECK(client->closed_by_peer());
  }
  {  // In transmission: a request with a bad magic.
    auto client = connected(server, "vm1");
    REQUIRE(client.send(bytes(28, std::byte{0xff})));
    CHECK(client.closed_by_peer());
  }
  {  // A WRITE far above the advertised maximum: disconnect, nothing allocated.
    auto client = connected(server, "vm1");
    REQUIRE(client.send_request(command::write, 1, 0, 0xfffffe00));
    CHECK(client.closed_by_peer());
  }
  CHECK(server.logged("is not IHAVEOPT"));
  CHECK(server.logged("request magic 0xffffffff is not 0x25609513"));
  CHECK(server.logged("larger than the advertised maximum"));
  CHECK(server_still_serves(server));
  CHECK(server.wait_until([&] { return server.backend().writers("vm1") == 0; }));
}

TEST_CASE("nbd server: NBD_CMD_DISC answers the requests in flight before closing") {
  server_fixture::options options;
  options.mode = completion_mode::posted;
  server_fixture server(options);
  auto client = connected(server, "vm1");
  bytes burst;
  for (std::uint64_t handle = 1; handle <= 8; ++handle) {
    encode_request_header(
        {0, static_cast<std::uint16_t>(command::write), handle, handle * 4096, 4096}, burst);
    const auto payload = filled(4096, static_cast<int>(handle));
    burst.insert(burst.end(), payload.begin(), payload.end());
  }
  encode_request_header({0, static_cast<std::uint16_t>(command::disc), 99, 0, 0}, burst);
  REQUIRE(client.send(burst));
  for (int i = 0; i < 8; ++i) {
    const auto reply = client.receive_reply();
    REQUIRE(reply);
    CHECK(reply->error == 0);
  }
  CHECK(client.closed_by_peer());
  CHECK(server.wait_until([&] { return server.backend().writers("vm1") == 0; }));
  std::ifstream file(server.file_of("vm1"), std::ios::binary);
  file.seekg(8 * 4096);
  CHECK(file.get() == 8);
}

TEST_CASE("nbd server: a refused open errors NBD_OPT_GO, a read-only grant shows READ_ONLY") {
  server_fixture server;
  server.on_io([&] { server.backend().refuse_open("vm1", "no quorum on node n1"); });
  const auto refused = run_process({"nbdinfo", server.uri("vm1")}, 30);
  CHECK(refused.exit_code != 0);
  INFO(refused.output);
  // libnbd reports the refusal without the server's text; the server's log has it.
  CHECK(refused.output.find("opt_go") != std::string::npos);
  CHECK(server.logged("export 'vm1' cannot be opened: no quorum on node n1"));
  CHECK(server.query<std::size_t>([&] { return server.backend().events().size(); }) == 0);

  server.on_io([&] {
    server.backend().refuse_open("vm1", "");
    server.backend().grant_read_only("vm1");
  });
  auto client = connected(server, "small");
  auto second = raw_client::connect_tcp(server.port());
  REQUIRE(second);
  const auto granted = second->go("vm1");
  REQUIRE(granted);
  CHECK((granted->flags & kFlagReadOnly) != 0);
  REQUIRE(second->send_request(command::write, 1, 0, 512, 0, filled(512, 1)));
  CHECK(second->receive_reply()->error == err(nbd_error::perm));
}

TEST_CASE("nbd server: stop() closes listeners and clients and closes their sessions") {
  server_fixture server;
  auto client = connected(server, "vm1");
  auto idle = raw_client::connect_tcp(server.port());
  REQUIRE(idle);
  CHECK(server.wait_until([&] { return server.backend().writers("vm1") == 1; }));
  server.stop_server();
  CHECK(client.closed_by_peer());
  CHECK(idle->closed_by_peer());
  CHECK(server.wait_until([&] { return server.backend().writers("vm1") == 0; }));
  CHECK_FALSE(raw_client::connect_tcp(server.port()));
  CHECK_FALSE(std::filesystem::exists(server.dir() / "nbd.sock"));
}

TEST_CASE("nbd server: stop() answers the requests in flight before closing") {
  server_fixture::options options;
  options.mode = completion_mode::reversed;
  options.reversed_batch = 100;  // hold every completion until the test releases them
  server_fixture server(options);
  auto client = connected(server, "vm1");
  for (std::uint64_t handle = 1; handle <= 4; ++handle) {
    REQUIRE(client.send_request(command::write, handle, handle * 4096, 4096, 0,
                                filled(4096, static_cast<int>(handle))));
  }
  REQUIRE(server.wait_until([&] { return server.backend().held() == 4; }));
  server.stop_server();
  server.on_io([&] { server.backend().release_held(); });
  std::vector<std::uint64_t> answered;
  for (int i = 0; i < 4; ++i) {
    const auto reply = client.receive_reply();
    REQUIRE(reply);
    CHECK(reply->error == 0);
    answered.push_back(reply->handle);
  }
  CHECK(answered == std::vector<std::uint64_t>{4, 3, 2, 1});
  CHECK(client.closed_by_peer());
  CHECK(server.wait_until([&] { return server.backend().writers("vm1") == 0; }));
}

TEST_CASE("nbd server: stop() gives up on a backend that does not answer within the drain time") {
  server_fixture::options options;
  options.mode = completion_mode::reversed;
  options.reversed_batch = 100;
  options.tune = [](server_config& config) { config.stop_drain_timeout_ms = 200; };
  server_fixture server(options);
  auto client = connected(server, "vm1");
  REQUIRE(client.send_request(command::flush, 1, 0, 0));
  REQUIRE(server.wait_until([&] { return server.backend().held() == 1; }));
  server.stop_server();
  CHECK(client.closed_by_peer());
  CHECK(server.logged("1 requests still unanswered 200 ms after stop"));
  // The session stays open until the backend completes what it was given.
  CHECK(server.query<int>([&] { return server.backend().writers("vm1"); }) == 1);
  server.on_io([&] { server.backend().release_held(); });
  CHECK(server.wait_until([&] { return server.backend().writers("vm1") == 0; }));
}

TEST_CASE("nbd server: a client silent in the handshake is dropped after the timeout") {
  server_fixture::options options;
  options.tune = [](server_config& config) { config.handshake_timeout_ms = 200; };
  server_fixture server(options);
  auto client = raw_client::connect_tcp(server.port());
  REQUIRE(client);
  REQUIRE(client->receive(kGreetingBytes));
  CHECK(client->closed_by_peer());
  CHECK(server.logged("no export chosen within 200 ms"));
}

TEST_CASE("nbd server: clients above max_clients are turned away") {
  server_fixture::options options;
  options.tune = [](server_config& config) { config.max_clients = 1; };
  server_fixture server(options);
  auto first = connected(server, "vm1");
  auto second = raw_client::connect_tcp(server.port());
  REQUIRE(second);
  CHECK(second->closed_by_peer());
  CHECK(server.logged("refused, already 1 clients"));
}

TEST_CASE("nbd server: a client that never reads replies is held to its memory budget") {
  server_fixture::options options;
  options.tune = [](server_config& config) {
    config.max_request_bytes = 64 << 10;
    config.max_inflight_bytes_per_client = 256 << 10;
    config.max_inflight_requests_per_client = 16;
  };
  server_fixture server(options);
  auto client = connected(server, "vm1");
  // 1024 reads of 64 KiB (64 MiB of replies) without reading a byte. The server stops taking
  // requests once its budget is full; the kernel's socket buffers absorb some replies already
  // written, so the count is checked to stop growing, far below 1024, rather than to be exact.
  constexpr std::uint64_t kRequests = 1024;
  bytes burst;
  for (std::uint64_t handle = 0; handle < kRequests; ++handle) {
    encode_request_header({0, static_cast<std::uint16_t>(command::read), handle,
                           (handle % 256) * (64 << 10), 64 << 10},
                          burst);
  }
  std::thread sender([&] { client.send(burst); });  // blocks once the socket buffers fill
  const auto submitted = [&] {
    return server.query<std::uint64_t>([&] { return server.backend().requests_submitted(); });
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const std::uint64_t first = submitted();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(submitted() == first);
  CHECK(first >= 1);
  CHECK(first < kRequests / 2);
  // Now read everything: every reply arrives, in order here (inline completions).
  for (std::uint64_t handle = 0; handle < kRequests; ++handle) {
    const auto reply = client.receive_reply();
    REQUIRE(reply);
    CHECK(reply->handle == handle);
    REQUIRE(client.receive(64 << 10));
  }
  sender.join();
  CHECK(submitted() == kRequests);
}

TEST_CASE("nbd server: start() names what is wrong with the listeners or the config") {
  boost::asio::io_context io;
  file_backend backend([](std::function<void()> fn) { fn(); });
  const auto start_with = [&](const std::function<void(server_config&)>& tune) {
    server_config config;
    config.tcp_port = 0;
    config.log = [](log_level, std::string_view) {};
    tune(config);
    nbd_server server(io, backend, config);
    return server.start();
  };
  CHECK(start_with([](server_config&) {}).empty());
  CHECK(start_with([](server_config& c) {
          c.tcp_address = "localhost:1";
        }).find("'localhost:1' is not an IP address") != std::string::npos);
  CHECK(start_with([](server_config& c) {
          c.max_request_bytes = 1000;
        }).find("max_request_bytes 1000") != std::string::npos);
  CHECK(start_with([](server_config& c) {
          c.max_inflight_bytes_per_client = 4096;
        }).find("smaller than max_request_bytes") != std::string::npos);
  CHECK(start_with([](server_config& c) {
          c.tcp_address.clear();
          c.unix_socket_path.clear();
        }).find("neither") != std::string::npos);
  CHECK(start_with([](server_config& c) {
          c.unix_socket_path = "/tmp/" + std::string(200, 'x');
        }).find("is longer than 107 bytes") != std::string::npos);

  // A regular file where the socket should go is never deleted.
  const std::string not_a_socket = "/tmp/tandem-nbd-not-a-socket-" + std::to_string(::getpid());
  std::ofstream(not_a_socket) << "precious";
  CHECK(start_with([&](server_config& c) {
          c.unix_socket_path = not_a_socket;
        }).find("exists and is not a socket") != std::string::npos);
  CHECK(std::filesystem::exists(not_a_socket));
  std::filesystem::remove(not_a_socket);

  // The port is taken by another server.
  server_config first_config;
  first_config.tcp_port = 0;
  first_config.log = [](log_level, std::string_view) {};
  nbd_server first(io, backend, first_config);
  REQUIRE(first.start().empty());
  const std::uint16_t taken = first.tcp_port();
  CHECK(start_with([&](server_config& c) {
          c.tcp_port = taken;
        }).find("bind 127.0.0.1:" + std::to_string(taken) + ": ") != std::string::npos);
}

TEST_CASE("nbd server: NBD_OPT_EXPORT_NAME (old clients) gets size, flags and 124 zero bytes") {
  server_fixture server;
  auto client = raw_client::connect_tcp(server.port());
  REQUIRE(client);
  REQUIRE(client->receive(kGreetingBytes));
  bytes out{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}};  // FIXED_NEWSTYLE only
  const bytes header{std::byte{'I'}, std::byte{'H'}, std::byte{'A'}, std::byte{'V'},
                     std::byte{'E'}, std::byte{'O'}, std::byte{'P'}, std::byte{'T'},
                     std::byte{0},   std::byte{0},   std::byte{0},   std::byte{1},
                     std::byte{0},   std::byte{0},   std::byte{0},   std::byte{5}};
  out.insert(out.end(), header.begin(), header.end());
  for (char c : std::string("small")) out.push_back(static_cast<std::byte>(c));
  REQUIRE(client->send(out));
  const auto reply = client->receive(8 + 2 + 124);
  REQUIRE(reply);
  CHECK(read_be(*reply, 0, 8) == 64u << 10);
  CHECK((read_be(*reply, 8, 2) & kFlagHasFlags) != 0);
  CHECK(std::all_of(reply->begin() + 10, reply->end(),
                    [](std::byte b) { return b == std::byte{0}; }));
  REQUIRE(client->send_request(command::write, 7, 0, 512, 0, filled(512, 9)));
  const auto answer = client->receive_reply();
  REQUIRE(answer);
  CHECK(answer->handle == 7);
  CHECK(answer->error == 0);
}

TEST_CASE("nbd server: NBD_OPT_EXPORT_NAME of an unknown export closes the connection") {
  server_fixture server;
  auto client = raw_client::connect_tcp(server.port());
  REQUIRE(client);
  REQUIRE(client->receive(kGreetingBytes));
  bytes out{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}};
  for (char c : std::string("IHAVEOPT")) out.push_back(static_cast<std::byte>(c));
  const bytes rest{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1},   std::byte{0},
                   std::byte{0}, std::byte{0}, std::byte{2}, std::byte{'n'}, std::byte{'o'}};
  out.insert(out.end(), rest.begin(), rest.end());
  REQUIRE(client->send(out));
  CHECK(client->closed_by_peer());
  CHECK(server.logged("NBD_OPT_EXPORT_NAME asks for unknown export 'no'"));
}

TEST_CASE("nbd server: TCP clients get keepalive, so a vanished writer is eventually noticed") {
  server_fixture server;
  auto client = connected(server, "vm1");
  // ss -o shows the keepalive timer of the server's side of the connection once no other timer
  // (a delayed ACK, a retransmission) is running: ask a few times.
  std::string output;
  for (int attempt = 0; attempt < 20 && output.find("keepalive") == std::string::npos; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto result = run_process({"ss", "-tnoH", "state", "established",
                                     "( sport = :" + std::to_string(server.port()) + " )"},
                                    30);
    require_ok_process(result);
    output = result.output;
  }
  INFO(output);
  CHECK(output.find("keepalive") != std::string::npos);
}
