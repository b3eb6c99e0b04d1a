// The challenge-response authentication that opens every peer connection (DRBD's cram-hmac-alg
// with a shared secret, here fixed to HMAC-SHA256). Both sides prove knowledge of the resource's
// secret without sending it; each proof covers the resource name, both node ids, the other side's
// fresh nonce and the prover's role, so a proof can be neither replayed nor reflected back.
//
// On the stream, before any core/wire frame:
//   dialer   -> acceptor  hello:    "TNDA" u8 version u8 from u8 to u8 0 u16 name_len name nonce[32]
//   acceptor -> dialer    answer:   "TNDA" u8 version u8 status u16 0 nonce[32] proof[32]
//   dialer   -> acceptor  proof:    proof[32]
//   acceptor -> dialer    confirm:  u8 1
// status is 0 (ok) or a refusal (unknown resource, unknown node); a wrong proof closes the stream,
// so the dialer only reports a connection once the acceptor has accepted its proof.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tandem::engine {

inline constexpr std::uint8_t kAuthVersion = 1;
inline constexpr std::size_t kNonceBytes = 32;
inline constexpr std::size_t kProofBytes = 32;
inline constexpr std::size_t kMaxResourceNameBytes = 255;

using auth_nonce = std::array<std::uint8_t, kNonceBytes>;
using auth_proof = std::array<std::uint8_t, kProofBytes>;

enum class auth_role : std::uint8_t { dialer = 1, acceptor = 2 };

enum class auth_status : std::uint8_t { ok = 0, unknown_resource = 1, unknown_node = 2 };
const char* to_string(auth_status status);

struct auth_hello {
  std::uint8_t from_node = 0;
  std::uint8_t to_node = 0;
  std::string resource;
  auth_nonce nonce{};
};

struct auth_answer {
  auth_status status = auth_status::ok;
  auth_nonce nonce{};
  auth_proof proof{};
};

auth_nonce random_nonce();  // from the OpenSSL CSPRNG

// HMAC-SHA256(secret, "tandem-peer-auth" | role | resource | dialer node | acceptor node | nonce).
auth_proof make_proof(const std::string& secret, auth_role prover, const std::string& resource,
                      std::uint8_t dialer_node, std::uint8_t acceptor_node,
                      const auth_nonce& challenge);
bool proofs_equal(const auth_proof& a, const auth_proof& b);  // constant time

std::vector<std::uint8_t> encode_hello(const auth_hello& hello);
std::vector<std::uint8_t> encode_answer(const auth_answer& answer);

// The hello is variable-length: hello_bytes_needed tells how much of the stream makes a whole one
// (nullopt while the fixed part is incomplete). decode_* return an error message for bad input.
inline constexpr std::size_t kHelloFixedBytes = 10;
inline constexpr std::size_t kAnswerBytes = 8 + kNonceBytes + kProofBytes;
inline constexpr std::uint8_t kAuthConfirm = 1;
std::optional<std::size_t> hello_bytes_needed(std::span<const std::uint8_t> stream,
                                              std::string& error);
std::optional<auth_hello> decode_hello(std::span<const std::uint8_t> bytes, std::string& error);
std::optional<auth_answer> decode_answer(std::span<const std::uint8_t> bytes, std::string& error);

}  // namespace tandem::engine
