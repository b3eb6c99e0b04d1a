#include "engine/storage/zfs_report.h"

#include <charconv>
#include <sstream>

namespace tandem::storage {
namespace {

// A listing line has this many columns at most; more means the -o list and the parser disagree.
constexpr std::size_t kMaxColumns = 16;

storage_error report_error(const std::string& message) {
  return make_error(error_kind::command_failed, "unexpected zfs list output: " + message);
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> columns;
  std::size_t start = 0;
  while (columns.size() < kMaxColumns) {
    const auto tab = line.find('\t', start);
    columns.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return columns;
}

// "-" is how zfs prints a property that does not apply (volsize of a filesystem).
result<std::uint64_t> parse_bytes(const std::string& text, const std::string& line,
                                  const char* field) {
  if (text == "-") return std::uint64_t{0};
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return report_error(std::string(field) + " '" + text + "' is not a byte count in line '" +
                        line + "' (was -p given?)");
  }
  return value;
}

template <typename Row, typename Fill>
result<std::vector<Row>> parse_lines(const std::string& text, std::size_t columns, Fill fill) {
  std::vector<Row> rows;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> fields = split_tabs(line);
    if (fields.size() != columns) {
      return report_error("line '" + line + "' has " + std::to_string(fields.size()) +
                          " tab-separated columns, expected " + std::to_string(columns));
    }
    Row row;
    if (auto filled = fill(fields, line, row); !filled) return filled.error();
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

result<std::vector<zfs_dataset_row>> parse_zfs_list(const std::string& text) {
  return parse_lines<zfs_dataset_row>(text, 5,
                                      [](const std::vector<std::string>& fields,
                                         const std::string& line, zfs_dataset_row& row) -> status {
                                        row.name = fields[0];
                                        row.type = fields[1];
                                        auto volsize = parse_bytes(fields[2], line, "volsize");
                                        auto used = parse_bytes(fields[3], line, "used");
                                        auto referenced =
                                            parse_bytes(fields[4], line, "referenced");
                                        if (!volsize) return volsize.error();
                                        if (!used) return used.error();
                                        if (!referenced) return referenced.error();
                                        row.volsize_bytes = volsize.value();
                                        row.used_bytes = used.value();
                                        row.referenced_bytes = referenced.value();
                                        return success();
                                      });
}

result<std::vector<zfs_space_row>> parse_zfs_space(const std::string& text) {
  return parse_lines<zfs_space_row>(text, 3,
                                    [](const std::vector<std::string>& fields,
                                       const std::string& line, zfs_space_row& row) -> status {
                                      row.name = fields[0];
                                      auto used = parse_bytes(fields[1], line, "used");
                                      auto available = parse_bytes(fields[2], line, "available");
                                      if (!used) return used.error();
                                      if (!available) return available.error();
                                      row.used_bytes = used.value();
                                      row.available_bytes = available.value();
                                      return success();
                                    });
}

error_kind classify_zfs_failure(const std::string& message) {
  if (message.find("out of space") != std::string::npos ||
      message.find("size is greater than available space") != std::string::npos) {
    return error_kind::insufficient_space;
  }
  if (message.find("already exists") != std::string::npos) return error_kind::already_exists;
  if (message.find("does not exist") != std::string::npos ||
      message.find("no such pool") != std::string::npos) {
    return error_kind::not_found;
  }
  return error_kind::command_failed;
}

}  // namespace tandem::storage
