#include "engine/daemon/admin_events.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "engine/daemon/driver_events.h"

namespace tandem::engine {
using json = nlohmann::json;

namespace {

int connect_admin(const std::string& socket_path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path) {
    std::cerr << "tandemadm: admin socket path too long: " << socket_path << std::endl;
    return -1;
  }
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::cerr << "tandemadm: cannot reach tandemd at " << socket_path << ": "
              << std::strerror(errno) << std::endl;
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

// Handles one answer line; false when the stream should end (error, or --now's marker).
bool print_event(const std::string& line, const std::string& resource, bool now, bool as_json,
                 int& exit_code) {
  json answer;
  try {
    answer = json::parse(line);
  } catch (const json::parse_error&) {
    std::cerr << "tandemadm: tandemd sent something that is not JSON: " << line << std::endl;
    exit_code = 3;
    return false;
  }
  if (!answer.value("ok", false) || !answer.contains("event")) {
    std::cerr << "tandemadm: " << answer.value("message", std::string("events refused"))
              << std::endl;
    exit_code = 1;
    return false;
  }
  const json& e = answer["event"];
  const bool marker = e.value("object", std::string()) == "-";
  if (!marker && !resource.empty() && e.value("name", std::string()) != resource) return true;
  if (as_json) {
    std::cout << e.dump() << std::endl;
  } else {
    std::cout << (marker ? std::string("exists -") : event_text(e.dump())) << std::endl;
  }
  return !(marker && now);
}

}  // namespace

int follow_events(const std::string& socket_path, const std::string& resource, bool now,
                  bool as_json) {
  const int fd = connect_admin(socket_path);
  if (fd < 0) return 3;
  const std::string request = json{{"command", "events"}}.dump() + "\n";
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    std::cerr << "tandemadm: sending the request failed" << std::endl;
    ::close(fd);
    return 3;
  }
  int exit_code = 0;
  std::string pending;
  char chunk[4096];
  for (bool more = true; more;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;  // tandemd went away: the stream ends
    pending.append(chunk, static_cast<std::size_t>(n));
    for (auto end = pending.find('\n'); more && end != std::string::npos;
         end = pending.find('\n')) {
      const std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      more = print_event(line, resource, now, as_json, exit_code);
    }
  }
  ::close(fd);
  return exit_code;
}

}  // namespace tandem::engine
