#include <doctest/doctest.h>

#include <chrono>

#include "engine/storage/process_runner.h"
#include "storage_test_util.h"

using namespace tandem::storage;
using tandem::storage::testing::mentions;

TEST_CASE("process_runner captures stdout, stderr and the exit code without a shell") {
  process_runner runner;
  const auto output = runner.run(
      {{"sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"}, std::chrono::seconds(10)});
  REQUIRE(output.ok());
  CHECK(output.value().exit_code == 3);
  CHECK(output.value().stdout_text == "to-stdout\n");
  CHECK(output.value().stderr_text == "to-stderr\n");

  // Arguments reach the program verbatim: no word splitting, no globbing, no variable expansion.
  const auto echoed = runner.run({{"printf", "%s|", "a b", "*", "$HOME", "'q'"}});
  REQUIRE(echoed.ok());
  CHECK(echoed.value().stdout_text == "a b|*|$HOME|'q'|");
}

TEST_CASE("process_runner closes inherited descriptors and forces the C locale") {
  process_runner runner;
  // /proc/self/fd of the child lists 0, 1, 2 and the directory ls itself opened; nothing else.
  const auto fds = runner.run({{"ls", "/proc/self/fd"}});
  REQUIRE(fds.ok());
  CHECK(fds.value().stdout_text == "0\n1\n2\n3\n");
  const auto locale = runner.run({{"sh", "-c", "echo $LC_ALL"}});
  REQUIRE(locale.ok());
  CHECK(locale.value().stdout_text == "C\n");
}

TEST_CASE("process_runner kills a command that runs past its timeout") {
  process_runner runner;
  const auto started = std::chrono::steady_clock::now();
  const auto output = runner.run({{"sleep", "30"}, std::chrono::milliseconds(200)});
  const auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(output.ok());
  CHECK(output.kind() == error_kind::command_failed);
  CHECK(mentions(output.message(), {"sleep 30", "timed out after 200 ms"}));
  // Killed, not waited for: far less than the 30 s the command wanted.
  CHECK(elapsed < std::chrono::seconds(10));
}

TEST_CASE("process_runner also kills a timed-out command's children (its process group)") {
  process_runner runner;
  const auto started = std::chrono::steady_clock::now();
  // The grandchild keeps stdout open; without killing the group the pipes would never close.
  const auto output =
      runner.run({{"sh", "-c", "sleep 30 & sleep 30"}, std::chrono::milliseconds(300)});
  REQUIRE_FALSE(output.ok());
  CHECK(mentions(output.message(), {"timed out"}));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}

TEST_CASE("process_runner reports a program that does not exist by name") {
  process_runner runner;
  const auto output = runner.run({{"tandem-no-such-program", "--help"}});
  REQUIRE_FALSE(output.ok());
  CHECK(output.kind() == error_kind::command_failed);
  CHECK(mentions(output.message(),
                 {"tandem-no-such-program --help", "could not be started", "No such file"}));
  const auto empty = runner.run({{}});
  REQUIRE_FALSE(empty.ok());
  CHECK(mentions(empty.message(), {"no program name"}));
}

TEST_CASE("run_checked turns a non-zero exit into an error naming the command and its stderr") {
  process_runner runner;
  const auto failed =
      run_checked(runner, {{"sh", "-c", "echo '  Volume group \"vg9\" not found' >&2; exit 5"}});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.kind() == error_kind::command_failed);
  CHECK(mentions(failed.message(),
                 {"command 'sh -c", "exited with 5", "Volume group \"vg9\" not found"}));
  const auto silent = run_checked(runner, {{"false"}});
  REQUIRE_FALSE(silent.ok());
  CHECK(mentions(silent.message(), {"'false' exited with 1 and printed nothing on stderr"}));
  CHECK(run_checked(runner, {{"true"}}).ok());
}
