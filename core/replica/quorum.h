// DRBD 9's quorum vote (drbd_state.c calc_quorum), as a pure function over vote counts. The replica
// counts the votes from its own and its peers' states; this decides.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tandem {

// `quorum` and `quorum-minimum-redundancy`: off, majority, all, or a fixed number of nodes.
struct quorum_setting {
  enum class kind : std::uint8_t { off, majority, all, count };
  kind mode = kind::off;
  std::uint8_t count = 0;  // for kind::count, 1..31
  bool enabled() const { return mode != kind::off; }
  friend bool operator==(const quorum_setting&, const quorum_setting&) = default;
};

// Parses DRBD's option values: "off", "majority", "all" or a number 1..31.
std::optional<quorum_setting> parse_quorum_setting(std::string_view text);
std::string to_string(const quorum_setting& setting);

// What a node does with I/O while it has no quorum (DRBD on-no-quorum).
enum class on_no_quorum : std::uint8_t { io_error, suspend_io };
// "io-error" / "suspend-io", as drbd.conf spells them.
std::optional<on_no_quorum> parse_on_no_quorum(std::string_view text);

struct quorum_votes {
  int up_to_date = 0;        // diskful voters with UpToDate data (self included)
  int present = 0;           // diskful voters with a disk that is not UpToDate
  int unknown = 0;           // diskful nodes not reachable: they may form a partition elsewhere
  int outdated = 0;          // unreachable diskful nodes known to be Outdated
  int diskless = 0;          // connected diskless tie-breakers
  int missing_diskless = 0;  // unreachable diskless tie-breakers
};

struct quorum_decision {
  bool have = false;
  int voters = 0;
  int needed = 0;
  const char* reason = "";  // "majority", "tie-breaker", "last man standing", "too few", ...
};

// had_quorum: the previous decision (the tie-breaker rule only keeps quorum, never gains it).
// peer_reports_quorum: a connected UpToDate peer says it is quorate (counts for a diskless node).
quorum_decision decide_quorum(const quorum_votes& votes, quorum_setting quorum,
                              quorum_setting minimum_redundancy, bool had_quorum,
                              bool peer_reports_quorum);

}  // namespace tandem
