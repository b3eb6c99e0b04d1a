#include "core/replica/quorum.h"

#include <charconv>

namespace tandem {

std::optional<quorum_setting> parse_quorum_setting(std::string_view text) {
  if (text == "off") return quorum_setting{quorum_setting::kind::off, 0};
  if (text == "majority") return quorum_setting{quorum_setting::kind::majority, 0};
  if (text == "all") return quorum_setting{quorum_setting::kind::all, 0};
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 1 || value > 31) {
    return std::nullopt;
  }
  return quorum_setting{quorum_setting::kind::count, static_cast<std::uint8_t>(value)};
}

std::string to_string(const quorum_setting& setting) {
  switch (setting.mode) {
    case quorum_setting::kind::off: return "off";
    case quorum_setting::kind::majority: return "majority";
    case quorum_setting::kind::all: return "all";
    case quorum_setting::kind::count: return std::to_string(setting.count);
  }
  return "?";
}

namespace {

int threshold(quorum_setting setting, int voters) {
  switch (setting.mode) {
    case quorum_setting::kind::off: return 0;
    case quorum_setting::kind::majority: return voters / 2 + 1;
    case quorum_setting::kind::all: return voters;
    case quorum_setting::kind::count: return setting.count;
  }
  return voters;
}

}  // namespace

quorum_decision decide_quorum(const quorum_votes& votes, quorum_setting quorum,
                              quorum_setting minimum_redundancy, bool had_quorum,
                              bool peer_reports_quorum) {
  quorum_decision decision;
  if (!quorum.enabled()) {
    decision.have = true;
    decision.reason = "quorum off";
    return decision;
  }
  const int reachable = votes.up_to_date + votes.present;
  // Last man standing: when every absent node is known to be Outdated, none of them can form a
  // partition that writes, so they do not vote.
  decision.voters = votes.unknown == 0 ? reachable : reachable + votes.unknown + votes.outdated;
  decision.needed = threshold(quorum, decision.voters);
  const int redundancy_needed = threshold(minimum_redundancy, decision.voters);
  const bool redundant = votes.up_to_date >= redundancy_needed;
  if (reachable >= decision.needed && redundant) {
    decision.have = true;
    decision.reason = votes.unknown == 0 && votes.outdated > 0 ? "last man standing" : "votes";
    return decision;
  }
  // Diskless tie-breaker: an even split by one vote goes to the side that reaches most of the
  // diskless tie-breakers, and only keeps a quorum it had.
  const int tiebreakers = votes.diskless + votes.missing_diskless;
  const bool even_split = reachable == decision.needed - 1 && decision.voters % 2 == 0;
  if (even_split && redundant && had_quorum && tiebreakers > 0 &&
      votes.diskless * 2 > tiebreakers) {
    decision.have = true;
    decision.reason = "tie-breaker";
    return decision;
  }
  if (peer_reports_quorum) {
    decision.have = true;
    decision.reason = "quorate peer";
    return decision;
  }
  decision.reason = redundant ? "too few votes" : "too little redundancy";
  return decision;
}

std::optional<on_no_quorum> parse_on_no_quorum(std::string_view text) {
  if (text == "io-error") return on_no_quorum::io_error;
  if (text == "suspend-io") return on_no_quorum::suspend_io;
  return std::nullopt;
}

}  // namespace tandem
