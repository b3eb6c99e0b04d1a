#include "storage_test_util.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tandem::storage::testing {

std::string data_path(const std::string& file_name) {
  return std::string(TANDEM_STORAGE_TEST_DATA) + "/" + file_name;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("test data file '" + path + "' cannot be opened");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

temp_dir::temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/tandem-storage-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + pattern);
  }
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void recorded_runner::expect(std::vector<std::string> argv, int exit_code, std::string stdout_text,
                             std::string stderr_text) {
  script_.push_back({std::move(argv), {exit_code, std::move(stdout_text), std::move(stderr_text)}});
}

void recorded_runner::expect_file(std::vector<std::string> argv, const std::string& data_file) {
  expect(std::move(argv), 0, read_text_file(data_path(data_file)));
}

result<command_output> recorded_runner::run(const command& cmd) {
  calls_.push_back(cmd.argv);
  if (script_.empty()) {
    mismatches_.push_back("unexpected extra command: " + describe(cmd));
    return make_error(error_kind::command_failed, mismatches_.back());
  }
  recorded_call next = std::move(script_.front());
  script_.pop_front();
  if (next.argv != cmd.argv) {
    mismatches_.push_back("expected '" + describe(command{next.argv}) + "' but got '" +
                          describe(cmd) + "'");
    return make_error(error_kind::command_failed, mismatches_.back());
  }
  return next.output;
}

bool mentions(const std::string& text, std::initializer_list<const char*> fragments) {
  for (const char* fragment : fragments) {
    if (text.find(fragment) == std::string::npos) return false;
  }
  return true;
}

}  // namespace tandem::storage::testing
