// Option haggling (option_haggler) and the transmission-phase request checks, without sockets.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/nbd/handshake.h"
#include "engine/nbd/transmission.h"
#include "tests/engine/nbd/file_backend.h"

using namespace tandem::nbd;

namespace {

bytes be32(std::uint32_t v) {
  return {std::byte(v >> 24), std::byte(v >> 16), std::byte(v >> 8), std::byte(v)};
}

bytes go_data(std::string_view name, std::initializer_list<std::uint16_t> infos) {
  bytes out = be32(static_cast<std::uint32_t>(name.size()));
  for (char c : name) out.push_back(std::byte(c));
  out.push_back(std::byte(infos.size() >> 8));
  out.push_back(std::byte(infos.size()));
  for (auto info : infos) {
    out.push_back(std::byte(info >> 8));
    out.push_back(std::byte(info));
  }
  return out;
}

// Splits a run of option replies into (option, type, data) triples, checking the magic.
struct parsed_reply {
  std::uint32_t opt;
  std::uint32_t type;
  bytes data;
};
std::vector<parsed_reply> parse_replies(const bytes& in) {
  std::vector<parsed_reply> out;
  std::size_t at = 0;
  auto get = [&](std::size_t offset, std::size_t width) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i)
      v = (v << 8) | std::to_integer<std::uint64_t>(in[offset + i]);
    return v;
  };
  while (at + 20 <= in.size()) {
    REQUIRE(get(at, 8) == kOptionReplyMagic);
    parsed_reply r{static_cast<std::uint32_t>(get(at + 8, 4)),
                   static_cast<std::uint32_t>(get(at + 12, 4)),
                   {}};
    const auto length = get(at + 16, 4);
    REQUIRE(at + 20 + length <= in.size());
    r.data.assign(in.begin() + static_cast<long>(at + 20),
                  in.begin() + static_cast<long>(at + 20 + length));
    out.push_back(std::move(r));
    at += 20 + length;
  }
  REQUIRE(at == in.size());
  return out;
}

struct registry_fixture {
  std::filesystem::path dir;
  testing::file_backend backend{[](std::function<void()> f) { f(); }};

  registry_fixture() {
    char templ[] = "/tmp/tandem-nbd-hs-XXXXXX";
    dir = ::mkdtemp(templ);
    backend.add_export({"vm1", "first disk", 1 << 20, false, true}, (dir / "vm1").string());
    backend.add_export({"ro", "", 8192, true, false}, (dir / "ro").string());
  }
  ~registry_fixture() { std::filesystem::remove_all(dir); }
};

}  // namespace

TEST_CASE("nbd handshake: transmission flags follow the export") {
  export_info info{"a", "", 4096, false, false};
  CHECK(transmission_flags(info, true) ==
        (kFlagHasFlags | kFlagSendFlush | kFlagSendFua | kFlagSendTrim | kFlagSendWriteZeroes));
  CHECK((transmission_flags(info, false) & kFlagReadOnly) != 0);
  info.can_multi_conn = true;
  CHECK((transmission_flags(info, true) & kFlagCanMultiConn) != 0);
}

TEST_CASE("nbd handshake: NBD_OPT_LIST answers every export, then ACK") {
  registry_fixture f;
  option_haggler haggler(f.backend, 32 << 20);
  auto step = haggler.handle_option(3, {});
  CHECK(step.next == option_haggler::outcome::keep_haggling);
  const auto replies = parse_replies(step.replies);
  REQUIRE(replies.size() == 3);
  CHECK(replies[0].type == static_cast<std::uint32_t>(reply_type::server));
  CHECK(replies[0].data == encode_server_entry("ro", ""));
  CHECK(replies[1].data == encode_server_entry("vm1", "first disk"));
  CHECK(replies[2].type == static_cast<std::uint32_t>(reply_type::ack));

  // LIST with data is syntactically invalid.
  const bytes junk{std::byte{1}};
  step = haggler.handle_option(3, junk);
  CHECK(parse_replies(step.replies).at(0).type ==
        static_cast<std::uint32_t>(reply_type::err_invalid));
}

TEST_CASE("nbd handshake: NBD_OPT_INFO reports size, flags, name and block sizes") {
  registry_fixture f;
  option_haggler haggler(f.backend, 32 << 20);
  const auto step = haggler.handle_option(6, go_data("vm1", {1, 2, 3}));
  CHECK(step.next == option_haggler::outcome::keep_haggling);
  const auto replies = parse_replies(step.replies);
  REQUIRE(replies.size() == 5);
  CHECK(replies[0].data ==
        encode_info_export(1 << 20, transmission_flags({"vm1", "", 1 << 20, false, true}, true)));
  CHECK(replies[1].data == encode_info_text(info_type::name, "vm1"));
  CHECK(replies[2].data == encode_info_text(info_type::description, "first disk"));
  CHECK(replies[3].data == encode_info_block_size(512, 4096, 32 << 20));
  CHECK(replies[4].type == static_cast<std::uint32_t>(reply_type::ack));
  for (const auto& reply : replies) CHECK(reply.opt == 6);
}

