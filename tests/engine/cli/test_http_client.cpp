// The HTTP client against real sockets on loopback: a closed port and a listener that never
// answers. (The integration test cli_commands.py covers talking to the real controller.)
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/cli/http_client.h"

using namespace tandem::cli;

namespace {
// A TCP socket bound to 127.0.0.1 on a free port; listening or not.
struct loopback_socket {
  int fd = -1;
  std::uint16_t port = 0;
  explicit loopback_socket(bool listening) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port = ntohs(address.sin_port);
    if (listening) REQUIRE(::listen(fd, 4) == 0);
  }
  ~loopback_socket() { ::close(fd); }
};
}  // namespace

TEST_CASE("an unreachable controller is named with the reason" * doctest::timeout(30)) {
  // Bound but not listening: the kernel refuses connections to this port.
  loopback_socket closed(false);
  http_client client({{"127.0.0.1", closed.port}}, {});
  const http_result result = client.request("GET", "/v1/nodes", "");
  CHECK(result.error == http_error_kind::unreachable);
  CHECK(result.error_message == "cannot reach controller at 127.0.0.1:" +
                                    std::to_string(closed.port) + ": connection refused");
}

TEST_CASE("with several controllers every reason is listed" * doctest::timeout(30)) {
  loopback_socket a(false);
  loopback_socket b(false);
  http_client client({{"127.0.0.1", a.port}, {"127.0.0.1", b.port}}, {});
  const http_result result = client.request("GET", "/v1/nodes", "");
  CHECK(result.error == http_error_kind::unreachable);
  CHECK(
      result.error_message.find("cannot reach any controller (127.0.0.1:" + std::to_string(a.port) +
                                ": connection refused; 127.0.0.1:" + std::to_string(b.port) +
                                ": connection refused)") == 0);
}

TEST_CASE("a controller that accepts but never answers times out" * doctest::timeout(30)) {
  // The kernel completes the handshake from the listen backlog; nobody ever reads.
  loopback_socket silent(true);
  http_timeouts timeouts;
  timeouts.request_ms = std::chrono::milliseconds(300);
  http_client client({{"127.0.0.1", silent.port}}, timeouts);
  const http_result result = client.request("GET", "/v1/nodes", "");
  CHECK(result.error == http_error_kind::timeout);
  CHECK(result.error_message.find("did not answer GET /v1/nodes") != std::string::npos);
}

TEST_CASE("unknown methods are refused before connecting" * doctest::timeout(30)) {
  http_client client({{"127.0.0.1", 1}}, {});
  const http_result result = client.request("BREW", "/", "");
  CHECK(result.error == http_error_kind::protocol);
  CHECK(result.error_message == "unsupported HTTP method 'BREW'");
}
