#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "core/meta/activity_log.h"
#include "core/meta/crc32c.h"
#include "meta_test_util.h"

using namespace tandem::meta;
using tandem::meta::testing::flip_bit;
using tandem::meta::testing::mentions;
using tandem::meta::testing::peek_be32;
using tandem::meta::testing::poke_be16;
using tandem::meta::testing::poke_be32;
using tandem::meta::testing::xorshift;

namespace {

al_transaction busy_transaction() {
  al_transaction tr;
  tr.tr_number = 123456;
  tr.transaction_type = kAlTypeUpdate;
  tr.context_size = 1237;
  tr.context_start_slot_nr = 919;  // the second window: 318 entries
  for (std::uint16_t i = 0; i < 64; ++i) {
    tr.updates.push_back({static_cast<std::uint16_t>(i * 19), i == 7 ? kAlFreeExtent : 5000u + i});
  }
  for (std::uint32_t i = 0; i < 318; ++i) tr.context.push_back(i % 5 == 0 ? kAlFreeExtent : i * 3);
  return tr;
}

// Rewrites the crc field so that a patched block passes the checksum and reaches later checks.
void reseal(al_block& block) {
  poke_be32(block, al_offset::kCrc32c, al_block_checksum(block));
}

std::string decode_error(const al_block& block) {
  const auto decoded = decode_al_transaction(block);
  CHECK_FALSE(decoded.ok());
  return decoded.message();
}

al_ring ring_of(std::uint32_t stripes, std::uint32_t size_4k) {
  auto ring = al_ring::make(stripes, size_4k);
  REQUIRE(ring.ok());
  return ring.value();
}

// Writes transactions the way a running node does: after the initialized ring, each transaction
// carries the current window of the slot table (before its own updates) and then its updates.
class al_writer {
 public:
  al_writer(al_ring ring, std::uint16_t extents) : ring_(ring), extents_(extents) {
    auto area = initialized_al_area(ring_, extents_);
    REQUIRE(area.ok());
    area_ = std::move(area.value());
    slots_.assign(extents_, kAlFreeExtent);
    for (std::uint32_t t = 0; t < ring_.blocks(); ++t)
      start_ = al_next_context_start(start_, extents_);
    next_tr_ = ring_.blocks();
  }

  // Returns the block the transaction went to.
  std::uint32_t write(const std::vector<al_update>& updates) {
    al_transaction tr;
    tr.tr_number = next_tr_++;
    tr.context_size = extents_;
    tr.context_start_slot_nr = start_;
    const std::size_t entries = al_context_entries(extents_, start_);
    tr.context.assign(slots_.begin() + start_, slots_.begin() + start_ + entries);
    tr.updates = updates;
    for (const al_update& u : updates) slots_[u.slot] = u.extent;
    auto block = encode_al_transaction(tr);
    REQUIRE(block.ok());
    const std::uint32_t at = ring_.position(tr.tr_number);
    std::copy(block.value().begin(), block.value().end(), area_.begin() + at * 4096);
    start_ = al_next_context_start(start_, extents_);
    return at;
  }

  std::vector<al_update> random_updates(xorshift& rng) {
    std::vector<al_update> updates(1 + rng.below(64));
    for (auto& u : updates) {
      u.slot = static_cast<std::uint16_t>(rng.below(extents_));
      u.extent = rng.below(8) == 0 ? kAlFreeExtent : static_cast<std::uint32_t>(rng.below(250000));
    }
    return updates;
  }

  std::map<std::uint16_t, std::uint32_t> hot() const {
    std::map<std::uint16_t, std::uint32_t> out;
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s] != kAlFreeExtent) out[static_cast<std::uint16_t>(s)] = slots_[s];
    }
    return out;
  }
  std::vector<std::byte>& area() { return area_; }
  std::uint32_t last_tr() const { return next_tr_ - 1; }

 private:
  al_ring ring_;
  std::uint16_t extents_;
  std::vector<std::byte> area_;
  std::vector<std::uint32_t> slots_;
  std::uint16_t start_ = 0;
  std::uint32_t next_tr_ = 0;
};

}  // namespace

