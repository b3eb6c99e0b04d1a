#include <doctest/doctest.h>

#include <cstdint>

#include "core/meta/size.h"
#include "meta_test_util.h"

using namespace tandem::meta;
using tandem::meta::testing::mentions;

namespace {

struct size_row {
  std::uint64_t net_kib;
  std::uint64_t md_kib;
  std::uint64_t gross_kib;
  std::uint64_t lv_kib;
  std::uint64_t usable_kib;
};

// linstor.md section 5: 7 peer slots, 4 KiB bitmap blocks, 4096 KiB LVM extents.
constexpr size_row kLinstorTable[] = {
    {3072, 40, 3112, 4096, 4056},
    {1048576, 264, 1048840, 1052672, 1052408},
    {10485760, 2280, 10488040, 10489856, 10487576},
    {104857600, 22444, 104880044, 104882176, 104859732},
};

}  // namespace

TEST_CASE("LINSTOR net -> gross -> LV -> usable reproduces every row of the size table") {
  for (const size_row& row : kLinstorTable) {
    CAPTURE(row.net_kib);
    const auto gross = gross_for_net_kib(row.net_kib, 7);
    REQUIRE(gross.ok());
    CHECK(gross.value() == row.gross_kib);
    CHECK(md_size_kib(gross.value(), 7).value() == row.md_kib);
    const auto lv = round_up_kib(gross.value(), 4096);
    REQUIRE(lv.ok());
    CHECK(lv.value() == row.lv_kib);
    CHECK(net_for_gross_kib(lv.value(), 7).value() == row.usable_kib);
    // The gross size is the smallest that works: its usable part holds the request exactly-ish.
    CHECK(net_for_gross_kib(row.gross_kib, 7).value() >= row.net_kib);
  }
  // The extra space the user gets, as listed in the table.
  CHECK(kLinstorTable[0].usable_kib - kLinstorTable[0].net_kib == 984);
  CHECK(kLinstorTable[1].usable_kib - kLinstorTable[1].net_kib == 3832);
  CHECK(kLinstorTable[2].usable_kib - kLinstorTable[2].net_kib == 1816);
  CHECK(kLinstorTable[3].usable_kib - kLinstorTable[3].net_kib == 2132);
}

TEST_CASE("LINSTOR metadata size with 31 peer slots and other bitmap blocks") {
  const auto gross = gross_for_net_kib(10485760, 31);
  REQUIRE(gross.ok());
  CHECK(md_size_kib(gross.value(), 31).value() == 9968);
  CHECK(gross.value() == 10485760 + 9968);
  // 10 GiB itself (not the gross size): 320 KiB of bitmap per slot x 31 = 9920 + 36.
  CHECK(md_size_kib(10485760, 31).value() == 9956);
  // 1 GiB, 7 slots: 32 KiB per slot = 224 KiB + 36 KiB.
  CHECK(md_size_kib(1048576, 7).value() == 260);
  // Twice the bitmap block halves the bitmap: 16 KiB x 7 = 112 KiB + 36 KiB.
  CHECK(md_size_kib(1048576, 7, 8192).value() == 148);
  // The smallest bitmap is one 4 KiB block: 3 MiB, 1 slot = 96 bytes -> 4 KiB.
  CHECK(md_size_kib(3072, 1).value() == 40);
}

TEST_CASE("LINSTOR size arithmetic rejects bad arguments, naming them") {
  CHECK(mentions(md_size_kib(1024, 0).message(), "peer_slots"));
  CHECK(mentions(md_size_kib(1024, 32).message(), "peer_slots"));
  CHECK(mentions(md_size_kib(1024, 7, 1000).message(), "bitmap_block_bytes"));
  CHECK(mentions(md_size_kib(1024, 7, 2048).message(), "bitmap_block_bytes"));
  CHECK(mentions(md_size_kib(~std::uint64_t{0}, 7).message(), "gross_kib"));
  CHECK(mentions(gross_for_net_kib(~std::uint64_t{0}, 7).message(), "net_kib"));
  CHECK(mentions(gross_for_net_kib(1024, 0).message(), "peer_slots"));
  CHECK(mentions(net_for_gross_kib(36, 7).message(), "gross_kib"));
  CHECK(mentions(round_up_kib(5, 0).message(), "granularity_kib"));
  CHECK(round_up_kib(4097, 4096).value() == 8192);
  CHECK(round_up_kib(8192, 4096).value() == 8192);
  CHECK(round_up_kib(0, 4096).value() == 0);
}

