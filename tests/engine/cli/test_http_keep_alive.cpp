// The HTTP client's connection handling against a scripted HTTP/1.1 peer on 127.0.0.1: one
// kept-alive connection for many requests, a transparent reconnect when the peer closed an idle
// connection, and "Connection: close" honoured. The peer is a plain socket loop that answers
// every request with the same small JSON body; it stands in for no controller logic.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "engine/cli/http_client.h"

using namespace tandem::cli;

namespace {

constexpr int kPollTimeoutMs = 5000;  // every wait of the peer is bounded

class scripted_http_peer {
 public:
  // requests_per_connection: the peer closes the connection after that many answers.
  scripted_http_peer(int requests_per_connection, bool announce_close)
      : requests_per_connection_(requests_per_connection), announce_close_(announce_close) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    REQUIRE(::listen(listen_fd_, 8) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~scripted_http_peer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  std::uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  int requests() const { return requests_; }
  std::string last_request() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_request_;
  }

 private:
  static bool readable(int fd) {
    pollfd entry{fd, POLLIN, 0};
    return ::poll(&entry, 1, 100) == 1;
  }

  void serve() {
    for (int waited_ms = 0; !stop_ && waited_ms < 10 * kPollTimeoutMs; waited_ms += 100) {
      if (!readable(listen_fd_)) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      serve_connection(fd);
      ::close(fd);
    }
  }

  void serve_connection(int fd) {
    std::string buffer;
    int answered = 0;
    for (int waited_ms = 0;
         !stop_ && waited_ms < kPollTimeoutMs && answered < requests_per_connection_;) {
      const std::size_t head_end = buffer.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::size_t body_bytes = 0;
        const std::size_t length_at = buffer.find("Content-Length: ");
        if (length_at != std::string::npos && length_at < head_end) {
          body_bytes = std::stoul(buffer.substr(length_at + 16));
        }
        if (buffer.size() >= head_end + 4 + body_bytes) {
          {
            std::lock_guard<std::mutex> lock(mutex_);
            last_request_ = buffer.substr(0, head_end + 4 + body_bytes);
          }
          buffer.erase(0, head_end + 4 + body_bytes);
          ++requests_;
          ++answered;
          const std::string body = "[]";
          const std::string answer =
              std::string("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n") +
              (announce_close_ ? "Connection: close\r\n" : "") +
              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
          if (::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) < 0) return;
          continue;
        }
      }
      if (!readable(fd)) {
        waited_ms += 100;
        continue;
      }
      char chunk[4096];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;  // the client closed
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  const int requests_per_connection_;
  const bool announce_close_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  std::string last_request_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace

TEST_CASE("requests share one kept-alive connection" * doctest::timeout(30)) {
  scripted_http_peer peer(100, false);
  http_client client({{"127.0.0.1", peer.port()}}, {});
  for (int i = 0; i < 3; ++i) {
    const http_result result = client.request("GET", "/v1/nodes", "");
    REQUIRE_MESSAGE(result.ok(), result.error_message);
    CHECK(result.response.status == 200);
    CHECK(result.response.body == "[]");
    CHECK(result.response.content_type == "application/json");
  }
  CHECK(peer.requests() == 3);
  CHECK(peer.connections() == 1);
}

TEST_CASE("a connection the peer closed is reopened transparently" * doctest::timeout(30)) {
  // The peer answers once per connection and then closes without saying so, like a server
  // whose idle timeout expired between two commands.
  scripted_http_peer peer(1, false);
  http_client client({{"127.0.0.1", peer.port()}}, {});
  for (int i = 0; i < 3; ++i) {
    const http_result result = client.request("GET", "/v1/nodes", "");
    REQUIRE_MESSAGE(result.ok(), result.error_message);
  }
  CHECK(peer.requests() == 3);
  CHECK(peer.connections() == 3);
}

TEST_CASE("a POST goes out on a fresh connection when the old one was closed" *
          doctest::timeout(30)) {
  scripted_http_peer peer(1, false);
  http_client client({{"127.0.0.1", peer.port()}}, {});
  for (int i = 0; i < 3; ++i) {
    const http_result result = client.request("POST", "/v1/nodes", R"({"name":"n"})");
    REQUIRE_MESSAGE(result.ok(), result.error_message);
    // Let the peer's close reach this side, as it has between two commands of a user.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(peer.requests() == 3);
  CHECK(peer.connections() == 3);
}

TEST_CASE("Connection: close is honoured" * doctest::timeout(30)) {
  scripted_http_peer peer(1, true);
  http_client client({{"127.0.0.1", peer.port()}}, {});
  REQUIRE(client.request("GET", "/a", "").ok());
  REQUIRE(client.request("GET", "/b", "").ok());
  CHECK(peer.connections() == 2);
}

TEST_CASE("a JSON body is sent with its type and length" * doctest::timeout(30)) {
  scripted_http_peer peer(100, false);
  http_client client({{"127.0.0.1", peer.port()}}, {});
  const std::string body = R"({"name":"alpha"})";
  REQUIRE(client.request("POST", "/v1/nodes", body).ok());
  const std::string request = peer.last_request();
  CHECK(request.rfind("POST /v1/nodes HTTP/1.1\r\n", 0) == 0);
  CHECK(request.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(request.find("Content-Length: 16\r\n") != std::string::npos);
  CHECK(request.find("Host: 127.0.0.1:" + std::to_string(peer.port())) != std::string::npos);
  CHECK(request.substr(request.size() - body.size()) == body);
}
