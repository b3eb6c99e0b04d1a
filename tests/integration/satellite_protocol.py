"""The satellite side of docs/satellite-protocol.md for the Python fake satellites of the tests.

Standard library only. The controller sends a full desired_state after the hello and then
desired_state_delta messages; DesiredStateCopy keeps the whole state of one connection as the
real satellite does (engine/satellite/desired_state_tracker.h), so a fake sees whole states.
"""

PROTOCOL_VERSION = 2


def apply_delta(state, delta):
    """The whole state after `delta`: removed entries go, changed ones replace their namesake (names
    match case-insensitively), and every list stays in name order, as the controller sends it."""
    new = dict(state)
    if "nbd" in delta:
        new["nbd"] = delta["nbd"]
    for entries_key, removed_key in (("pools", "removed_pools"), ("resources", "removed_resources")):
        by_key = {e["name"].lower(): e for e in state.get(entries_key, [])}
        for name in delta.get(removed_key, []):
            by_key.pop(name.lower(), None)
        for entry in delta.get(entries_key, []):
            by_key[entry["name"].lower()] = entry
        new[entries_key] = [by_key[key] for key in sorted(by_key)]
    new["generation"] = delta["generation"]
    return new


class DesiredStateCopy:
    """One connection's copy of the controller's desired state."""

    def __init__(self):
        self.state = None
        self.asked = False  # a resync_request is out: deltas until the full state are stale

    def accept(self, message):
        """Takes a desired_state or desired_state_delta. Returns (whole state or None, reply or
        None): the state to converge to, and a resync_request to send when a delta does not fit."""
        if message["type"] == "desired_state":
            self.state, self.asked = message, False
            return message, None
        if self.asked:
            return None, None
        have = self.state["generation"] if self.state else 0
        if self.state is None or message["base_generation"] != have:
            self.asked = True
            return None, {"type": "resync_request", "generation": have,
                          "reason": "delta on generation %d, this copy is at %d"
                                    % (message["base_generation"], have)}
        self.state = apply_delta(self.state, message)
        return self.state, None
