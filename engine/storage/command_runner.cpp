#include "engine/storage/command_runner.h"

#include <string_view>

namespace tandem::storage {
namespace {

// stderr of lvm2 and zfs is a few lines; a runaway tool could print megabytes.
constexpr std::size_t kMaxStderrInMessage = 2000;

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  text = text.substr(first, last - first + 1);
  if (text.size() > kMaxStderrInMessage) {
    return std::string(text.substr(0, kMaxStderrInMessage)) + "...";
  }
  return std::string(text);
}

}  // namespace

std::string describe(const command& cmd) {
  std::string text;
  for (const std::string& arg : cmd.argv) {
    if (!text.empty()) text += ' ';
    const bool needs_quotes = arg.empty() || arg.find_first_of(" \t\"'") != std::string::npos;
    if (needs_quotes) {
      text += '\'' + arg + '\'';
    } else {
      text += arg;
    }
  }
  return text;
}

result<command_output> run_checked(command_runner& runner, const command& cmd) {
  auto output = runner.run(cmd);
  if (!output) return output;
  if (output.value().exit_code != 0) {
    std::string message =
        "command '" + describe(cmd) + "' exited with " + std::to_string(output.value().exit_code);
    const std::string stderr_text = trimmed(output.value().stderr_text);
    message += stderr_text.empty() ? " and printed nothing on stderr" : ": " + stderr_text;
    return make_error(error_kind::command_failed, std::move(message));
  }
  return output;
}

}  // namespace tandem::storage
