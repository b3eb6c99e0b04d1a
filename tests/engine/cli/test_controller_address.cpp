#include <doctest/doctest.h>

#include "engine/cli/completion.h"
#include "engine/cli/controller_address.h"

using namespace tandem::cli;

TEST_CASE("controller lists in LINSTOR's syntax") {
  const auto parsed = parse_controller_list("127.0.0.2:4000, ctrl-b ,linstor://c:5,[::1]:3371");
  REQUIRE_MESSAGE(parsed.ok(), parsed.error());
  const auto& list = parsed.value();
  REQUIRE(list.size() == 4);
  CHECK(list[0] == controller_address{"127.0.0.2", 4000});
  CHECK(list[1] == controller_address{"ctrl-b", 3370});
  CHECK(list[2] == controller_address{"c", 5});
  CHECK(list[3] == controller_address{"::1", 3371});
  CHECK(list[3].display() == "[::1]:3371");
  CHECK(parse_controller_list("http://h/").value()[0] == controller_address{"h", 3370});
}

TEST_CASE("bad controller entries are named in the error") {
  CHECK(parse_controller_list("h:0").error().find("port '0'") != std::string::npos);
  CHECK(parse_controller_list("h:99999").error().find("between 1 and 65535") != std::string::npos);
  CHECK(parse_controller_list("h:x").error().find("controller 'h:x'") != std::string::npos);
  CHECK(parse_controller_list(":3370").error().find("host name is empty") != std::string::npos);
  CHECK(parse_controller_list("::1").error().find("brackets") != std::string::npos);
  CHECK(parse_controller_list("[::1").error().find("']'") != std::string::npos);
  CHECK(parse_controller_list("https://h").error().find("HTTPS") != std::string::npos);
  CHECK(parse_controller_list(" , ").error().find("names no controller") != std::string::npos);
}

TEST_CASE("url encoding keeps unreserved characters only") {
  CHECK(url_encode("res-1_a.b~") == "res-1_a.b~");
  CHECK(url_encode("a b/c?d&e") == "a%20b%2Fc%3Fd%26e");
  CHECK(url_encode("Aux/site=dc1") == "Aux%2Fsite%3Ddc1");
}

TEST_CASE("completion takes --controllers out of the typed words") {
  std::vector<std::string> words = {"--controllers", "127.0.0.1:4000", "r", "c"};
  CHECK(take_controllers_option(words) == "127.0.0.1:4000");
  CHECK(words == std::vector<std::string>{"r", "c"});
  words = {"--controllers=h:1", "n", "l"};
  CHECK(take_controllers_option(words) == "h:1");
  CHECK(words == std::vector<std::string>{"n", "l"});
  words = {"n", "l"};
  CHECK(take_controllers_option(words).empty());
}