TEST_CASE("AL transaction layout: big-endian header, updates, context, unused entries free") {
  const al_transaction tr = busy_transaction();
  const auto encoded = encode_al_transaction(tr);
  REQUIRE(encoded.ok());
  const al_block& b = encoded.value();
  CHECK(peek_be32(b, 0) == 0x69cb65a2u);
  CHECK(peek_be32(b, 4) == 123456u);
  CHECK(peek_be32(b, 12) == 0x00000040u);  // type 0, n_updates 64
  CHECK(peek_be32(b, 16) == ((1237u << 16) | 919u));
  CHECK(peek_be32(b, 20) == 0u);  // reserved
  CHECK(peek_be32(b, 32) == 0u);
  CHECK(peek_be32(b, 36) == 19u);                     // update_slot_nr[0] = 0, [1] = 19
  CHECK(peek_be32(b, 164 + 4 * 7) == kAlFreeExtent);  // update_extent_nr[7]
  CHECK(peek_be32(b, 164 + 4 * 63) == 5063u);
  CHECK(peek_be32(b, 420) == kAlFreeExtent);            // context[0], i = 0
  CHECK(peek_be32(b, 420 + 4) == 3u);                   // context[1]
  CHECK(peek_be32(b, 420 + 4 * 317) == 951u);           // last used context entry
  CHECK(peek_be32(b, 420 + 4 * 318) == kAlFreeExtent);  // unused entries are free
  CHECK(peek_be32(b, 4092) == kAlFreeExtent);
  // The crc: raw CRC32C from 0 over the block with the crc field zeroed.
  al_block zeroed = b;
  poke_be32(zeroed, al_offset::kCrc32c, 0);
  CHECK(peek_be32(b, 8) == crc32c_update(0, zeroed));
  CHECK(peek_be32(b, 8) == al_block_checksum(b));

  al_transaction few;
  few.tr_number = 1;
  few.context_size = 67;
  few.context.assign(67, 9);
  few.updates = {{3, 77}};
  const auto small = encode_al_transaction(few);
  REQUIRE(small.ok());
  CHECK(peek_be32(small.value(), 36) == 0x0003ffffu);  // slot 3, then an unused slot 0xffff
  CHECK(peek_be32(small.value(), 168) == kAlFreeExtent);
}

TEST_CASE("AL transaction round trips with non-default values") {
  const al_transaction tr = busy_transaction();
  const auto back = decode_al_transaction(encode_al_transaction(tr).value());
  REQUIRE(back.ok());
  CHECK(back.value() == tr);

  al_transaction init;
  init.tr_number = 0xfffffffeu;
  init.transaction_type = kAlTypeInitialized;
  init.context_size = 65534;
  init.context_start_slot_nr = 65534 - 100;
  init.context.assign(100, kAlFreeExtent);
  const auto back2 = decode_al_transaction(encode_al_transaction(init).value());
  REQUIRE(back2.ok());
  CHECK(back2.value() == init);

  al_transaction empty;  // no slot table at all
  CHECK(decode_al_transaction(encode_al_transaction(empty).value()).value() == empty);
}

