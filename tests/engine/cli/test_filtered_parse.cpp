// parse_keeping: the tree nlohmann would build, less the refused members (at any nesting of
// objects and arrays inside them), and nullopt for what is not JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "engine/cli/filtered_parse.h"

using namespace tandem::cli;
using nlohmann::json;

namespace {
bool keep_everything(int, std::string_view) {
  return true;
}
// Drops "secret" wherever it is and anything called "deep" below depth 1.
bool no_secrets(int depth, std::string_view key) {
  return key != "secret" && !(depth > 1 && key == "deep");
}
}  // namespace

TEST_CASE("parse_keeping without refusals builds nlohmann's tree") {
  const std::string text =
      R"([{"a":1,"b":[true,null,-2,3.5,"x\"y",{"c":{}}],"d":{"e":[[],[1]]}},18446744073709551615,"s"])";
  const auto tree = parse_keeping(text, keep_everything);
  REQUIRE(tree);
  CHECK(*tree == json::parse(text));
  CHECK((*tree)[1].is_number_unsigned());
}

TEST_CASE("parse_keeping drops refused members with everything inside them") {
  const auto tree = parse_keeping(R"({"secret":{"x":[{"y":1},[2,{"z":3}]]},"kept":
      [{"secret":[1,{"a":2}],"deep":{"secret":1,"deep":2,"v":3},"w":4}],"deep":5})",
                                  no_secrets);
  REQUIRE(tree);
  // The object in "kept" is depth 2 (the answer 0, the array 1): its "deep" goes, the top's stays.
  CHECK(*tree == json::parse(R"({"kept":[{"w":4}],"deep":5})"));
}

TEST_CASE("parse_keeping refuses what is not JSON") {
  CHECK_FALSE(parse_keeping("{oops", keep_everything));
  CHECK_FALSE(parse_keeping("[1,2", no_secrets));
  CHECK_FALSE(parse_keeping("[1] 2", keep_everything));
  CHECK_FALSE(parse_keeping("", keep_everything));
}
