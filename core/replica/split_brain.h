// DRBD's automatic split-brain recovery policies (net options after-sb-0pri/1pri/2pri, rr-conflict)
// as pure functions. Both nodes of a connection evaluate them on the same two descriptions, so they
// reach mirrored answers; the connection's tie-breaker bit (DRBD's RESOLVE_CONFLICTS) is true on
// exactly one of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem {

enum class after_sb_0pri : std::uint8_t {
  disconnect,
  discard_younger_primary,
  discard_older_primary,
  discard_zero_changes,
  discard_least_changes,
  discard_local,   // DRBD discard-node-<this node>
  discard_remote,  // DRBD discard-node-<the peer>
};

enum class after_sb_1pri : std::uint8_t {
  disconnect,
  consensus,
  violently_as0p,
  discard_secondary,
  call_pri_lost_after_sb,
};

enum class after_sb_2pri : std::uint8_t { disconnect, violently_as0p, call_pri_lost_after_sb };

// What happens when the handshake would make a Primary with UpToDate data the sync target.
enum class rr_conflict : std::uint8_t { disconnect, retry_connect, violently };

struct split_brain_policy {
  after_sb_0pri zero_primaries = after_sb_0pri::disconnect;
  after_sb_1pri one_primary = after_sb_1pri::disconnect;
  after_sb_2pri two_primaries = after_sb_2pri::disconnect;
  bool always_asbp = false;  // also apply the policies to diverged-from-older-ancestor cases
  rr_conflict on_rr_conflict = rr_conflict::disconnect;
  friend bool operator==(const split_brain_policy&, const split_brain_policy&) = default;
};

// Option values as drbd.conf spells them; nullopt for anything else.
std::optional<after_sb_0pri> parse_after_sb_0pri(std::string_view text);
std::optional<after_sb_1pri> parse_after_sb_1pri(std::string_view text);
std::optional<after_sb_2pri> parse_after_sb_2pri(std::string_view text);
std::optional<rr_conflict> parse_rr_conflict(std::string_view text);

// One side of a split brain, as described in the handshake.
struct split_brain_side {
  bool primary = false;
  bool primary_generation = false;  // its current generation was started while it was Primary
  std::uint64_t changed_blocks =
      0;  // bits set toward the other side: what it wrote since the split
};

enum class split_brain_outcome : std::uint8_t {
  disconnect,     // no automatic recovery: both sides go StandAlone
  discard_peer,   // I keep my data, the peer becomes sync target
  discard_local,  // the peer keeps its data, I become sync target
};

struct split_brain_resolution {
  split_brain_outcome outcome = split_brain_outcome::disconnect;
  const char* rule = "";
  bool demote_self = false;  // call-pri-lost-after-sb: I am the losing Primary and step down
};

split_brain_resolution resolve_split_brain(const split_brain_policy& policy,
                                           const split_brain_side& self,
                                           const split_brain_side& peer, bool resolves_conflicts);

}  // namespace tandem