TEST_CASE("nbd handshake: NBD_OPT_GO waits for open, then sends infos and ACK") {
  registry_fixture f;
  option_haggler haggler(f.backend, 32 << 20);
  const auto step = haggler.handle_option(7, go_data("vm1", {}));
  REQUIRE(step.next == option_haggler::outcome::enter_transmission);
  CHECK(step.replies.empty());
  CHECK(step.chosen.name == "vm1");
  CHECK_FALSE(haggler.pending_is_export_name());

  // The backend granted read-only: the flags say so.
  const auto replies = parse_replies(haggler.transmission_start(false));
  REQUIRE(replies.size() == 3);  // export, block size, ack
  CHECK(replies[0].data == encode_info_export(1 << 20, transmission_flags(step.chosen, false)));
  CHECK(replies[2].type == static_cast<std::uint32_t>(reply_type::ack));

  const auto refused = parse_replies(haggler.open_refused("no quorum"));
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].type == static_cast<std::uint32_t>(reply_type::err_policy));
  CHECK(refused[0].data == bytes{std::byte{'n'}, std::byte{'o'}, std::byte{' '}, std::byte{'q'},
                                 std::byte{'u'}, std::byte{'o'}, std::byte{'r'}, std::byte{'u'},
                                 std::byte{'m'}});
}

TEST_CASE("nbd handshake: unknown export, malformed GO, unsupported options") {
  registry_fixture f;
  option_haggler haggler(f.backend, 32 << 20);
  auto step = haggler.handle_option(7, go_data("nope", {}));
  CHECK(step.next == option_haggler::outcome::keep_haggling);
  CHECK(parse_replies(step.replies).at(0).type ==
        static_cast<std::uint32_t>(reply_type::err_unknown));
  CHECK(step.problem.find("nope") != std::string::npos);

  step = haggler.handle_option(7, be32(100));
  CHECK(parse_replies(step.replies).at(0).type ==
        static_cast<std::uint32_t>(reply_type::err_invalid));

  for (std::uint32_t opt : {5u, 8u, 9u, 10u, 4u, 0u, 12345u}) {
    step = haggler.handle_option(opt, {});
    CHECK(step.next == option_haggler::outcome::keep_haggling);
    const auto replies = parse_replies(step.replies);
    CHECK(replies.at(0).opt == opt);
    CHECK(replies.at(0).type == static_cast<std::uint32_t>(reply_type::err_unsup));
  }
}

TEST_CASE("nbd handshake: EXPORT_NAME of an unknown export ends the session") {
  registry_fixture f;
  option_haggler haggler(f.backend, 32 << 20);
  const bytes name{std::byte{'x'}};
  const auto step = haggler.handle_option(1, name);
  CHECK(step.next == option_haggler::outcome::disconnect);
  CHECK(step.problem.find("'x'") != std::string::npos);

  const bytes vm1{std::byte{'v'}, std::byte{'m'}, std::byte{'1'}};
  const auto ok = haggler.handle_option(1, vm1);
  REQUIRE(ok.next == option_haggler::outcome::enter_transmission);
  CHECK(haggler.pending_is_export_name());
  CHECK(haggler.transmission_start(true).size() == 10 + 124);
}

TEST_CASE("nbd handshake: ABORT is acknowledged, shutdown refuses, option flood disconnects") {
  registry_fixture f;
  option_haggler haggler(f.backend, 32 << 20);
  auto step = haggler.handle_option(2, {});
  CHECK(step.next == option_haggler::outcome::abort);
  CHECK(parse_replies(step.replies).at(0).type == static_cast<std::uint32_t>(reply_type::ack));

  haggler.set_shutting_down();
  step = haggler.handle_option(7, go_data("vm1", {}));
  CHECK(parse_replies(step.replies).at(0).type ==
        static_cast<std::uint32_t>(reply_type::err_shutdown));

  option_haggler flooded(f.backend, 32 << 20);
  for (std::size_t i = 0; i < kMaxOptionsPerConnection; ++i) {
    REQUIRE(flooded.handle_option(3, {}).next == option_haggler::outcome::keep_haggling);
  }
  CHECK(flooded.handle_option(3, {}).next == option_haggler::outcome::disconnect);
}

TEST_CASE("nbd handshake: client flags with an unoffered bit disconnect") {
  registry_fixture f;
  option_haggler haggler(f.backend, 32 << 20);
  const bytes bad = be32(0x4);
  CHECK(haggler.handle_client_flags(std::span<const std::byte, 4>(bad.data(), 4)).next ==
        option_haggler::outcome::disconnect);
  const bytes good = be32(0x3);
  CHECK(haggler.handle_client_flags(std::span<const std::byte, 4>(good.data(), 4)).next ==
        option_haggler::outcome::keep_haggling);
}

