// The volatile write cache model: after a power cut exactly the writes no flush (or FUA) made
// durable are gone, overlapping writes included.
#include <doctest/doctest.h>

#include "engine/io/volatile_write_cache.h"

using namespace tandem::engine;

namespace {

// A device of bytes; every write goes through the model first, as uring_disk does.
struct device {
  std::vector<std::byte> bytes = std::vector<std::byte>(64, std::byte{0});
  volatile_write_cache cache;
  std::uint64_t next_id = 1;

  std::uint64_t write(std::uint64_t offset, std::size_t length, std::uint8_t value, bool fua,
                      bool complete = true) {
    const std::uint64_t id = next_id++;
    std::vector<std::byte> old(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                               bytes.begin() + static_cast<std::ptrdiff_t>(offset + length));
    cache.write_submitted(id, offset, std::move(old), fua);
    std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(offset), length, std::byte{value});
    if (complete) cache.write_completed(id, true);
    return id;
  }
  void flush() {
    const std::uint64_t id = next_id++;
    cache.flush_submitted(id);
    cache.flush_completed(id, true);
  }
  void power_cut() {
    for (const auto& u : cache.power_cut()) {
      std::copy(u.old_bytes.begin(), u.old_bytes.end(),
                bytes.begin() + static_cast<std::ptrdiff_t>(u.offset_bytes));
    }
  }
  std::uint8_t at(std::size_t offset) const { return std::to_integer<std::uint8_t>(bytes[offset]); }
};

}  // namespace

TEST_CASE("unflushed writes are lost, flushed ones stay") {
  device d;
  d.write(0, 8, 1, false);
  d.flush();
  d.write(0, 4, 2, false);
  d.write(16, 4, 3, false);
  d.power_cut();
  CHECK(d.at(0) == 1);
  CHECK(d.at(3) == 1);
  CHECK(d.at(16) == 0);
  CHECK(d.cache.volatile_writes() == 0);
}

TEST_CASE("a FUA write survives, and an older unflushed write it overlaps is not undone over it") {
  device d;
  d.write(0, 16, 1, false);  // unflushed
  d.write(4, 4, 2, true);    // FUA, inside it
  d.power_cut();
  CHECK(d.at(0) == 0);   // the unflushed write is gone around it
  CHECK(d.at(12) == 0);
  CHECK(d.at(4) == 2);   // the FUA write stays
  CHECK(d.at(7) == 2);
}

TEST_CASE("a flush covers only writes completed when it was submitted") {
  device d;
  const auto in_flight = d.write(0, 4, 1, false, /*complete=*/false);
  d.write(8, 4, 2, false);
  d.flush();
  d.cache.write_completed(in_flight, true);
  d.power_cut();
  CHECK(d.at(0) == 0);
  CHECK(d.at(8) == 2);
}

TEST_CASE("a newer unflushed write over a flushed one rolls back to the flushed bytes") {
  device d;
  d.write(0, 8, 1, false);
  d.flush();
  d.write(2, 4, 2, false);
  d.write(4, 4, 3, false);
  d.power_cut();
  for (std::size_t i = 0; i < 8; ++i) CHECK(d.at(i) == 1);
}

TEST_CASE("a failed write leaves nothing to undo") {
  device d;
  const auto id = d.write(0, 4, 1, false, false);
  d.bytes.assign(64, std::byte{0});  // the device never took it
  d.cache.write_completed(id, false);
  CHECK(d.cache.volatile_writes() == 0);
}
