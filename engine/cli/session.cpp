#include "engine/cli/session.h"

#include <cstdlib>
#include <ostream>

#include "engine/cli/api_call_rc.h"

namespace tandem::cli {
namespace {

std::string excerpt(const std::string& body) {
  constexpr std::size_t kMaxChars = 200;
  if (body.empty()) return "an empty body";
  std::string text = body.substr(0, kMaxChars);
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return "'" + text + (body.size() > kMaxChars ? "...'" : "'");
}

int exit_code_for_transport(http_error_kind kind) {
  switch (kind) {
    case http_error_kind::none: return kExitOk;
    case http_error_kind::unreachable: return kExitConnectionError;
    case http_error_kind::timeout: return kExitConnectionTimeout;
    case http_error_kind::protocol: return kExitUnexpectedReply;
  }
  return kExitUnknown;
}

}  // namespace

session::session(global_options options, std::ostream& out, std::ostream& err, bool stdout_is_tty)
    : options_(std::move(options)), out_(out), err_(err), tty_(stdout_is_tty) {}

session::~session() = default;

int session::fail(int code, const std::string& message) {
  err_ << "ERROR: " << message << "\n";
  exit_code_ = code;
  return code;
}

bool session::ensure_client() {
  if (client_) return true;
  std::string list = options_.controllers;
  std::string source = "--controllers";
  if (list.empty()) {
    const char* env = std::getenv("TANDEM_CONTROLLERS");
    list = env != nullptr ? env : "";
    source = "TANDEM_CONTROLLERS";
  }
  if (list.empty()) {
    list = "127.0.0.1:" + std::to_string(kDefaultControllerPort);
    source = "the default";
  }
  auto controllers = parse_controller_list(list);
  if (!controllers) {
    fail(kExitArgumentError, controllers.error() + " (from " + source + ")");
    return false;
  }
  if (options_.timeout_s <= 0) {
    fail(kExitArgumentError, "--timeout must be a positive number of seconds, got " +
                                 std::to_string(options_.timeout_s));
    return false;
  }
  http_timeouts timeouts;
  timeouts.request_ms = std::chrono::milliseconds(std::int64_t{options_.timeout_s} * 1000);
  client_ = std::make_unique<http_client>(std::move(controllers).value(), timeouts);
  return true;
}

std::optional<nlohmann::json> session::exchange(const std::string& method,
                                                const std::string& target, const std::string& body,
                                                bool expect_api_call_rcs, member_filter keep) {
  if (!ensure_client()) return std::nullopt;
  const http_result result = client_->request(method, target, body);
  if (!result.ok()) {
    fail(exit_code_for_transport(result.error), result.error_message);
    return std::nullopt;
  }
  const auto& response = result.response;
  const std::string what = method + " " + target;
  // Error answers are parsed whole: they are ApiCallRc lists, not what `keep` expects.
  const bool success = response.status >= 200 && response.status < 300;
  nlohmann::json answer;
  if (success && keep != nullptr) {
    answer = parse_keeping(response.body, keep).value_or(nlohmann::json::value_t::discarded);
  } else {
    answer = nlohmann::json::parse(response.body, nullptr, false);
  }
  if (answer.is_discarded()) {
    fail(kExitUnexpectedReply, "controller at " + client_->current_controller() + " answered " +
                                   what + " with HTTP " + std::to_string(response.status) +
                                   " and " + excerpt(response.body) + ", which is not JSON");
    return std::nullopt;
  }
  if (success && !expect_api_call_rcs) return answer;
  auto replies = parse_api_call_rcs(answer);
  if (!replies) {
    fail(kExitUnexpectedReply, "controller at " + client_->current_controller() + " answered " +
                                   what + " with HTTP " + std::to_string(response.status) +
                                   " but not with ApiCallRc entries: " + replies.error());
    return std::nullopt;
  }
  if (!success && !expect_api_call_rcs) {
    // An error answer to a read (e.g. 404 for an unknown object): show it like LINSTOR does.
    replies_ = answer;
    const int code = report();
    exit_code_ = code != kExitOk ? code : kExitUnexpectedReply;
    return std::nullopt;
  }
  return answer;
}

std::optional<nlohmann::json> session::get(const std::string& target, member_filter keep) {
  return exchange("GET", target, "", false, keep);
}

bool session::call(const std::string& method, const std::string& target,
                   const nlohmann::json& body) {
  const auto answer = exchange(method, target, body.dump(), true);
  if (!answer) return false;
  for (const auto& entry : *answer) replies_.push_back(entry);
  return true;
}

bool session::call(const std::string& method, const std::string& target) {
  const auto answer = exchange(method, target, "", true);
  if (!answer) return false;
  for (const auto& entry : *answer) replies_.push_back(entry);
  return true;
}

int session::report() {
  const nlohmann::json shown = std::move(replies_);
  replies_ = nlohmann::json::array();
  auto replies = parse_api_call_rcs(shown);
  if (!replies) return fail(kExitUnexpectedReply, replies.error());
  if (options_.machine_readable) {
    out_ << shown.dump(2) << "\n";
  } else {
    for (const auto& entry : replies.value()) {
      out_ << format_api_call_rc(entry, style(false).colors);
    }
  }
  const int code = exit_code_for(replies.value(), options_.warn_as_error);
  if (code != kExitOk) exit_code_ = code;
  return code;
}

table_style session::style(bool pastable) const {
  table_style style;
  style.utf8 = tty_ && !pastable && !options_.no_utf8;
  style.colors = tty_ && !pastable && !options_.no_color;
  return style;
}

void session::print_table(const table& rows, bool pastable) {
  out_ << rows.render(style(pastable));
}

void session::print_json_list(const nlohmann::json& answer) {
  out_ << nlohmann::json::array({answer}).dump(2) << "\n";
}

}  // namespace tandem::cli
