// DRBD 9 state enumerations. The numeric order of disk_state matters (DRBD compares with < and >).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem {

enum class role : std::uint8_t { unknown = 0, primary = 1, secondary = 2 };

enum class disk_state : std::uint8_t {
  diskless = 0,
  attaching = 1,
  detaching = 2,
  failed = 3,
  negotiating = 4,
  inconsistent = 5,
  outdated = 6,
  dunknown = 7,
  consistent = 8,
  uptodate = 9,
};

enum class conn_state : std::uint8_t {
  standalone = 0,
  disconnecting = 1,
  unconnected = 2,
  timeout = 3,
  broken_pipe = 4,
  network_failure = 5,
  protocol_error = 6,
  teardown = 7,
  connecting = 8,
  connected = 9,
};

enum class repl_state : std::uint8_t {
  off = 0,
  established,
  starting_sync_s,
  starting_sync_t,
  wf_bitmap_s,
  wf_bitmap_t,
  wf_sync_uuid,
  sync_source,
  sync_target,
  verify_s,
  verify_t,
  paused_sync_s,
  paused_sync_t,
  ahead,
  behind,
};

// Replication protocol per connection: A = local disk + send buffer, B = local disk + peer
// received, C = local disk + peer disk.
enum class protocol : std::uint8_t { a = 1, b = 2, c = 3 };
// "A", "B" or "C", as drbd.conf spells them.
std::optional<protocol> parse_protocol(std::string_view text);

// DRBD's names, exactly as drbdsetup prints them.
std::string_view to_string(role value);
std::string_view to_string(disk_state value);
std::string_view to_string(conn_state value);
std::string_view to_string(repl_state value);
std::string_view to_string(protocol value);

// Decoding helpers for values that arrive from outside (wire, metadata): nullopt for out-of-range.
std::optional<role> role_from(std::uint8_t raw);
std::optional<disk_state> disk_state_from(std::uint8_t raw);
std::optional<repl_state> repl_state_from(std::uint8_t raw);
std::optional<protocol> protocol_from(std::uint8_t raw);

}  // namespace tandem
