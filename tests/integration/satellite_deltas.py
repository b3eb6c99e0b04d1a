#!/usr/bin/env python3
"""The real tandem-satellite against a scripted controller: desired_state_delta and resync_request.

Starts one tandem-satellite on 127.0.46.2 (no tandemd: the states carry no resources, so the
satellite only reports that tandemd is unreachable, which this test ignores) and speaks protocol
version 2 to it (docs/satellite-protocol.md §3.2, §4.4):
- a full state, then a delta on its generation: both answered with `applied`;
- a delta on a generation the satellite does not have: one `resync_request` naming its
  generation, no second one for the next stale delta, and a full state starts over;
- a hello with protocol version 1: VERSION_MISMATCH.

usage: satellite_deltas.py     (exits 77 when tandem-satellite is not built)
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from satellite_protocol import PROTOCOL_VERSION  # noqa: E402
from tandem_cluster import log_tail, stop_process  # noqa: E402

SKIP = 77
ADDRESS = "127.0.46.2"
PORT = 3366
WAIT_S = 20
BIN_DIR = os.environ.get("TANDEM_BIN_DIR", "")
SATELLITE = os.path.join(BIN_DIR, "tandem-satellite")

POOL = {"name": "DfltDisklessStorPool", "kind": "DISKLESS", "source": "", "props": {}}


class Controller:
    """One scripted controller connection: JSON lines out, JSON lines in (status skipped)."""

    def __init__(self, version=PROTOCOL_VERSION):
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                self.sock = socket.create_connection((ADDRESS, PORT), timeout=WAIT_S)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.buffer = b""
        self.send({"type": "hello", "protocol_version": version, "role": "controller",
                   "node_name": "alpha", "software": "satellite_deltas.py"})

    def send(self, message):
        self.sock.sendall((json.dumps(message) + "\n").encode())

    def receive(self, wanted_types):
        """The next message of one of `wanted_types`; others (status, hello) are passed over."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                message = json.loads(line)
                if message["type"] in wanted_types:
                    return message
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        raise TimeoutError("no %s from the satellite" % "/".join(wanted_types))

    def close(self):
        self.sock.close()


def full_state(generation):
    return {"type": "desired_state", "generation": generation, "node_name": "alpha",
            "nbd": {"address": "127.0.0.1", "port": 10809}, "pools": [POOL], "resources": []}


def delta(base, generation, **changes):
    return {"type": "desired_state_delta", "base_generation": base, "generation": generation,
            **changes}


def main():
    if not os.path.exists(SATELLITE):
        print("tandem-satellite not built: skipped")
        return SKIP
    failures = []

    def check(condition, what):
        if not condition:
            failures.append(what)
            print("FAIL:", what, flush=True)

    with tempfile.TemporaryDirectory(prefix="tandem-satellite-deltas-") as tmp:
        log_path = os.path.join(tmp, "satellite.log")
        os.makedirs(os.path.join(tmp, "resources.d"))
        with open(log_path, "w") as log:
            satellite = subprocess.Popen(
                [SATELLITE, "--node-name", "alpha", "--listen", "%s:%d" % (ADDRESS, PORT),
                 "--resource-dir", os.path.join(tmp, "resources.d"),
                 "--tandemd-socket", os.path.join(tmp, "no-tandemd.sock")],
                stdout=log, stderr=subprocess.STDOUT)
        try:
            c = Controller()
            check(c.receive({"hello"})["protocol_version"] == PROTOCOL_VERSION,
                  "the satellite speaks protocol %d" % PROTOCOL_VERSION)
            c.send(full_state(1))
            check(c.receive({"applied", "resync_request"})["generation"] == 1, "applied 1")
            c.send(delta(1, 2, nbd={"address": "127.0.0.1", "port": 10900}))
            answer = c.receive({"applied", "resync_request"})
            check(answer["type"] == "applied" and answer["generation"] == 2,
                  "a delta on generation 1 is applied as 2, got %s" % answer)
            # Generations 3..5 never arrived: the satellite asks for the whole state, once.
            c.send(delta(5, 6, removed_resources=["gone"]))
            answer = c.receive({"applied", "resync_request"})
            check(answer["type"] == "resync_request" and answer["generation"] == 2,
                  "a delta on generation 5 gets a resync_request from generation 2, got %s" % answer)
            c.send(delta(6, 7))
            c.send(full_state(8))
            answer = c.receive({"applied", "resync_request"})
            check(answer["type"] == "applied" and answer["generation"] == 8,
                  "no second resync_request; the full state 8 is applied, got %s" % answer)
            c.send(delta(8, 9))
            answer = c.receive({"applied", "resync_request"})
            check(answer["type"] == "applied" and answer["generation"] == 9,
                  "deltas on the new full state are applied again, got %s" % answer)
            c.close()
            # A version 1 controller (no deltas) is refused by name.
            old = Controller(version=1)
            error = old.receive({"error"})
            check(error is not None and error["code"] == "VERSION_MISMATCH",
                  "protocol 1 gets VERSION_MISMATCH, got %s" % error)
            old.close()
        finally:
            stop_process(satellite)
        if failures:
            print("satellite log:\n" + log_tail(log_path, 40))
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("satellite_deltas: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
