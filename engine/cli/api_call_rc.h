// LINSTOR's ApiCallRc: the answer entries of every mutating REST call, and how the client turns
// them into text and an exit code (python-linstor responses.py, linstor-client utils.py).
// ret_code is a signed 64-bit bit field: bits 62-63 the severity (error = both bits, so errors
// and warnings are negative in JSON), bits 24-25 the operation, bits 18-22 the object, bits 0-14
// the code. See docs/cli.md and the research notes, section 2.4.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "engine/cli/expected.h"

namespace tandem::cli {

inline constexpr std::uint64_t kMaskError = 0xC000000000000000ull;
inline constexpr std::uint64_t kMaskWarn = 0x8000000000000000ull;
inline constexpr std::uint64_t kMaskInfo = 0x4000000000000000ull;

// The client's exit codes, LINSTOR's numbers (linstor_client/consts.py ExitCode).
enum exit_code : int {
  kExitOk = 0,
  kExitUnknown = 1,
  kExitArgumentError = 2,
  kExitObjectNotFound = 3,
  kExitApiError = 10,
  kExitConnectionError = 20,
  kExitConnectionTimeout = 21,
  kExitUnexpectedReply = 22,
};

enum class rc_severity { success, info, warning, error };

// Error if both type bits are set, warning if only bit 63, info if only bit 62, else success:
// the order matters because the error mask contains the warning bit.
rc_severity classify(std::int64_t ret_code);
const char* severity_name(rc_severity severity);  // "SUCCESS", "INFO", "WARNING", "ERROR"

struct api_call_rc {
  std::int64_t ret_code = 0;
  std::string message;
  std::string cause;
  std::string correction;
  std::string details;
  std::vector<std::string> error_report_ids;
};

// An array of ApiCallRc objects as the controller sends it. Rejects anything else with an error
// that says what was found instead.
expected<std::vector<api_call_rc>> parse_api_call_rcs(const nlohmann::json& answer);

// One entry as LINSTOR's client prints it:
//   ERROR:
//   Description:
//       Node 'x' not found.
//   Cause:
//       ...
std::string format_api_call_rc(const api_call_rc& rc, bool colors);

// 10 (API error) if any entry is an error, or a warning with warn_as_error; else 0.
int exit_code_for(const std::vector<api_call_rc>& replies, bool warn_as_error);

}  // namespace tandem::cli
