// LINSTOR's ApiCallRc: every operation answers with a list of these, and the REST status code is
// derived from them (research/linstor.md §2.4). ret_code is a signed 64-bit bit field:
// type (bits 62-63) | operation (bits 24-25) | object (bits 18-22) | code (bits 0-14).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tandem::cluster {

namespace rc {
// Type. Errors and warnings have bit 63 set, so they are negative numbers in JSON.
inline constexpr std::uint64_t kMaskError = 0xC000000000000000ULL;
inline constexpr std::uint64_t kMaskWarn = 0x8000000000000000ULL;
inline constexpr std::uint64_t kMaskInfo = 0x4000000000000000ULL;
// Operation.
inline constexpr std::uint64_t kCreate = 0x01000000ULL;
inline constexpr std::uint64_t kModify = 0x02000000ULL;
inline constexpr std::uint64_t kDelete = 0x03000000ULL;
// Object.
inline constexpr std::uint64_t kNode = 0x3C0000ULL;
inline constexpr std::uint64_t kResourceDefinition = 0x380000ULL;
inline constexpr std::uint64_t kResource = 0x340000ULL;
inline constexpr std::uint64_t kVolumeDefinition = 0x300000ULL;
inline constexpr std::uint64_t kVolume = 0x2C0000ULL;
inline constexpr std::uint64_t kNetInterface = 0x1C0000ULL;
inline constexpr std::uint64_t kStoragePool = 0x140000ULL;
inline constexpr std::uint64_t kControllerConfig = 0x100000ULL;
inline constexpr std::uint64_t kSnapshot = 0x0C0000ULL;
inline constexpr std::uint64_t kResourceGroup = 0x440000ULL;
inline constexpr std::uint64_t kVolumeGroup = 0x480000ULL;
// Codes (linstor-common consts.json).
inline constexpr std::uint64_t kCreated = 1;
inline constexpr std::uint64_t kDeleted = 2;
inline constexpr std::uint64_t kModified = 3;
inline constexpr std::uint64_t kFailInvalidNodeName = 200;  // FAIL_INVLD_*: 200-299
inline constexpr std::uint64_t kFailInvalidNodeType = 201;
inline constexpr std::uint64_t kFailInvalidResourceName = 202;
inline constexpr std::uint64_t kFailInvalidVolumeNumber = 205;
inline constexpr std::uint64_t kFailInvalidVolumeSize = 206;
inline constexpr std::uint64_t kFailInvalidStoragePoolName = 208;
inline constexpr std::uint64_t kFailInvalidNetName = 209;
inline constexpr std::uint64_t kFailInvalidNetAddress = 210;
inline constexpr std::uint64_t kFailInvalidNetPort = 211;
inline constexpr std::uint64_t kFailInvalidProperty = 213;
inline constexpr std::uint64_t kFailInvalidSnapshotName = 218;
inline constexpr std::uint64_t kFailInvalidPlaceCount = 219;
inline constexpr std::uint64_t kFailInvalidStorageDriver = 221;
inline constexpr std::uint64_t kFailInvalidProvider = 227;
inline constexpr std::uint64_t kFailInvalidConfiguration = 230;
inline constexpr std::uint64_t kFailInvalidResourceGroupName = 234;
inline constexpr std::uint64_t kFailNotFoundNode = 300;  // FAIL_NOT_FOUND_*: 300-399 -> HTTP 404
inline constexpr std::uint64_t kFailNotFoundResourceDefinition = 301;
inline constexpr std::uint64_t kFailNotFoundResource = 302;
inline constexpr std::uint64_t kFailNotFoundVolumeDefinition = 303;
inline constexpr std::uint64_t kFailNotFoundNetInterface = 305;
inline constexpr std::uint64_t kFailNotFoundStoragePool = 310;
inline constexpr std::uint64_t kFailNotFoundSnapshot = 315;
inline constexpr std::uint64_t kFailNotFoundResourceGroup = 317;
inline constexpr std::uint64_t kFailNotFoundVolumeGroup = 318;
inline constexpr std::uint64_t kFailExistsNode = 500;  // FAIL_EXISTS_*: 500-599
inline constexpr std::uint64_t kFailExistsResourceDefinition = 501;
inline constexpr std::uint64_t kFailExistsResource = 502;
inline constexpr std::uint64_t kFailExistsVolumeDefinition = 503;
inline constexpr std::uint64_t kFailExistsNetInterface = 505;
inline constexpr std::uint64_t kFailExistsStoragePool = 510;
inline constexpr std::uint64_t kFailExistsSnapshot = 516;
inline constexpr std::uint64_t kFailExistsResourceGroup = 522;
inline constexpr std::uint64_t kFailExistsVolumeGroup = 523;
inline constexpr std::uint64_t kFailPoolExhaustedVolumeNumber = 800;
inline constexpr std::uint64_t kFailPoolExhaustedMinor = 801;
inline constexpr std::uint64_t kFailPoolExhaustedTcpPort = 802;
inline constexpr std::uint64_t kFailPoolExhaustedNodeId = 803;
inline constexpr std::uint64_t kFailNotEnoughFreeSpace = 980;
inline constexpr std::uint64_t kFailSnapshotsNotSupported = 994;
inline constexpr std::uint64_t kFailNotEnoughNodes = 996;
inline constexpr std::uint64_t kFailInUse = 997;
inline constexpr std::uint64_t kFailUnknownError = 998;
inline constexpr std::uint64_t kWarnNotConnected = 1002;
inline constexpr std::uint64_t kWarnDeleteUnsetProp = 1005;
inline constexpr std::uint64_t kWarnResourceAlreadyHasDisk = 1007;
inline constexpr std::uint64_t kWarnResourceAlreadyDiskless = 1008;
inline constexpr std::uint64_t kWarnNotEnoughNodesForTieBreaker = 1013;
inline constexpr std::uint64_t kInfoNoResourceSpawned = 10000;
inline constexpr std::uint64_t kInfoPropSet = 10002;
inline constexpr std::uint64_t kInfoTieBreakerCreated = 10003;
inline constexpr std::uint64_t kInfoTieBreakerDeleting = 10004;
inline constexpr std::uint64_t kInfoTieBreakerTakeover = 10006;
inline constexpr std::uint64_t kApiCallParseError = 0x0FFFFFFFFFFFFFFDULL;

inline constexpr std::uint64_t kCodeMask = 0x7FFF;
inline bool is_error(std::uint64_t code) {
  return (code & kMaskError) == kMaskError;
}
inline bool is_warning(std::uint64_t code) {
  return (code & kMaskError) == kMaskWarn;
}
}  // namespace rc

