// The DRBD v09 superblock from arbitrary bytes on a device of a size taken from the input (layout
// in fuzz_common.h). decode_superblock never crashes; a superblock it accepts encodes to the
// block it came from (up to the ignored zero padding) and decodes again to the same value.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/meta/size.h"
#include "core/meta/superblock.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::as_bytes(data, size);
  const std::uint64_t device_bytes = fuzz::superblock_device_bytes(input);
  const meta::superblock_block block = fuzz::superblock_block_of(input);

  const auto decoded = meta::decode_superblock(block, device_bytes);
  TANDEM_FUZZ_CHECK(decoded.ok() == decoded.message().empty());
  // Any size but 4096 is refused.
  TANDEM_FUZZ_CHECK(!meta::decode_superblock(std::span(block).first(size % 4096), device_bytes));
  if (!decoded) return 0;

  const meta::superblock& sb = decoded.value();
  TANDEM_FUZZ_CHECK(sb.magic == meta::kMagic09);
  TANDEM_FUZZ_CHECK(sb.bm_max_peers >= meta::kMinPeers && sb.bm_max_peers <= meta::kMaxPeers);
  TANDEM_FUZZ_CHECK(sb.node_id >= -1 && sb.node_id < kMaxNodes);
  // The layout decode compared against exists, and the data the superblock claims fits in it.
  const auto layout = meta::compute_internal_layout(device_bytes, sb.bm_max_peers, sb.al_stripes,
                                                    sb.al_stripe_size_4k, sb.bm_bytes_per_bit);
  TANDEM_FUZZ_CHECK(layout.ok());
  TANDEM_FUZZ_CHECK(sb.effective_size * meta::kMetaSectorBytes <= layout.value().usable_bytes);
  TANDEM_FUZZ_CHECK(layout.value().md_offset_bytes + meta::kSuperblockBytes <= device_bytes);

  const meta::superblock_block again = meta::encode_superblock(sb);
  TANDEM_FUZZ_CHECK(
      std::equal(again.begin(), again.begin() + meta::sb_offset::kEnd, block.begin()));
  TANDEM_FUZZ_CHECK(std::all_of(again.begin() + meta::sb_offset::kEnd, again.end(),
                                [](std::byte b) { return b == std::byte{0}; }));
  const auto redecoded = meta::decode_superblock(again, device_bytes);
  TANDEM_FUZZ_CHECK(redecoded.ok());
  TANDEM_FUZZ_CHECK(redecoded.value() == sb);
  return 0;
}
