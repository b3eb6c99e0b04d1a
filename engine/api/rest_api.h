// LINSTOR-compatible REST API v1 (research/linstor.md §2): routes, lenient request parsing and
// JSON shapes. Pure request -> response over a controller_backend; the HTTP transport is
// http_server.
#pragma once

#include "engine/api/backend.h"
#include "engine/api/http_types.h"

namespace tandem::api {

inline constexpr const char* kRestApiVersion = "1.28.0";
inline constexpr const char* kControllerVersion = "0.1.0";

http_response handle_request(controller_backend& backend, const http_request& request);

}  // namespace tandem::api
