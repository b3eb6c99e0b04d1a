#include "core/base/states.h"

#include <array>

namespace tandem {
namespace {

constexpr std::array<std::string_view, 3> kRoleNames{"Unknown", "Primary", "Secondary"};
constexpr std::array<std::string_view, 10> kDiskNames{
    "Diskless",     "Attaching", "Detaching", "Failed",     "Negotiating",
    "Inconsistent", "Outdated",  "DUnknown",  "Consistent", "UpToDate"};
constexpr std::array<std::string_view, 10> kConnNames{
    "StandAlone",     "Disconnecting", "Unconnected", "Timeout",    "BrokenPipe",
    "NetworkFailure", "ProtocolError", "TearDown",    "Connecting", "Connected"};
constexpr std::array<std::string_view, 15> kReplNames{
    "Off",       "Established", "StartingSyncS", "StartingSyncT", "WFBitMapS",
    "WFBitMapT", "WFSyncUUID",  "SyncSource",    "SyncTarget",    "VerifyS",
    "VerifyT",   "PausedSyncS", "PausedSyncT",   "Ahead",         "Behind"};

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, Enum value) {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? names[index] : std::string_view{"?"};
}

}  // namespace

std::string_view to_string(role value) {
  return name_of(kRoleNames, value);
}
std::string_view to_string(disk_state value) {
  return name_of(kDiskNames, value);
}
std::string_view to_string(conn_state value) {
  return name_of(kConnNames, value);
}
std::string_view to_string(repl_state value) {
  return name_of(kReplNames, value);
}
std::string_view to_string(protocol value) {
  switch (value) {
    case protocol::a: return "A";
    case protocol::b: return "B";
    case protocol::c: return "C";
  }
  return "?";
}

std::optional<role> role_from(std::uint8_t raw) {
  if (raw >= kRoleNames.size()) return std::nullopt;
  return static_cast<role>(raw);
}
std::optional<disk_state> disk_state_from(std::uint8_t raw) {
  if (raw >= kDiskNames.size()) return std::nullopt;
  return static_cast<disk_state>(raw);
}
std::optional<repl_state> repl_state_from(std::uint8_t raw) {
  if (raw >= kReplNames.size()) return std::nullopt;
  return static_cast<repl_state>(raw);
}
std::optional<protocol> protocol_from(std::uint8_t raw) {
  if (raw < 1 || raw > 3) return std::nullopt;
  return static_cast<protocol>(raw);
}

std::optional<protocol> parse_protocol(std::string_view text) {
  if (text == "A") return protocol::a;
  if (text == "B") return protocol::b;
  if (text == "C") return protocol::c;
  return std::nullopt;
}

}  // namespace tandem
