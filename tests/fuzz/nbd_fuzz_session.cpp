// Target fuzz_nbd_session: one whole NBD client byte stream, as the server would read it, through
// the pure protocol layer of engine/nbd: client flags, options (option_haggler), then requests
// (decode_request_header, check_request). Nothing may crash, and every answer must be well-formed:
//   * every option reply run parses as magic/option/type/length/data with the lengths adding up;
//   * a request that check_request submits lies inside the export, 512-aligned, and a write is
//     only submitted on a writable export; a WRITE's payload is skipped exactly as announced;
//   * request headers re-encode to the same 28 bytes.
// Input layout: byte 0 bit 0 = the backend grants writes, bit 1 = open refused; then the stream.
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/nbd/handshake.h"
#include "engine/nbd/protocol.h"
#include "engine/nbd/transmission.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;
using namespace tandem::nbd;

namespace {

constexpr std::uint32_t kMaxRequestBytes = 1 << 20;
// Bound per input: a stream of tiny requests cannot loop for long.
constexpr std::size_t kMaxRequestsPerInput = 4096;

// The registry part of a backend: two fixed exports. open/close are never called here.
class fixed_registry final : public block_backend {
 public:
  std::vector<export_info> list_exports() const override { return {disk_, ro_}; }
  std::optional<export_info> find_export(std::string_view name) const override {
    if (name == disk_.name) return disk_;
    if (name == ro_.name) return ro_;
    return std::nullopt;
  }
  void open(std::string_view, bool, open_completion) override { __builtin_trap(); }
  void close(std::string_view, bool) override { __builtin_trap(); }

 private:
  export_info disk_{"disk", "fuzzed", 1 << 24, false, true};
  export_info ro_{"", "", 64 * 1024, true, false};  // the default export
};

// A run of option replies must split exactly into well-formed replies.
void check_option_replies(std::span<const std::byte> replies) {
  std::size_t at = 0;
  while (at < replies.size()) {
    TANDEM_FUZZ_CHECK(replies.size() - at >= kOptionReplyHeaderBytes);
    TANDEM_FUZZ_CHECK(fuzz::get_be(replies, at, 8) == kOptionReplyMagic);
    const std::uint64_t length = fuzz::get_be(replies, at + 16, 4);
    TANDEM_FUZZ_CHECK(length <= replies.size() - at - kOptionReplyHeaderBytes);
    const std::uint64_t type = fuzz::get_be(replies, at + 12, 4);
    if (type & 0x80000000u) TANDEM_FUZZ_CHECK(length <= kMaxNameBytes);  // error text
    at += kOptionReplyHeaderBytes + length;
  }
}

void check_submitted(const request_header& header, const request_check& check,
                     const export_limits& limits) {
  if (check.op == io_op::flush) {
    TANDEM_FUZZ_CHECK(header.offset_bytes == 0 && header.length_bytes == 0);
    return;
  }
  TANDEM_FUZZ_CHECK(header.length_bytes > 0);
  TANDEM_FUZZ_CHECK(header.offset_bytes % kMinimumBlockBytes == 0);
  TANDEM_FUZZ_CHECK(header.length_bytes % kMinimumBlockBytes == 0);
  TANDEM_FUZZ_CHECK(header.offset_bytes <= limits.size_bytes);
  TANDEM_FUZZ_CHECK(header.length_bytes <= limits.size_bytes - header.offset_bytes);
  if (check.op != io_op::read) TANDEM_FUZZ_CHECK(limits.writable);
  if (check.op == io_op::read || check.op == io_op::write) {
    TANDEM_FUZZ_CHECK(header.length_bytes <= limits.max_request_bytes);
  }
}

void run_transmission(std::span<const std::byte> stream, const export_limits& limits) {
  for (std::size_t requests = 0; requests < kMaxRequestsPerInput; ++requests) {
    if (stream.size() < kRequestHeaderBytes) return;
    const auto raw = stream.first<kRequestHeaderBytes>();
    stream = stream.subspan(kRequestHeaderBytes);
    const request_header_result decoded = decode_request_header(raw);
    if (!decoded.header) {
      TANDEM_FUZZ_CHECK(!decoded.problem.empty());
      return;  // the server disconnects
    }
    bytes again;
    encode_request_header(*decoded.header, again);
    TANDEM_FUZZ_CHECK(std::equal(again.begin(), again.end(), raw.begin(), raw.end()));

    const request_check check = check_request(*decoded.header, limits);
    const bool is_write = decoded.header->type == static_cast<std::uint16_t>(command::write);
    switch (check.action) {
      case request_check::verdict::violation: TANDEM_FUZZ_CHECK(!check.problem.empty()); return;
      case request_check::verdict::disconnect: return;
      case request_check::verdict::reply_error:
        TANDEM_FUZZ_CHECK(check.error != nbd_error::none);
        TANDEM_FUZZ_CHECK(!check.problem.empty());
        break;
      case request_check::verdict::submit: check_submitted(*decoded.header, check, limits); break;
    }
    TANDEM_FUZZ_CHECK(check.payload_bytes == (is_write ? decoded.header->length_bytes : 0));
    if (check.payload_bytes > stream.size()) return;  // the client stopped mid-payload
    stream = stream.subspan(check.payload_bytes);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 + kClientFlagsBytes) return 0;
  const auto input = fuzz::as_bytes(data, size);
  const bool grant_writes = (data[0] & 1) != 0;
  const bool refuse_open = (data[0] & 2) != 0;
  std::span<const std::byte> stream = input.subspan(1);

  static const fixed_registry registry;
  option_haggler haggler(registry, kMaxRequestBytes);
  const auto flags = haggler.handle_client_flags(stream.first<kClientFlagsBytes>());
  stream = stream.subspan(kClientFlagsBytes);
  if (flags.next == option_haggler::outcome::disconnect) return 0;

  for (std::size_t options = 0; options <= kMaxOptionsPerConnection; ++options) {
    if (stream.size() < kOptionHeaderBytes) return 0;
    const option_header header = decode_option_header(stream.first<kOptionHeaderBytes>());
    stream = stream.subspan(kOptionHeaderBytes);
    if (!header.ok) return 0;
    TANDEM_FUZZ_CHECK(header.length_bytes <= kMaxOptionDataBytes);
    if (header.length_bytes > stream.size()) return 0;
    const auto option_data = stream.first(header.length_bytes);
    stream = stream.subspan(header.length_bytes);

    const option_haggler::step step = haggler.handle_option(header.option, option_data);
    check_option_replies(step.replies);
    switch (step.next) {
      case option_haggler::outcome::keep_haggling: continue;
      case option_haggler::outcome::abort:
      case option_haggler::outcome::disconnect: return 0;
      case option_haggler::outcome::enter_transmission: break;
    }
    TANDEM_FUZZ_CHECK(registry.find_export(step.chosen.name).has_value());
    if (refuse_open && !haggler.pending_is_export_name()) {
      check_option_replies(haggler.open_refused("refused by the fuzzer"));
      continue;
    }
    const bool writable = grant_writes && !step.chosen.read_only;
    const bytes start = haggler.transmission_start(writable);
    if (!haggler.pending_is_export_name()) check_option_replies(start);
    run_transmission(stream, export_limits{step.chosen.size_bytes, writable, kMaxRequestBytes});
    return 0;
  }
  return 0;
}