TEST_CASE("every AL validation failure names its field") {
  const al_block good = encode_al_transaction(busy_transaction()).value();
  {
    al_block b = good;
    poke_be32(b, al_offset::kMagic, 0x69cb65a3);
    reseal(b);
    CHECK(mentions(decode_error(b), "magic 0x69cb65a3"));
  }
  {
    al_block b = good;
    flip_bit(b, 8 * 3000);
    CHECK(mentions(decode_error(b), "crc32c"));
    b = good;
    flip_bit(b, 8 * al_offset::kCrc32c);
    CHECK(mentions(decode_error(b), "crc32c"));
  }
  {
    al_block b = good;
    poke_be16(b, al_offset::kTransactionType, 5);
    reseal(b);
    CHECK(mentions(decode_error(b), "transaction_type 5"));
  }
  {
    al_block b = good;
    poke_be16(b, al_offset::kNUpdates, 65);
    reseal(b);
    CHECK(mentions(decode_error(b), "n_updates 65"));
  }
  {
    al_block b = good;
    poke_be16(b, al_offset::kContextSize, 65535);
    reseal(b);
    CHECK(mentions(decode_error(b), "context_size 65535"));
  }
  {
    al_block b = good;
    poke_be16(b, al_offset::kContextStartSlotNr, 1237);
    reseal(b);
    CHECK(mentions(decode_error(b), "context_start_slot_nr 1237"));
  }
  {
    al_block b = good;
    poke_be16(b, al_offset::kUpdateSlotNr + 2 * 10, 1237);
    reseal(b);
    CHECK(mentions(decode_error(b), "update_slot_nr[10] 1237"));
  }
  CHECK(mentions(decode_al_transaction(std::span(good).first(4000)).message(), "4000 bytes"));

  // encode refuses what decode would refuse.
  al_transaction tr = busy_transaction();
  tr.updates.push_back({1, 1});
  CHECK(mentions(encode_al_transaction(tr).message(), "n_updates 65"));
  tr = busy_transaction();
  tr.context.pop_back();
  CHECK(mentions(encode_al_transaction(tr).message(), "context has 317 entries"));
  tr = busy_transaction();
  tr.updates[0].slot = 2000;
  CHECK(mentions(encode_al_transaction(tr).message(), "update_slot_nr[0] 2000"));
  tr = busy_transaction();
  tr.transaction_type = 1;
  CHECK(mentions(encode_al_transaction(tr).message(), "transaction_type 1"));
}

TEST_CASE("AL ring positions spread over the stripes") {
  const al_ring plain = ring_of(1, 8);
  CHECK(plain.blocks() == 8);
  CHECK(plain.bytes() == 32768);
  for (std::uint32_t t = 0; t < 20; ++t) CHECK(plain.position(t) == t % 8);

  const al_ring striped = ring_of(2, 4);
  const std::uint32_t expected[] = {0, 4, 1, 5, 2, 6, 3, 7, 0, 4};
  for (std::uint32_t t = 0; t < 10; ++t) CHECK(striped.position(t) == expected[t]);

  const al_ring odd = ring_of(3, 5);
  std::set<std::uint32_t> seen;
  for (std::uint32_t t = 100; t < 115; ++t) seen.insert(odd.position(t));
  CHECK(seen.size() == 15);
  CHECK(*seen.rbegin() == 14);
  CHECK(odd.position(0xffffffffu) == odd.position(0xffffffffu % 15));

  CHECK(mentions(al_ring::make(0, 8).message(), "al_stripes"));
  CHECK(mentions(al_ring::make(1, 0).message(), "al_stripe_size_4k"));
  CHECK(mentions(al_ring::make(1u << 16, 1u << 16).message(), "al_stripes"));

  CHECK(al_transactions_needed(1237) == 2);
  CHECK(al_transactions_needed(919) == 1);
  CHECK(al_transactions_needed(920) == 2);
  CHECK(al_transactions_needed(67) == 1);
  CHECK(al_transactions_needed(65534) == 72);
  CHECK(al_next_context_start(0, 1237) == 919);
  CHECK(al_next_context_start(919, 1237) == 0);
  CHECK(al_next_context_start(0, 919) == 0);
  CHECK(al_context_entries(1237, 919) == 318);
  CHECK(al_context_entries(1237, 0) == 919);
  CHECK(al_context_entries(0, 0) == 0);
}

