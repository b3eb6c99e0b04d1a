// Activity-log transactions and the ring rebuild from arbitrary bytes (layout in fuzz_common.h:
// flags, al_nr_extents, then 1..8 blocks). decode_al_transaction never crashes and a transaction
// it accepts re-encodes to the same meaningful bytes and decodes back equal; rebuild_activity_log
// never crashes and a snapshot it returns is consistent with the blocks it came from.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "core/meta/activity_log.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;

namespace {

namespace off = meta::al_offset;

bool same_bytes(const meta::al_block& a, const meta::al_block& b, std::size_t from,
                std::size_t count) {
  return std::equal(a.begin() + static_cast<std::ptrdiff_t>(from),
                    a.begin() + static_cast<std::ptrdiff_t>(from + count),
                    b.begin() + static_cast<std::ptrdiff_t>(from));
}

// Returns what decode_al_transaction made of the block.
meta::result<meta::al_transaction> check_transaction(const meta::al_block& block) {
  auto decoded = meta::decode_al_transaction(block);
  TANDEM_FUZZ_CHECK(decoded.ok() == decoded.message().empty());
  if (!decoded) return decoded;
  const meta::al_transaction& tr = decoded.value();
  TANDEM_FUZZ_CHECK(tr.updates.size() <= meta::kAlUpdatesPerTransaction);
  TANDEM_FUZZ_CHECK(tr.context.size() ==
                    meta::al_context_entries(tr.context_size, tr.context_start_slot_nr));
  for (const meta::al_update& update : tr.updates) TANDEM_FUZZ_CHECK(update.slot < tr.context_size);

  const auto encoded = meta::encode_al_transaction(tr);
  TANDEM_FUZZ_CHECK(encoded.ok());
  const meta::al_block& again = encoded.value();
  // Header (magic .. context_start_slot_nr, the CRC aside: unused entries may differ), the used
  // update entries and the used context entries come out as they went in.
  TANDEM_FUZZ_CHECK(same_bytes(again, block, off::kMagic, off::kCrc32c));
  TANDEM_FUZZ_CHECK(
      same_bytes(again, block, off::kTransactionType, off::kReserved - off::kTransactionType));
  TANDEM_FUZZ_CHECK(same_bytes(again, block, off::kUpdateSlotNr, 2 * tr.updates.size()));
  TANDEM_FUZZ_CHECK(same_bytes(again, block, off::kUpdateExtentNr, 4 * tr.updates.size()));
  TANDEM_FUZZ_CHECK(same_bytes(again, block, off::kContext, 4 * tr.context.size()));
  const auto redecoded = meta::decode_al_transaction(again);
  TANDEM_FUZZ_CHECK(redecoded.ok());
  TANDEM_FUZZ_CHECK(redecoded.value() == tr);
  TANDEM_FUZZ_CHECK(meta::encode_al_transaction(redecoded.value()).value() == again);
  return decoded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::al_input in = fuzz::parse_al_input(fuzz::as_bytes(data, size));
  std::vector<meta::result<meta::al_transaction>> transactions;
  for (const meta::al_block& block : in.blocks) transactions.push_back(check_transaction(block));

  auto ring = meta::al_ring::make(in.stripes, in.stripe_size_4k);
  TANDEM_FUZZ_CHECK(ring.ok());
  TANDEM_FUZZ_CHECK(ring.value().blocks() == in.blocks.size());
  std::vector<std::byte> area;
  for (const meta::al_block& block : in.blocks) area.insert(area.end(), block.begin(), block.end());

  const auto snapshot = meta::rebuild_activity_log(area, ring.value(), in.al_nr_extents);
  TANDEM_FUZZ_CHECK(snapshot.ok() == snapshot.message().empty());
  // A ring of the wrong size is refused.
  TANDEM_FUZZ_CHECK(!meta::rebuild_activity_log(std::span(area).first(area.size() - 1),
                                                ring.value(), in.al_nr_extents));
  if (!snapshot) return 0;

  const meta::al_snapshot& snap = snapshot.value();
  TANDEM_FUZZ_CHECK(snap.transactions_used == meta::al_transactions_needed(in.al_nr_extents));
  TANDEM_FUZZ_CHECK(snap.transactions_used >= 1 && snap.transactions_used <= in.blocks.size());
  TANDEM_FUZZ_CHECK(snap.hot.size() <= in.al_nr_extents);
  for (const auto& [slot, extent] : snap.hot) {
    TANDEM_FUZZ_CHECK(slot < in.al_nr_extents);
    TANDEM_FUZZ_CHECK(extent != meta::kAlFreeExtent);
  }
  // Recount independently: the valid blocks, the newest transaction, and each of the transactions
  // used present exactly once with the table's size.
  std::uint32_t invalid = 0;
  std::map<std::uint32_t, std::uint32_t> copies;  // tr_number -> valid blocks holding it
  std::map<std::uint32_t, std::uint16_t> context_size;
  for (const auto& tr : transactions) {
    if (!tr) {
      ++invalid;
      continue;
    }
    ++copies[tr.value().tr_number];
    context_size[tr.value().tr_number] = tr.value().context_size;
  }
  TANDEM_FUZZ_CHECK(snap.invalid_blocks == invalid);
  TANDEM_FUZZ_CHECK(!copies.empty() && copies.rbegin()->first == snap.newest_tr_number);
  for (std::uint32_t k = 0; k < snap.transactions_used; ++k) {
    const std::uint32_t tr_number = snap.newest_tr_number - k;
    TANDEM_FUZZ_CHECK(copies[tr_number] == 1);
    TANDEM_FUZZ_CHECK(context_size[tr_number] == in.al_nr_extents);
  }
  return 0;
}
