// The NBD codec against byte sequences written out by hand from the protocol description
// (NetworkBlockDevice/nbd doc/proto.md): every field at its offset, big-endian.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <initializer_list>

#include "engine/nbd/protocol.h"

using namespace tandem::nbd;

namespace {

bytes b(std::initializer_list<int> values) {
  bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

bytes text(std::string_view s) {
  bytes out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

}  // namespace

TEST_CASE("nbd protocol: greeting is NBDMAGIC, IHAVEOPT and the handshake flags") {
  const bytes expected = cat({text("NBDMAGIC"), text("IHAVEOPT"), b({0x00, 0x03})});
  CHECK(encode_greeting(kFlagFixedNewstyle | kFlagNoZeroes) == expected);
}

TEST_CASE("nbd protocol: client flags accept offered bits and refuse others") {
  const std::uint16_t offered = kFlagFixedNewstyle | kFlagNoZeroes;
  bytes in = b({0, 0, 0, 3});
  auto flags = decode_client_flags(std::span<const std::byte, 4>(in.data(), 4), offered);
  CHECK(flags.ok);
  CHECK(flags.fixed_newstyle);
  CHECK(flags.no_zeroes);

  in = b({0, 0, 0, 1});
  flags = decode_client_flags(std::span<const std::byte, 4>(in.data(), 4), kFlagFixedNewstyle);
  CHECK(flags.ok);
  CHECK_FALSE(flags.no_zeroes);

  // NO_ZEROES was not offered: the spec says drop the connection.
  in = b({0, 0, 0, 3});
  flags = decode_client_flags(std::span<const std::byte, 4>(in.data(), 4), kFlagFixedNewstyle);
  CHECK_FALSE(flags.ok);
  CHECK(flags.problem.find("0x2") != std::string::npos);

  in = b({0x80, 0, 0, 1});
  flags = decode_client_flags(std::span<const std::byte, 4>(in.data(), 4), offered);
  CHECK_FALSE(flags.ok);
}

TEST_CASE("nbd protocol: option header fields and its two failures") {
  bytes in = cat({text("IHAVEOPT"), b({0, 0, 0, 7}), b({0, 0, 0x01, 0x02})});
  auto header = decode_option_header(std::span<const std::byte, 16>(in.data(), 16));
  REQUIRE(header.ok);
  CHECK(header.option == 7);
  CHECK(header.length_bytes == 0x102);

  in = cat({text("IHAVEOPX"), b({0, 0, 0, 7, 0, 0, 0, 0})});
  header = decode_option_header(std::span<const std::byte, 16>(in.data(), 16));
  CHECK_FALSE(header.ok);
  CHECK(header.problem.find("magic") != std::string::npos);

  in = cat({text("IHAVEOPT"), b({0, 0, 0, 7}), b({0x7f, 0xff, 0xff, 0xff})});
  header = decode_option_header(std::span<const std::byte, 16>(in.data(), 16));
  CHECK_FALSE(header.ok);
  CHECK(header.problem.find("2147483647") != std::string::npos);
}

TEST_CASE("nbd protocol: NBD_OPT_GO data: name, count, info types") {
  const bytes data = cat({b({0, 0, 0, 4}), text("disk"), b({0, 2}), b({0, 3}), b({0, 1})});
  const auto decoded = decode_info_request(data);
  REQUIRE(decoded.request);
  CHECK(decoded.request->name == "disk");
  CHECK(decoded.request->wants(info_type::block_size));
  CHECK(decoded.request->wants(info_type::name));
  CHECK_FALSE(decoded.request->wants(info_type::description));

  // Empty name (the default export) and no info requests.
  const auto empty = decode_info_request(b({0, 0, 0, 0, 0, 0}));
  REQUIRE(empty.request);
  CHECK(empty.request->name.empty());
}

TEST_CASE("nbd protocol: malformed NBD_OPT_GO data names the problem") {
  CHECK(decode_info_request(b({0, 0, 0})).problem.find("shorter") != std::string::npos);
  // Name length runs past the data.
  CHECK(decode_info_request(cat({b({0, 0, 0, 9}), text("disk"), b({0, 0})}))
            .problem.find("runs past") != std::string::npos);
  // Count says two info types, one is there.
  CHECK(decode_info_request(cat({b({0, 0, 0, 4}), text("disk"), b({0, 2, 0, 3})}))
            .problem.find("announces 2") != std::string::npos);
  // Trailing byte after the info list.
  CHECK_FALSE(decode_info_request(cat({b({0, 0, 0, 0}), b({0, 1, 0, 3, 9})})).request);
  // NUL inside the name.
  CHECK(decode_info_request(cat({b({0, 0, 0, 2}), b({'a', 0}), b({0, 0})})).problem.find("NUL") !=
        std::string::npos);
}

TEST_CASE("nbd protocol: option reply layout") {
  bytes out;
  encode_option_reply(3, reply_type::ack, std::span<const std::byte>{}, out);
  CHECK(out == b({0x00, 0x03, 0xe8, 0x89, 0x04, 0x55, 0x65, 0xa9,  // reply magic
                  0,    0,    0,    3,                             // option
                  0,    0,    0,    1,                             // NBD_REP_ACK
                  0,    0,    0,    0}));                          // length

  out.clear();
  encode_option_reply(7, reply_type::err_unknown, "no", out);
  CHECK(out == cat({b({0x00, 0x03, 0xe8, 0x89, 0x04, 0x55, 0x65, 0xa9}), b({0, 0, 0, 7}),
                    b({0x80, 0, 0, 6}), b({0, 0, 0, 2}), text("no")}));
}

TEST_CASE("nbd protocol: NBD_REP_SERVER and NBD_REP_INFO payloads") {
  CHECK(encode_server_entry("vm1", "disk") == cat({b({0, 0, 0, 3}), text("vm1"), text("disk")}));
  CHECK(encode_info_export(0x100000, 0x016d) == b({0, 0,                       // NBD_INFO_EXPORT
                                                   0, 0, 0, 0, 0, 0x10, 0, 0,  // size 1 MiB
                                                   0x01, 0x6d}));              // flags
  CHECK(encode_info_text(info_type::name, "vm1") == cat({b({0, 1}), text("vm1")}));
  CHECK(encode_info_block_size(512, 4096, 32 << 20) ==
        b({0, 3, 0, 0, 0x02, 0, 0, 0, 0x10, 0, 0x02, 0, 0, 0}));
}

TEST_CASE("nbd protocol: NBD_OPT_EXPORT_NAME reply with and without the 124 zero bytes") {
  const bytes with_zeroes = encode_export_name_reply(4096, 0x0003, false);
  CHECK(with_zeroes.size() == 8 + 2 + 124);
  CHECK(bytes(with_zeroes.begin(), with_zeroes.begin() + 10) ==
        b({0, 0, 0, 0, 0, 0, 0x10, 0, 0, 3}));
  CHECK(std::all_of(with_zeroes.begin() + 10, with_zeroes.end(),
                    [](std::byte v) { return v == std::byte{0}; }));
  CHECK(encode_export_name_reply(4096, 0x0003, true).size() == 10);
}

TEST_CASE("nbd protocol: request header fields") {
  const bytes in = b({0x25, 0x60, 0x95, 0x13,                          // magic
                      0x00, 0x01,                                      // flags: FUA
                      0x00, 0x01,                                      // NBD_CMD_WRITE
                      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // handle
                      0,    0,    0,    0,    0,    0,    0x10, 0x00,  // offset 4096
                      0,    0,    0x02, 0x00});                        // length 512
  const auto decoded = decode_request_header(std::span<const std::byte, 28>(in.data(), 28));
  REQUIRE(decoded.header);
  CHECK(decoded.header->flags == kCmdFlagFua);
  CHECK(decoded.header->type == static_cast<std::uint16_t>(command::write));
  CHECK(decoded.header->handle == 0x0102030405060708);
  CHECK(decoded.header->offset_bytes == 4096);
  CHECK(decoded.header->length_bytes == 512);

  bytes again;
  encode_request_header(*decoded.header, again);
  CHECK(again == in);

  bytes bad = in;
  bad[0] = std::byte{0x26};
  const auto refused = decode_request_header(std::span<const std::byte, 28>(bad.data(), 28));
  CHECK_FALSE(refused.header);
  CHECK(refused.problem.find("0x26609513") != std::string::npos);
}

TEST_CASE("nbd protocol: simple reply carries magic, error and the echoed handle") {
  bytes out;
  encode_simple_reply(nbd_error::nospc, 0xdeadbeefcafe0001, out);
  const bytes expected =
      b({0x67, 0x44, 0x66, 0x98, 0, 0, 0, 28, 0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0x00, 0x01});
  CHECK(out == expected);
  std::array<std::byte, kSimpleReplyBytes> fixed{};
  encode_simple_reply(nbd_error::nospc, 0xdeadbeefcafe0001, fixed);
  CHECK(bytes(fixed.begin(), fixed.end()) == expected);
}

TEST_CASE("nbd protocol: error values are the spec's numbers") {
  CHECK(static_cast<int>(nbd_error::perm) == 1);
  CHECK(static_cast<int>(nbd_error::io) == 5);
  CHECK(static_cast<int>(nbd_error::inval) == 22);
  CHECK(static_cast<int>(nbd_error::nospc) == 28);
  CHECK(static_cast<int>(nbd_error::shutdown) == 108);
  CHECK(std::string(to_string(command::write_zeroes)) == "NBD_CMD_WRITE_ZEROES");
  CHECK(std::string(to_string(static_cast<command>(99))) == "unknown command");
}
