#include "engine/storage/size_rounding.h"

#include <string>

#include "core/meta/size.h"

namespace tandem::storage {

result<std::uint64_t> gross_size_kib(std::uint64_t usable_kib, std::uint32_t peer_slots,
                                     std::uint64_t granularity_kib) {
  if (usable_kib == 0) {
    return make_error(error_kind::invalid_argument, "requested usable size is 0 KiB");
  }
  if (granularity_kib == 0) {
    return make_error(error_kind::invalid_argument, "allocation granularity is 0 KiB");
  }
  std::uint64_t needed_kib = usable_kib;
  if (peer_slots != 0) {
    auto gross = meta::gross_for_net_kib(usable_kib, peer_slots);
    if (!gross) return make_error(error_kind::invalid_argument, gross.message());
    needed_kib = gross.value();
  }
  auto rounded = meta::round_up_kib(needed_kib, granularity_kib);
  if (!rounded) return make_error(error_kind::invalid_argument, rounded.message());
  return rounded.value();
}

std::uint64_t usable_size_kib(std::uint64_t gross_kib, std::uint32_t peer_slots) {
  if (peer_slots == 0) return gross_kib;
  auto net = meta::net_for_gross_kib(gross_kib, peer_slots);
  return net.ok() ? net.value() : 0;
}

}  // namespace tandem::storage
