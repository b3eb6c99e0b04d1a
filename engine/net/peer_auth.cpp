#include "engine/net/peer_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace tandem::engine {
namespace {

constexpr std::uint8_t kMagic[4] = {'T', 'N', 'D', 'A'};

bool has_magic(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), kMagic, 4) == 0;
}

}  // namespace

const char* to_string(auth_status status) {
  switch (status) {
    case auth_status::ok: return "ok";
    case auth_status::unknown_resource: return "unknown resource";
    case auth_status::unknown_node: return "unknown node";
  }
  return "unknown status";
}

auth_nonce random_nonce() {
  auth_nonce nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    throw std::runtime_error("peer authentication: the OpenSSL random generator failed");
  }
  return nonce;
}

auth_proof make_proof(const std::string& secret, auth_role prover, const std::string& resource,
                      std::uint8_t dialer_node, std::uint8_t acceptor_node,
                      const auth_nonce& challenge) {
  std::vector<std::uint8_t> message;
  const char label[] = "tandem-peer-auth";
  message.insert(message.end(), label, label + sizeof label - 1);
  message.push_back(static_cast<std::uint8_t>(prover));
  message.push_back(static_cast<std::uint8_t>(resource.size()));
  message.insert(message.end(), resource.begin(), resource.end());
  message.push_back(dialer_node);
  message.push_back(acceptor_node);
  message.insert(message.end(), challenge.begin(), challenge.end());
  auth_proof proof{};
  unsigned int proof_length = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), message.data(),
           message.size(), proof.data(), &proof_length) == nullptr ||
      proof_length != proof.size()) {
    throw std::runtime_error("peer authentication: HMAC-SHA256 failed");
  }
  return proof;
}

bool proofs_equal(const auth_proof& a, const auth_proof& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::vector<std::uint8_t> encode_hello(const auth_hello& hello) {
  if (hello.resource.size() > kMaxResourceNameBytes) {
    throw std::invalid_argument("peer authentication: resource name longer than 255 bytes");
  }
  std::vector<std::uint8_t> out(kMagic, kMagic + 4);
  out.push_back(kAuthVersion);
  out.push_back(hello.from_node);
  out.push_back(hello.to_node);
  out.push_back(0);
  out.push_back(static_cast<std::uint8_t>(hello.resource.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(hello.resource.size()));
  out.insert(out.end(), hello.resource.begin(), hello.resource.end());
  out.insert(out.end(), hello.nonce.begin(), hello.nonce.end());
  return out;
}

std::vector<std::uint8_t> encode_answer(const auth_answer& answer) {
  std::vector<std::uint8_t> out(kMagic, kMagic + 4);
  out.push_back(kAuthVersion);
  out.push_back(static_cast<std::uint8_t>(answer.status));
  out.push_back(0);
  out.push_back(0);
  out.insert(out.end(), answer.nonce.begin(), answer.nonce.end());
  out.insert(out.end(), answer.proof.begin(), answer.proof.end());
  return out;
}

std::optional<std::size_t> hello_bytes_needed(std::span<const std::uint8_t> stream,
                                              std::string& error) {
  if (stream.size() >= 4 && !has_magic(stream)) {
    error = "not a tandem peer (bad magic in the authentication hello)";
    return std::nullopt;
  }
  if (stream.size() < kHelloFixedBytes) return std::nullopt;
  const std::size_t name_bytes = (std::size_t{stream[8]} << 8) | stream[9];
  if (name_bytes == 0 || name_bytes > kMaxResourceNameBytes) {
    error = "authentication hello: resource name length " + std::to_string(name_bytes) +
            " outside 1..255";
    return std::nullopt;
  }
  return kHelloFixedBytes + name_bytes + kNonceBytes;
}

std::optional<auth_hello> decode_hello(std::span<const std::uint8_t> bytes, std::string& error) {
  const auto needed = hello_bytes_needed(bytes, error);
  if (!needed) {
    if (error.empty()) error = "authentication hello: truncated";
    return std::nullopt;
  }
  if (bytes.size() != *needed) {
    error = "authentication hello: " + std::to_string(bytes.size()) + " bytes, expected " +
            std::to_string(*needed);
    return std::nullopt;
  }
  if (bytes[4] != kAuthVersion) {
    error = "authentication hello: version " + std::to_string(bytes[4]) + ", this node speaks " +
            std::to_string(kAuthVersion);
    return std::nullopt;
  }
  auth_hello hello;
  hello.from_node = bytes[5];
  hello.to_node = bytes[6];
  const std::size_t name_bytes = *needed - kHelloFixedBytes - kNonceBytes;
  hello.resource.assign(reinterpret_cast<const char*>(bytes.data() + kHelloFixedBytes), name_bytes);
  std::memcpy(hello.nonce.data(), bytes.data() + kHelloFixedBytes + name_bytes, kNonceBytes);
  return hello;
}

std::optional<auth_answer> decode_answer(std::span<const std::uint8_t> bytes, std::string& error) {
  if (bytes.size() != kAnswerBytes) {
    error = "authentication answer: " + std::to_string(bytes.size()) + " bytes, expected " +
            std::to_string(kAnswerBytes);
    return std::nullopt;
  }
  if (!has_magic(bytes)) {
    error = "not a tandem peer (bad magic in the authentication answer)";
    return std::nullopt;
  }
  if (bytes[4] != kAuthVersion) {
    error = "authentication answer: version " + std::to_string(bytes[4]);
    return std::nullopt;
  }
  if (bytes[5] > static_cast<std::uint8_t>(auth_status::unknown_node)) {
    error = "authentication answer: unknown status " + std::to_string(bytes[5]);
    return std::nullopt;
  }
  auth_answer answer;
  answer.status = static_cast<auth_status>(bytes[5]);
  std::memcpy(answer.nonce.data(), bytes.data() + 8, kNonceBytes);
  std::memcpy(answer.proof.data(), bytes.data() + 8 + kNonceBytes, kProofBytes);
  return answer;
}

}  // namespace tandem::engine