TEST_CASE("an initialized AL rebuilds to no hot extents") {
  const al_ring ring = ring_of(1, 8);
  const auto area = initialized_al_area(ring, 1237);
  REQUIRE(area.ok());
  REQUIRE(area.value().size() == 32768);
  const auto first = decode_al_transaction(std::span(area.value()).first(4096));
  REQUIRE(first.ok());
  CHECK(first.value().transaction_type == kAlTypeInitialized);
  CHECK(first.value().tr_number == 0);
  const auto snapshot = rebuild_activity_log(area.value(), ring, 1237);
  REQUIRE(snapshot.ok());
  CHECK(snapshot.value().hot.empty());
  CHECK(snapshot.value().newest_tr_number == 7);
  CHECK(snapshot.value().transactions_used == 2);
  CHECK(snapshot.value().invalid_blocks == 0);
  CHECK(mentions(initialized_al_area(ring, 7353).message(), "al_nr_extents 7353"));
}

TEST_CASE("AL rebuild replays the newest transactions and skips a torn one") {
  xorshift rng(7);
  al_writer writer(ring_of(1, 8), 1237);
  for (int i = 0; i < 20; ++i) writer.write(writer.random_updates(rng));
  const auto before_tear = writer.hot();
  REQUIRE(before_tear.size() > 100);
  const auto all = rebuild_activity_log(writer.area(), ring_of(1, 8), 1237);
  REQUIRE(all.ok());
  CHECK(all.value().hot == before_tear);
  CHECK(all.value().newest_tr_number == writer.last_tr());
  CHECK(all.value().newest_tr_number == 27);
  CHECK(all.value().transactions_used == 2);

  // The next transaction is torn: only its first 2 KiB reach the disk.
  const std::vector<std::byte> old_area = writer.area();
  const std::uint32_t at = writer.write(writer.random_updates(rng));
  std::copy(old_area.begin() + at * 4096 + 2048, old_area.begin() + (at + 1) * 4096,
            writer.area().begin() + at * 4096 + 2048);
  CHECK_FALSE(decode_al_transaction(std::span(writer.area()).subspan(at * 4096, 4096)).ok());
  const auto torn = rebuild_activity_log(writer.area(), ring_of(1, 8), 1237);
  REQUIRE(torn.ok());
  CHECK(torn.value().hot == before_tear);
  CHECK(torn.value().newest_tr_number == 27);
  CHECK(torn.value().invalid_blocks == 1);
}

TEST_CASE("AL rebuild on a striped ring with four windows") {
  xorshift rng(99);
  const al_ring ring = ring_of(2, 4);
  al_writer writer(ring, 3000);  // needs 4 transactions
  for (int i = 0; i < 13; ++i) {
    writer.write(writer.random_updates(rng));
    const auto snapshot = rebuild_activity_log(writer.area(), ring, 3000);
    REQUIRE(snapshot.ok());
    CHECK(snapshot.value().hot == writer.hot());
    CHECK(snapshot.value().transactions_used == 4);
    CHECK(snapshot.value().newest_tr_number == writer.last_tr());
  }
}

TEST_CASE("AL rebuild refuses what it cannot rebuild") {
  xorshift rng(5);
  const al_ring ring = ring_of(1, 8);
  al_writer writer(ring, 1237);
  for (int i = 0; i < 10; ++i) writer.write(writer.random_updates(rng));
  {
    // The transaction before the newest is damaged: the history has a hole.
    auto area = writer.area();
    flip_bit(area, (ring.position(writer.last_tr() - 1) * 4096 + 500) * 8);
    const auto result = rebuild_activity_log(area, ring, 1237);
    CHECK_FALSE(result.ok());
    CHECK(mentions(result.message(), "transaction 16 missing"));
  }
  {
    // Rebuilding with another al-extents than the transactions carry.
    const auto result = rebuild_activity_log(writer.area(), ring, 1000);
    CHECK_FALSE(result.ok());
    CHECK(mentions(result.message(), "context_size 1237"));
  }
  {
    // Two transactions with the same window leave slots 919.. uncovered.
    std::vector<std::byte> area(ring.bytes(), std::byte{0});
    for (std::uint32_t t = 0; t < 2; ++t) {
      al_transaction tr;
      tr.tr_number = t;
      tr.context_size = 1237;
      tr.context.assign(919, kAlFreeExtent);
      const auto block = encode_al_transaction(tr).value();
      std::copy(block.begin(), block.end(), area.begin() + ring.position(t) * 4096);
    }
    const auto result = rebuild_activity_log(area, ring, 1237);
    CHECK_FALSE(result.ok());
    CHECK(mentions(result.message(), "slot 919 not covered"));
  }
  {
    std::vector<std::byte> area(ring.bytes(), std::byte{0});
    const auto result = rebuild_activity_log(area, ring, 1237);
    CHECK(mentions(result.message(), "no valid transaction"));
  }
  CHECK(mentions(rebuild_activity_log(writer.area(), ring, 0).message(), "al_nr_extents 0"));
  CHECK(mentions(rebuild_activity_log(writer.area(), ring, 65534).message(),
                 "needs 72 transactions"));
  CHECK(mentions(rebuild_activity_log(std::span(writer.area()).first(4096), ring, 1237).message(),
                 "area is 4096 bytes"));
  {
    // The same transaction twice (e.g. a stale copy at another position).
    auto area = writer.area();
    const std::uint32_t newest = ring.position(writer.last_tr());
    const std::uint32_t other = ring.position(writer.last_tr() - 5);
    std::copy(area.begin() + newest * 4096, area.begin() + (newest + 1) * 4096,
              area.begin() + other * 4096);
    CHECK(mentions(rebuild_activity_log(area, ring, 1237).message(), "found in blocks"));
  }
}