TEST_CASE("internal layout of a 1 GiB device with 7 peers") {
  const auto layout = compute_internal_layout(std::uint64_t{1} << 30, 7);
  REQUIRE(layout.ok());
  const internal_layout& l = layout.value();
  CHECK(l.md_offset_bytes == 1073737728);  // last 4 KiB
  CHECK(l.al_offset_sectors == -64);       // 32 KiB AL just below the superblock
  CHECK(l.bitmap_bits == 262144);          // one bit per 4 KiB
  CHECK(l.bitmap_bytes == 229376);         // 32 KiB per slot x 7
  CHECK(l.md_size_sectors == 520);         // 448 bitmap + 64 AL + 8 superblock
  CHECK(l.bm_offset_sectors == -512);
  CHECK(l.usable_bytes == 1073475584);
  CHECK(l.al_area_offset_bytes() == 1073737728 - 32768);
  CHECK(l.al_area_bytes() == 32768);
  CHECK(l.bm_area_offset_bytes() == l.usable_bytes);
  CHECK(l.bm_area_offset_bytes() + l.bitmap_bytes == l.al_area_offset_bytes());
}

TEST_CASE("internal layout of an unaligned device, striped AL and 31 peers") {
  // 3 extra sectors: the superblock stays in the last whole 4 KiB block, but the bitmap covers
  // every sector of the device, so it grows by one 64-bit group per slot and one 4 KiB block.
  const auto unaligned = compute_internal_layout((std::uint64_t{1} << 30) + 1536, 7);
  REQUIRE(unaligned.ok());
  CHECK(unaligned.value().md_offset_bytes == 1073737728);
  CHECK(unaligned.value().bitmap_bits == 262208);
  CHECK(unaligned.value().bitmap_bytes == 233472);
  CHECK(unaligned.value().md_size_sectors == 528);
  CHECK(unaligned.value().bm_offset_sectors == -520);
  CHECK(unaligned.value().usable_bytes == 1073471488);

  const auto striped = compute_internal_layout(std::uint64_t{10} << 30, 31, 4, 16);
  REQUIRE(striped.ok());
  CHECK(striped.value().al_offset_sectors == -512);  // 4 x 16 x 4 KiB = 256 KiB
  CHECK(striped.value().bitmap_bits == 2621440);
  CHECK(striped.value().bitmap_bytes == 10158080);
  CHECK(striped.value().md_size_sectors == 20360);
  CHECK(striped.value().bm_offset_sectors == -20352);
  CHECK(striped.value().usable_bytes == 10726993920);
}

TEST_CASE("drbdmeta layout and LINSTOR arithmetic agree on the usable size") {
  for (const size_row& row : kLinstorTable) {
    CAPTURE(row.lv_kib);
    const auto layout = compute_internal_layout(row.lv_kib * 1024, 7);
    REQUIRE(layout.ok());
    CHECK(layout.value().usable_bytes == row.usable_kib * 1024);
    CHECK(layout.value().md_size_sectors / 2 == md_size_kib(row.lv_kib, 7).value());
  }
}

TEST_CASE("internal layout errors name the argument") {
  CHECK(mentions(compute_internal_layout(1 << 30, 0).message(), "max_peers 0 outside 1..31"));
  CHECK(mentions(compute_internal_layout(1 << 30, 32).message(), "max_peers 32"));
  CHECK(mentions(compute_internal_layout(1 << 30, 7, 0).message(), "al_stripes"));
  CHECK(mentions(compute_internal_layout(1 << 30, 7, 1, 0).message(), "al_stripe_size_4k"));
  CHECK(mentions(compute_internal_layout(1 << 30, 7, 1u << 16, 1u << 16).message(), "al_stripes"));
  CHECK(mentions(compute_internal_layout(1 << 30, 7, 1, 8, 1000).message(), "bm_bytes_per_bit"));
  CHECK(mentions(compute_internal_layout((1 << 30) + 100, 7).message(), "device_bytes"));
  CHECK(mentions(compute_internal_layout(0, 7).message(), "too small"));
  CHECK(mentions(compute_internal_layout(2048, 7).message(), "too small"));
  // The smallest device that keeps one 4 KiB block of data: 4 KiB data + 4 KiB bitmap + 32 KiB
  // AL + 4 KiB superblock.
  const auto smallest = compute_internal_layout(45056, 7);
  REQUIRE(smallest.ok());
  CHECK(smallest.value().usable_bytes == 4096);
  CHECK(mentions(compute_internal_layout(45056 - 512, 7).message(), "device_bytes 44544"));
  // Metadata that no longer fits the 32-bit offsets of the superblock.
  CHECK(mentions(compute_internal_layout(std::uint64_t{1} << 51, 31).message(), "32-bit"));
}
