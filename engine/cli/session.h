// One invocation's connection to the controller and its output conventions: tables or JSON
// (-m), UTF-8 frames and colours only on a terminal, LINSTOR's exit codes. Every command goes
// through get() for reads and call() + report() for changes, so errors look the same everywhere.
#pragma once

#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/cli/filtered_parse.h"
#include "engine/cli/http_client.h"
#include "engine/cli/table.h"

namespace tandem::cli {

struct global_options {
  bool machine_readable = false;
  bool no_utf8 = false;
  bool no_color = false;
  bool warn_as_error = false;
  std::string controllers;  // empty: TANDEM_CONTROLLERS, else 127.0.0.1:3370
  int timeout_s = 300;
};

class session {
 public:
  session(global_options options, std::ostream& out, std::ostream& err, bool stdout_is_tty);
  ~session();

  const global_options& options() const { return options_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // GET target and parse the JSON answer. On failure prints the reason to stderr (or the
  // controller's ApiCallRc entries) and returns nullopt; exit_code() then says why. `keep`, when
  // given, drops members of a successful answer before they are built (a table that shows a few
  // fields of 10 000 objects).
  std::optional<nlohmann::json> get(const std::string& target, member_filter keep = nullptr);

  // A mutating call. Its ApiCallRc entries are collected for report(); returns false when the
  // call failed outright (unreachable, no ApiCallRc answer), with the reason already printed.
  bool call(const std::string& method, const std::string& target, const nlohmann::json& body);
  bool call(const std::string& method, const std::string& target);  // no body
  // Prints the collected entries (or, with -m, their JSON) and returns the exit code.
  int report();

  // The exit code of the last failure (0 when nothing failed).
  int exit_code() const { return exit_code_; }
  // Prints "ERROR: <message>" on stderr and remembers code as the exit code.
  int fail(int code, const std::string& message);

  table_style style(bool pastable) const;
  void print_table(const table& rows, bool pastable);
  // A list answer: LINSTOR's -m shape wraps it in one more array.
  void print_json_list(const nlohmann::json& answer);

 private:
  std::optional<nlohmann::json> exchange(const std::string& method, const std::string& target,
                                         const std::string& body, bool expect_api_call_rcs,
                                         member_filter keep = nullptr);
  // Builds the HTTP client from --controllers / TANDEM_CONTROLLERS / the default on first use.
  bool ensure_client();

  global_options options_;
  std::ostream& out_;
  std::ostream& err_;
  bool tty_ = false;
  std::unique_ptr<http_client> client_;
  nlohmann::json replies_ = nlohmann::json::array();
  int exit_code_ = 0;
};

}  // namespace tandem::cli
