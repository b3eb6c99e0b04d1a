// A byte stream as a peer connection delivers it: frames are cut out with peek_frame the way the
// TCP reader does (need_more waits for more bytes, any error closes the connection) and each one
// is decoded. Checks that the reader always makes progress, that the frames found do not depend
// on how the bytes were split into reads, and that every decoded frame round-trips.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/wire/codec.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;

namespace {

struct cut {
  std::vector<std::size_t> frame_ends;  // stream offsets where each frame ends
  wire::decode_status stop = wire::decode_status::need_more;
  std::size_t stopped_at = 0;  // offset of the first byte not consumed
};

// Consumes whole frames from buffer[consumed..]; returns false when the connection must close.
bool drain(std::span<const std::byte> buffer, std::size_t& consumed, cut& out) {
  // Each frame takes at least a header, so this bounds the loop even if peek_frame misbehaved.
  for (std::size_t rounds = 0; rounds <= buffer.size() / wire::kHeaderBytes; ++rounds) {
    const auto rest = buffer.subspan(consumed);
    const wire::frame_info info = wire::peek_frame(rest);
    if (info.status == wire::decode_status::need_more) return true;
    if (info.status != wire::decode_status::ok) {
      out.stop = info.status;
      return false;
    }
    TANDEM_FUZZ_CHECK(info.frame_bytes >= wire::kHeaderBytes && info.frame_bytes <= rest.size());
    const auto frame = rest.first(info.frame_bytes);
    const wire::decoded result = wire::decode(frame);
    TANDEM_FUZZ_CHECK(result.status != wire::decode_status::need_more);
    TANDEM_FUZZ_CHECK(result.status != wire::decode_status::bad_magic);
    TANDEM_FUZZ_CHECK(result.status != wire::decode_status::oversized);
    if (result.status == wire::decode_status::ok) fuzz::check_wire_round_trip(frame, result);
    consumed += info.frame_bytes;
    out.frame_ends.push_back(consumed);
  }
  TANDEM_FUZZ_CHECK(!"the frame reader made no progress");
  return false;
}

// Reads the stream in chunks of the given sizes (cycled; 0 = everything at once).
cut read_stream(std::span<const std::byte> stream, std::span<const std::size_t> chunks) {
  cut out;
  std::vector<std::byte> buffer;
  std::size_t consumed = 0;
  std::size_t delivered = 0;
  for (std::size_t read = 0; delivered < stream.size(); ++read) {
    const std::size_t want = chunks[read % chunks.size()];
    const std::size_t take = want == 0 ? stream.size() : std::min(want, stream.size() - delivered);
    buffer.insert(buffer.end(), stream.begin() + static_cast<std::ptrdiff_t>(delivered),
                  stream.begin() + static_cast<std::ptrdiff_t>(delivered + take));
    delivered += take;
    if (!drain(buffer, consumed, out)) break;
  }
  out.stopped_at = consumed;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto stream = fuzz::as_bytes(data, size);
  static constexpr std::size_t kAtOnce[] = {0};
  const cut whole = read_stream(stream, kAtOnce);
  if (whole.stop == wire::decode_status::need_more) {
    // Left over: an incomplete frame, so fewer bytes than peek_frame wants.
    TANDEM_FUZZ_CHECK(wire::peek_frame(stream.subspan(whole.stopped_at)).status ==
                      wire::decode_status::need_more);
  }
  // Reads of a size that depends on the input, like a socket would hand them out.
  const std::size_t chunks[] = {1 + size % 13, 1, 12, 4096, 1 + size % 511};
  const cut pieces = read_stream(stream, chunks);
  TANDEM_FUZZ_CHECK(pieces.frame_ends == whole.frame_ends);
  TANDEM_FUZZ_CHECK(pieces.stop == whole.stop);
  TANDEM_FUZZ_CHECK(pieces.stopped_at == whole.stopped_at);
  return 0;
}
