#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

#include "core/meta/crc32c.h"

using namespace tandem::meta;

namespace {

std::span<const std::byte> text_bytes(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

std::vector<std::byte> filled(std::size_t count, auto byte_at) {
  std::vector<std::byte> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<std::byte>(byte_at(i));
  return out;
}

}  // namespace

TEST_CASE("crc32c matches the published check values") {
  CHECK(crc32c(text_bytes("123456789")) == 0xE3069283u);
  CHECK(crc32c(filled(32, [](std::size_t) { return 0x00; })) == 0x8A9136AAu);
  CHECK(crc32c(filled(32, [](std::size_t) { return 0xff; })) == 0x62A8AB43u);
  CHECK(crc32c(filled(32, [](std::size_t i) { return i; })) == 0x46DD794Eu);
  CHECK(crc32c(filled(32, [](std::size_t i) { return 31 - i; })) == 0x113FDB5Cu);
  CHECK(crc32c(std::span<const std::byte>{}) == 0u);
}

TEST_CASE("the raw register form chains and relates to the standard form") {
  const auto data = text_bytes("123456789");
  CHECK(~crc32c_update(~0u, data) == crc32c(data));
  const std::uint32_t whole = crc32c_update(0, data);
  CHECK(crc32c_update(crc32c_update(0, data.first(4)), data.subspan(4)) == whole);
  CHECK(crc32c_update(0, std::span<const std::byte>{}) == 0u);
  // With a zero register, leading zero bytes do not change the raw value (a known property of
  // unpreset CRCs, and why the standard form presets all ones).
  const auto zeros = filled(16, [](std::size_t) { return 0; });
  CHECK(crc32c_update(0, zeros) == 0u);
  CHECK(crc32c(zeros) != 0u);
}
