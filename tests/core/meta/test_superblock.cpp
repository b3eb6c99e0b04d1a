#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/meta/superblock.h"
#include "meta_test_util.h"

using namespace tandem::meta;
using tandem::meta::testing::flip_bit;
using tandem::meta::testing::mentions;
using tandem::meta::testing::peek_be32;
using tandem::meta::testing::poke_be32;
using tandem::meta::testing::xorshift;

namespace {

constexpr std::uint64_t kDevice = std::uint64_t{1} << 30;  // 1 GiB, 7 peers: see test_size.cpp

superblock created(std::int32_t node = 2) {
  auto sb = make_created_superblock(kDevice, 7, node);
  REQUIRE(sb.ok());
  return sb.value();
}

// A superblock with every field away from its default.
superblock busy() {
  superblock sb = created(5);
  sb.effective_size = 1073475584 / 512;  // exactly the usable size
  sb.current_uuid = 0x1122334455667789ull;
  sb.members = 0x0000000000000027ull;
  sb.reserved_u64 = {0x0101010101010101ull, 0x0202020202020202ull, 0x0303030303030303ull};
  sb.device_uuid = 0xdeadbeefcafef00dull;
  sb.flags = mdf::kConsistent | mdf::kWasUpToDate | mdf::kPrimaryInd | mdf::kHaveQuorum;
  sb.al_nr_extents = 6001;
  sb.la_peer_max_bio_size = 1u << 20;
  sb.reserved_u32 = {0xa5a5a5a5u, 0x5a5a5a5au};
  for (std::size_t node = 0; node < kSuperblockPeerSlots; ++node) {
    peer_md& peer = sb.peers[node];
    peer.bitmap_uuid = 0x1000000000000000ull + node * 0x10;
    peer.bitmap_dagtag = 0x200000000ull * (node + 1);
    peer.flags = (node % 2 ? mdf_peer::kConnected : mdf_peer::kOutdated) | mdf_peer::kNodeExists;
    peer.bitmap_index = node < 7 ? static_cast<std::int32_t>(6 - node) : -1;
    peer.reserved = {static_cast<std::uint32_t>(node), 0xffffffffu};
  }
  for (std::size_t i = 0; i < kHistoryUuids; ++i) sb.history_uuids[i] = 0xabc0000000000000ull + i;
  return sb;
}

std::string decode_error(const superblock& sb, std::uint64_t device = kDevice) {
  const auto block = encode_superblock(sb);
  const auto decoded = decode_superblock(block, device);
  CHECK_FALSE(decoded.ok());
  return decoded.message();
}

}  // namespace

TEST_CASE("create-md superblock for 1 GiB, 7 peers") {
  const superblock sb = created();
  CHECK(sb.effective_size == 0);
  CHECK(sb.current_uuid == 4);  // UUID_JUST_CREATED
  CHECK(sb.members == 0);
  CHECK(sb.device_uuid == 0);
  CHECK(sb.flags == mdf::kAlClean);
  CHECK(sb.magic == kMagic09);
  CHECK(sb.md_size_sect == 520);
  CHECK(sb.al_offset == -64);
  CHECK(sb.bm_offset == -512);
  CHECK(sb.al_nr_extents == 1237);
  CHECK(sb.bm_bytes_per_bit == 4096);
  CHECK(sb.bm_max_peers == 7);
  CHECK(sb.node_id == 2);
  CHECK(sb.al_stripes == 1);
  CHECK(sb.al_stripe_size_4k == 8);
  for (const peer_md& peer : sb.peers) {
    CHECK(peer.bitmap_index == -1);
    CHECK(peer.bitmap_uuid == 0);
    CHECK(peer.flags == 0);
  }
  CHECK(std::all_of(sb.history_uuids.begin(), sb.history_uuids.end(),
                    [](std::uint64_t u) { return u == 0; }));
  CHECK(make_created_superblock(kDevice, 7, -1).value().node_id == -1);
  CHECK(decode_superblock(encode_superblock(sb), kDevice).value() == sb);
}

