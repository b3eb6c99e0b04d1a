// losetup wrappers for FILE pools that expose their volumes as block devices (/dev/loopN).
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "engine/storage/command_runner.h"

namespace tandem::storage {

class loop_devices {
 public:
  loop_devices(command_runner& runner, std::chrono::milliseconds timeout)
      : runner_(runner), timeout_(timeout) {}

  // losetup --find --show <file>: the new device, e.g. "/dev/loop3".
  result<std::string> attach(const std::string& file_path);
  // losetup --detach <device>.
  status detach(const std::string& device);
  // losetup --set-capacity <device>, after the file grew.
  status refresh_size(const std::string& device);
  // Backing file -> device, for every attached loop device.
  result<std::map<std::string, std::string>> attached_files();

 private:
  command_runner& runner_;
  std::chrono::milliseconds timeout_;
};

// Parses "losetup --list --noheadings --raw --output NAME,BACK-FILE" (one "device file" per line;
// raw mode escapes spaces in names as \x20).
std::map<std::string, std::string> parse_losetup_list(const std::string& text);

}  // namespace tandem::storage
