#include "engine/satellite/tandemd_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem::satellite {

namespace {

constexpr std::size_t kMaxAnswerBytes = 64u << 20;

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

tandemd_answer unreachable(std::string why) {
  tandemd_answer a;
  a.message = std::move(why);
  return a;
}

}  // namespace

tandemd_answer tandemd_client::ask(const nlohmann::json& request) const {
  const std::string where = "tandemd at " + socket_path_;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof address.sun_path) {
    return unreachable(where + ": socket path too long");
  }
  std::memcpy(address.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  fd_guard sock{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (sock.fd < 0 ||
      ::connect(sock.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return unreachable(where + " is not reachable: " + std::strerror(errno));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  auto wait_for = [&](short events) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{sock.fd, events, 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
  };
  const std::string line = request.dump() + "\n";
  std::size_t sent = 0;
  while (sent < line.size()) {
    if (!wait_for(POLLOUT)) return unreachable(where + ": timed out sending");
    const ssize_t n = ::send(sock.fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return unreachable(where + ": sending failed: " + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
  std::string answer;
  char chunk[16384];
  while (answer.find('\n') == std::string::npos) {
    if (answer.size() > kMaxAnswerBytes) return unreachable(where + ": answer too long");
    if (!wait_for(POLLIN)) {
      return unreachable(where + ": no answer within " + std::to_string(timeout_.count()) + " ms");
    }
    const ssize_t n = ::read(sock.fd, chunk, sizeof chunk);
    if (n <= 0) return unreachable(where + ": closed the connection without an answer");
    answer.append(chunk, static_cast<std::size_t>(n));
  }
  tandemd_answer a;
  try {
    a.body = nlohmann::json::parse(answer.substr(0, answer.find('\n')));
  } catch (const nlohmann::json::exception&) {
    return unreachable(where + ": the answer is not JSON");
  }
  if (!a.body.is_object()) return unreachable(where + ": the answer is not a JSON object");
  a.reachable = true;
  a.ok = a.body.value("ok", false);
  a.message = a.body.value("message", std::string());
  return a;
}

}  // namespace tandem::satellite