struct api_call_rc {
  std::uint64_t ret_code = 0;  // printed as int64 (errors are negative)
  std::string message;
  std::string cause;
  std::string correction;
  std::string details;
  std::map<std::string, std::string> obj_refs;
  friend bool operator==(const api_call_rc&, const api_call_rc&) = default;
};

using api_call_rcs = std::vector<api_call_rc>;

inline bool has_error(const api_call_rcs& rcs) {
  for (const api_call_rc& r : rcs) {
    if (rc::is_error(r.ret_code)) return true;
  }
  return false;
}

inline api_call_rc error_rc(std::uint64_t op_object_code, std::string message,
                            std::string cause = {}, std::string correction = {}) {
  return {rc::kMaskError | op_object_code,
          std::move(message),
          std::move(cause),
          std::move(correction),
          {},
          {}};
}

inline api_call_rc success_rc(std::uint64_t op_object_code, std::string message) {
  return {op_object_code, std::move(message), {}, {}, {}, {}};
}

inline api_call_rc info_rc(std::uint64_t op_object_code, std::string message) {
  return {rc::kMaskInfo | op_object_code, std::move(message), {}, {}, {}, {}};
}

inline api_call_rc warn_rc(std::uint64_t op_object_code, std::string message) {
  return {rc::kMaskWarn | op_object_code, std::move(message), {}, {}, {}, {}};
}

}  // namespace tandem::cluster
