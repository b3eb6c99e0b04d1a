#include <doctest/doctest.h>

#include "engine/cli/size_units.h"

using tandem::cli::format_size_kib;
using tandem::cli::parse_size_kib;
using tandem::cli::size_unit;

namespace {
std::uint64_t kib(std::string_view text, size_unit default_unit = size_unit::gib) {
  const auto parsed = parse_size_kib(text, default_unit);
  REQUIRE_MESSAGE(parsed.ok(), parsed.error());
  return parsed.value();
}
std::string error_of(std::string_view text) {
  const auto parsed = parse_size_kib(text, size_unit::gib);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error();
}
}  // namespace

TEST_CASE("binary units as LINSTOR's client reads them") {
  CHECK(kib("1G") == 1048576);
  CHECK(kib("1GiB") == 1048576);
  CHECK(kib("1gib") == 1048576);
  CHECK(kib("512M") == 524288);
  CHECK(kib("512MiB") == 524288);
  CHECK(kib("4K") == 4);
  CHECK(kib("2T") == 2ull * 1024 * 1024 * 1024);
  CHECK(kib("1P") == 1ull << 40);
  CHECK(kib("10 GiB") == 10485760);  // python-linstor allows blanks before the unit
}

TEST_CASE("decimal units round up to whole KiB") {
  CHECK(kib("1kB") == 1);        // 1000 bytes need one KiB
  CHECK(kib("100MB") == 97657);  // LINSTOR's own example: 100 million bytes
  CHECK(kib("1GB") == 976563);
  CHECK(kib("1B") == 1);
  CHECK(kib("1024B") == 1);
  CHECK(kib("1025B") == 2);
}

TEST_CASE("a missing unit means the command's default (GiB for volume sizes)") {
  CHECK(kib("10") == 10485760);
  CHECK(kib("10", size_unit::kib) == 10);
  CHECK(kib("0") == 0);
}

TEST_CASE("bad sizes are refused with a message naming the problem") {
  CHECK(error_of("G").find("is not a number") != std::string::npos);
  CHECK(error_of("").find("is not a number") != std::string::npos);
  CHECK(error_of("-1G").find("is not a number") != std::string::npos);
  CHECK(error_of("12Q").find("'Q' is not a valid unit") != std::string::npos);
  CHECK(error_of("12Q").find("KiB") != std::string::npos);  // lists the valid units
  CHECK(error_of("1G5").find("trailing characters") != std::string::npos);
  CHECK(error_of("99999999999999999999").find("too large") != std::string::npos);
  CHECK(error_of("99999999999P").find("too large") != std::string::npos);
}

TEST_CASE("sizes print like LINSTOR's approximate_size_string") {
  CHECK(format_size_kib(0) == "0 KiB");
  CHECK(format_size_kib(1023) == "1023 KiB");
  CHECK(format_size_kib(1024) == "1 MiB");
  CHECK(format_size_kib(1048576) == "1 GiB");
  CHECK(format_size_kib(1052408) == "1.00 GiB");  // a 1 GiB LINSTOR volume's usable size
  CHECK(format_size_kib(1572864) == "1.50 GiB");
  CHECK(format_size_kib(1ull << 40) == "1 PiB");
  CHECK(format_size_kib(3ull << 50) == "3072 PiB");  // PiB is the largest unit
}