TEST_CASE("garbage and bit-flipped AL blocks never crash and never pass a bad magic or crc") {
  xorshift rng(0xa1a1a1a1ull);
  std::vector<al_block> valid;
  valid.push_back(encode_al_transaction(busy_transaction()).value());
  {
    al_transaction small;
    small.tr_number = 9;
    small.context_size = 67;
    small.context.assign(67, 1);
    valid.push_back(encode_al_transaction(small).value());
  }
  int deep_checks = 0;
  for (int round = 0; round < 5000; ++round) {
    al_block block;
    const int kind = round % 4;
    if (kind == 0) {
      rng.fill(block);  // pure noise
    } else if (kind == 1) {
      rng.fill(block);  // noise with the right magic
      poke_be32(block, al_offset::kMagic, kAlMagic);
    } else if (kind == 2) {
      rng.fill(block);  // noise with magic and a matching crc: exercises the field checks
      poke_be32(block, al_offset::kMagic, kAlMagic);
      if (round % 8 == 2) {  // plausible header values: reach the range checks
        poke_be16(block, al_offset::kTransactionType,
                  round % 16 == 2 ? kAlTypeInitialized : kAlTypeUpdate);
        poke_be16(block, al_offset::kNUpdates, static_cast<std::uint16_t>(rng.below(80)));
        poke_be16(block, al_offset::kContextSize, static_cast<std::uint16_t>(rng.below(2000)));
        poke_be16(block, al_offset::kContextStartSlotNr,
                  static_cast<std::uint16_t>(rng.below(2000)));
      }
      reseal(block);
    } else {
      block = valid[rng.below(valid.size())];
      const int flips = 1 + static_cast<int>(rng.below(3));
      for (int f = 0; f < flips; ++f) flip_bit(block, rng.below(kAlTransactionBytes * 8));
    }
    const bool magic_ok = peek_be32(block, al_offset::kMagic) == kAlMagic;
    const bool crc_ok = peek_be32(block, al_offset::kCrc32c) == al_block_checksum(block);
    const auto decoded = decode_al_transaction(block);
    if (!magic_ok || !crc_ok) {
      CHECK_FALSE(decoded.ok());
    }
    if (kind == 3) CHECK_FALSE(decoded.ok());  // up to 3 flipped bits are always detected
    if (kind == 2) {
      ++deep_checks;
      if (decoded.ok()) {
        CHECK(decoded.value().updates.size() <= 64);
        CHECK(decode_al_transaction(encode_al_transaction(decoded.value()).value()).value() ==
              decoded.value());
      } else {
        CHECK_FALSE(mentions(decoded.message(), "crc32c"));
      }
    }
  }
  CHECK(deep_checks == 1250);
}
