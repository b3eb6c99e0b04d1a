#include "engine/nbd/protocol.h"

#include <algorithm>
#include <cstdio>

namespace tandem::nbd {

namespace {

template <typename Int>
void put(bytes& out, Int value) {
  for (std::size_t i = 0; i < sizeof(Int); ++i) {
    out.push_back(static_cast<std::byte>((value >> (8 * (sizeof(Int) - 1 - i))) & 0xff));
  }
}

template <typename Int>
Int get(std::span<const std::byte> in, std::size_t offset) {
  Int value = 0;
  for (std::size_t i = 0; i < sizeof(Int); ++i) {
    value = static_cast<Int>((value << 8) | std::to_integer<Int>(in[offset + i]));
  }
  return value;
}

void put_text(bytes& out, std::string_view text) {
  const auto* first = reinterpret_cast<const std::byte*>(text.data());
  out.insert(out.end(), first, first + text.size());
}

std::string hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

const char* to_string(option opt) {
  switch (opt) {
    case option::export_name: return "NBD_OPT_EXPORT_NAME";
    case option::abort: return "NBD_OPT_ABORT";
    case option::list: return "NBD_OPT_LIST";
    case option::peek_export: return "NBD_OPT_PEEK_EXPORT";
    case option::starttls: return "NBD_OPT_STARTTLS";
    case option::info: return "NBD_OPT_INFO";
    case option::go: return "NBD_OPT_GO";
    case option::structured_reply: return "NBD_OPT_STRUCTURED_REPLY";
    case option::list_meta_context: return "NBD_OPT_LIST_META_CONTEXT";
    case option::set_meta_context: return "NBD_OPT_SET_META_CONTEXT";
  }
  return "unknown option";
}

const char* to_string(reply_type type) {
  switch (type) {
    case reply_type::ack: return "NBD_REP_ACK";
    case reply_type::server: return "NBD_REP_SERVER";
    case reply_type::info: return "NBD_REP_INFO";
    case reply_type::meta_context: return "NBD_REP_META_CONTEXT";
    case reply_type::err_unsup: return "NBD_REP_ERR_UNSUP";
    case reply_type::err_policy: return "NBD_REP_ERR_POLICY";
    case reply_type::err_invalid: return "NBD_REP_ERR_INVALID";
    case reply_type::err_platform: return "NBD_REP_ERR_PLATFORM";
    case reply_type::err_tls_reqd: return "NBD_REP_ERR_TLS_REQD";
    case reply_type::err_unknown: return "NBD_REP_ERR_UNKNOWN";
    case reply_type::err_shutdown: return "NBD_REP_ERR_SHUTDOWN";
    case reply_type::err_block_size_reqd: return "NBD_REP_ERR_BLOCK_SIZE_REQD";
    case reply_type::err_too_big: return "NBD_REP_ERR_TOO_BIG";
  }
  return "unknown reply type";
}

const char* to_string(command cmd) {
  switch (cmd) {
    case command::read: return "NBD_CMD_READ";
    case command::write: return "NBD_CMD_WRITE";
    case command::disc: return "NBD_CMD_DISC";
    case command::flush: return "NBD_CMD_FLUSH";
    case command::trim: return "NBD_CMD_TRIM";
    case command::cache: return "NBD_CMD_CACHE";
    case command::write_zeroes: return "NBD_CMD_WRITE_ZEROES";
    case command::block_status: return "NBD_CMD_BLOCK_STATUS";
    case command::resize: return "NBD_CMD_RESIZE";
  }
  return "unknown command";
}

const char* to_string(nbd_error error) {
  switch (error) {
    case nbd_error::none: return "success";
    case nbd_error::perm: return "EPERM";
    case nbd_error::io: return "EIO";
    case nbd_error::nomem: return "ENOMEM";
    case nbd_error::inval: return "EINVAL";
    case nbd_error::nospc: return "ENOSPC";
    case nbd_error::overflow: return "EOVERFLOW";
    case nbd_error::notsup: return "ENOTSUP";
    case nbd_error::shutdown: return "ESHUTDOWN";
  }
  return "unknown error";
}

bytes encode_greeting(std::uint16_t handshake_flags) {
  bytes out;
  out.reserve(kGreetingBytes);
  put(out, kNbdMagic);
  put(out, kOptionMagic);
  put(out, handshake_flags);
  return out;
}

client_flags decode_client_flags(std::span<const std::byte, kClientFlagsBytes> in,
                                 std::uint16_t offered_handshake_flags) {
  const auto value = get<std::uint32_t>(in, 0);
  std::uint32_t allowed = 0;
  if (offered_handshake_flags & kFlagFixedNewstyle) allowed |= kClientFlagFixedNewstyle;
  if (offered_handshake_flags & kFlagNoZeroes) allowed |= kClientFlagNoZeroes;
  client_flags out;
  if ((value & ~allowed) != 0) {
    out.problem = "client flags " + hex(value) + " set bits " + hex(value & ~allowed) +
                  " the server did not offer";
    return out;
  }
  out.ok = true;
  out.fixed_newstyle = (value & kClientFlagFixedNewstyle) != 0;
  out.no_zeroes = (value & kClientFlagNoZeroes) != 0;
  return out;
}

option_header decode_option_header(std::span<const std::byte, kOptionHeaderBytes> in) {
  option_header out;
  const auto magic = get<std::uint64_t>(in, 0);
  out.option = get<std::uint32_t>(in, 8);
  out.length_bytes = get<std::uint32_t>(in, 12);
  if (magic != kOptionMagic) {
    out.problem = "option magic " + hex(magic) + " is not IHAVEOPT " + hex(kOptionMagic);
    return out;
  }
  if (out.length_bytes > kMaxOptionDataBytes) {
    out.problem = "option " + std::to_string(out.option) + " announces " +
                  std::to_string(out.length_bytes) + " bytes of data, more than the " +
                  std::to_string(kMaxOptionDataBytes) + " the server accepts";
    return out;
  }
  out.ok = true;
  return out;
}

bool info_request::wants(info_type type) const {
  return std::find(requested.begin(), requested.end(), static_cast<std::uint16_t>(type)) !=
         requested.end();
}

info_request_result decode_info_request(std::span<const std::byte> data) {
  info_request_result out;
  if (data.size() < 6) {
    out.problem = "info request of " + std::to_string(data.size()) +
                  " bytes is shorter than the 6 bytes of its fixed fields";
    return out;
  }
  const auto name_bytes = get<std::uint32_t>(data, 0);
  if (name_bytes > data.size() - 6) {
    out.problem = "export name length " + std::to_string(name_bytes) + " runs past the " +
                  std::to_string(data.size()) + "-byte option";
    return out;
  }
  if (name_bytes > kMaxNameBytes) {
    out.problem = "export name of " + std::to_string(name_bytes) + " bytes is longer than " +
                  std::to_string(kMaxNameBytes);
    return out;
  }
  info_request request;
  request.name.assign(reinterpret_cast<const char*>(data.data()) + 4, name_bytes);
  if (request.name.find('\0') != std::string::npos) {
    out.problem = "export name contains a NUL byte";
    return out;
  }
  const std::size_t count_at = 4 + name_bytes;
  const auto count = get<std::uint16_t>(data, count_at);
  const std::size_t expected = count_at + 2 + 2 * std::size_t{count};
  if (expected != data.size()) {
    out.problem = "info request announces " + std::to_string(count) + " info types (" +
                  std::to_string(expected) + " bytes) but the option has " +
                  std::to_string(data.size()) + " bytes";
    return out;
  }
  for (std::size_t i = 0; i < count; ++i) {
    request.requested.push_back(get<std::uint16_t>(data, count_at + 2 + 2 * i));
  }
  out.request = std::move(request);
  return out;
}

void encode_option_reply(std::uint32_t opt, reply_type type, std::span<const std::byte> data,
                         bytes& out) {
  put(out, kOptionReplyMagic);
  put(out, opt);
  put(out, static_cast<std::uint32_t>(type));
  put(out, static_cast<std::uint32_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}

void encode_option_reply(std::uint32_t opt, reply_type type, std::string_view text, bytes& out) {
  // Error texts quote client-chosen names; the spec caps every string at 4096 bytes.
  text = text.substr(0, kMaxNameBytes);
  encode_option_reply(opt, type, std::as_bytes(std::span<const char>(text.data(), text.size())),
                      out);
}

bytes encode_server_entry(std::string_view name, std::string_view description) {
  bytes out;
  put(out, static_cast<std::uint32_t>(name.size()));
  put_text(out, name);
  put_text(out, description);
  return out;
}

bytes encode_info_export(std::uint64_t size_bytes, std::uint16_t transmission_flags) {
  bytes out;
  put(out, static_cast<std::uint16_t>(info_type::export_));
  put(out, size_bytes);
  put(out, transmission_flags);
  return out;
}

bytes encode_info_text(info_type type, std::string_view text) {
  bytes out;
  put(out, static_cast<std::uint16_t>(type));
  put_text(out, text);
  return out;
}

bytes encode_info_block_size(std::uint32_t minimum_bytes, std::uint32_t preferred_bytes,
                             std::uint32_t maximum_bytes) {
  bytes out;
  put(out, static_cast<std::uint16_t>(info_type::block_size));
  put(out, minimum_bytes);
  put(out, preferred_bytes);
  put(out, maximum_bytes);
  return out;
}

bytes encode_export_name_reply(std::uint64_t size_bytes, std::uint16_t transmission_flags,
                               bool no_zeroes) {
  bytes out;
  put(out, size_bytes);
  put(out, transmission_flags);
  if (!no_zeroes) out.resize(out.size() + kExportNameReplyZeroBytes, std::byte{0});
  return out;
}

request_header_result decode_request_header(std::span<const std::byte, kRequestHeaderBytes> in) {
  request_header_result out;
  const auto magic = get<std::uint32_t>(in, 0);
  if (magic != kRequestMagic) {
    out.problem = "request magic " + hex(magic) + " is not " + hex(kRequestMagic);
    return out;
  }
  request_header header;
  header.flags = get<std::uint16_t>(in, 4);
  header.type = get<std::uint16_t>(in, 6);
  header.handle = get<std::uint64_t>(in, 8);
  header.offset_bytes = get<std::uint64_t>(in, 16);
  header.length_bytes = get<std::uint32_t>(in, 24);
  out.header = header;
  return out;
}

void encode_request_header(const request_header& header, bytes& out) {
  put(out, kRequestMagic);
  put(out, header.flags);
  put(out, header.type);
  put(out, header.handle);
  put(out, header.offset_bytes);
  put(out, header.length_bytes);
}

void encode_simple_reply(nbd_error error, std::uint64_t handle, bytes& out) {
  put(out, kSimpleReplyMagic);
  put(out, static_cast<std::uint32_t>(error));
  put(out, handle);
}

void encode_simple_reply(nbd_error error, std::uint64_t handle,
                         std::span<std::byte, kSimpleReplyBytes> out) {
  // The hot path of every reply: written in place, no allocation.
  const auto put_at = [&out](std::size_t offset, std::uint64_t value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i) {
      out[offset + i] = static_cast<std::byte>((value >> (8 * (width - 1 - i))) & 0xff);
    }
  };
  put_at(0, kSimpleReplyMagic, 4);
  put_at(4, static_cast<std::uint32_t>(error), 4);
  put_at(8, handle, 8);
}

}  // namespace tandem::nbd
