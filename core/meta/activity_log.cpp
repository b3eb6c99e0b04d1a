#include "core/meta/activity_log.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "core/meta/byte_order.h"
#include "core/meta/crc32c.h"

namespace tandem::meta {
namespace {

using endian::get_be;
using endian::put_be;
using std::to_string;
namespace off = al_offset;

// The rules shared by encode and decode; empty when the transaction is valid.
std::string check(const al_transaction& tr) {
  if (tr.transaction_type != kAlTypeUpdate && tr.transaction_type != kAlTypeInitialized) {
    return "transaction_type " + to_string(tr.transaction_type) + " is neither 0 nor 65535";
  }
  if (tr.updates.size() > kAlUpdatesPerTransaction) {
    return "n_updates " + to_string(tr.updates.size()) + " above 64";
  }
  if (tr.context_size > kAlMaxExtents) {
    return "context_size " + to_string(tr.context_size) + " above 65534";
  }
  const bool empty_table = tr.context_size == 0 && tr.context_start_slot_nr == 0;
  if (!empty_table && tr.context_start_slot_nr >= tr.context_size) {
    return "context_start_slot_nr " + to_string(tr.context_start_slot_nr) +
           " not inside context_size " + to_string(tr.context_size);
  }
  const std::size_t entries = al_context_entries(tr.context_size, tr.context_start_slot_nr);
  if (tr.context.size() != entries) {
    return "context has " + to_string(tr.context.size()) + " entries, context_size " +
           to_string(tr.context_size) + " from context_start_slot_nr " +
           to_string(tr.context_start_slot_nr) + " needs " + to_string(entries);
  }
  for (std::size_t i = 0; i < tr.updates.size(); ++i) {
    if (tr.updates[i].slot >= tr.context_size) {
      return "update_slot_nr[" + to_string(i) + "] " + to_string(tr.updates[i].slot) +
             " not inside context_size " + to_string(tr.context_size);
    }
  }
  return {};
}

error fail(const std::string& what) {
  return error{"al_transaction: " + what};
}

std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

}  // namespace

std::size_t al_context_entries(std::uint16_t context_size, std::uint16_t context_start_slot_nr) {
  if (context_start_slot_nr >= context_size) return 0;
  return std::min<std::size_t>(kAlContextPerTransaction, context_size - context_start_slot_nr);
}

std::uint32_t al_block_checksum(std::span<const std::byte> block) {
  constexpr std::array<std::byte, 4> kZero{};
  std::uint32_t crc = crc32c_update(0, block.first(off::kCrc32c));
  crc = crc32c_update(crc, kZero);
  return crc32c_update(crc, block.subspan(off::kCrc32c + 4));
}

result<al_block> encode_al_transaction(const al_transaction& tr) {
  if (auto bad = check(tr); !bad.empty()) return fail(bad);
  al_block block{};
  const std::span<std::byte> out(block);
  put_be(out, off::kMagic, kAlMagic);
  put_be(out, off::kTrNumber, tr.tr_number);
  put_be(out, off::kTransactionType, tr.transaction_type);
  put_be(out, off::kNUpdates, static_cast<std::uint16_t>(tr.updates.size()));
  put_be(out, off::kContextSize, tr.context_size);
  put_be(out, off::kContextStartSlotNr, tr.context_start_slot_nr);
  for (std::size_t i = 0; i < kAlUpdatesPerTransaction; ++i) {
    const bool used = i < tr.updates.size();
    put_be(out, off::kUpdateSlotNr + 2 * i, used ? tr.updates[i].slot : kAlUnusedSlot);
    put_be(out, off::kUpdateExtentNr + 4 * i, used ? tr.updates[i].extent : kAlFreeExtent);
  }
  for (std::size_t i = 0; i < kAlContextPerTransaction; ++i) {
    put_be(out, off::kContext + 4 * i, i < tr.context.size() ? tr.context[i] : kAlFreeExtent);
  }
  put_be(out, off::kCrc32c, al_block_checksum(block));
  return block;
}

result<al_transaction> decode_al_transaction(std::span<const std::byte> block) {
  if (block.size() != kAlTransactionBytes) {
    return fail("block is " + to_string(block.size()) + " bytes, expected 4096");
  }
  const auto magic = get_be<std::uint32_t>(block, off::kMagic);
  if (magic != kAlMagic) return fail("magic " + hex32(magic) + " is not " + hex32(kAlMagic));
  const auto stored_crc = get_be<std::uint32_t>(block, off::kCrc32c);
  const auto actual_crc = al_block_checksum(block);
  if (stored_crc != actual_crc) {
    return fail("crc32c " + hex32(stored_crc) + " does not match the block's " + hex32(actual_crc));
  }
  al_transaction tr;
  tr.tr_number = get_be<std::uint32_t>(block, off::kTrNumber);
  tr.transaction_type = get_be<std::uint16_t>(block, off::kTransactionType);
  const auto n_updates = get_be<std::uint16_t>(block, off::kNUpdates);
  tr.context_size = get_be<std::uint16_t>(block, off::kContextSize);
  tr.context_start_slot_nr = get_be<std::uint16_t>(block, off::kContextStartSlotNr);
  if (tr.transaction_type != kAlTypeUpdate && tr.transaction_type != kAlTypeInitialized) {
    return fail(check(tr));
  }
  // Range-check the count before it sizes anything.
  if (n_updates > kAlUpdatesPerTransaction) {
    return fail("n_updates " + to_string(n_updates) + " above 64");
  }
  for (std::size_t i = 0; i < n_updates; ++i) {
    tr.updates.push_back({get_be<std::uint16_t>(block, off::kUpdateSlotNr + 2 * i),
                          get_be<std::uint32_t>(block, off::kUpdateExtentNr + 4 * i)});
  }
  const std::size_t entries = al_context_entries(tr.context_size, tr.context_start_slot_nr);
  for (std::size_t i = 0; i < entries; ++i) {
    tr.context.push_back(get_be<std::uint32_t>(block, off::kContext + 4 * i));
  }
  if (auto bad = check(tr); !bad.empty()) return fail(bad);
  return tr;
}

result<al_ring> al_ring::make(std::uint32_t al_stripes, std::uint32_t al_stripe_size_4k) {
  if (al_stripes == 0) return error{"al_ring: al_stripes 0, need at least 1"};
  if (al_stripe_size_4k == 0) return error{"al_ring: al_stripe_size_4k 0, need at least 1"};
  // The superblock stores the AL size as a signed 32-bit sector offset.
  constexpr std::uint64_t kMaxBlocks = 0x7fffffffu / 8;
  if (std::uint64_t{al_stripes} * al_stripe_size_4k > kMaxBlocks) {
    return error{"al_ring: al_stripes " + to_string(al_stripes) + " x al_stripe_size_4k " +
                 to_string(al_stripe_size_4k) + " above " + to_string(kMaxBlocks) + " blocks"};
  }
  return al_ring(al_stripes, al_stripe_size_4k);
}

std::uint32_t al_ring::position(std::uint32_t tr_number) const {
  const std::uint32_t in_ring = tr_number % blocks();
  return (in_ring % stripes_) * stripe_size_4k_ + in_ring / stripes_;
}

std::uint32_t al_transactions_needed(std::uint32_t al_nr_extents) {
  return static_cast<std::uint32_t>((al_nr_extents + kAlContextPerTransaction - 1) /
                                    kAlContextPerTransaction);
}

std::uint16_t al_next_context_start(std::uint16_t start, std::uint16_t context_size) {
  const std::uint32_t next = std::uint32_t{start} + kAlContextPerTransaction;
  return next >= context_size ? 0 : static_cast<std::uint16_t>(next);
}

namespace {

// Checks al_nr_extents against the ring and returns the number of transactions needed, or 0
// with *why set.
std::uint32_t needed_or_why(const al_ring& ring, std::uint32_t al_nr_extents, std::string* why) {
  if (al_nr_extents == 0 || al_nr_extents > kAlMaxExtents) {
    *why = "al_nr_extents " + to_string(al_nr_extents) + " outside 1..65534";
    return 0;
  }
  const std::uint32_t needed = al_transactions_needed(al_nr_extents);
  if (needed > ring.blocks()) {
    *why = "al_nr_extents " + to_string(al_nr_extents) + " needs " + to_string(needed) +
           " transactions, the ring holds " + to_string(ring.blocks());
    return 0;
  }
  return needed;
}

}  // namespace

result<al_snapshot> rebuild_activity_log(std::span<const std::byte> al_area, const al_ring& ring,
                                         std::uint32_t al_nr_extents) {
  std::string why;
  const std::uint32_t needed = needed_or_why(ring, al_nr_extents, &why);
  if (needed == 0) return error{"activity_log: " + why};
  if (al_area.size() != ring.bytes()) {
    return error{"activity_log: area is " + to_string(al_area.size()) + " bytes, the ring of " +
                 to_string(ring.blocks()) + " blocks needs " + to_string(ring.bytes())};
  }
  al_snapshot snapshot;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> found;  // (tr_number, block)
  for (std::uint32_t b = 0; b < ring.blocks(); ++b) {
    auto tr = decode_al_transaction(
        al_area.subspan(std::size_t{b} * kAlTransactionBytes, kAlTransactionBytes));
    if (tr) {
      found.emplace_back(tr.value().tr_number, b);
    } else {
      ++snapshot.invalid_blocks;
    }
  }
  if (found.empty()) {
    return error{"activity_log: no valid transaction in " + to_string(ring.blocks()) + " blocks"};
  }
  std::sort(found.begin(), found.end(), std::greater<>());
  snapshot.newest_tr_number = found[0].first;
  std::vector<std::uint32_t> chosen_blocks;  // newest first
  for (std::uint32_t k = 0; k < needed; ++k) {
    const std::uint32_t want = snapshot.newest_tr_number - k;
    if (k >= found.size() || found[k].first != want) {
      return error{"activity_log: transaction " + to_string(want) + " missing; al_nr_extents " +
                   to_string(al_nr_extents) + " needs the newest " + to_string(needed)};
    }
    if (k + 1 < found.size() && found[k + 1].first == want) {
      return error{"activity_log: transaction " + to_string(want) + " found in blocks " +
                   to_string(found[k].second) + " and " + to_string(found[k + 1].second)};
    }
    chosen_blocks.push_back(found[k].second);
  }

  std::vector<std::uint32_t> slots(al_nr_extents, kAlFreeExtent);
  std::vector<bool> known(al_nr_extents, false);
  for (auto it = chosen_blocks.rbegin(); it != chosen_blocks.rend(); ++it) {
    auto decoded = decode_al_transaction(
        al_area.subspan(std::size_t{*it} * kAlTransactionBytes, kAlTransactionBytes));
    const al_transaction& tr = decoded.value();  // valid: it was decoded above
    if (tr.context_size != al_nr_extents) {
      return error{"activity_log: transaction " + to_string(tr.tr_number) + " has context_size " +
                   to_string(tr.context_size) + ", expected al_nr_extents " +
                   to_string(al_nr_extents)};
    }
    for (std::size_t i = 0; i < tr.context.size(); ++i) {
      slots[tr.context_start_slot_nr + i] = tr.context[i];
      known[tr.context_start_slot_nr + i] = true;
    }
    for (const al_update& update : tr.updates) {
      slots[update.slot] = update.extent;
      known[update.slot] = true;
    }
  }
  for (std::uint32_t slot = 0; slot < al_nr_extents; ++slot) {
    if (!known[slot]) {
      return error{"activity_log: slot " + to_string(slot) + " not covered by the newest " +
                   to_string(needed) + " transactions"};
    }
    if (slots[slot] != kAlFreeExtent) snapshot.hot[static_cast<std::uint16_t>(slot)] = slots[slot];
  }
  snapshot.transactions_used = needed;
  return snapshot;
}

result<std::vector<std::byte>> initialized_al_area(const al_ring& ring,
                                                   std::uint32_t al_nr_extents) {
  std::string why;
  if (needed_or_why(ring, al_nr_extents, &why) == 0) return error{"activity_log: " + why};
  std::vector<std::byte> area(ring.bytes(), std::byte{0});
  al_transaction tr;
  tr.transaction_type = kAlTypeInitialized;
  tr.context_size = static_cast<std::uint16_t>(al_nr_extents);
  for (std::uint32_t t = 0; t < ring.blocks(); ++t) {
    tr.tr_number = t;
    tr.context.assign(al_context_entries(tr.context_size, tr.context_start_slot_nr), kAlFreeExtent);
    auto block = encode_al_transaction(tr);
    if (!block) return error{"activity_log: " + block.message()};
    std::copy(block.value().begin(), block.value().end(),
              area.begin() + std::ptrdiff_t(std::size_t{ring.position(t)} * kAlTransactionBytes));
    tr.context_start_slot_nr = al_next_context_start(tr.context_start_slot_nr, tr.context_size);
  }
  return area;
}

}  // namespace tandem::meta