TEST_CASE("superblock fields sit at their documented offsets, big-endian") {
  const superblock sb = busy();
  const auto block = encode_superblock(sb);
  const std::span<const std::byte> b(block);
  CHECK(peek_be32(b, sb_offset::kMagic) == 0x8374026du);
  CHECK(block[60] == std::byte{0x83});
  CHECK(block[63] == std::byte{0x6d});
  CHECK(peek_be32(b, sb_offset::kEffectiveSize + 4) == 1073475584u / 512);
  CHECK(peek_be32(b, sb_offset::kCurrentUuid) == 0x11223344u);
  CHECK(peek_be32(b, sb_offset::kCurrentUuid + 4) == 0x55667789u);
  CHECK(peek_be32(b, sb_offset::kDeviceUuid) == 0xdeadbeefu);
  CHECK(peek_be32(b, 56) ==
        (mdf::kConsistent | mdf::kWasUpToDate | mdf::kPrimaryInd | mdf::kHaveQuorum));
  CHECK(peek_be32(b, 64) == 520u);         // md_size_sect
  CHECK(peek_be32(b, 68) == 0xffffffc0u);  // al_offset -64
  CHECK(peek_be32(b, 72) == 6001u);        // al_nr_extents
  CHECK(peek_be32(b, 76) == 0xfffffe00u);  // bm_offset -512
  CHECK(peek_be32(b, 80) == 4096u);
  CHECK(peek_be32(b, 84) == 1048576u);
  CHECK(peek_be32(b, 88) == 7u);
  CHECK(peek_be32(b, 92) == 5u);
  CHECK(peek_be32(b, 96) == 1u);
  CHECK(peek_be32(b, 100) == 8u);
  CHECK(peek_be32(b, 104) == 0xa5a5a5a5u);
  // peers[3]: starts at 112 + 3 * 32.
  CHECK(peek_be32(b, 208 + 4) == 0x30u);  // bitmap_uuid low half
  CHECK(peek_be32(b, 208 + 8) == 8u);     // bitmap_dagtag high half (4 << 33)
  CHECK(peek_be32(b, 208 + 16) == (mdf_peer::kConnected | mdf_peer::kNodeExists));
  CHECK(peek_be32(b, 208 + 20) == 3u);                     // bitmap_index 6 - 3
  CHECK(peek_be32(b, 208 + 24) == 3u);                     // reserved[0]
  CHECK(peek_be32(b, 112 + 31 * 32 + 20) == 0xffffffffu);  // peers[31].bitmap_index -1
  CHECK(peek_be32(b, 1136) == 0xabc00000u);                // history_uuids[0]
  CHECK(peek_be32(b, 1136 + 31 * 8 + 4) == 31u);           // history_uuids[31]
  CHECK(std::all_of(block.begin() + sb_offset::kEnd, block.end(),
                    [](std::byte x) { return x == std::byte{0}; }));
}

TEST_CASE("superblock round trip keeps every non-default field") {
  const superblock sb = busy();
  const auto decoded = decode_superblock(encode_superblock(sb), kDevice);
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == sb);
  CHECK(encode_superblock(decoded.value()) == encode_superblock(sb));

  // Another geometry: 10 GiB, 31 peers, node 31, every slot in use.
  auto big = make_created_superblock(std::uint64_t{10} << 30, 31, 31);
  REQUIRE(big.ok());
  for (std::size_t node = 0; node < 31; ++node)
    big.value().peers[node].bitmap_index = 30 - int(node);
  big.value().effective_size = 1234567;
  const auto back = decode_superblock(encode_superblock(big.value()), std::uint64_t{10} << 30);
  REQUIRE(back.ok());
  CHECK(back.value() == big.value());
}

