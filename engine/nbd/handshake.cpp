#include "engine/nbd/handshake.h"

#include <cassert>

namespace tandem::nbd {

std::uint16_t transmission_flags(const export_info& info, bool writable) {
  std::uint16_t flags =
      kFlagHasFlags | kFlagSendFlush | kFlagSendFua | kFlagSendTrim | kFlagSendWriteZeroes;
  if (!writable) flags |= kFlagReadOnly;
  if (info.can_multi_conn) flags |= kFlagCanMultiConn;
  return flags;
}

const char* to_string(option_haggler::outcome next) {
  switch (next) {
    case option_haggler::outcome::keep_haggling: return "keep_haggling";
    case option_haggler::outcome::abort: return "abort";
    case option_haggler::outcome::enter_transmission: return "enter_transmission";
    case option_haggler::outcome::disconnect: return "disconnect";
  }
  return "unknown outcome";
}

option_haggler::option_haggler(const block_backend& registry, std::uint32_t max_request_bytes)
    : registry_(registry), max_request_bytes_(max_request_bytes) {
  assert(max_request_bytes % kMinimumBlockBytes == 0);
  assert(max_request_bytes >= kPreferredBlockBytes);
}

option_haggler::step option_haggler::handle_client_flags(
    std::span<const std::byte, kClientFlagsBytes> flags) {
  step out;
  const client_flags decoded = decode_client_flags(flags, kServerHandshakeFlags);
  if (!decoded.ok) {
    out.next = outcome::disconnect;
    out.problem = decoded.problem;
    return out;
  }
  // A client without FIXED_NEWSTYLE still gets fixed-newstyle replies: the spec allows it, and
  // such a client only ever sends NBD_OPT_EXPORT_NAME, which has no reply header anyway.
  no_zeroes_ = decoded.no_zeroes;
  return out;
}

option_haggler::step option_haggler::handle_option(std::uint32_t opt,
                                                   std::span<const std::byte> data) {
  step out;
  if (++options_seen_ > kMaxOptionsPerConnection) {
    out.next = outcome::disconnect;
    out.problem = "more than " + std::to_string(kMaxOptionsPerConnection) +
                  " options without entering transmission";
    return out;
  }
  const auto known = static_cast<option>(opt);
  if (known == option::abort) {
    out.next = outcome::abort;
    encode_option_reply(opt, reply_type::ack, std::span<const std::byte>{}, out.replies);
    return out;
  }
  if (shutting_down_) {
    if (known == option::export_name) {
      out.next = outcome::disconnect;
      out.problem = "NBD_OPT_EXPORT_NAME while the server shuts down";
      return out;
    }
    out.problem = "server is shutting down";
    encode_option_reply(opt, reply_type::err_shutdown, out.problem, out.replies);
    return out;
  }
  switch (known) {
    case option::export_name: return handle_export_name(data);
    case option::info:
    case option::go: return handle_info_or_go(opt, data);
    case option::list: return handle_list(opt, data);
    default: break;
  }
  // STARTTLS (no TLS here), STRUCTURED_REPLY (simple replies only), the meta-context options
  // (they need structured replies) and everything unknown.
  out.problem = std::string(to_string(known)) + " (" + std::to_string(opt) + ") is not supported";
  encode_option_reply(opt, reply_type::err_unsup, out.problem, out.replies);
  return out;
}

option_haggler::step option_haggler::handle_export_name(std::span<const std::byte> data) {
  step out;
  if (data.size() > kMaxNameBytes) {
    out.next = outcome::disconnect;
    out.problem = "NBD_OPT_EXPORT_NAME name of " + std::to_string(data.size()) +
                  " bytes is longer than " + std::to_string(kMaxNameBytes);
    return out;
  }
  const std::string name(reinterpret_cast<const char*>(data.data()), data.size());
  auto found = registry_.find_export(name);
  if (!found) {
    out.next = outcome::disconnect;
    out.problem = "NBD_OPT_EXPORT_NAME asks for unknown export '" + name + "'";
    return out;
  }
  pending_option_ = option::export_name;
  pending_export_ = *found;
  pending_request_ = info_request{};
  out.next = outcome::enter_transmission;
  out.chosen = std::move(*found);
  return out;
}

option_haggler::step option_haggler::handle_info_or_go(std::uint32_t opt,
                                                       std::span<const std::byte> data) {
  step out;
  info_request_result decoded = decode_info_request(data);
  if (!decoded.request) {
    out.problem = std::string(to_string(static_cast<option>(opt))) + ": " + decoded.problem;
    encode_option_reply(opt, reply_type::err_invalid, out.problem, out.replies);
    return out;
  }
  const info_request& request = *decoded.request;
  auto found = registry_.find_export(request.name);
  if (!found) {
    out.problem = "unknown export '" + request.name + "'";
    encode_option_reply(opt, reply_type::err_unknown, out.problem, out.replies);
    return out;
  }
  if (static_cast<option>(opt) == option::info) {
    // INFO does not open: it reports what GO would give a writer (or a reader, read-only).
    append_infos(opt, *found, request, !found->read_only, out.replies);
    encode_option_reply(opt, reply_type::ack, std::span<const std::byte>{}, out.replies);
    return out;
  }
  pending_option_ = option::go;
  pending_export_ = *found;
  pending_request_ = request;
  out.next = outcome::enter_transmission;
  out.chosen = std::move(*found);
  return out;
}

option_haggler::step option_haggler::handle_list(std::uint32_t opt,
                                                 std::span<const std::byte> data) {
  step out;
  if (!data.empty()) {
    out.problem = "NBD_OPT_LIST carries " + std::to_string(data.size()) + " bytes of data";
    encode_option_reply(opt, reply_type::err_invalid, out.problem, out.replies);
    return out;
  }
  for (const export_info& info : registry_.list_exports()) {
    encode_option_reply(opt, reply_type::server, encode_server_entry(info.name, info.description),
                        out.replies);
  }
  encode_option_reply(opt, reply_type::ack, std::span<const std::byte>{}, out.replies);
  return out;
}

void option_haggler::append_infos(std::uint32_t opt, const export_info& info,
                                  const info_request& request, bool writable, bytes& out) const {
  encode_option_reply(opt, reply_type::info,
                      encode_info_export(info.size_bytes, transmission_flags(info, writable)), out);
  if (request.wants(info_type::name)) {
    encode_option_reply(opt, reply_type::info, encode_info_text(info_type::name, info.name), out);
  }
  if (request.wants(info_type::description) && !info.description.empty()) {
    encode_option_reply(opt, reply_type::info,
                        encode_info_text(info_type::description, info.description), out);
  }
  // Always sent, asked for or not: clients that understand it align to 512 bytes and stay under
  // the maximum; the server checks both anyway.
  encode_option_reply(
      opt, reply_type::info,
      encode_info_block_size(kMinimumBlockBytes, kPreferredBlockBytes, max_request_bytes_), out);
}

bytes option_haggler::transmission_start(bool writable) const {
  const std::uint16_t flags = transmission_flags(pending_export_, writable);
  if (pending_option_ == option::export_name) {
    return encode_export_name_reply(pending_export_.size_bytes, flags, no_zeroes_);
  }
  bytes out;
  const auto opt = static_cast<std::uint32_t>(option::go);
  append_infos(opt, pending_export_, pending_request_, writable, out);
  encode_option_reply(opt, reply_type::ack, std::span<const std::byte>{}, out);
  return out;
}

bytes option_haggler::open_refused(std::string_view message) const {
  assert(pending_option_ == option::go);
  bytes out;
  encode_option_reply(static_cast<std::uint32_t>(option::go), reply_type::err_policy, message, out);
  return out;
}

}  // namespace tandem::nbd
