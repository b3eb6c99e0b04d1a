// Shared by the fuzz targets and make_corpus: the property check, the wire round-trip property,
// and the input layouts of the metadata targets (a fuzzer input is not always the raw on-disk
// bytes: some targets take a few leading bytes of parameters). make_corpus builds its seeds with
// the same functions the fuzzers use to take them apart, so the seeds stay valid inputs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include "core/meta/activity_log.h"
#include "core/meta/bitmap_area.h"
#include "core/meta/superblock.h"
#include "core/wire/codec.h"

// A property the fuzzer checks does not hold: say which, then crash so that libFuzzer keeps the
// input as a crash file.
#define TANDEM_FUZZ_CHECK(condition)                                                              \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
      __builtin_trap();                                                                           \
    }                                                                                             \
  } while (0)

namespace tandem::fuzz {

using bytes = std::vector<std::byte>;

inline std::span<const std::byte> as_bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

inline std::uint64_t get_be(std::span<const std::byte> in, std::size_t offset, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const std::size_t at = offset + i;
    value = (value << 8) | (at < in.size() ? std::to_integer<std::uint64_t>(in[at]) : 0);
  }
  return value;
}

inline void put_be(bytes& out, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    out.push_back(static_cast<std::byte>((value >> (8 * (width - 1 - i))) & 0xff));
  }
}

// in, cut or filled up with `fill` to exactly size bytes.
inline bytes fit(std::span<const std::byte> in, std::size_t size, std::byte fill) {
  bytes out(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(std::min(in.size(), size)));
  out.resize(size, fill);
  return out;
}

// in without its trailing `fill` bytes (what fit() puts back).
inline bytes trim(std::span<const std::byte> in, std::byte fill) {
  std::size_t size = in.size();
  while (size > 0 && in[size - 1] == fill) --size;
  return bytes(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(size));
}

// ------------------------------------------------------------------------------------- wire

// The property of every successfully decoded frame: encoding the message again (with the payload
// bytes decode found) gives the very same bytes, and those decode to an equal message.
inline void check_wire_round_trip(std::span<const std::byte> frame, const wire::decoded& first) {
  TANDEM_FUZZ_CHECK(first.status == wire::decode_status::ok);
  TANDEM_FUZZ_CHECK(first.payload_bytes.size() == wire::payload_of(first.msg).length_bytes);
  bytes again;
  wire::encode(first.msg, first.payload_bytes, again);
  TANDEM_FUZZ_CHECK(again.size() == frame.size());
  TANDEM_FUZZ_CHECK(std::equal(again.begin(), again.end(), frame.begin()));
  const wire::decoded second = wire::decode(again);
  TANDEM_FUZZ_CHECK(second.status == wire::decode_status::ok);
  TANDEM_FUZZ_CHECK(second.msg == first.msg);
  TANDEM_FUZZ_CHECK(std::equal(second.payload_bytes.begin(), second.payload_bytes.end(),
                               first.payload_bytes.begin(), first.payload_bytes.end()));
}

// ------------------------------------------------------------------------------- superblock
// Input: 8 bytes big-endian device size in 512-byte sectors (the low 53 bits), then the block,
// zero-filled or cut to 4096 bytes.

inline constexpr std::size_t kSuperblockPrefix = 8;

inline std::uint64_t superblock_device_bytes(std::span<const std::byte> input) {
  return (get_be(input, 0, 8) & ((std::uint64_t{1} << 53) - 1)) * 512;
}

inline meta::superblock_block superblock_block_of(std::span<const std::byte> input) {
  const auto rest = input.subspan(std::min(input.size(), kSuperblockPrefix));
  const bytes block = fit(rest, meta::kSuperblockBytes, std::byte{0});
  meta::superblock_block out{};
  std::copy(block.begin(), block.end(), out.begin());
  return out;
}

