// NBD wire format (fixed newstyle): constants and the byte codec, nothing else. No sockets, no
// state: every function turns bytes into values or values into bytes, and never trusts its input.
// Every integer on the wire is big-endian. docs/nbd.md describes the protocol as tandem speaks it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::nbd {

using bytes = std::vector<std::byte>;

// ------------------------------------------------------------------------------ magic numbers
inline constexpr std::uint64_t kNbdMagic = 0x4e42444d41474943;     // "NBDMAGIC"
inline constexpr std::uint64_t kOptionMagic = 0x49484156454f5054;  // "IHAVEOPT"
inline constexpr std::uint64_t kOptionReplyMagic = 0x0003e889045565a9;
inline constexpr std::uint32_t kRequestMagic = 0x25609513;
inline constexpr std::uint32_t kSimpleReplyMagic = 0x67446698;

// ------------------------------------------------------------------------------------- sizes
inline constexpr std::size_t kGreetingBytes = 18;  // NBDMAGIC, IHAVEOPT, u16 handshake flags
inline constexpr std::size_t kClientFlagsBytes = 4;
inline constexpr std::size_t kOptionHeaderBytes = 16;  // IHAVEOPT, u32 option, u32 length
inline constexpr std::size_t kOptionReplyHeaderBytes = 20;
inline constexpr std::size_t kRequestHeaderBytes = 28;
inline constexpr std::size_t kSimpleReplyBytes = 16;
inline constexpr std::size_t kExportNameReplyZeroBytes = 124;
// Longest option data the server reads. The spec limits strings to 4096 bytes; NBD_OPT_GO adds a
// u32 length and at most a few u16 info requests. Longer options are a protocol violation.
inline constexpr std::uint32_t kMaxOptionDataBytes = 16 * 1024;
inline constexpr std::size_t kMaxNameBytes = 4096;

// Block sizes advertised with NBD_INFO_BLOCK_SIZE (DESIGN.md §6: 512-byte sectors).
inline constexpr std::uint32_t kMinimumBlockBytes = 512;
inline constexpr std::uint32_t kPreferredBlockBytes = 4096;

// ------------------------------------------------------------------------------------- flags
// Handshake flags (server, u16) and client flags (u32).
inline constexpr std::uint16_t kFlagFixedNewstyle = 1 << 0;
inline constexpr std::uint16_t kFlagNoZeroes = 1 << 1;
inline constexpr std::uint32_t kClientFlagFixedNewstyle = 1 << 0;
inline constexpr std::uint32_t kClientFlagNoZeroes = 1 << 1;

// Transmission flags (u16).
inline constexpr std::uint16_t kFlagHasFlags = 1 << 0;
inline constexpr std::uint16_t kFlagReadOnly = 1 << 1;
inline constexpr std::uint16_t kFlagSendFlush = 1 << 2;
inline constexpr std::uint16_t kFlagSendFua = 1 << 3;
inline constexpr std::uint16_t kFlagRotational = 1 << 4;
inline constexpr std::uint16_t kFlagSendTrim = 1 << 5;
inline constexpr std::uint16_t kFlagSendWriteZeroes = 1 << 6;
inline constexpr std::uint16_t kFlagCanMultiConn = 1 << 8;

// Command flags (u16).
inline constexpr std::uint16_t kCmdFlagFua = 1 << 0;
inline constexpr std::uint16_t kCmdFlagNoHole = 1 << 1;
inline constexpr std::uint16_t kCmdFlagDf = 1 << 2;
inline constexpr std::uint16_t kCmdFlagReqOne = 1 << 3;
inline constexpr std::uint16_t kCmdFlagFastZero = 1 << 4;

// ------------------------------------------------------------------------------------ options
enum class option : std::uint32_t {
  export_name = 1,
  abort = 2,
  list = 3,
  peek_export = 4,
  starttls = 5,
  info = 6,
  go = 7,
  structured_reply = 8,
  list_meta_context = 9,
  set_meta_context = 10,
};

enum class reply_type : std::uint32_t {
  ack = 1,
  server = 2,
  info = 3,
  meta_context = 4,
  err_unsup = 0x80000001,
  err_policy = 0x80000002,
  err_invalid = 0x80000003,
  err_platform = 0x80000004,
  err_tls_reqd = 0x80000005,
  err_unknown = 0x80000006,
  err_shutdown = 0x80000007,
  err_block_size_reqd = 0x80000008,
  err_too_big = 0x80000009,
};

