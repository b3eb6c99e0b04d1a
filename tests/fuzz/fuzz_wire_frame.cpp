// One peer-protocol frame from arbitrary bytes: peek_frame and decode never crash, agree with each
// other, and every frame that decodes re-encodes to the same bytes and the same message.
#include <cstddef>
#include <cstdint>

#include "core/wire/codec.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;

namespace {

void check_decoded(std::span<const std::byte> frame) {
  const wire::decoded result = wire::decode(frame);
  // need_more belongs to peek_frame only; every failure says why.
  TANDEM_FUZZ_CHECK(result.status != wire::decode_status::need_more);
  TANDEM_FUZZ_CHECK((result.status == wire::decode_status::ok) == result.detail.empty());
  if (frame.size() >= wire::kHeaderBytes) {
    const wire::frame_info info = wire::peek_frame(frame);
    // The header checks peek_frame shares with decode give the same answer.
    if (result.status == wire::decode_status::bad_magic ||
        result.status == wire::decode_status::oversized) {
      TANDEM_FUZZ_CHECK(info.status == result.status);
    }
    if (result.status == wire::decode_status::ok) {
      TANDEM_FUZZ_CHECK(info.status == wire::decode_status::ok);
      TANDEM_FUZZ_CHECK(info.frame_bytes == frame.size());
    }
  }
  if (result.status == wire::decode_status::ok) fuzz::check_wire_round_trip(frame, result);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::as_bytes(data, size);
  check_decoded(input);

  const wire::frame_info info = wire::peek_frame(input);
  switch (info.status) {
    case wire::decode_status::ok:
      TANDEM_FUZZ_CHECK(info.frame_bytes >= wire::kHeaderBytes);
      TANDEM_FUZZ_CHECK(info.frame_bytes <= input.size());
      TANDEM_FUZZ_CHECK(info.frame_bytes - wire::kHeaderBytes <= wire::kMaxBodyBytes);
      // What a reader does with the first frame of a stream.
      if (info.frame_bytes != input.size()) check_decoded(input.first(info.frame_bytes));
      break;
    case wire::decode_status::need_more:
      // Either the header is incomplete, or it announces more than is there.
      TANDEM_FUZZ_CHECK(input.size() < wire::kHeaderBytes || info.frame_bytes > input.size());
      break;
    case wire::decode_status::bad_magic:
    case wire::decode_status::oversized:
      TANDEM_FUZZ_CHECK(input.size() >= wire::kHeaderBytes);
      break;
    default: TANDEM_FUZZ_CHECK(!"peek_frame returned a status only decode may return");
  }
  return 0;
}
