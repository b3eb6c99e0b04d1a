#include "engine/storage/lvm_report.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace tandem::storage {
namespace {

using json = nlohmann::json;

storage_error report_error(const std::string& message) {
  return make_error(error_kind::command_failed, "unexpected lvm2 report: " + message);
}

// lvm2's JSON report puts every value in a string.
result<std::string> text_field(const json& row, const char* field) {
  const auto found = row.find(field);
  if (found == row.end() || !found->is_string()) {
    return report_error(std::string("field '") + field + "' missing or not a string in " +
                        row.dump());
  }
  return found->get<std::string>();
}

result<std::uint64_t> bytes_field(const json& row, const char* field) {
  auto text = text_field(row, field);
  if (!text) return text.error();
  const std::string& value = text.value();
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
    return report_error(std::string("field '") + field + "' is '" + value +
                        "', not a byte count (was --units b --nosuffix given?)");
  }
  return number;
}

result<std::optional<double>> percent_field(const json& row, const char* field) {
  auto text = text_field(row, field);
  if (!text) return text.error();
  if (text.value().empty()) return std::optional<double>();
  char* end = nullptr;
  const double value = std::strtod(text.value().c_str(), &end);
  if (end != text.value().c_str() + text.value().size() || value < 0.0 || value > 100.0) {
    return report_error(std::string("field '") + field + "' is '" + text.value() +
                        "', not a percentage");
  }
  return std::optional<double>(value);
}

// {"report": [{"<kind>": [ {...}, ... ]}]} -> the rows.
result<json> report_rows(const std::string& json_text, const char* kind) {
  json document = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return report_error(std::string("output of the ") + kind + " report is not JSON: '" +
                        json_text.substr(0, 200) + "'");
  }
  const auto report = document.find("report");
  if (report == document.end() || !report->is_array()) {
    return report_error("no \"report\" array in the output");
  }
  json rows = json::array();
  for (const json& section : *report) {
    const auto found = section.find(kind);
    if (found == section.end() || !found->is_array()) continue;
    for (const json& row : *found) rows.push_back(row);
  }
  return rows;
}

}  // namespace

result<std::vector<lvm_vg_row>> parse_vgs_report(const std::string& json_text) {
  auto rows = report_rows(json_text, "vg");
  if (!rows) return rows.error();
  std::vector<lvm_vg_row> vgs;
  for (const json& row : rows.value()) {
    lvm_vg_row vg;
    auto name = text_field(row, "vg_name");
    auto extent = bytes_field(row, "vg_extent_size");
    auto size = bytes_field(row, "vg_size");
    auto free = bytes_field(row, "vg_free");
    if (!name) return name.error();
    if (!extent) return extent.error();
    if (!size) return size.error();
    if (!free) return free.error();
    vg.name = name.value();
    vg.extent_size_bytes = extent.value();
    vg.size_bytes = size.value();
    vg.free_bytes = free.value();
    vgs.push_back(std::move(vg));
  }
  return vgs;
}

result<std::vector<lvm_lv_row>> parse_lvs_report(const std::string& json_text) {
  auto rows = report_rows(json_text, "lv");
  if (!rows) return rows.error();
  std::vector<lvm_lv_row> lvs;
  for (const json& row : rows.value()) {
    lvm_lv_row lv;
    auto name = text_field(row, "lv_name");
    auto vg = text_field(row, "vg_name");
    auto size = bytes_field(row, "lv_size");
    auto attr = text_field(row, "lv_attr");
    auto pool = text_field(row, "pool_lv");
    auto origin = text_field(row, "origin");
    auto data = percent_field(row, "data_percent");
    if (!name) return name.error();
    if (!vg) return vg.error();
    if (!size) return size.error();
    if (!attr) return attr.error();
    if (!pool) return pool.error();
    if (!origin) return origin.error();
    if (!data) return data.error();
    lv.name = name.value();
    lv.vg_name = vg.value();
    lv.size_bytes = size.value();
    lv.attr = attr.value();
    // lvs shows hidden LVs in brackets ("[thin_tdata]") and the pool of a thin LV plainly.
    lv.pool_lv = pool.value();
    lv.origin = origin.value();
    lv.data_percent = data.value();
    lvs.push_back(std::move(lv));
  }
  return lvs;
}

error_kind classify_lvm_failure(const std::string& message) {
  std::string lower = message;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find("insufficient free space") != std::string::npos ||
      lower.find("insufficient suitable allocatable extents") != std::string::npos) {
    return error_kind::insufficient_space;
  }
  if (lower.find("already exists") != std::string::npos) return error_kind::already_exists;
  if (lower.find("not found") != std::string::npos ||
      lower.find("failed to find") != std::string::npos) {
    return error_kind::not_found;
  }
  return error_kind::command_failed;
}

}  // namespace tandem::storage
