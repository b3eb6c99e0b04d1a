// The satellite's client of tandemd's admin socket (one JSON request per line, one answer line;
// docs/tandemd.md). Blocking with a deadline: the satellite calls it from its worker thread.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace tandem::satellite {

struct tandemd_answer {
  bool reachable = false;  // false: no connection or no valid answer (message says why)
  bool ok = false;         // tandemd's "ok"
  std::string message;
  nlohmann::json body;  // the whole answer
};

class tandemd_client {
 public:
  explicit tandemd_client(std::string socket_path,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : socket_path_(std::move(socket_path)), timeout_(timeout) {}

  tandemd_answer ask(const nlohmann::json& request) const;
  const std::string& socket_path() const { return socket_path_; }

 private:
  std::string socket_path_;
  std::chrono::milliseconds timeout_;
};

}  // namespace tandem::satellite
