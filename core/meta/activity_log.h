// The activity log (AL) on disk: a ring of 4 KiB transaction blocks, each big-endian, each
// protected by a CRC32C. A transaction records up to 64 slot updates (slot -> 4 MiB extent) plus
// a rolling window of up to 919 entries of the full slot table, so the newest
// ceil(al_nr_extents / 919) transactions are enough to rebuild the set of hot extents after a
// crash. See docs/format-metadata.md for the byte layout.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "core/meta/result.h"

namespace tandem::meta {

inline constexpr std::uint32_t kAlMagic = 0x69cb65a2;
inline constexpr std::size_t kAlTransactionBytes = 4096;
inline constexpr std::size_t kAlUpdatesPerTransaction = 64;
inline constexpr std::size_t kAlContextPerTransaction = 919;
inline constexpr std::uint16_t kAlTypeUpdate = 0;
inline constexpr std::uint16_t kAlTypeInitialized = 0xffff;
inline constexpr std::uint32_t kAlFreeExtent = 0xffffffff;  // an empty slot (DRBD's LC_FREE)
inline constexpr std::uint16_t kAlUnusedSlot = 0xffff;      // filler of unused update entries
inline constexpr std::uint32_t kAlMaxExtents = 65534;       // largest al-extents
inline constexpr std::uint64_t kAlExtentBytes = std::uint64_t{4} << 20;

namespace al_offset {
inline constexpr std::size_t kMagic = 0;
inline constexpr std::size_t kTrNumber = 4;
inline constexpr std::size_t kCrc32c = 8;
inline constexpr std::size_t kTransactionType = 12;
inline constexpr std::size_t kNUpdates = 14;
inline constexpr std::size_t kContextSize = 16;
inline constexpr std::size_t kContextStartSlotNr = 18;
inline constexpr std::size_t kReserved = 20;  // 4 x u32
inline constexpr std::size_t kUpdateSlotNr = 36;
inline constexpr std::size_t kUpdateExtentNr = kUpdateSlotNr + 2 * kAlUpdatesPerTransaction;
inline constexpr std::size_t kContext = kUpdateExtentNr + 4 * kAlUpdatesPerTransaction;
inline constexpr std::size_t kEnd = kContext + 4 * kAlContextPerTransaction;
}  // namespace al_offset
static_assert(al_offset::kUpdateExtentNr == 164 && al_offset::kContext == 420);
static_assert(al_offset::kEnd == kAlTransactionBytes, "an AL transaction is exactly 4 KiB");

struct al_update {
  std::uint16_t slot = 0;
  std::uint32_t extent = 0;  // kAlFreeExtent empties the slot
  friend bool operator==(const al_update&, const al_update&) = default;
};

// Only the meaningful entries: updates.size() is n_updates; context holds the extents of slots
// context_start_slot_nr, +1, ... and has exactly min(919, context_size - context_start_slot_nr)
// entries. Unused on-disk entries are written as kAlUnusedSlot / kAlFreeExtent.
struct al_transaction {
  std::uint32_t tr_number = 0;
  std::uint16_t transaction_type = kAlTypeUpdate;
  std::uint16_t context_size = 0;  // = al-extents
  std::uint16_t context_start_slot_nr = 0;
  std::vector<al_update> updates;
  std::vector<std::uint32_t> context;
  friend bool operator==(const al_transaction&, const al_transaction&) = default;
};

// Number of context entries a transaction carries.
std::size_t al_context_entries(std::uint16_t context_size, std::uint16_t context_start_slot_nr);

using al_block = std::array<std::byte, kAlTransactionBytes>;

// CRC of a transaction block: the raw CRC32C register, started at 0 and not inverted, over all
// 4096 bytes with the crc32c field taken as zero (what DRBD stores).
std::uint32_t al_block_checksum(std::span<const std::byte> block);

// Fails (naming the field) if the transaction breaks a rule decode would check.
result<al_block> encode_al_transaction(const al_transaction& tr);

// Checks, in order: size 4096, magic, crc32c, transaction_type (0 or 0xffff), n_updates <= 64,
// context_size <= 65534, context_start_slot_nr < context_size (or both 0), every update slot <
// context_size.
result<al_transaction> decode_al_transaction(std::span<const std::byte> block);

// The AL ring: al_stripes x al_stripe_size_4k blocks of 4 KiB. Transaction t is written to block
// ((t mod N) mod stripes) * stripe_size_4k + (t mod N) / stripes, N = stripes x stripe_size_4k.
class al_ring {
 public:
  static result<al_ring> make(std::uint32_t al_stripes, std::uint32_t al_stripe_size_4k);
  std::uint32_t stripes() const { return stripes_; }
  std::uint32_t stripe_size_4k() const { return stripe_size_4k_; }
  std::uint32_t blocks() const { return stripes_ * stripe_size_4k_; }
  std::uint64_t bytes() const { return std::uint64_t{blocks()} * kAlTransactionBytes; }
  std::uint32_t position(std::uint32_t tr_number) const;

 private:
  al_ring(std::uint32_t stripes, std::uint32_t stripe_size_4k)
      : stripes_(stripes), stripe_size_4k_(stripe_size_4k) {}
  std::uint32_t stripes_;
  std::uint32_t stripe_size_4k_;
};

// Transactions needed to rebuild al_nr_extents slots: ceil(al_nr_extents / 919).
std::uint32_t al_transactions_needed(std::uint32_t al_nr_extents);

// Where the next transaction's context window starts: start + 919, back to 0 at the end.
std::uint16_t al_next_context_start(std::uint16_t start, std::uint16_t context_size);

struct al_snapshot {
  std::uint32_t newest_tr_number = 0;
  std::uint32_t transactions_used = 0;
  std::uint32_t invalid_blocks = 0;            // torn or garbage blocks that were skipped
  std::map<std::uint16_t, std::uint32_t> hot;  // slot -> extent; free slots are absent
};

// Rebuilds the slot table from an AL area (ring.bytes() bytes). Invalid blocks are skipped. The
// newest valid transaction (highest tr_number) and the ones just before it, K =
// al_transactions_needed(al_nr_extents) in all with consecutive numbers, are replayed oldest
// first: each sets its context window, then applies its updates. Fails if a needed transaction
// is missing or duplicated, has another context_size, or a slot stays uncovered.
result<al_snapshot> rebuild_activity_log(std::span<const std::byte> al_area, const al_ring& ring,
                                         std::uint32_t al_nr_extents);

// An AL area as freshly initialized: transactions 0..N-1 of type "initialized", every slot free,
// context windows rolling as in normal operation, each at its ring position.
result<std::vector<std::byte>> initialized_al_area(const al_ring& ring,
                                                   std::uint32_t al_nr_extents);

}  // namespace tandem::meta
