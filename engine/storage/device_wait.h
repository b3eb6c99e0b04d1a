// Device nodes of new LVs and zvols are created by udev after lvcreate / zfs create return, so a
// path reported by create_volume may not exist for a moment. The satellite calls this before
// handing the path to tandemd (LINSTOR's storage layer waits the same way).
#pragma once

#include <chrono>
#include <string>

#include "engine/storage/storage_result.h"

namespace tandem::storage {

// Returns once path exists, checking every poll_interval; not_found naming the path and the
// timeout when it does not appear in time.
status wait_for_device(const std::string& path, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds poll_interval = std::chrono::milliseconds(20));

}  // namespace tandem::storage
