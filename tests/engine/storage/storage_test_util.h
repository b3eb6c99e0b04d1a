// Helpers for the storage provider tests: a temporary directory that removes itself, and a
// command_runner that replays recorded real tool output for providers this machine cannot run
// (ZFS, LVM_THIN), checking that the provider issued exactly the expected commands.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "engine/storage/command_runner.h"

namespace tandem::storage::testing {

// Directory of recorded command output (tests/engine/storage/data).
std::string data_path(const std::string& file_name);
std::string read_text_file(const std::string& path);

class temp_dir {
 public:
  temp_dir();  // mkdtemp under $TMPDIR or /tmp
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();  // removes the directory and everything in it
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One expected command and the answer recorded for it.
struct recorded_call {
  std::vector<std::string> argv;
  command_output output;
};

// Answers commands in order from a script. A command that differs from the next expected one is
// answered with an error naming both, and remembered in mismatches(); tests check that list.
class recorded_runner final : public command_runner {
 public:
  void expect(std::vector<std::string> argv, int exit_code, std::string stdout_text,
              std::string stderr_text = "");
  // stdout taken from a data file.
  void expect_file(std::vector<std::string> argv, const std::string& data_file);

  result<command_output> run(const command& cmd) override;

  const std::vector<std::string>& mismatches() const { return mismatches_; }
  std::size_t pending() const { return script_.size(); }
  const std::vector<std::vector<std::string>>& calls() const { return calls_; }

 private:
  std::deque<recorded_call> script_;
  std::vector<std::string> mismatches_;
  std::vector<std::vector<std::string>> calls_;
};

// Whether text contains every one of the given fragments (for error message checks).
bool mentions(const std::string& text, std::initializer_list<const char*> fragments);

}  // namespace tandem::storage::testing