// ------------------------------------------------------------------------- request checks

namespace {
request_header req(command cmd, std::uint64_t offset, std::uint32_t length,
                   std::uint16_t flags = 0) {
  return request_header{flags, static_cast<std::uint16_t>(cmd), 42, offset, length};
}
const export_limits rw{1 << 20, true, 1 << 16};
const export_limits ro{1 << 20, false, 1 << 16};
}  // namespace

TEST_CASE("nbd requests: valid requests are submitted with their flags") {
  auto check = check_request(req(command::write, 4096, 512, kCmdFlagFua), rw);
  CHECK(check.action == request_check::verdict::submit);
  CHECK(check.op == io_op::write);
  CHECK(check.fua);
  CHECK(check.payload_bytes == 512);

  check = check_request(req(command::write_zeroes, 0, 1 << 20, kCmdFlagNoHole), rw);
  CHECK(check.action == request_check::verdict::submit);
  CHECK(check.no_hole);
  CHECK(check.payload_bytes == 0);

  // FUA on a read is accepted and ignored.
  check = check_request(req(command::read, (1 << 20) - 512, 512, kCmdFlagFua), rw);
  CHECK(check.action == request_check::verdict::submit);
  CHECK_FALSE(check.fua);

  CHECK(check_request(req(command::flush, 0, 0), ro).action == request_check::verdict::submit);
  CHECK(check_request(req(command::trim, 0, 1 << 20), rw).op == io_op::trim);
  CHECK(check_request(req(command::disc, 0, 0), rw).action == request_check::verdict::disconnect);
}

TEST_CASE("nbd requests: out-of-range, unaligned and unknown requests get the spec's errors") {
  CHECK(check_request(req(command::write, 1 << 20, 512), rw).error == nbd_error::nospc);
  CHECK(check_request(req(command::trim, (1 << 20) - 512, 1024), rw).error == nbd_error::nospc);
  CHECK(check_request(req(command::read, 1 << 20, 512), rw).error == nbd_error::inval);
  // offset + length overflows 64 bits: still "past the end", not a wrap-around.
  CHECK(check_request(req(command::read, ~std::uint64_t{0} - 511, 1024), rw).error ==
        nbd_error::inval);
  CHECK(check_request(req(command::read, 100, 512), rw).error == nbd_error::inval);
  CHECK(check_request(req(command::write, 0, 100), rw).error == nbd_error::inval);
  CHECK(check_request(req(command::read, 0, 0), rw).error == nbd_error::inval);
  CHECK(check_request(req(command::read, 0, 1 << 17), rw).error == nbd_error::inval);
  CHECK(check_request(req(command::flush, 512, 0), rw).error == nbd_error::inval);
  CHECK(check_request(req(command::block_status, 0, 512), rw).error == nbd_error::inval);
  CHECK(check_request(req(static_cast<command>(77), 0, 512), rw).error == nbd_error::inval);
  CHECK(check_request(req(command::read, 0, 512, kCmdFlagNoHole), rw).error == nbd_error::inval);
  CHECK(check_request(req(command::read, 0, 512, kCmdFlagDf), rw).error == nbd_error::inval);

  // A refused WRITE still announces its payload so the stream stays in step.
  const auto refused = check_request(req(command::write, 100, 512), rw);
  CHECK(refused.action == request_check::verdict::reply_error);
  CHECK(refused.payload_bytes == 512);
}

TEST_CASE("nbd requests: writes on a read-only export get EPERM, reads pass") {
  CHECK(check_request(req(command::write, 0, 512), ro).error == nbd_error::perm);
  CHECK(check_request(req(command::trim, 0, 512), ro).error == nbd_error::perm);
  CHECK(check_request(req(command::write_zeroes, 0, 512), ro).error == nbd_error::perm);
  CHECK(check_request(req(command::read, 0, 512), ro).action == request_check::verdict::submit);
}

TEST_CASE("nbd requests: a WRITE above the maximum is a violation, not an error reply") {
  const auto check = check_request(req(command::write, 0, (1 << 16) + 512), rw);
  CHECK(check.action == request_check::verdict::violation);
  CHECK(check.problem.find("65536") != std::string::npos);
}

TEST_CASE("nbd requests: backend statuses map onto NBD errors") {
  CHECK(to_nbd_error(io_status::ok) == nbd_error::none);
  CHECK(to_nbd_error(io_status::io_error) == nbd_error::io);
  CHECK(to_nbd_error(io_status::no_space) == nbd_error::nospc);
  CHECK(to_nbd_error(io_status::not_permitted) == nbd_error::perm);
  CHECK(to_nbd_error(io_status::invalid) == nbd_error::inval);
  CHECK(to_nbd_error(io_status::shutting_down) == nbd_error::shutdown);
}
