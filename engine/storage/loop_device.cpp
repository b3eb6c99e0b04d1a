#include "engine/storage/loop_device.h"

#include <sstream>

namespace tandem::storage {
namespace {

// Undoes losetup's raw-mode escaping ("\x20" for a space).
std::string unescape_raw(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x') {
      const std::string hex = text.substr(i + 2, 2);
      char* end = nullptr;
      const long value = std::strtol(hex.c_str(), &end, 16);
      if (end == hex.c_str() + 2) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

}  // namespace

result<std::string> loop_devices::attach(const std::string& file_path) {
  auto output = run_checked(runner_, {{"losetup", "--find", "--show", file_path}, timeout_});
  if (!output) return output.error();
  const std::string device = first_line(output.value().stdout_text);
  if (!device.starts_with("/dev/")) {
    return make_error(error_kind::command_failed, "losetup --find --show '" + file_path +
                                                      "' printed no device but '" +
                                                      output.value().stdout_text + "'");
  }
  return device;
}

status loop_devices::detach(const std::string& device) {
  auto output = run_checked(runner_, {{"losetup", "--detach", device}, timeout_});
  if (!output) return output.error();
  return success();
}

status loop_devices::refresh_size(const std::string& device) {
  auto output = run_checked(runner_, {{"losetup", "--set-capacity", device}, timeout_});
  if (!output) return output.error();
  return success();
}

result<std::map<std::string, std::string>> loop_devices::attached_files() {
  auto output = run_checked(
      runner_,
      {{"losetup", "--list", "--noheadings", "--raw", "--output", "NAME,BACK-FILE"}, timeout_});
  if (!output) return output.error();
  return parse_losetup_list(output.value().stdout_text);
}

std::map<std::string, std::string> parse_losetup_list(const std::string& text) {
  std::map<std::string, std::string> file_to_device;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;  // a device without a backing file
    const std::string device = line.substr(0, space);
    std::string file = unescape_raw(line.substr(space + 1));
    if (!device.starts_with("/dev/") || file.empty()) continue;
    file_to_device[file] = device;
  }
  return file_to_device;
}

}  // namespace tandem::storage