enum class info_type : std::uint16_t { export_ = 0, name = 1, description = 2, block_size = 3 };

// ----------------------------------------------------------------------------------- commands
enum class command : std::uint16_t {
  read = 0,
  write = 1,
  disc = 2,
  flush = 3,
  trim = 4,
  cache = 5,
  write_zeroes = 6,
  block_status = 7,
  resize = 8,
};

// Error values of the reply (the spec fixes these numbers, they are not the host's errno).
enum class nbd_error : std::uint32_t {
  none = 0,
  perm = 1,
  io = 5,
  nomem = 12,
  inval = 22,
  nospc = 28,
  overflow = 75,
  notsup = 95,
  shutdown = 108,
};

const char* to_string(option opt);  // "NBD_OPT_GO"; "unknown option" for others
const char* to_string(reply_type type);
const char* to_string(command cmd);  // "NBD_CMD_READ"; "unknown command" for others
const char* to_string(nbd_error error);

// ------------------------------------------------------------------------------ handshake codec

// The server's first 18 bytes: NBDMAGIC, IHAVEOPT, handshake flags.
bytes encode_greeting(std::uint16_t handshake_flags);

struct client_flags {
  bool ok = false;
  std::string problem;  // when !ok: which bits the server did not offer
  bool fixed_newstyle = false;
  bool no_zeroes = false;
};
// The client's 4-byte answer to the greeting, checked against what the server offered. The spec
// says: an unknown or unoffered bit means the server must drop the connection.
client_flags decode_client_flags(std::span<const std::byte, kClientFlagsBytes> in,
                                 std::uint16_t offered_handshake_flags);

struct option_header {
  bool ok = false;
  std::string problem;  // bad magic or oversized length
  std::uint32_t option = 0;
  std::uint32_t length_bytes = 0;
};
option_header decode_option_header(std::span<const std::byte, kOptionHeaderBytes> in);

// Data of NBD_OPT_INFO / NBD_OPT_GO: u32 name length, name, u16 count, count x u16 info type.
struct info_request {
  std::string name;
  std::vector<std::uint16_t> requested;  // info types as sent (unknown ones included)
  bool wants(info_type type) const;
};
struct info_request_result {
  std::optional<info_request> request;
  std::string problem;  // when no request: what is wrong with the data
};
info_request_result decode_info_request(std::span<const std::byte> data);

// One option reply: magic, option, reply type, u32 length, data; appended to out.
void encode_option_reply(std::uint32_t opt, reply_type type, std::span<const std::byte> data,
                         bytes& out);
void encode_option_reply(std::uint32_t opt, reply_type type, std::string_view text, bytes& out);

// NBD_REP_SERVER data for NBD_OPT_LIST: u32 name length, name, description.
bytes encode_server_entry(std::string_view name, std::string_view description);
// NBD_REP_INFO data.
bytes encode_info_export(std::uint64_t size_bytes, std::uint16_t transmission_flags);
bytes encode_info_text(info_type type, std::string_view text);  // name or description
bytes encode_info_block_size(std::uint32_t minimum_bytes, std::uint32_t preferred_bytes,
                             std::uint32_t maximum_bytes);

// The answer to NBD_OPT_EXPORT_NAME: u64 size, u16 flags, 124 zero bytes unless no_zeroes.
bytes encode_export_name_reply(std::uint64_t size_bytes, std::uint16_t transmission_flags,
                               bool no_zeroes);

// ------------------------------------------------------------------------- transmission codec

struct request_header {
  std::uint16_t flags = 0;
  std::uint16_t type = 0;
  std::uint64_t handle = 0;
  std::uint64_t offset_bytes = 0;
  std::uint32_t length_bytes = 0;
};
struct request_header_result {
  std::optional<request_header> header;
  std::string problem;  // bad magic
};
request_header_result decode_request_header(std::span<const std::byte, kRequestHeaderBytes> in);
void encode_request_header(const request_header& header, bytes& out);  // for tests and fuzzing

// Simple reply: magic, error, handle (the read data follows for a successful READ).
void encode_simple_reply(nbd_error error, std::uint64_t handle, bytes& out);
void encode_simple_reply(nbd_error error, std::uint64_t handle,
                         std::span<std::byte, kSimpleReplyBytes> out);

}  // namespace tandem::nbd