inline bytes superblock_input(std::uint64_t device_bytes, const meta::superblock& sb) {
  bytes out;
  put_be(out, device_bytes / 512, 8);
  const auto block = meta::encode_superblock(sb);
  const bytes body = trim(block, std::byte{0});
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// ---------------------------------------------------------------------------- activity log
// Input: byte 0 flags: bit 0 = store the right CRC32C into every block before decoding (so that
// mutations get past the checksum), bits 1..3 = ring blocks - 1 (1..8), bits 4..7 pick al_stripes
// among the divisors of the block count. Bytes 1..2: al_nr_extents, big-endian. Then the ring's
// blocks in on-disk order: a new block starts at every occurrence of the AL magic (69 cb 65 a2)
// after the first byte; each block is filled up with 0xff (unused update and context entries) or
// cut to 4096 bytes; blocks that are not there are all 0xff.

inline constexpr std::size_t kAlPrefix = 3;
inline constexpr std::uint8_t kAlFixCrc = 1;

struct al_input {
  bool fix_crc = false;
  std::uint32_t stripes = 1;
  std::uint32_t stripe_size_4k = 1;
  std::uint32_t al_nr_extents = 0;
  std::vector<meta::al_block> blocks;  // stripes * stripe_size_4k of them
};

inline al_input parse_al_input(std::span<const std::byte> input) {
  al_input out;
  const auto flags = static_cast<std::uint8_t>(get_be(input, 0, 1));
  out.fix_crc = (flags & kAlFixCrc) != 0;
  const std::uint32_t blocks = 1 + ((flags >> 1) & 7);
  std::vector<std::uint32_t> divisors;
  for (std::uint32_t d = 1; d <= blocks; ++d) {
    if (blocks % d == 0) divisors.push_back(d);
  }
  out.stripes = divisors[(flags >> 4) % divisors.size()];
  out.stripe_size_4k = blocks / out.stripes;
  out.al_nr_extents = static_cast<std::uint32_t>(get_be(input, 1, 2));

  const auto rest = input.subspan(std::min(input.size(), kAlPrefix));
  std::vector<std::size_t> starts{0};
  for (std::size_t at = 1; at + 4 <= rest.size() && starts.size() < blocks; ++at) {
    if (get_be(rest, at, 4) == meta::kAlMagic) starts.push_back(at);
  }
  for (std::uint32_t b = 0; b < blocks; ++b) {
    meta::al_block block;
    block.fill(std::byte{0xff});
    if (b < starts.size() && starts[b] < rest.size()) {
      const std::size_t end = b + 1 < starts.size() ? starts[b + 1] : rest.size();
      const auto piece = rest.subspan(starts[b], end - starts[b]);
      std::copy_n(piece.begin(), std::min(piece.size(), block.size()), block.begin());
    }
    if (out.fix_crc) {
      const std::uint32_t crc = meta::al_block_checksum(block);
      for (std::size_t i = 0; i < 4; ++i) {
        block[meta::al_offset::kCrc32c + i] = static_cast<std::byte>((crc >> (24 - 8 * i)) & 0xff);
      }
    }
    out.blocks.push_back(block);
  }
  return out;
}

// The input parse_al_input turns back into these blocks. blocks.size() must be 1..8 and a multiple
// of stripes; make_corpus checks the round trip.
inline bytes al_input_bytes(bool fix_crc, std::uint32_t stripes, std::uint32_t al_nr_extents,
                            const std::vector<meta::al_block>& blocks) {
  const auto count = static_cast<std::uint32_t>(blocks.size());
  std::vector<std::uint32_t> divisors;
  for (std::uint32_t d = 1; d <= count; ++d) {
    if (count % d == 0) divisors.push_back(d);
  }
  const auto pick = std::find(divisors.begin(), divisors.end(), stripes) - divisors.begin();
  bytes out;
  put_be(out, (fix_crc ? kAlFixCrc : 0) | ((count - 1) << 1) | (pick << 4), 1);
  put_be(out, al_nr_extents, 2);
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    // Trailing 0xff bytes are left out: parse_al_input fills them in again. Every block must start
    // with the AL magic (real ones do), or the blocks after it would move up.
    const bytes body = trim(blocks[b], std::byte{0xff});
    out.insert(out.end(), body.begin(), body.end());
  }
  return out;
}

// ------------------------------------------------------------------------------ bitmap area
// Input: byte 0 bits 0..5 = max_peers (0..63; 1..31 are valid), bit 7 = take the area as it is
// instead of filling it up with zeros or cutting it to the expected size. Bytes 1..2: bits,
// big-endian, modulo 4097. Then the area.

inline constexpr std::size_t kBitmapPrefix = 3;
inline constexpr std::uint8_t kBitmapAsIs = 0x80;

struct bitmap_input {
  std::uint32_t max_peers = 0;
  std::uint64_t bits = 0;
  bytes area;
};

inline bitmap_input parse_bitmap_input(std::span<const std::byte> input) {
  bitmap_input out;
  const auto flags = static_cast<std::uint8_t>(get_be(input, 0, 1));
  out.max_peers = flags & 0x3f;
  out.bits = get_be(input, 1, 2) % 4097;
  const auto rest = input.subspan(std::min(input.size(), kBitmapPrefix));
  if ((flags & kBitmapAsIs) != 0) {
    out.area.assign(rest.begin(), rest.end());
  } else {
    out.area = fit(rest, meta::bitmap_area_bytes(out.bits, out.max_peers), std::byte{0});
  }
  return out;
}

inline bytes bitmap_input_bytes(std::uint32_t max_peers, std::uint64_t bits,
                                std::span<const std::byte> area) {
  bytes out;
  put_be(out, max_peers & 0x3f, 1);
  put_be(out, bits, 2);
  const bytes body = trim(area, std::byte{0});
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace tandem::fuzz
