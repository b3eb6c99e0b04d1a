// Builds the provider of one storage pool from what the controller sends for it: the provider
// kind, the LINSTOR pool name, the source (StorDriver/StorPoolName: a directory for FILE kinds, a
// VG for LVM, "VG/thinpool" for LVM_THIN, a zpool or dataset for ZFS kinds; empty for DISKLESS)
// and settings.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/storage/command_runner.h"
#include "engine/storage/storage_provider.h"

namespace tandem::storage {

struct provider_settings {
  // Upper bound for every external command the provider runs.
  std::chrono::milliseconds command_timeout = kDefaultCommandTimeout;

  // Extra arguments for every lvm2 command, inserted right after the command name. Production
  // leaves this empty. Tests on machines without device-mapper use
  // {"--driverloaded", "n", "--config", "devices { filter=[...] }"}: LVM then edits metadata only.
  std::vector<std::string> lvm_extra_args;
  // LVM kinds: zero the internal metadata area at the end of a new or grown LV (see
  // metadata_wipe.h). Needs the LV's device node; tests without device-mapper turn it off.
  bool lvm_zero_metadata_area = true;
  // StorDriver/LvcreateOptions: extra lvcreate arguments (whitespace-separated in the property).
  std::vector<std::string> lvcreate_options;
  // StorDriver/ZfscreateOptions: extra "zfs create" arguments.
  std::vector<std::string> zfs_create_options;

  // FILE kinds: attach each volume to a loop device (losetup) and report /dev/loopN as its device
  // path. Off by default: tandemd opens the file itself.
  bool file_attach_loop_device = false;
};

// Reads the LINSTOR pool properties this layer understands: "StorDriver/LvcreateOptions",
// "StorDriver/ZfscreateOptions" (both whitespace-separated argument lists). Unknown keys are left
// to other layers; a malformed known value is an error naming the key.
result<provider_settings> settings_from_properties(const std::map<std::string, std::string>& props);

// Validates the source for the kind ("VG/thinpool" for LVM_THIN, an absolute directory for FILE
// kinds, ...) and builds the provider. It does not touch the system: a missing VG or directory is
// reported by the first operation (capacity() is the cheap probe). runner must outlive the
// provider and is used for every external command.
result<std::unique_ptr<storage_provider>> make_provider(provider_kind kind,
                                                        const std::string& pool_name,
                                                        const std::string& source,
                                                        const provider_settings& settings,
                                                        command_runner& runner);

}  // namespace tandem::storage
