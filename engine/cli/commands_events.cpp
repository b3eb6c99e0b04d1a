// `tandem events [--follow] [--since N]`: the controller's event log (GET /v1/events), one line
// per state change a satellite reported, like `drbdsetup events2` for the whole cluster.
#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <iostream>
#include <thread>

#include "engine/cli/api_call_rc.h"
#include "engine/cli/commands.h"

namespace tandem::cli {
namespace {

using nlohmann::json;

struct events_args {
  bool follow = false;
  std::uint64_t since = 0;
  int poll_interval_ms = 1000;
};

// "2026-11-26T07:52:00.123Z": the controller's wall-clock time of the event, UTC.
std::string utc_time(std::uint64_t time_ms) {
  const std::time_t seconds = static_cast<std::time_t>(time_ms / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  std::snprintf(text + n, sizeof text - n, ".%03uZ", static_cast<unsigned>(time_ms % 1000));
  return text;
}

std::string scalar(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// "12 2026-...Z change node:beta resource:vm1 volume:0 peer:alpha replication:SyncTarget
// (was Off)": the object's identity first, then what changed.
std::string event_line(const json& e) {
  std::string line = std::to_string(e.value("seq", std::uint64_t{0})) + " " +
                     utc_time(e.value("time_ms", std::uint64_t{0})) + " " +
                     e.value("type", std::string("change"));
  for (const char* key : {"node", "resource", "volume", "peer"}) {
    if (e.contains(key)) line += std::string(" ") + key + ":" + scalar(e[key]);
  }
  const json old = e.value("old", json::object());
  for (const auto& [key, value] : e.items()) {
    if (key == "seq" || key == "time_ms" || key == "type" || key == "node" || key == "resource" ||
        key == "volume" || key == "peer" || key == "old") {
      continue;
    }
    line += " " + key + ":" + scalar(value);
    if (old.contains(key)) {
      const std::string was = scalar(old[key]);
      line += " (was " + (was.empty() ? std::string("-") : was) + ")";
    }
  }
  return line;
}

int show_events(command_context& ctx, const events_args& args) {
  session& s = ctx.controller();
  std::uint64_t since = args.since;
  for (;;) {
    const auto answer = s.get("/v1/events?since=" + std::to_string(since));
    if (!answer) return s.exit_code();
    if (!answer->contains("events") || !(*answer)["events"].is_array()) {
      return s.fail(kExitUnexpectedReply, "the controller's /v1/events answer has no event list");
    }
    for (const json& e : (*answer)["events"]) {
      // -m: one JSON object per line, so a follower can be piped into jq line by line.
      ctx.out << (ctx.globals.machine_readable ? e.dump() : event_line(e)) << "\n";
    }
    ctx.out.flush();
    since = answer->value("next", since);
    // A full page means more are waiting: fetch them before sleeping.
    if (!(*answer)["events"].empty() && !args.follow) continue;
    if (!args.follow) return kExitOk;
    if ((*answer)["events"].empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(args.poll_interval_ms));
    }
  }
}

}  // namespace

void add_events_commands(CLI::App& app, command_context& ctx) {
  auto args = std::make_shared<events_args>();
  CLI::App* events = add_command(app, {"events"});
  events->add_flag("-f,--follow", args->follow,
                   "Keep polling and print new events as they come (until interrupted)");
  events->add_option("--since", args->since,
                     "Only events after this sequence number (the first column)");
  events->add_option("--poll-interval-ms", args->poll_interval_ms,
                     "With --follow: milliseconds between polls when nothing is new (1000)")
      ->check(CLI::Range(10, 600'000));
  events->callback([&ctx, args] { ctx.exit_code = show_events(ctx, *args); });
}

}  // namespace tandem::cli
