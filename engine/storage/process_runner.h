// The real command_runner: posix_spawn without a shell, stdout and stderr captured through pipes,
// every inherited descriptor above stderr closed in the child (lvm2 warns about leaked ones), the
// child in its own process group, and the whole group killed when the timeout expires.
#pragma once

#include "engine/storage/command_runner.h"

namespace tandem::storage {

class process_runner final : public command_runner {
 public:
  result<command_output> run(const command& cmd) override;
};

}  // namespace tandem::storage
