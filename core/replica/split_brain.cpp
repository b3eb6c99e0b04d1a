#include "core/replica/split_brain.h"

namespace tandem {

std::optional<after_sb_0pri> parse_after_sb_0pri(std::string_view text) {
  if (text == "disconnect") return after_sb_0pri::disconnect;
  if (text == "discard-younger-primary") return after_sb_0pri::discard_younger_primary;
  if (text == "discard-older-primary") return after_sb_0pri::discard_older_primary;
  if (text == "discard-zero-changes") return after_sb_0pri::discard_zero_changes;
  if (text == "discard-least-changes") return after_sb_0pri::discard_least_changes;
  if (text == "discard-local") return after_sb_0pri::discard_local;
  if (text == "discard-remote") return after_sb_0pri::discard_remote;
  return std::nullopt;
}

std::optional<after_sb_1pri> parse_after_sb_1pri(std::string_view text) {
  if (text == "disconnect") return after_sb_1pri::disconnect;
  if (text == "consensus") return after_sb_1pri::consensus;
  if (text == "violently-as0p") return after_sb_1pri::violently_as0p;
  if (text == "discard-secondary") return after_sb_1pri::discard_secondary;
  if (text == "call-pri-lost-after-sb") return after_sb_1pri::call_pri_lost_after_sb;
  return std::nullopt;
}

std::optional<after_sb_2pri> parse_after_sb_2pri(std::string_view text) {
  if (text == "disconnect") return after_sb_2pri::disconnect;
  if (text == "violently-as0p") return after_sb_2pri::violently_as0p;
  if (text == "call-pri-lost-after-sb") return after_sb_2pri::call_pri_lost_after_sb;
  return std::nullopt;
}

std::optional<rr_conflict> parse_rr_conflict(std::string_view text) {
  if (text == "disconnect") return rr_conflict::disconnect;
  if (text == "retry-connect") return rr_conflict::retry_connect;
  if (text == "violently") return rr_conflict::violently;
  return std::nullopt;
}

namespace {

split_brain_resolution keep(const char* rule) {
  return {split_brain_outcome::discard_peer, rule};
}
split_brain_resolution lose(const char* rule) {
  return {split_brain_outcome::discard_local, rule};
}
split_brain_resolution refuse(const char* rule) {
  return {split_brain_outcome::disconnect, rule};
}

split_brain_resolution least_changes(const split_brain_side& self, const split_brain_side& peer,
                                     bool resolves_conflicts) {
  if (self.changed_blocks < peer.changed_blocks) return lose("discard-least-changes");
  if (self.changed_blocks > peer.changed_blocks) return keep("discard-least-changes");
  // A tie: the connection's tie-breaker decides, identically on both sides.
  return resolves_conflicts ? keep("discard-least-changes tie") : lose("discard-least-changes tie");
}

split_brain_resolution zero_primaries(after_sb_0pri policy, const split_brain_side& self,
                                      const split_brain_side& peer, bool resolves_conflicts) {
  switch (policy) {
    case after_sb_0pri::disconnect: return refuse("after-sb-0pri disconnect");
    case after_sb_0pri::discard_younger_primary:
    case after_sb_0pri::discard_older_primary: {
      // "Younger" is the side whose generation was started by a Primary after the split; when
      // that does not tell the two apart, DRBD falls through to the least changes.
      if (self.primary_generation != peer.primary_generation) {
        const bool self_younger = self.primary_generation;
        const bool discard_self =
            (policy == after_sb_0pri::discard_younger_primary) == self_younger;
        return discard_self ? lose("discard-younger/older-primary")
                            : keep("discard-younger/older-primary");
      }
      return least_changes(self, peer, resolves_conflicts);
    }
    case after_sb_0pri::discard_zero_changes:
      if (self.changed_blocks == 0 && peer.changed_blocks == 0) {
        return resolves_conflicts ? keep("discard-zero-changes tie")
                                  : lose("discard-zero-changes tie");
      }
      if (self.changed_blocks == 0) return lose("discard-zero-changes");
      if (peer.changed_blocks == 0) return keep("discard-zero-changes");
      return refuse("discard-zero-changes: both sides changed");
    case after_sb_0pri::discard_least_changes: return least_changes(self, peer, resolves_conflicts);
    case after_sb_0pri::discard_local: return lose("discard-local");
    case after_sb_0pri::discard_remote: return keep("discard-remote");
  }
  return refuse("?");
}

}  // namespace

split_brain_resolution resolve_split_brain(const split_brain_policy& policy,
                                           const split_brain_side& self,
                                           const split_brain_side& peer, bool resolves_conflicts) {
  const int primaries = (self.primary ? 1 : 0) + (peer.primary ? 1 : 0);
  const auto as0p = zero_primaries(policy.zero_primaries, self, peer, resolves_conflicts);
  if (primaries == 0) return as0p;
  if (primaries == 1) {
    const bool primary_loses =
        (as0p.outcome == split_brain_outcome::discard_local) == self.primary &&
        as0p.outcome != split_brain_outcome::disconnect;
    switch (policy.one_primary) {
      case after_sb_1pri::disconnect: return refuse("after-sb-1pri disconnect");
      case after_sb_1pri::consensus:
        // Only if the 0pri answer already makes the Secondary the target.
        if (as0p.outcome == split_brain_outcome::disconnect || primary_loses) {
          return refuse("consensus: the Primary would lose");
        }
        return as0p;
      case after_sb_1pri::violently_as0p: return as0p;
      case after_sb_1pri::discard_secondary:
        return self.primary ? keep("discard-secondary") : lose("discard-secondary");
      case after_sb_1pri::call_pri_lost_after_sb: {
        split_brain_resolution result = as0p;
        result.demote_self = primary_loses && self.primary;
        return result;
      }
    }
  }
  switch (policy.two_primaries) {
    case after_sb_2pri::disconnect: return refuse("after-sb-2pri disconnect");
    case after_sb_2pri::violently_as0p: return as0p;
    case after_sb_2pri::call_pri_lost_after_sb: {
      split_brain_resolution result = as0p;
      result.demote_self = as0p.outcome == split_brain_outcome::discard_local;
      return result;
    }
  }
  return refuse("?");
}

}  // namespace tandem
