#include "engine/cli/api_call_rc.h"

#include <nlohmann/json.hpp>

namespace tandem::cli {
namespace {

void append_indented(std::string& out, const std::string& text) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += "    ";
    out.append(text, start, end - start);
    out += '\n';
    start = end + 1;
  }
}

std::string string_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

}  // namespace

rc_severity classify(std::int64_t ret_code) {
  const auto bits = static_cast<std::uint64_t>(ret_code);
  if ((bits & kMaskError) == kMaskError) return rc_severity::error;
  if ((bits & kMaskWarn) == kMaskWarn) return rc_severity::warning;
  if ((bits & kMaskInfo) == kMaskInfo) return rc_severity::info;
  return rc_severity::success;
}

const char* severity_name(rc_severity severity) {
  switch (severity) {
    case rc_severity::success: return "SUCCESS";
    case rc_severity::info: return "INFO";
    case rc_severity::warning: return "WARNING";
    case rc_severity::error: return "ERROR";
  }
  return "UNKNOWN";
}

expected<std::vector<api_call_rc>> parse_api_call_rcs(const nlohmann::json& answer) {
  if (!answer.is_array()) {
    return failure{std::string("expected a JSON array of ApiCallRc entries, got a JSON ") +
                   answer.type_name()};
  }
  std::vector<api_call_rc> replies;
  for (std::size_t i = 0; i < answer.size(); ++i) {
    const auto& entry = answer[i];
    const std::string where = "ApiCallRc entry " + std::to_string(i);
    if (!entry.is_object()) return failure{where + " is not a JSON object"};
    const auto code = entry.find("ret_code");
    if (code == entry.end() || !code->is_number_integer()) {
      return failure{where + " has no integer 'ret_code'"};
    }
    api_call_rc rc;
    // Errors arrive as negative numbers; values above INT64_MAX (unsigned JSON) wrap the same.
    rc.ret_code = code->is_number_unsigned() ? static_cast<std::int64_t>(code->get<std::uint64_t>())
                                             : code->get<std::int64_t>();
    rc.message = string_field(entry, "message");
    rc.cause = string_field(entry, "cause");
    rc.correction = string_field(entry, "correction");
    rc.details = string_field(entry, "details");
    const auto ids = entry.find("error_report_ids");
    if (ids != entry.end() && ids->is_array()) {
      for (const auto& id : *ids) {
        if (id.is_string()) rc.error_report_ids.push_back(id.get<std::string>());
      }
    }
    replies.push_back(std::move(rc));
  }
  return replies;
}

std::string format_api_call_rc(const api_call_rc& rc, bool colors) {
  const rc_severity severity = classify(rc.ret_code);
  std::string out;
  const char* color = "";
  switch (severity) {
    case rc_severity::error: color = "\x1b[31m"; break;
    case rc_severity::warning: color = "\x1b[33m"; break;
    case rc_severity::success: color = "\x1b[32m"; break;
    case rc_severity::info: break;
  }
  if (colors && *color != '\0') out += color;
  out += severity_name(severity);
  out += ':';
  if (colors && *color != '\0') out += "\x1b[0m";
  out += '\n';
  const bool has_more = !rc.cause.empty() || !rc.correction.empty() || !rc.details.empty();
  if (has_more && !rc.message.empty()) out += "Description:\n";
  append_indented(out, rc.message);
  if (!rc.cause.empty()) {
    out += "Cause:\n";
    append_indented(out, rc.cause);
  }
  if (!rc.correction.empty()) {
    out += "Correction:\n";
    append_indented(out, rc.correction);
  }
  if (!rc.details.empty()) {
    out += "Details:\n";
    append_indented(out, rc.details);
  }
  if (!rc.error_report_ids.empty()) {
    out += "Show reports:\n";
    for (const auto& id : rc.error_report_ids) {
      append_indented(out, "tandem error-reports show " + id);
    }
  }
  return out;
}

int exit_code_for(const std::vector<api_call_rc>& replies, bool warn_as_error) {
  for (const auto& rc : replies) {
    const rc_severity severity = classify(rc.ret_code);
    if (severity == rc_severity::error) return kExitApiError;
    if (severity == rc_severity::warning && warn_as_error) return kExitApiError;
  }
  return kExitOk;
}

}  // namespace tandem::cli
