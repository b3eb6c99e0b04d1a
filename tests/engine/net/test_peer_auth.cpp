#include <doctest/doctest.h>

#include "engine/net/peer_auth.h"

using namespace tandem::engine;

TEST_CASE("peer auth: a proof verifies only with the same secret, role, resource, nodes, nonce") {
  const auth_nonce nonce = random_nonce();
  const auth_proof proof = make_proof("secret", auth_role::acceptor, "r0", 2, 1, nonce);
  CHECK(proofs_equal(proof, make_proof("secret", auth_role::acceptor, "r0", 2, 1, nonce)));
  CHECK_FALSE(proofs_equal(proof, make_proof("Secret", auth_role::acceptor, "r0", 2, 1, nonce)));
  // Reflection: the dialer's proof over the same nonce is different.
  CHECK_FALSE(proofs_equal(proof, make_proof("secret", auth_role::dialer, "r0", 2, 1, nonce)));
  CHECK_FALSE(proofs_equal(proof, make_proof("secret", auth_role::acceptor, "r1", 2, 1, nonce)));
  CHECK_FALSE(proofs_equal(proof, make_proof("secret", auth_role::acceptor, "r0", 1, 2, nonce)));
  CHECK_FALSE(
      proofs_equal(proof, make_proof("secret", auth_role::acceptor, "r0", 2, 1, random_nonce())));
}

TEST_CASE("peer auth: hello and answer round-trip, bad bytes are named, never trusted") {
  auth_hello hello{3, 1, "vm-100-disk-1", random_nonce()};
  const auto bytes = encode_hello(hello);
  std::string error;
  REQUIRE(hello_bytes_needed(bytes, error) == bytes.size());
  const auto decoded = decode_hello(bytes, error);
  REQUIRE(decoded.has_value());
  CHECK(decoded->from_node == 3);
  CHECK(decoded->to_node == 1);
  CHECK(decoded->resource == "vm-100-disk-1");
  CHECK(decoded->nonce == hello.nonce);

  auto partial = std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 6);
  error.clear();
  CHECK_FALSE(hello_bytes_needed(partial, error).has_value());
  CHECK(error.empty());  // just incomplete

  auto garbage = bytes;
  garbage[0] = 'X';
  error.clear();
  CHECK_FALSE(decode_hello(garbage, error).has_value());
  CHECK(error == "not a tandem peer (bad magic in the authentication hello)");

  auto zero_name = bytes;
  zero_name[8] = 0;
  zero_name[9] = 0;
  error.clear();
  CHECK_FALSE(hello_bytes_needed(zero_name, error).has_value());
  CHECK(error == "authentication hello: resource name length 0 outside 1..255");

  auth_answer answer{auth_status::unknown_node, random_nonce(), {}};
  const auto answer_bytes = encode_answer(answer);
  CHECK(answer_bytes.size() == kAnswerBytes);
  error.clear();
  const auto back = decode_answer(answer_bytes, error);
  REQUIRE(back.has_value());
  CHECK(back->status == auth_status::unknown_node);
  CHECK(back->nonce == answer.nonce);
  auto bad_status = answer_bytes;
  bad_status[5] = 9;
  CHECK_FALSE(decode_answer(bad_status, error).has_value());
  CHECK(error == "authentication answer: unknown status 9");
}
