#include <doctest/doctest.h>

#include "engine/cli/table.h"

using namespace tandem::cli;

namespace {
table two_by_two() {
  table t;
  t.add_column("Node");
  t.add_column("Size", alignment::right);
  t.add_row({"alpha", "1 GiB"});
  t.add_row({"b", "10 GiB"});
  return t;
}
}  // namespace

TEST_CASE("ascii table: LINSTOR's pastable frame with aligned columns") {
  const std::string expected =
      "+----------------+\n"
      "| Node  |   Size |\n"
      "|================|\n"
      "| alpha |  1 GiB |\n"
      "| b     | 10 GiB |\n"
      "+----------------+\n";
  CHECK(two_by_two().render({}) == expected);
}

TEST_CASE("utf8 table: box-drawing frame, same geometry") {
  const std::string expected =
      "╭────────────────╮\n"
      "┊ Node  ┊   Size ┊\n"
      "╞════════════════╡\n"
      "┊ alpha ┊  1 GiB ┊\n"
      "┊ b     ┊ 10 GiB ┊\n"
      "╰────────────────╯\n";
  CHECK(two_by_two().render({.utf8 = true, .colors = false}) == expected);
}

TEST_CASE("colours and non-ASCII cells do not break the alignment") {
  table t;
  t.add_column("Usage");
  t.add_column("X");
  t.add_row({table_cell{"⚠ InUse", text_color::yellow}, "1"});
  t.add_row({table_cell{"Unused"}, "2"});
  const std::string plain = t.render({.utf8 = true, .colors = false});
  CHECK(plain.find("┊ ⚠ InUse ┊ 1 ┊") != std::string::npos);
  CHECK(plain.find("┊ Unused  ┊ 2 ┊") != std::string::npos);
  const std::string colored = t.render({.utf8 = true, .colors = true});
  CHECK(colored.find("┊ \x1b[33m⚠ InUse\x1b[0m ┊ 1 ┊") != std::string::npos);
  CHECK(colored.find("Unused  ┊") != std::string::npos);  // uncoloured cell has no escapes
}

TEST_CASE("an empty table still shows its header") {
  table t;
  t.add_column("Node");
  CHECK(t.render({}) == "+------+\n| Node |\n|======|\n+------+\n");
}

TEST_CASE("display width counts code points, not bytes") {
  CHECK(display_width("abc") == 3);
  CHECK(display_width("⚠") == 1);
  CHECK(display_width("╭──╮") == 4);
  CHECK(display_width("") == 0);
}
