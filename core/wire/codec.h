// Binary codec of the peer protocol. Frame = 12-byte header (big-endian: u32 magic "TAND",
// u16 header version, u16 message type, u32 body length) + body. Payload bytes of data messages
// travel at the end of the body; the core only sees buffer handles, so the driver passes the bytes
// separately. Decoding never trusts its input: truncated, oversized or garbage frames yield a
// decode_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/wire/messages.h"

namespace tandem::wire {

inline constexpr std::uint32_t kMagic = 0x54414e44;  // "TAND"
inline constexpr std::uint16_t kHeaderVersion = 1;
inline constexpr std::size_t kHeaderBytes = 12;
// Largest body accepted: one maximal I/O plus room for the fixed fields of any message.
inline constexpr std::uint32_t kMaxBodyBytes = kMaxIoBytes + 64 * 1024;

enum class decode_status : std::uint8_t {
  ok,
  need_more,  // frame_length only: not enough bytes yet to know or hold the frame
  truncated,  // a field or the payload runs past the end of the frame
  bad_magic,
  bad_version,
  unknown_type,
  oversized,
  trailing_bytes,  // the body is longer than its message
  bad_value,       // a field holds a value outside its range (enum, count, size)
};

const char* to_string(decode_status status);

struct frame_info {
  decode_status status = decode_status::need_more;
  std::size_t frame_bytes = 0;  // header + body, valid when status == ok
};

// Looks at the start of a byte stream: is a whole frame there, and how long is it?
frame_info peek_frame(std::span<const std::byte> stream);

struct decoded {
  decode_status status = decode_status::ok;
  std::string detail;  // human-readable reason when status != ok
  message msg;
  std::span<const std::byte> payload_bytes;  // inside the input frame; msg's payload.id is 0
};

// Decodes exactly one frame (header included).
decoded decode(std::span<const std::byte> frame);

// Appends the frame for msg to out. payload_bytes must have payload_of(msg).length_bytes bytes.
void encode(const message& msg, std::span<const std::byte> payload_bytes,
            std::vector<std::byte>& out);

}  // namespace tandem::wire
