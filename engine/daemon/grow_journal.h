// The grow journal: what volume_metadata writes before it moves the metadata of a grown backing
// device to the new end, so a crash during the move loses nothing (volume_metadata.h). One file
// per volume beside the resource file, written atomically (temporary file, fsync, rename).
//
// Format (little-endian): "TDMGROW1", u64 old device bytes, u64 image bytes, u32 CRC32C of the
// image, u32 zero, then the image: the old metadata region, bitmap area to superblock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/ids.h"

namespace tandem::engine {

struct grow_journal_entry {
  std::uint64_t old_device_bytes = 0;
  std::vector<std::byte> image;
};

// <resource file>.grow-v<volume>
std::string grow_journal_path(const std::string& resource_file, volume_nr volume);

// Throws std::runtime_error naming the file when it cannot be written and synced.
void write_grow_journal(const std::string& path, const grow_journal_entry& entry);

// Throws std::runtime_error naming the file and the field when it is unreadable or damaged.
grow_journal_entry read_grow_journal(const std::string& path);

}  // namespace tandem::engine
