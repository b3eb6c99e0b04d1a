// Which controller(s) the client talks to: `--controllers` or TANDEM_CONTROLLERS, a comma
// separated list tried in order (LINSTOR's LS_CONTROLLERS syntax): "host", "host:port",
// "[v6addr]:port", optionally prefixed "http://" or "linstor://". Default 127.0.0.1:3370.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cli/expected.h"

namespace tandem::cli {

inline constexpr std::uint16_t kDefaultControllerPort = 3370;

struct controller_address {
  std::string host;
  std::uint16_t port = kDefaultControllerPort;

  std::string display() const;  // "127.0.0.1:3370", "[::1]:3370"
  friend bool operator==(const controller_address&, const controller_address&) = default;
};

expected<std::vector<controller_address>> parse_controller_list(std::string_view text);

// Percent-encoding of one URL path segment or query value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view text);

}  // namespace tandem::cli
