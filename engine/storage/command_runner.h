// The one seam through which storage providers run external commands (lvm2, zfs, losetup). An
// argv vector, never a shell: no quoting bugs, no injection through resource names. Production
// uses process_runner (posix_spawn); tests of providers that cannot run on this machine (ZFS,
// LVM_THIN) replay recorded real output through the same interface.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "engine/storage/storage_result.h"

namespace tandem::storage {

inline constexpr std::chrono::milliseconds kDefaultCommandTimeout{60'000};

struct command {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::chrono::milliseconds timeout = kDefaultCommandTimeout;
};

struct command_output {
  int exit_code = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// "lvcreate --size 1052672k -n vm-100-disk-1_00000 vg0" (arguments with spaces are quoted), for
// error messages and logs only: commands are never run through a shell.
std::string describe(const command& cmd);

class command_runner {
 public:
  virtual ~command_runner() = default;
  // Runs the command to completion. Fails (error_kind::command_failed) only when the command could
  // not be started or ran past its timeout (then it is killed); a non-zero exit is a value.
  virtual result<command_output> run(const command& cmd) = 0;
};

// run() plus: a non-zero exit becomes an error naming the command, its exit code and its stderr
// ("command 'vgs ... vg9' exited with 5: Volume group "vg9" not found").
result<command_output> run_checked(command_runner& runner, const command& cmd);

}  // namespace tandem::storage