TEST_CASE("every superblock validation failure names its field") {
  {
    superblock sb = busy();
    sb.magic = kMagic08;
    const auto message = decode_error(sb);
    CHECK(mentions(message, "magic 0x8374026b"));
    CHECK(mentions(message, "v08"));
  }
  {
    superblock sb = busy();
    sb.magic = 0;
    CHECK(mentions(decode_error(sb), "magic"));
  }
  {
    superblock sb = busy();
    sb.bm_bytes_per_bit = 8192;
    CHECK(mentions(decode_error(sb), "bm_bytes_per_bit 8192"));
  }
  {
    superblock sb = busy();
    sb.bm_max_peers = 40;
    CHECK(decode_error(sb) == "superblock: bm_max_peers 40 outside 1..31");
    sb.bm_max_peers = 0;
    CHECK(mentions(decode_error(sb), "bm_max_peers 0"));
  }
  {
    superblock sb = busy();
    sb.node_id = 32;
    CHECK(mentions(decode_error(sb), "node_id 32"));
    sb.node_id = -2;
    CHECK(mentions(decode_error(sb), "node_id -2"));
  }
  {
    superblock sb = busy();
    sb.peers[5].bitmap_index = 32;
    CHECK(mentions(decode_error(sb), "peers[5].bitmap_index 32"));
    sb.peers[5].bitmap_index = -2;
    CHECK(mentions(decode_error(sb), "peers[5].bitmap_index -2"));
  }
  {
    superblock sb = busy();
    sb.al_stripes = 0;
    CHECK(mentions(decode_error(sb), "al_stripes"));
  }
  {
    superblock sb = busy();
    sb.al_stripe_size_4k = 0;
    CHECK(mentions(decode_error(sb), "al_stripe_size_4k"));
  }
  {
    superblock sb = busy();
    sb.md_size_sect = 528;
    CHECK(mentions(decode_error(sb), "md_size_sect 528"));
  }
  {
    superblock sb = busy();
    sb.al_offset = 8;  // external metadata's value
    CHECK(mentions(decode_error(sb), "al_offset 8"));
  }
  {
    superblock sb = busy();
    sb.bm_offset = -520;
    CHECK(mentions(decode_error(sb), "bm_offset -520"));
  }
  {
    superblock sb = busy();
    sb.effective_size += 1;
    CHECK(mentions(decode_error(sb), "effective_size"));
  }
  {
    // The AL geometry decides the offsets: a 2 x 8 AL does not match offsets made for 1 x 8.
    superblock sb = busy();
    sb.al_stripes = 2;
    CHECK(mentions(decode_error(sb), "md_size_sect"));
  }
  {
    // The device grew by 1 MiB: the bitmap needs another 4 KiB block.
    CHECK(mentions(decode_error(busy(), kDevice + (1 << 20)), "md_size_sect"));
    // Too small for the metadata at all.
    CHECK(mentions(decode_error(busy(), 4096), "device_bytes"));
  }
  {
    const auto block = encode_superblock(busy());
    const auto short_block = decode_superblock(std::span(block).first(4095), kDevice);
    CHECK_FALSE(short_block.ok());
    CHECK(mentions(short_block.message(), "4095 bytes"));
  }
}

TEST_CASE("make_created_superblock rejects bad arguments") {
  CHECK(mentions(make_created_superblock(kDevice, 7, 32).message(), "node_id 32"));
  CHECK(mentions(make_created_superblock(kDevice, 7, -2).message(), "node_id -2"));
  CHECK(mentions(make_created_superblock(kDevice, 0, 0).message(), "max_peers 0"));
  CHECK(mentions(make_created_superblock(kDevice, 32, 0).message(), "max_peers 32"));
  CHECK(mentions(make_created_superblock(40960, 7, 0).message(), "too small"));
  CHECK(mentions(make_created_superblock(kDevice, 7, 0, 0).message(), "al_nr_extents 0"));
  // 8 AL blocks x 919 context entries bound what the default AL can restore.
  CHECK(make_created_superblock(kDevice, 7, 0, 7352).ok());
  CHECK(mentions(make_created_superblock(kDevice, 7, 0, 7353).message(), "al_nr_extents 7353"));
}

TEST_CASE("garbage and bit-flipped superblocks never crash and never pass with a bad magic") {
  xorshift rng(0x5eed5eed12345678ull);
  const superblock valid = busy();
  const auto valid_block = encode_superblock(valid);
  int decoded_ok = 0;
  for (int round = 0; round < 5000; ++round) {
    superblock_block block;
    if (round % 2 == 0) {
      rng.fill(block);
      // Every fourth block gets the right magic so validation goes past the first check.
      if (round % 4 == 0) poke_be32(block, sb_offset::kMagic, kMagic09);
    } else {
      block = valid_block;
      const int flips = 1 + static_cast<int>(rng.below(3));
      for (int f = 0; f < flips; ++f) flip_bit(block, rng.below(kSuperblockBytes * 8));
    }
    const auto decoded = decode_superblock(block, kDevice);
    const bool magic_ok = peek_be32(block, sb_offset::kMagic) == kMagic09;
    if (!magic_ok) {
      CHECK_FALSE(decoded.ok());
      CHECK(mentions(decoded.message(), "magic"));
    }
    if (decoded.ok()) {
      ++decoded_ok;
      // Whatever passed, re-encodes to the same bytes (only the ignored padding may differ).
      const auto again = encode_superblock(decoded.value());
      CHECK(std::equal(again.begin(), again.begin() + sb_offset::kEnd, block.begin()));
      CHECK(decoded.value().bm_max_peers >= 1);
      CHECK(decoded.value().bm_max_peers <= 31);
    } else {
      CHECK_FALSE(decoded.message().empty());
    }
  }
  // Flips in UUIDs, flags or padding leave a valid superblock: some of them must pass.
  CHECK(decoded_ok > 100);
}
