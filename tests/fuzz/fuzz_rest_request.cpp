// The controller's REST API (engine/api: routing, lenient JSON request parsing, the operations)
// on arbitrary request sessions over an in-memory model. An input is one or more requests
// separated by a line "---"; each is "METHOD TARGET" on its first line and the body after it, so
// a session can build objects and then hit them with malformed requests.
// Properties: no request escapes handle_request with an exception or crashes; every answer has an
// HTTP status and, when it has a body, that body is JSON; a request answered with an error status
// leaves the model exactly as it was (rejected input leaves no state); a GET never changes it.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/api/rest_api.h"
#include "tests/engine/api/memory_backend.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;

namespace {

constexpr std::size_t kMaxRequests = 16;  // keeps each input fast

void run_request(api::memory_backend& backend, std::string_view text) {
  const std::size_t line_end = text.find('\n');
  const std::string_view first = text.substr(0, line_end);
  const std::size_t space = first.find(' ');
  if (space == std::string_view::npos) return;
  api::http_request request;
  request.method = std::string(first.substr(0, space));
  api::split_target(std::string(first.substr(space + 1)), request.path, request.query);
  if (line_end != std::string_view::npos) request.body = std::string(text.substr(line_end + 1));

  const cluster::cluster before = backend.model();
  const api::http_response response = api::handle_request(backend, request);
  TANDEM_FUZZ_CHECK(response.status >= 100 && response.status <= 599);
  if (!response.body.empty() && response.content_type == "application/json") {
    TANDEM_FUZZ_CHECK(nlohmann::json::accept(response.body));
  }
  if (response.status >= 400 || request.method == "GET") {
    TANDEM_FUZZ_CHECK(backend.model() == before);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  api::memory_backend backend;
  std::size_t start = 0;
  for (std::size_t n = 0; n < kMaxRequests && start <= input.size(); ++n) {
    const std::size_t separator = input.find("\n---\n", start);
    const std::size_t end = separator == std::string_view::npos ? input.size() : separator;
    run_request(backend, input.substr(start, end - start));
    if (separator == std::string_view::npos) break;
    start = separator + 5;
  }
  return 0;
}
