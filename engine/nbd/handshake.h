// Option haggling of the fixed-newstyle handshake, as a pure state machine: the server reads one
// option (header + data) and hands it to option_haggler::handle(), which says what to send and
// what happens next. No sockets and no backend calls except the registry lookups, so the fuzzer
// and the codec tests drive it directly.
//
// Entering transmission is two-step because opening an export is asynchronous (auto-promote):
// handle() returns outcome::enter_transmission with the export; the server calls
// block_backend::open() and then sends transmission_start() (success) or, for NBD_OPT_GO only,
// open_refused() and keeps haggling. NBD_OPT_EXPORT_NAME cannot carry an error, so a refused open
// there ends the connection (the spec's "MUST terminate the session").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "engine/nbd/backend.h"
#include "engine/nbd/protocol.h"

namespace tandem::nbd {

// The transmission flags tandem advertises for an export: HAS_FLAGS, SEND_FLUSH, SEND_FUA,
// SEND_TRIM, SEND_WRITE_ZEROES always; READ_ONLY when not writable; CAN_MULTI_CONN when the export
// says a flush on one connection covers all of them.
std::uint16_t transmission_flags(const export_info& info, bool writable);

// The handshake flags of the greeting: FIXED_NEWSTYLE and NO_ZEROES.
inline constexpr std::uint16_t kServerHandshakeFlags = kFlagFixedNewstyle | kFlagNoZeroes;

// A client that sends more options than this without entering transmission is disconnected (every
// loop has a bound; real clients send fewer than ten).
inline constexpr std::size_t kMaxOptionsPerConnection = 256;

class option_haggler {
 public:
  enum class outcome {
    keep_haggling,       // send `replies`, read the next option
    abort,               // send `replies` (the ACK of NBD_OPT_ABORT), then close
    enter_transmission,  // open `chosen` and finish with transmission_start()/open_refused()
    disconnect,          // protocol violation or an export that cannot be served: close now
  };

  struct step {
    outcome next = outcome::keep_haggling;
    bytes replies;
    std::string problem;  // disconnect: the log line's reason; keep_haggling: why an error reply
    export_info chosen;   // enter_transmission
  };

  // registry: only list_exports()/find_export() are called. max_request_bytes is advertised as
  // the maximum block size (a multiple of 512).
  option_haggler(const block_backend& registry, std::uint32_t max_request_bytes);

  // The client's flags, the first thing it sends. A bit the server did not offer ends the
  // connection.
  step handle_client_flags(std::span<const std::byte, kClientFlagsBytes> flags);

  // One whole option. data.size() == the header's length (at most kMaxOptionDataBytes).
  step handle_option(std::uint32_t opt, std::span<const std::byte> data);

  // The server is shutting down: every option but ABORT gets NBD_REP_ERR_SHUTDOWN.
  void set_shutting_down() { shutting_down_ = true; }

  // After a successful open: the bytes that end the handshake for the option handle() returned
  // enter_transmission for (EXPORT_NAME reply, or NBD_REP_INFO... + NBD_REP_ACK for GO).
  bytes transmission_start(bool writable) const;
  // After a refused open of NBD_OPT_GO: the error reply; haggling continues.
  bytes open_refused(std::string_view message) const;
  // Whether the pending transmission entry came from NBD_OPT_EXPORT_NAME (no error reply exists).
  bool pending_is_export_name() const { return pending_option_ == option::export_name; }

 private:
  step handle_export_name(std::span<const std::byte> data);
  step handle_info_or_go(std::uint32_t opt, std::span<const std::byte> data);
  step handle_list(std::uint32_t opt, std::span<const std::byte> data);
  void append_infos(std::uint32_t opt, const export_info& info, const info_request& request,
                    bool writable, bytes& out) const;

  const block_backend& registry_;
  std::uint32_t max_request_bytes_;
  bool no_zeroes_ = false;
  bool shutting_down_ = false;
  std::size_t options_seen_ = 0;
  // The option waiting for open(): EXPORT_NAME or GO, with its export and info request.
  option pending_option_ = option::export_name;
  export_info pending_export_;
  info_request pending_request_;
};

const char* to_string(option_haggler::outcome next);

}  // namespace tandem::nbd
