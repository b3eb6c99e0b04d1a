// Sizes the way LINSTOR's client reads and prints them (python-linstor SizeCalc):
//  - input "<digits>[ ]<unit>", unit case-insensitive: B; K, KiB, M, MiB, G, GiB, T, TiB, P, PiB
//    are binary; kB, MB, GB, TB, PB are decimal. The result is the smallest whole number of KiB
//    that holds the requested size (LINSTOR's granularity is 1 KiB). A missing unit means the
//    command's default: GiB for volume sizes (`vd c res 10` is 10 GiB), as in LINSTOR.
//  - output "1 GiB" when exact, "1.50 GiB" otherwise (two decimals), KiB..PiB.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/cli/expected.h"

namespace tandem::cli {

enum class size_unit { bytes, kib, mib, gib, tib, pib, kb, mb, gb, tb, pb };

// Parses text as a size and returns it in KiB, rounded up. Errors name the text and the problem
// (not a number, unknown unit, trailing characters, too large).
expected<std::uint64_t> parse_size_kib(std::string_view text, size_unit default_unit);

// Human-readable size of size_kib, e.g. 1048576 -> "1 GiB", 1052408 -> "1.00 GiB".
std::string format_size_kib(std::uint64_t size_kib);

}  // namespace tandem::cli
