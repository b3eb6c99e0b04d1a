#include "core/meta/size.h"

#include <bit>
#include <limits>
#include <string>

namespace tandem::meta {
namespace {

using std::to_string;

constexpr std::uint64_t ceil_div(std::uint64_t value, std::uint64_t divisor) {
  return value / divisor + (value % divisor != 0 ? 1 : 0);
}
constexpr std::uint64_t align_up(std::uint64_t value, std::uint64_t granularity) {
  return ceil_div(value, granularity) * granularity;
}

// Sizes beyond 2^50 KiB (1 EiB) are rejected so that the arithmetic below cannot overflow.
constexpr std::uint64_t kMaxKib = std::uint64_t{1} << 50;

std::string check_peers(const char* what, std::uint32_t peers) {
  if (peers < kMinPeers || peers > kMaxPeers) {
    return std::string(what) + " " + to_string(peers) + " outside 1..31";
  }
  return {};
}

std::string check_block(const char* what, std::uint32_t block_bytes) {
  if (!std::has_single_bit(block_bytes) || block_bytes < 4096 || block_bytes > (1u << 20)) {
    return std::string(what) + " " + to_string(block_bytes) +
           " is not a power of two in 4096..1048576";
  }
  return {};
}

}  // namespace

result<std::uint64_t> md_size_kib(std::uint64_t gross_kib, std::uint32_t peer_slots,
                                  std::uint32_t bitmap_block_bytes) {
  if (auto bad = check_peers("md_size_kib: peer_slots", peer_slots); !bad.empty()) {
    return error{bad};
  }
  if (auto bad = check_block("md_size_kib: bitmap_block_bytes", bitmap_block_bytes); !bad.empty()) {
    return error{bad};
  }
  if (gross_kib > kMaxKib) {
    return error{"md_size_kib: gross_kib " + to_string(gross_kib) + " too large"};
  }
  const std::uint64_t per_peer_bytes =
      align_up(ceil_div(gross_kib * 1024, bitmap_block_bytes * 8u), 8);
  const std::uint64_t bitmap_kib = align_up(ceil_div(per_peer_bytes * peer_slots, 1024), 4);
  return bitmap_kib + 32 + 4;
}

result<std::uint64_t> gross_for_net_kib(std::uint64_t net_kib, std::uint32_t peer_slots,
                                        std::uint32_t bitmap_block_bytes) {
  if (net_kib > kMaxKib) {
    return error{"gross_for_net_kib: net_kib " + to_string(net_kib) + " too large"};
  }
  const std::uint64_t data_kib = align_up(net_kib, 4);
  std::uint64_t gross = data_kib;
  // md_size_kib is monotonic in the gross size, so the sequence only grows and settles after a
  // few rounds (each round adds at most a few KiB of bitmap).
  for (int round = 0; round < 64; ++round) {
    auto md = md_size_kib(gross, peer_slots, bitmap_block_bytes);
    if (!md) return error{"gross_for_net_kib: " + md.message()};
    const std::uint64_t next = data_kib + md.value();
    if (next == gross) return gross;
    gross = next;
  }
  return error{"gross_for_net_kib: net_kib " + to_string(net_kib) + " did not converge"};
}

result<std::uint64_t> net_for_gross_kib(std::uint64_t gross_kib, std::uint32_t peer_slots,
                                        std::uint32_t bitmap_block_bytes) {
  auto md = md_size_kib(gross_kib, peer_slots, bitmap_block_bytes);
  if (!md) return error{"net_for_gross_kib: " + md.message()};
  const std::uint64_t aligned = gross_kib / 4 * 4;
  if (aligned <= md.value()) {
    return error{"net_for_gross_kib: gross_kib " + to_string(gross_kib) +
                 " leaves no room beside " + to_string(md.value()) + " KiB of metadata"};
  }
  return aligned - md.value();
}

result<std::uint64_t> round_up_kib(std::uint64_t size_kib, std::uint64_t granularity_kib) {
  if (granularity_kib == 0) return error{"round_up_kib: granularity_kib must not be 0"};
  if (size_kib > kMaxKib || granularity_kib > kMaxKib) {
    return error{"round_up_kib: size_kib " + to_string(size_kib) + " or granularity_kib " +
                 to_string(granularity_kib) + " too large"};
  }
  return align_up(size_kib, granularity_kib);
}

std::uint64_t internal_layout::al_area_offset_bytes() const {
  return md_offset_bytes - static_cast<std::uint64_t>(-std::int64_t{al_offset_sectors}) * 512;
}
std::uint64_t internal_layout::bm_area_offset_bytes() const {
  return md_offset_bytes - static_cast<std::uint64_t>(-std::int64_t{bm_offset_sectors}) * 512;
}
std::uint64_t internal_layout::al_area_bytes() const {
  return static_cast<std::uint64_t>(-std::int64_t{al_offset_sectors}) * 512;
}

result<internal_layout> compute_internal_layout(std::uint64_t device_bytes, std::uint32_t max_peers,
                                                std::uint32_t al_stripes,
                                                std::uint32_t al_stripe_size_4k,
                                                std::uint32_t bm_bytes_per_bit) {
  if (auto bad = check_peers("layout: max_peers", max_peers); !bad.empty()) return error{bad};
  if (auto bad = check_block("layout: bm_bytes_per_bit", bm_bytes_per_bit); !bad.empty()) {
    return error{bad};
  }
  if (al_stripes == 0) return error{"layout: al_stripes 0, need at least 1"};
  if (al_stripe_size_4k == 0) return error{"layout: al_stripe_size_4k 0, need at least 1"};
  if (device_bytes % kMetaSectorBytes != 0) {
    return error{"layout: device_bytes " + to_string(device_bytes) + " is not a multiple of 512"};
  }
  if (device_bytes > (kMaxKib << 10)) {
    return error{"layout: device_bytes " + to_string(device_bytes) + " too large"};
  }
  constexpr auto kMaxSectors = static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
  const std::uint64_t al_sectors = std::uint64_t{al_stripes} * al_stripe_size_4k * 8;
  if (al_sectors > kMaxSectors) {
    return error{"layout: al_stripes " + to_string(al_stripes) + " x al_stripe_size_4k " +
                 to_string(al_stripe_size_4k) + " does not fit a 32-bit sector offset"};
  }

  internal_layout layout;
  const std::uint64_t device_sectors = device_bytes / kMetaSectorBytes;
  layout.bitmap_bits = align_up(ceil_div(device_sectors, bm_bytes_per_bit / kMetaSectorBytes), 64);
  layout.bitmap_bytes = align_up(layout.bitmap_bits / 8 * max_peers, kMetaBlockBytes);
  const std::uint64_t md_sectors =
      align_up(layout.bitmap_bytes / kMetaSectorBytes, 8) + 8 + al_sectors;
  if (md_sectors > kMaxSectors) {
    return error{"layout: device_bytes " + to_string(device_bytes) + " with max_peers " +
                 to_string(max_peers) + " needs " + to_string(md_sectors) +
                 " metadata sectors, more than a 32-bit offset holds"};
  }
  // Bitmap and AL lie below the superblock; at least one 4 KiB block of data must remain.
  const std::uint64_t below_superblock = (md_sectors - 8) * kMetaSectorBytes;
  if (device_bytes < kMetaBlockBytes ||
      ((device_bytes - kMetaBlockBytes) & ~(kMetaBlockBytes - 1)) <
          below_superblock + kMetaBlockBytes) {
    return error{"layout: device_bytes " + to_string(device_bytes) + " too small for " +
                 to_string(md_sectors * kMetaSectorBytes) + " bytes of internal metadata"};
  }
  layout.md_offset_bytes = (device_bytes - kMetaBlockBytes) & ~(kMetaBlockBytes - 1);
  layout.md_size_sectors = static_cast<std::uint32_t>(md_sectors);
  layout.al_offset_sectors = -static_cast<std::int32_t>(al_sectors);
  layout.bm_offset_sectors = -static_cast<std::int32_t>(md_sectors - 8);
  layout.usable_bytes = layout.md_offset_bytes - below_superblock;
  return layout;
}

}  // namespace tandem::meta
