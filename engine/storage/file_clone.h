// Copies one file into a new one the cheapest way the filesystem allows: a reflink (FICLONE, shared
// extents, copy-on-write; btrfs, XFS with reflink=1) when it works, otherwise a sparse-aware copy
// that walks the source's data extents (SEEK_DATA/SEEK_HOLE) and leaves its holes as holes. Used
// for FILE/FILE_THIN snapshots and restores.
#pragma once

#include <string>

#include "engine/storage/storage_provider.h"

namespace tandem::storage {

// Creates target (which must not exist) with source's size and content, flushed to stable storage,
// and reports which method ran. With prefer_reflink false the copy is always a sparse copy (tests
// use it to exercise that path on reflink-capable filesystems). On failure target is removed.
result<copy_method> clone_file(const std::string& source_path, const std::string& target_path,
                               bool prefer_reflink = true);

}  // namespace tandem::storage
