// The pieces of `tandem-sim sweep` and `replay`: seed ranges, [sweep] files, the worker results'
// encoding, the progress line and the job pool.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <string>

#include "sim/job_pool.h"
#include "sim/progress_line.h"
#include "sim/run_outcome.h"
#include "sim/seed_range.h"
#include "sim/sweep_config.h"

using namespace tandem::sim;

TEST_CASE("--seeds takes A..B inclusive or a count from --seed") {
  std::string error;
  auto range = parse_seed_range("3..7", 1, error);
  REQUIRE(range);
  CHECK(range->first == 3);
  CHECK(range->last == 7);
  CHECK(range->count() == 5);
  range = parse_seed_range("20", 5, error);
  REQUIRE(range);
  CHECK(range->first == 5);
  CHECK(range->last == 24);
  CHECK(parse_seed_range("4..4", 1, error)->count() == 1);
  CHECK_FALSE(parse_seed_range("7..3", 1, error));
  CHECK(error == "--seeds 7..3 is empty (B is less than A)");
  CHECK_FALSE(parse_seed_range("0", 1, error));
  CHECK_FALSE(parse_seed_range("1..", 1, error));
  CHECK_FALSE(parse_seed_range("a..b", 1, error));
  CHECK_FALSE(parse_seed_range("-3", 1, error));
}

TEST_CASE("a [sweep] file round-trips the built-in schedule's options") {
  sweep_config config;
  config.seed = 77;
  config.options.quorum = true;
  config.options.migrations = false;
  config.options.steps = 120;
  config.options.proto = tandem::protocol::b;
  const std::string text = format_sweep_config(config);
  CHECK(looks_like_sweep_config(text));
  CHECK_FALSE(looks_like_sweep_config("[scenario]\nname = \"x\"\n"));
  const auto loaded = parse_sweep_config(text, "r.toml");
  REQUIRE_MESSAGE(loaded.value, loaded.error);
  CHECK(loaded.value->seed == 77);
  CHECK(loaded.value->options.quorum);
  CHECK_FALSE(loaded.value->options.migrations);
  CHECK(loaded.value->options.steps == 120);
  CHECK(loaded.value->options.proto == tandem::protocol::b);
  CHECK(loaded.value->options.planted == tandem::planted_bug::none);
  CHECK(text.find("planted") == std::string::npos);
  CHECK_FALSE(loaded.value->options.lossy_network);
  CHECK(text.find("lossy_network") == std::string::npos);  // older reproducers stay as they were
  config.options.lossy_network = true;
  const auto lossy = parse_sweep_config(format_sweep_config(config), "r.toml");
  REQUIRE_MESSAGE(lossy.value, lossy.error);
  CHECK(lossy.value->options.lossy_network);
}

TEST_CASE("[sweep] file mistakes name the file, the line and the key") {
  const auto error_of = [](const std::string& text) {
    const auto loaded = parse_sweep_config(text, "r.toml");
    REQUIRE_FALSE(loaded.value);
    return loaded.error;
  };
  CHECK(error_of("[sweep]\nquorum = 1\n") == "r.toml:2: [sweep] 'quorum' must be true or false");
  CHECK(error_of("[sweep]\ncolour = 1\n") == "r.toml:2: [sweep] unknown key 'colour'");
  CHECK(error_of("[sweep]\nnodes = 1\n") == "r.toml:2: [sweep] 'nodes' must be an integer 2..31");
  CHECK(error_of("[sweep]\nplanted = \"gremlin\"\n") ==
        "r.toml:2: [sweep] 'planted' must name a planted bug (core/replica/planted_bugs.h)");
  // The tests link the core without planted bugs: asking for one must say so, not run clean.
  CHECK(error_of("[sweep]\nplanted = \"ack-before-peer\"\n") ==
        "r.toml:2: [sweep] 'planted' needs a tandem-sim built with TANDEM_SIM_PLANTED_BUGS=ON");
  CHECK(error_of("[sweep]\n[other]\n") == "r.toml:2: unknown key 'other'");
  CHECK(error_of("[sweep]\nprotocol = \"D\"\n") ==
        "r.toml:2: [sweep] 'protocol' must be \"A\", \"B\" or \"C\"");
  CHECK(error_of("[sweep]\ncrashes = true\nprotocol = \"A\"\n") ==
        "r.toml:3: [sweep] 'protocol' A or B with 'crashes': a crashed Primary may lose "
        "acknowledged writes by design, which the checker would report");
}

TEST_CASE("run outcomes survive the trip through a worker's pipe") {
  run_outcome outcome;
  outcome.ok = false;
  outcome.events = 12345;
  outcome.simulated_ns = 987654321;
  outcome.lines = {"seed 3: FAILED", "  violation: back\\slash", "two\nlines", ""};
  const auto decoded = decode_outcome(encode_outcome(outcome));
  REQUIRE(decoded);
  CHECK_FALSE(decoded->ok);
  CHECK(decoded->events == 12345);
  CHECK(decoded->simulated_ns == 987654321);
  CHECK(decoded->lines == outcome.lines);
  CHECK_FALSE(decode_outcome(""));
  CHECK_FALSE(decode_outcome("outcome 2 1 1\n"));
  CHECK_FALSE(decode_outcome("outcome 1 1 1\nline bad\\q\n"));
  CHECK_FALSE(decode_outcome("outcome 1 1 1\nline no newline"));
}

TEST_CASE("the progress line shows a bar, the runs and the violations") {
  CHECK(progress_text(250, 500, 1) == "sweep [##########..........] 250/500 runs, 1 violation");
  CHECK(progress_text(0, 4, 0) == "sweep [....................] 0/4 runs, 0 violations");
  CHECK(progress_text(4, 4, 2) == "sweep [####################] 4/4 runs, 2 violations");
}

TEST_CASE("the job pool runs every job once in worker processes and reports each") {
  for (int workers : {1, 3}) {
    CAPTURE(workers);
    std::map<std::size_t, std::string> results;
    job_pool_callbacks callbacks;
    callbacks.run = [](std::size_t index) { return "job " + std::to_string(index * index); };
    callbacks.finished = [&](std::size_t index, const std::string& text, bool lost) {
      CHECK_FALSE(lost);
      CHECK(results.emplace(index, text).second);
    };
    REQUIRE(run_job_pool(10, workers, callbacks));
    REQUIRE(results.size() == 10);
    for (std::size_t i = 0; i < 10; ++i) CHECK(results[i] == "job " + std::to_string(i * i));
  }
}

TEST_CASE("a worker that dies loses only its job; the others still run") {
  std::map<std::size_t, bool> lost_jobs;
  job_pool_callbacks callbacks;
  callbacks.run = [](std::size_t index) {
    // A crash in the code under test (SIGKILL: doctest's own crash handlers cannot catch it).
    if (index == 2) ::raise(SIGKILL);
    return std::string("fine");
  };
  callbacks.finished = [&](std::size_t index, const std::string& text, bool lost) {
    lost_jobs[index] = lost;
    if (lost) CHECK(text == "the worker process died of signal 9 (Killed)");
  };
  REQUIRE(run_job_pool(6, 2, callbacks));
  REQUIRE(lost_jobs.size() == 6);
  for (const auto& [index, lost] : lost_jobs) CHECK(lost == (index == 2));
}
