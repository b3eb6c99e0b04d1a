#!/usr/bin/env python3
"""`tandem resource list` and friends showing replica states reported through the real controller.

Starts the real tandem-controller (from $TANDEM_BIN_DIR, 127.0.0.1, free port, temporary
database) and, for three nodes, a scripted satellite peer that speaks the satellite protocol
(docs/satellite-protocol.md: hello, applied, status, pong) and reports fixed replica states:

  alpha  diskful, Secondary, UpToDate, SyncSource to beta at 34.5 %
  beta   diskful, Secondary, Inconsistent, SyncTarget from alpha at 34.5 %
  gamma  diskless, Primary and in use: the VM runs without a local disk

The peers only report; they create nothing. What is tested is the path state report ->
controller -> REST -> `tandem` tables: the resync progress, the diskless-Primary warning,
--faulty, pool capacities and node states. Exits 77 (skipped) without tandem-controller.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from satellite_protocol import PROTOCOL_VERSION, DesiredStateCopy

SKIP = 77
COMMAND_TIMEOUT_S = 60
WAIT_S = 30

BIN_DIR = os.environ.get("TANDEM_BIN_DIR", "")
TANDEM = os.path.join(BIN_DIR, "tandem")
CONTROLLER = os.path.join(BIN_DIR, "tandem-controller")

POOL_KIB = 10 * 1024 * 1024
failures = []


def replica_report(node, resource):
    """The state each scripted satellite reports for resource (see the module docstring)."""
    if node == "alpha":
        return {"name": resource, "role": "Secondary", "in_use": False,
                "connections": {"beta": True, "gamma": True},
                "volumes": [{"number": 0, "disk_state": "UpToDate", "allocated_kib": 1052672,
                             "usable_kib": 1052408,
                             "peers": {"beta": {"replication_state": "SyncSource",
                                                "done_percentage": 34.5,
                                                "out_of_sync_bytes": 703594496},
                                       "gamma": {"replication_state": "Established",
                                                 "done_percentage": 100.0,
                                                 "out_of_sync_bytes": 0}}}],
                "snapshots": []}
    if node == "beta":
        return {"name": resource, "role": "Secondary", "in_use": False,
                "connections": {"alpha": True, "gamma": True},
                "volumes": [{"number": 0, "disk_state": "Inconsistent", "allocated_kib": 1052672,
                             "usable_kib": 1052408,
                             "peers": {"alpha": {"replication_state": "SyncTarget",
                                                 "done_percentage": 34.5,
                                                 "out_of_sync_bytes": 703594496}}}],
                "snapshots": []}
    return {"name": resource, "role": "Primary", "in_use": True,
            "connections": {"alpha": True, "beta": True},
            "volumes": [{"number": 0, "disk_state": "Diskless", "allocated_kib": 0,
                         "usable_kib": 1052408,
                         "peers": {"alpha": {"replication_state": "Established",
                                             "done_percentage": 100.0, "out_of_sync_bytes": 0},
                                   "beta": {"replication_state": "Established",
                                            "done_percentage": 100.0, "out_of_sync_bytes": 0}}}],
            "snapshots": []}


class ScriptedSatellite:
    """Listens on 127.0.0.1:<free port>; answers the controller as node `name` would."""

    def __init__(self, name):
        self.name = name
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=10)
        self.server.close()

    def serve(self):
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except socket.timeout:
                continue
            with connection:
                self.converse(connection)

    def send(self, connection, message):
        connection.sendall((json.dumps(message) + "\n").encode())

    def status(self, state):
        pools = [{"name": p["name"], "free_capacity_kib": POOL_KIB, "total_capacity_kib": POOL_KIB,
                  "error": ""} for p in state.get("pools", []) if p.get("kind") != "DISKLESS"]
        resources = [replica_report(self.name, r["name"]) for r in state.get("resources", [])]
        return {"type": "status", "pools": pools, "resources": resources}

    def converse(self, connection):
        connection.settimeout(0.2)
        self.send(connection, {"type": "hello", "protocol_version": PROTOCOL_VERSION,
                               "role": "satellite", "node_name": self.name,
                               "software": "cli_resource_states.py"})
        buffered = b""
        copy = DesiredStateCopy()
        while not self.stop.is_set():
            try:
                chunk = connection.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not chunk:
                return
            buffered += chunk
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                if not line.strip():
                    continue
                message = json.loads(line)
                if message.get("type") in ("desired_state", "desired_state_delta"):
                    state, reply = copy.accept(message)
                    if reply:
                        self.send(connection, reply)
                    if state:
                        self.send(connection, {"type": "applied", "generation": state["generation"],
                                               "ok": True, "errors": []})
                        self.send(connection, self.status(state))
                elif message.get("type") == "ping":
                    self.send(connection, {"type": "pong", "seq": message.get("seq", 0)})


def run(env, *args, rc=0, contains=(), absent=()):
    result = subprocess.run([TANDEM, *args], env=env, capture_output=True, text=True,
                            timeout=COMMAND_TIMEOUT_S)
    where = "tandem " + " ".join(args)
    problems = []
    if result.returncode != rc:
        problems.append("exit code %d, expected %d" % (result.returncode, rc))
    problems += ["stdout lacks %r" % t for t in contains if t not in result.stdout]
    problems += ["stdout has %r" % t for t in absent if t in result.stdout]
    if problems:
        failures.append("%s: %s\n--- stdout:\n%s--- stderr:\n%s" % (
            where, "; ".join(problems), result.stdout, result.stderr))
        print("FAIL  " + where)
    else:
        print("ok    " + where)
    return result


def expect_row(table, node, cells):
    """The table row of node (second column) has exactly these cells before CreatedOn."""
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in table.splitlines() if line.startswith("| ")]
    found = [row for row in rows if len(row) > 1 and row[1] == node]
    actual = [found[0][0]] + found[0][2:2 + len(cells) - 1] if found else None
    if actual != cells:
        failures.append("row of %s: expected %r, got %r in\n%s" % (node, cells, actual, table))
        print("FAIL  row of " + node)


def wait_until(what, predicate):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    failures.append("timed out after %d s waiting for %s" % (WAIT_S, what))
    print("FAIL  waiting for " + what)
    return False


def machine_readable(env, *args):
    result = subprocess.run([TANDEM, "-m", *args], env=env, capture_output=True, text=True,
                            timeout=COMMAND_TIMEOUT_S)
    try:
        return json.loads(result.stdout)[0]
    except (ValueError, IndexError):
        return []


def scenario(env, pool_dir):
    nodes = {}
    for name in ("alpha", "beta", "gamma"):
        nodes[name] = ScriptedSatellite(name)
    try:
        for name, satellite in nodes.items():
            run(env, "n", "c", name, "127.0.0.1", "--port", str(satellite.port))
        wait_until("all nodes Online", lambda: sorted(
            n.get("connection_status") for n in machine_readable(env, "n", "l")) == ["ONLINE"] * 3)
        run(env, "n", "l", contains=["Online"], absent=["OFFLINE"])
        for name in nodes:
            run(env, "sp", "c", "file", name, "pool1", os.path.join(pool_dir, name))
        wait_until("pool capacities", lambda: all(
            p.get("free_capacity") == POOL_KIB for p in machine_readable(env, "sp", "l", "-s", "pool1")))
        run(env, "sp", "l", "-s", "pool1", contains=["10 GiB"])

        run(env, "rd", "c", "vm1")
        # A diskless replica of our own on gamma, not the automatic tie-breaker.
        run(env, "rd", "sp", "vm1", "DrbdOptions/auto-add-quorum-tiebreaker", "False")
        run(env, "vd", "c", "vm1", "1G")
        run(env, "r", "c", "alpha", "beta", "vm1", "-s", "pool1")
        run(env, "r", "c", "gamma", "vm1", "--diskless")
        wait_until("gamma reported in use", lambda: any(
            r.get("node_name") == "gamma" and r.get("state", {}).get("in_use") is True
            for r in machine_readable(env, "r", "l")))

        listing = run(env, "r", "l")
        expect_row(listing.stdout, "alpha", ["vm1", "7000", "Unused", "Ok", "UpToDate"])
        expect_row(listing.stdout, "beta", ["vm1", "7000", "Unused", "Ok", "SyncTarget(34.5%)"])
        expect_row(listing.stdout, "gamma", ["vm1", "7000", "! InUse", "Ok", "Diskless"])
        check_warning = [line for line in listing.stdout.splitlines() if line.startswith("WARNING:")]
        if not (len(check_warning) == 1 and "'vm1'" in check_warning[0] and
                "node 'gamma'" in check_warning[0] and
                "tandem resource toggle-disk gamma vm1" in check_warning[0]):
            failures.append("r l should print one WARNING about the diskless Primary on gamma: %r"
                            % listing.stdout)
            print("FAIL  diskless-Primary warning")
        run(env, "r", "l", "--faulty", contains=["| beta ", "| gamma "], absent=["| alpha "])
        run(env, "v", "l", contains=["SyncSource(34.5%), Established(1)", "SyncTarget(34.5%)",
                                     "Established(2)"])
        run(env, "n", "dsc", "gamma", contains=["Resource vm1 (Diskless, ! InUse)"])
        run(env, "-m", "r", "l", contains=['"done_percentage": 34.5', '"in_use": true'])
    finally:
        for satellite in nodes.values():
            satellite.close()


def main():
    if not os.path.isfile(TANDEM):
        print("tandem not found in TANDEM_BIN_DIR=%r; build the 'tandem' target" % BIN_DIR)
        return 1
    if not os.path.isfile(CONTROLLER):
        print("SKIP: %s is missing; build the 'tandem-controller' target to run this test"
              % CONTROLLER)
        return SKIP
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, TANDEM_CONTROLLERS="127.0.0.1:%d" % port)
    with tempfile.TemporaryDirectory(prefix="tandem-cli-states-") as tmp:
        pool_dir = os.path.join(tmp, "pools")
        os.makedirs(pool_dir)
        log_path = os.path.join(tmp, "controller.log")
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [CONTROLLER, "--rest-listen", "127.0.0.1:%d" % port, "--db",
                 os.path.join(tmp, "controller.db")], stdout=log, stderr=subprocess.STDOUT)
            try:
                def healthy():
                    try:
                        with urllib.request.urlopen("http://127.0.0.1:%d/health" % port,
                                                    timeout=2) as answer:
                            return answer.status == 200
                    except OSError:
                        return False
                if wait_until("the controller's /health", healthy):
                    scenario(env, pool_dir)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if failures:
            with open(log_path) as log:
                print("--- controller log (last 3000 chars):\n" + log.read()[-3000:])
    if failures:
        print("\n%d check(s) failed:\n" % len(failures))
        for failure in failures:
            print(failure + "\n")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
