#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "engine/cli/api_call_rc.h"

using namespace tandem::cli;

TEST_CASE("ApiCallRc classification by the two type bits") {
  // Real values from LINSTOR: node created, and ERROR|CRT|SNAPSHOT|998 (linstor-proxmox#60).
  CHECK(classify(0x13C0001) == rc_severity::success);
  CHECK(classify(-4611686018409823258LL) == rc_severity::error);
  CHECK(classify(static_cast<std::int64_t>(kMaskError | 0x3C0000 | 300)) == rc_severity::error);
  CHECK(classify(static_cast<std::int64_t>(kMaskWarn | 1013)) == rc_severity::warning);
  CHECK(classify(static_cast<std::int64_t>(kMaskInfo | 10003)) == rc_severity::info);
  CHECK(classify(0) == rc_severity::success);
  // The error mask contains the warning bit: an error is never reported as a warning.
  CHECK(classify(static_cast<std::int64_t>(kMaskError)) == rc_severity::error);
}

TEST_CASE("parsing the controller's answer array") {
  const auto answer = nlohmann::json::parse(R"([
    {"ret_code": 20709377, "message": "New node 'alpha' registered."},
    {"ret_code": -4611686018409823258, "message": "Snapshot failed", "cause": "disk full",
     "correction": "free space", "details": "on alpha", "error_report_ids": ["R-1"]}])");
  const auto parsed = parse_api_call_rcs(answer);
  REQUIRE(parsed.ok());
  REQUIRE(parsed.value().size() == 2);
  CHECK(parsed.value()[0].message == "New node 'alpha' registered.");
  CHECK(parsed.value()[1].cause == "disk full");
  CHECK(parsed.value()[1].error_report_ids == std::vector<std::string>{"R-1"});
  CHECK(exit_code_for(parsed.value(), false) == kExitApiError);
  CHECK(exit_code_for({parsed.value()[0]}, false) == kExitOk);
}

TEST_CASE("an unsigned ret_code wraps like the signed one") {
  const auto answer = nlohmann::json::parse(R"([{"ret_code": 13835058055282163712}])");
  const auto parsed = parse_api_call_rcs(answer);
  REQUIRE(parsed.ok());
  CHECK(classify(parsed.value()[0].ret_code) == rc_severity::error);
}

TEST_CASE("malformed answers are rejected with a reason") {
  CHECK(parse_api_call_rcs(nlohmann::json::object()).error().find("JSON object") !=
        std::string::npos);
  CHECK(parse_api_call_rcs(nlohmann::json::parse("[1]")).error().find("entry 0") !=
        std::string::npos);
  CHECK(
      parse_api_call_rcs(nlohmann::json::parse(R"([{"message":"x"}])")).error().find("ret_code") !=
      std::string::npos);
  CHECK(parse_api_call_rcs(nlohmann::json::array()).ok());
}

TEST_CASE("warnings fail only with --warn-as-error") {
  api_call_rc entry;
  entry.ret_code = static_cast<std::int64_t>(kMaskWarn | 1013);
  entry.message = "not enough nodes for a tie-breaker";
  const std::vector<api_call_rc> warning = {entry};
  CHECK(exit_code_for(warning, false) == kExitOk);
  CHECK(exit_code_for(warning, true) == kExitApiError);
}

TEST_CASE("entries print as LINSTOR's client prints them") {
  api_call_rc error;
  error.ret_code = static_cast<std::int64_t>(kMaskError | 0x3C0000 | 300);
  error.message = "Node 'x' not found.";
  error.cause = "The specified node 'x' could not be found in the database";
  error.correction = "Create a node with the name 'x' first.";
  error.error_report_ids = {"5F1A-000000-000001"};
  CHECK(format_api_call_rc(error, false) ==
        "ERROR:\n"
        "Description:\n"
        "    Node 'x' not found.\n"
        "Cause:\n"
        "    The specified node 'x' could not be found in the database\n"
        "Correction:\n"
        "    Create a node with the name 'x' first.\n"
        "Show reports:\n"
        "    tandem error-reports show 5F1A-000000-000001\n");
  api_call_rc success;
  success.ret_code = 0x13C0001;
  success.message = "New node 'alpha' registered.\nSecond line";
  CHECK(format_api_call_rc(success, false) ==
        "SUCCESS:\n    New node 'alpha' registered.\n    Second line\n");
  CHECK(format_api_call_rc(success, true).find("\x1b[32mSUCCESS:\x1b[0m") == 0);
}
