"""A fake satellite that keeps up with thousands of resources, the way the real one does.

controller_api.FakeSatellite answers every desired-state message at once with an `applied` and
its whole `status`, and keeps every state it received: right for the API tests (each change is
visible at once), but O(resources) of JSON per change, so with 1000 definitions on 10 nodes the
fakes (and the controller parsing them) fell behind and went OFFLINE.

BatchingFakeSatellite behaves as docs/satellite-protocol.md lets a real satellite behave
(engine/satellite does the same):
- it reads every message that has arrived before it answers, converges to the newest state and
  answers only that generation (§4.1: "may skip the older one");
- it sends `status` after a change at most every STATUS_INTERVAL_S and at least every
  STATUS_REFRESH_S (§4.2), and answers the controller's pings (§3.4);
- it keeps only the latest state, and the JSON of each resource's status until that resource's
  desired entry changes, so a status costs a join of cached strings rather than a rebuild.
The status is still the whole view of the node, as the protocol defines it.

Standard library only; loopback addresses; every loop ends when stop() is called.
"""
import json
import socket
import time

from controller_api import FakeSatellite
from satellite_protocol import PROTOCOL_VERSION, DesiredStateCopy

STATUS_INTERVAL_S = 0.5   # the real satellite's minimum spacing of status reports
STATUS_REFRESH_S = 10.0   # and its maximum
RECV_BYTES = 1 << 20
POLL_S = 0.1              # how often an idle connection checks the clocks above


class BatchingFakeSatellite(FakeSatellite):
    def __init__(self, name, address, port=3366, claimed_name=None):
        self.fragments = {}  # resource name -> (its desired entry, its status JSON)
        super().__init__(name, address, port, claimed_name)

    def _resource_status_json(self, desired):
        cached = self.fragments.get(desired["name"])
        if cached is not None and cached[0] is desired:
            return cached[1]
        text = json.dumps(self._resource_status(desired))
        self.fragments[desired["name"]] = (desired, text)  # holding `desired` keeps `is` sound
        return text

    def _status_line(self, state):
        pools = [{"name": p["name"], "free_capacity_kib": self.FREE_KIB,
                  "total_capacity_kib": self.TOTAL_KIB, "error": ""}
                 for p in state["pools"] if p["kind"] != "DISKLESS"]
        names = set()
        fragments = []
        for r in state["resources"]:
            names.add(r["name"])
            fragments.append(self._resource_status_json(r))
        for gone in [n for n in self.fragments if n not in names]:
            del self.fragments[gone]
        return ('{"type": "status", "pools": ' + json.dumps(pools) + ', "resources": ['
                + ", ".join(fragments) + "]}\n").encode()

    def _send_raw(self, conn, data):
        with self.send_lock:
            conn.sendall(data)

    def _serve(self, conn):
        conn.settimeout(POLL_S)
        buffer = b""
        copy = DesiredStateCopy()
        self.conn = conn
        state = None           # the newest converged state
        unanswered = False     # `state` has no `applied` yet
        status_due = False     # `state` is not in a status yet
        last_status = time.monotonic()
        try:
            while not self.stopped:
                try:
                    chunk = conn.recv(RECV_BYTES)
                    if not chunk:
                        return
                    buffer += chunk
                except socket.timeout:
                    chunk = b""
                lines = []
                if b"\n" in chunk:  # a long line arrives in many chunks: split once it is whole
                    lines = buffer.split(b"\n")
                    buffer = lines.pop()  # an incomplete line waits for the next chunk
                for line in lines:
                    if not line.strip():
                        continue
                    message = json.loads(line)
                    kind = message["type"]
                    if kind == "hello":
                        with self.lock:
                            self.hellos += 1
                        self._send(conn, {"type": "hello", "protocol_version": PROTOCOL_VERSION,
                                          "role": "satellite", "node_name": self.claimed_name,
                                          "software": "batching-fake-satellite"})
                    elif kind == "ping":
                        self._send(conn, {"type": "pong", "seq": message.get("seq", 0)})
                    elif kind in ("desired_state", "desired_state_delta"):
                        with self.lock:
                            self.received[kind] += 1
                        converged, reply = copy.accept(message)
                        if reply:
                            self._send(conn, reply)
                        if converged:
                            state, unanswered, status_due = converged, True, True
                if unanswered:  # one `applied` for the newest generation of this batch
                    with self.lock:
                        self.states = [state]  # only the latest: the history is O(n^2)
                    self._send(conn, {"type": "applied", "generation": state["generation"],
                                      "ok": True, "errors": []})
                    unanswered = False
                now = time.monotonic()
                since = now - last_status
                if state is not None and ((status_due and since >= STATUS_INTERVAL_S)
                                          or since >= STATUS_REFRESH_S):
                    self._send_raw(conn, self._status_line(state))
                    status_due, last_status = False, now
        except OSError:
            return
        finally:
            conn.close()
