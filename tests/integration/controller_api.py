#!/usr/bin/env python3
"""Integration test of tandem-controller's REST API v1 and its satellite protocol.

Starts the real tandem-controller from $TANDEM_BIN_DIR on 127.0.0.1 (free port, temporary
database) and three protocol-speaking satellites written here in Python on 127.0.40.2-4
(docs/satellite-protocol.md: they answer hello, record every desired state and report pool
capacities and resource states). Then it drives every endpoint over HTTP - status codes, body
shapes, malformed JSON, unknown objects, duplicate names, bad sizes, keep-alive, bodies without
Content-Type - SIGKILLs the controller, restarts it on the same database and checks that nothing
was lost and that the satellites get their state again.

Every failed check is collected and printed; the test fails if there is at least one.
Exits 77 (skipped) when tandem-controller has not been built. Every wait is bounded.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from satellite_protocol import PROTOCOL_VERSION, DesiredStateCopy

SKIP = 77
STARTUP_TIMEOUT_S = 30
WAIT_TIMEOUT_S = 20
BIN_DIR = os.environ.get("TANDEM_BIN_DIR", "")
CONTROLLER = os.path.join(BIN_DIR, "tandem-controller")
SATELLITE_NET = "127.0.40"

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return condition


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, what, timeout_s=WAIT_TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return check(False, "timed out waiting for " + what)


class FakeSatellite:
    """A satellite that speaks the protocol but manages no storage: it reports every pool it is
    told about with fixed capacities and every resource as UpToDate/Secondary."""

    FREE_KIB = 100 * 1024 * 1024
    TOTAL_KIB = 200 * 1024 * 1024

    def __init__(self, name, address, port=3366, claimed_name=None):
        self.name = name
        self.claimed_name = claimed_name or name  # what it says in its hello
        self.address = address
        self.port = port
        self.states = []  # every desired state received (whole, deltas applied)
        self.received = {"desired_state": 0, "desired_state_delta": 0}  # messages by type
        self.hellos = 0
        self.lock = threading.Lock()
        self.send_lock = threading.Lock()  # the test thread may send too (ask_for_full_state)
        self.conn = None
        self.replaced = None  # (the copy the deltas built, the full state that replaced it)
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((address, port))
        self.server.listen(4)
        self.server.settimeout(0.2)
        self.stopped = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def latest(self):
        with self.lock:
            return self.states[-1] if self.states else None

    def stop(self):
        self.stopped = True
        self.thread.join(timeout=5)
        self.server.close()

    def _accept_loop(self):
        while not self.stopped:
            try:
                conn, _ = self.server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _send(self, conn, message):
        with self.send_lock:
            conn.sendall((json.dumps(message) + "\n").encode())

    def ask_for_full_state(self):
        """Sends a resync_request, as a satellite whose copy does not fit a delta would."""
        self._send(self.conn, {"type": "resync_request", "generation": 0, "reason": "test"})

    def _status(self, state):
        pools = [{"name": p["name"], "free_capacity_kib": self.FREE_KIB,
                  "total_capacity_kib": self.TOTAL_KIB, "error": ""}
                 for p in state["pools"] if p["kind"] != "DISKLESS"]
        resources = [self._resource_status(r) for r in state["resources"]]
        return {"type": "status", "pools": pools, "resources": resources}

    def _resource_status(self, desired):
        """One resource of a status: as desired, every peer connected and in sync."""
        peers = {n["node_name"]: {"replication_state": "Established", "done_percentage": 100.0,
                                  "out_of_sync_bytes": 0}
                 for n in desired["nodes"] if n["node_name"] != self.name}
        return {
            "name": desired["name"], "role": "Secondary", "in_use": False,
            "connections": {peer: True for peer in peers},
            "volumes": [{"number": v["number"],
                         "disk_state": "Diskless" if desired["diskless"] else "UpToDate",
                         "allocated_kib": v["allocated_kib"], "usable_kib": v["usable_kib"],
                         "peers": peers} for v in desired["volumes"]],
            "snapshots": desired["snapshots"]}

    def _serve(self, conn):
        conn.settimeout(0.5)
        buffer = b""
        copy = DesiredStateCopy()
        self.conn = conn
        try:
            while not self.stopped:
                try:
                    chunk = conn.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    message = json.loads(line)
                    if message["type"] == "hello":
                        with self.lock:
                            self.hellos += 1
                        self._send(conn, {"type": "hello", "protocol_version": PROTOCOL_VERSION,
                                          "role": "satellite", "node_name": self.claimed_name,
                                          "software": "fake-satellite"})
                    elif message["type"] in ("desired_state", "desired_state_delta"):
                        with self.lock:
                            self.received[message["type"]] += 1
                            if message["type"] == "desired_state" and copy.state:
                                self.replaced = (copy.state, message)  # the copy, the full state
                        state, reply = copy.accept(message)
                        if reply:
                            self._send(conn, reply)
                        if state:
                            with self.lock:
                                self.states.append(state)
                            self._send(conn, {"type": "applied", "generation": state["generation"],
                                              "ok": True, "errors": []})
                            self._send(conn, self._status(state))
        except OSError:
            return
        finally:
            conn.close()


class Rest:
    """One keep-alive HTTP connection to the controller; bodies go without Content-Type, as the
    python-linstor client sends them."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None, raw=None):
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        headers = {"Connection": "keep-alive"}
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        text = response.read().decode()
        parsed = json.loads(text) if text else None
        return response.status, parsed, response

    def close(self):
        self.conn.close()


def code(rc):
    """The stripped code bits of a ret_code (LINSTOR's MASK_BITS_CODE)."""
    return (rc & 0xFFFFFFFFFFFFFFFF) & 0x7FFF


def expect(rest, method, path, status, body=None, what=None, raw=None):
    got, parsed, _ = rest.call(method, path, body, raw)
    label = what or "%s %s" % (method, path)
    check(got == status, "%s: status %d, expected %d, body %s" % (label, got, status, parsed))
    return parsed


def start_controller(port, db, level="info"):
    """Starts the controller logging into <db>.log (appending, so a restart keeps the history);
    a pipe nobody reads could fill up and stall it."""
    log = open(db + ".log", "ab")
    process = subprocess.Popen([CONTROLLER, "--rest-listen", "127.0.0.1:%d" % port, "--db", db,
                                "--log-level", level], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                with open(db + ".log", "rb") as text:
                    raise SystemExit("tandem-controller exited: " + text.read().decode()[-4000:])
            time.sleep(0.1)
    process.kill()
    raise SystemExit("tandem-controller did not listen within %d s" % STARTUP_TIMEOUT_S)


def node_status(rest, name):
    node = rest.call("GET", "/v1/nodes/" + name)[1]
    return node.get("connection_status") if isinstance(node, dict) else None


def nodes_online(rest, names):
    _, nodes, _ = rest.call("GET", "/v1/nodes")
    states = {n["name"]: n["connection_status"] for n in nodes or []}
    return all(states.get(name) == "ONLINE" for name in names)


def test_basics(rest):
    status, body, response = rest.call("GET", "/health")
    check(status == 200 and body is None, "GET /health: 200 with empty body")
    version = expect(rest, "GET", "/v1/controller/version", 200)
    check(version["rest_api_version"] == "1.28.0", "rest_api_version 1.28.0")
    check(set(version) >= {"version", "git_hash", "build_time", "rest_api_version"},
          "version has LINSTOR's fields")
    check(response.getheader("Content-Type") != "", "version has a Content-Type")
    body = expect(rest, "POST", "/v1/nodes", 400, raw="{not json", what="malformed JSON")
    check(body and body[0]["ret_code"] == -3458764513820540931,
          "malformed JSON answers API_CALL_PARSE_ERROR")
    expect(rest, "GET", "/v1/no-such-thing", 404)
    expect(rest, "POST", "/v1/controller/properties", 200,
           {"override_props": {"Aux/owner": "ci"}})
    props = expect(rest, "GET", "/v1/controller/properties", 200)
    check(props.get("Aux/owner") == "ci", "controller property stored")
    check(props.get("DrbdOptions/auto-add-quorum-tiebreaker") == "True",
          "controller defaults of LINSTOR's initial database")
    body = expect(rest, "POST", "/v1/controller/properties", 500,
                  {"override_props": {"NotAKey": "x"}}, "unknown property key")
    check(body and "not whitelisted" in body[0]["message"], "unknown key named")


def test_nodes_and_pools(rest, satellites):
    for sat in satellites:
        body = expect(rest, "POST", "/v1/nodes", 201, {
            "name": sat.name, "type": "satellite",
            "net_interfaces": [{"name": "default", "address": sat.address,
                                "satellite_port": str(sat.port),  # a number as a string
                                "satellite_encryption_type": "plain", "is_active": True}]})
        check(body and body[0]["ret_code"] == 20709377, "node create ret_code 0x13C0001")
    body = expect(rest, "POST", "/v1/nodes", 500, {
        "name": "alpha", "type": "satellite",
        "net_interfaces": [{"name": "default", "address": "127.0.40.9"}]}, "duplicate node")
    check(body and code(body[0]["ret_code"]) == 500 and body[0]["ret_code"] < 0,
          "duplicate node is FAIL_EXISTS_NODE, negative")
    expect(rest, "POST", "/v1/nodes", 400, {"name": "x1", "type": "spaceship"}, "bad node type")
    expect(rest, "POST", "/v1/nodes", 500, {
        "name": "bad address", "net_interfaces": [{"address": "127.0.0.1"}]}, "bad node name")
    expect(rest, "GET", "/v1/nodes/nope", 404)
    expect(rest, "DELETE", "/v1/nodes/nope", 404)
    filtered = expect(rest, "GET", "/v1/nodes?nodes=alpha&nodes=BETA", 200)
    check(sorted(n["name"] for n in filtered) == ["alpha", "beta"], "node list filter, any case")
    check(expect(rest, "GET", "/v1/nodes?nodes=nope", 200) == [], "filtered list of nobody is []")
    node = expect(rest, "GET", "/v1/nodes/alpha", 200)
    check(node["type"] == "SATELLITE" and
          node["net_interfaces"][0]["satellite_encryption_type"] == "PLAIN",
          "node enums answered in upper case")
    wait_until(lambda: nodes_online(rest, [s.name for s in satellites]), "satellites ONLINE")
    expect(rest, "PUT", "/v1/nodes/alpha", 200, {"override_props": {"Aux/site": "dc1"}})
    check(expect(rest, "GET", "/v1/nodes/alpha", 200)["props"].get("Aux/site") == "dc1",
          "node property set")
    expect(rest, "POST", "/v1/nodes/alpha/net-interfaces", 201,
           {"name": "data", "address": "127.0.40.20", "is_active": False})
    expect(rest, "POST", "/v1/nodes/alpha/net-interfaces", 500,
           {"name": "data", "address": "127.0.40.21"}, "duplicate net interface")
    nics = expect(rest, "GET", "/v1/nodes/alpha/net-interfaces", 200)
    check(len(nics) == 2, "two net interfaces")
    expect(rest, "DELETE", "/v1/nodes/alpha/net-interfaces/data", 200)

    for sat in satellites:
        expect(rest, "POST", "/v1/nodes/%s/storage-pools" % sat.name, 201, {
            "storage_pool_name": "pool1", "provider_kind": "filethin",
            "props": {"StorDriver/StorPoolName": "/srv/tandem/" + sat.name}})
    expect(rest, "POST", "/v1/nodes/alpha/storage-pools", 500,
           {"storage_pool_name": "pool1", "provider_kind": "FILE_THIN",
            "props": {"StorDriver/StorPoolName": "/x"}}, "duplicate pool")
    expect(rest, "POST", "/v1/nodes/alpha/storage-pools", 400,
           {"storage_pool_name": "p2", "provider_kind": "TAPE"}, "unknown provider kind")
    expect(rest, "POST", "/v1/nodes/nope/storage-pools", 404,
           {"storage_pool_name": "p2", "provider_kind": "FILE",
            "props": {"StorDriver/StorPoolName": "/x"}}, "pool on missing node")
    expect(rest, "POST", "/v1/nodes/alpha/storage-pools", 500,
           {"storage_pool_name": "p3", "provider_kind": "LVM"}, "LVM pool without a VG")

    def capacities_reported():
        pools = rest.call("GET", "/v1/view/storage-pools?storage_pools=pool1")[1]
        return len(pools) == 3 and all(p.get("free_capacity") == FakeSatellite.FREE_KIB
                                       for p in pools)
    wait_until(capacities_reported, "pool capacities reported by the satellites")
    pool = expect(rest, "GET", "/v1/nodes/alpha/storage-pools/pool1", 200)
    check(pool["provider_kind"] == "FILE_THIN" and pool["static_traits"]["Provisioning"] == "Thin",
          "pool shape")
    check(pool["total_capacity"] == FakeSatellite.TOTAL_KIB, "total capacity in KiB")
    diskless = [p for p in expect(rest, "GET", "/v1/view/storage-pools?nodes=alpha", 200)
                if p["provider_kind"] == "DISKLESS"]
    check(len(diskless) == 1 and "free_capacity" not in diskless[0],
          "every node has DfltDisklessStorPool without capacities")


def test_groups_and_spawn(rest, satellites):
    expect(rest, "POST", "/v1/resource-groups", 201, {
        "name": "rg1", "select_filter": {"place_count": "2", "storage_pool_list": ["pool1"],
                                         "diskless_on_remaining": False}})
    expect(rest, "POST", "/v1/resource-groups", 500, {"name": "rg1"}, "duplicate group")
    group = expect(rest, "GET", "/v1/resource-groups/rg1", 200)
    check(group["select_filter"].get("place_count") == 2, "place_count given as a string")
    expect(rest, "PUT", "/v1/resource-groups/rg1", 200,
           {"override_props": {"Aux/tier": "gold"}, "description": "test group"})
    expect(rest, "GET", "/v1/resource-groups/nope", 404)
    expect(rest, "POST", "/v1/resource-groups/rg1/volume-groups", 201, {})
    vgs = expect(rest, "GET", "/v1/resource-groups/rg1/volume-groups", 200)
    check(len(vgs) == 1 and vgs[0]["volume_number"] == 0, "volume group 0")
    body = expect(rest, "POST", "/v1/resource-groups/rg1/spawn", 201, {
        "resource_definition_name": "res1", "volume_sizes": [1048576], "partial": False,
        "definitions_only": False, "select_filter": {}})
    messages = " ".join(r["message"] for r in body or [])
    check("Tie breaker" in messages, "spawn answers with the tie-breaker it created")
    check("majority" in messages, "spawn answers with auto-quorum's change")
    rd = expect(rest, "GET", "/v1/resource-definitions/res1", 200)
    check(rd["resource_group_name"] == "rg1", "spawned definition in rg1")
    check(rd["props"].get("DrbdOptions/Resource/quorum") == "majority", "auto-quorum majority")
    drbd = rd["layer_data"][0]["data"]
    check(7000 <= drbd["port"] <= 7999 and len(drbd["secret"]) >= 16, "port and secret")
    check(rd["volume_definitions"][0]["size_kib"] == 1048576, "volume definition size")
    resources = expect(rest, "GET", "/v1/view/resources?resources=res1", 200)
    flags = sorted(tuple(r["flags"]) for r in resources)
    check(flags == [(), (), ("DISKLESS", "DRBD_DISKLESS", "TIE_BREAKER")],
          "2 diskful + 1 tie-breaker, flags %s" % (flags,))
    diskful = [r for r in resources if not r["flags"]]
    check(all(r["volumes"][0]["allocated_size_kib"] == 1048840 for r in diskful),
          "FILE_THIN backing size = net + metadata")

    # Each satellite got the resource with everything a resource file needs.
    def res1_everywhere():
        for sat in satellites:
            state = sat.latest()
            if not state or not any(r["name"] == "res1" for r in state["resources"]):
                return False
        return True
    wait_until(res1_everywhere, "res1 in every satellite's desired state")
    state = satellites[0].latest()
    res1 = next(r for r in state["resources"] if r["name"] == "res1")
    check(res1["secret"] == drbd["secret"] and res1["port"] == drbd["port"], "secret and port")
    check(len(res1["nodes"]) == 3 and all(n["address"].startswith(SATELLITE_NET)
                                          for n in res1["nodes"]), "all three nodes with addresses")
    check(res1["quorum"] == "majority" and res1["protocol"] == "C", "quorum and protocol")
    volume = res1["volumes"][0]
    check(volume["kind"] in ("FILE_THIN", "DISKLESS") and volume["minor"] >= 1000, "volume")
    # One full state per connection, every change after it a delta; a resync_request gets a full one.
    check(satellites[0].received["desired_state"] == 1, "one full state after the hello")
    check(satellites[0].received["desired_state_delta"] >= 1, "changes came as deltas")
    satellites[0].ask_for_full_state()
    wait_until(lambda: satellites[0].received["desired_state"] == 2,
               "a full state answers the resync_request")
    built, full = satellites[0].replaced
    check(built | {"generation": full["generation"]} == full,
          "the full state equals the one the deltas built")

    def reported_uptodate():
        rs = rest.call("GET", "/v1/resource-definitions/res1/resources")[1]
        states = [r["volumes"][0]["state"]["disk_state"] for r in rs if not r["flags"]]
        repl = [r["volumes"][0]["state"]["replication_states"] for r in rs if not r["flags"]]
        return states == ["UpToDate", "UpToDate"] and all(len(x) == 2 for x in repl)
    wait_until(reported_uptodate, "satellite reports shown in the resource list")
    sync = expect(rest, "GET", "/v1/resource-definitions/res1/sync-status", 200)
    check(sync == {"synced_on_all": True}, "sync-status synced_on_all once UpToDate everywhere")
    expect(rest, "GET", "/v1/resource-definitions/nope/sync-status", 404)

    # Spawn without place_count in a bare group creates the definition only.
    expect(rest, "POST", "/v1/resource-groups", 201, {"name": "bare"})
    body = expect(rest, "POST", "/v1/resource-groups/bare/spawn", 201,
                  {"resource_definition_name": "res-bare", "volume_sizes": ["65536"]})
    check(any(r["ret_code"] == 0x4000000000002710 or code(r["ret_code"]) == 10000
              for r in body or []), "INFO_NO_RSC_SPAWNED")
    expect(rest, "POST", "/v1/resource-groups/nope/spawn", 404,
           {"resource_definition_name": "x1", "volume_sizes": [65536]}, "spawn from missing RG")
    expect(rest, "DELETE", "/v1/resource-groups/rg1", 500, what="group still in use")


def test_definitions_and_resources(rest):
    expect(rest, "POST", "/v1/resource-definitions", 201,
           {"resource_definition": {"name": "res2", "props": {"Aux/pm/vmid": "100"}}})
    expect(rest, "POST", "/v1/resource-definitions", 500,
           {"resource_definition": {"name": "RES2"}}, "duplicate definition (any case)")
    expect(rest, "POST", "/v1/resource-definitions", 404,
           {"resource_definition": {"name": "res9", "resource_group_name": "nope"}},
           "definition in a missing group")
    expect(rest, "POST", "/v1/resource-definitions/res2/volume-definitions", 200,
           {"volume_definition": {"size_kib": "1048576"}})
    body = expect(rest, "POST", "/v1/resource-definitions/res2/volume-definitions", 500,
                  {"volume_definition": {"size_kib": 0}}, "volume size 0")
    check(body and "outside" in body[0]["message"], "bad size is named")
    expect(rest, "POST", "/v1/resource-definitions/res2/volume-definitions", 400,
           {"volume_definition": {"size_kib": "ten"}}, "size not a number")
    expect(rest, "POST", "/v1/resource-definitions/nope/volume-definitions", 404,
           {"volume_definition": {"size_kib": 1024}})
    body = expect(rest, "POST", "/v1/resource-definitions/res2/resources", 201, [
        {"resource": {"node_name": "alpha", "props": {"StorPoolName": "pool1"}}},
        {"resource": {"node_name": "beta", "props": {"StorPoolName": "pool1"}}},
        {"resource": {"node_name": "gamma", "flags": ["DRBD_DISKLESS"]}}])
    check(not any("Tie breaker" in r["message"] for r in body or []),
          "a diskless client already votes: no tie-breaker")
    expect(rest, "POST", "/v1/resource-definitions/res2/resources", 500,
           [{"resource": {"node_name": "alpha"}}], "duplicate resource")
    expect(rest, "POST", "/v1/resource-definitions/res2/resources", 404,
           [{"resource": {"node_name": "nope"}}], "resource on a missing node")
    expect(rest, "GET", "/v1/resource-definitions/res2/resources/nope", 404)
    expect(rest, "PUT", "/v1/resource-definitions/res2/resources/gamma/toggle-disk/diskful/pool1",
           200)
    gamma = expect(rest, "GET", "/v1/resource-definitions/res2/resources/gamma", 200)
    check(gamma["flags"] == [] and gamma["volumes"][0]["storage_pool_name"] == "pool1",
          "toggle-disk diskful")
    expect(rest, "PUT", "/v1/resource-definitions/res2/resources/gamma/toggle-disk/diskless", 200)
    gamma = expect(rest, "GET", "/v1/resource-definitions/res2/resources/gamma", 200)
    check("DRBD_DISKLESS" in gamma["flags"], "toggle-disk diskless")
    expect(rest, "DELETE", "/v1/resource-definitions/res2/resources/gamma?keep_tiebreaker=True",
           200)
    gamma = expect(rest, "GET", "/v1/resource-definitions/res2/resources/gamma", 200)
    check("TIE_BREAKER" in gamma["flags"], "keep_tiebreaker=True turns the diskless into the TB")
    expect(rest, "POST", "/v1/resource-definitions/res2/resources/gamma/make-available", 200,
           {"diskful": False})
    gamma = expect(rest, "GET", "/v1/resource-definitions/res2/resources/gamma", 200)
    check("TIE_BREAKER" not in gamma["flags"], "make-available clears TIE_BREAKER")
    expect(rest, "PUT", "/v1/resource-definitions/res2", 200,
           {"override_props": {"DrbdOptions/Net/protocol": "B"}})
    expect(rest, "PUT", "/v1/resource-definitions/res2", 500,
           {"override_props": {"DrbdOptions/Net/protocol": "Z"}}, "bad option value")
    expect(rest, "PUT", "/v1/resource-definitions/res2/volume-definitions/0", 200,
           {"size_kib": 2097152})
    body = expect(rest, "PUT", "/v1/resource-definitions/res2/volume-definitions/0", 500,
                  {"size_kib": 1024}, "shrink")
    check(body and "Shrinking" in body[0]["message"], "shrink refused by name")
    # The volume shows what the satellite reports once it has applied the new size.
    wait_until(lambda: rest.call("GET", "/v1/resource-definitions/res2/resources/alpha/volumes")
               [1][0]["allocated_size_kib"] > 2097152, "the resize reported by the satellite")
    listed = expect(rest, "GET", "/v1/resource-definitions?resource_definitions=res2", 200)
    check(len(listed) == 1 and listed[0]["name"] == "res2", "definition list filter")
    expect(rest, "DELETE", "/v1/resource-definitions/res2/resources/gamma", 200)

    # Autoplace: 201, place_count from the body.
    expect(rest, "POST", "/v1/resource-definitions", 201, {"resource_definition": {"name": "res3"}})
    expect(rest, "POST", "/v1/resource-definitions/res3/volume-definitions", 200,
           {"volume_definition": {"size_kib": 65536}})
    expect(rest, "POST", "/v1/resource-definitions/res3/autoplace", 201,
           {"select_filter": {"place_count": 3, "storage_pool_list": ["pool1"]}})
    placed = expect(rest, "GET", "/v1/view/resources?resources=res3", 200)
    check(len(placed) == 3 and all(not r["flags"] for r in placed), "autoplace 3 diskful")
    body = expect(rest, "POST", "/v1/resource-definitions/res3/autoplace", 500,
                  {"select_filter": {"place_count": 4}}, "not enough nodes")
    check(body and code(body[0]["ret_code"]) == 996 and "Not enough available nodes"
          in body[0]["message"], "FAIL_NOT_ENOUGH_NODES explains itself")


def test_snapshots(rest):
    expect(rest, "POST", "/v1/resource-definitions/res1/snapshots", 201, {"name": "snap1"})
    expect(rest, "POST", "/v1/resource-definitions/res1/snapshots", 500, {"name": "snap1"},
           "duplicate snapshot")
    snaps = expect(rest, "GET", "/v1/view/snapshots?resources=res1", 200)
    check(len(snaps) == 1 and len(snaps[0]["nodes"]) == 2 and
          snaps[0]["volume_definitions"][0]["size_kib"] == 1048576, "snapshot shape")
    wait_until(lambda: "SUCCESSFUL" in rest.call("GET", "/v1/view/snapshots?resources=res1")[1]
               [0]["flags"], "snapshot SUCCESSFUL once both satellites report it")
    expect(rest, "POST", "/v1/resource-definitions", 201,
           {"resource_definition": {"name": "res1-restored"}})
    expect(rest, "POST", "/v1/resource-definitions/res1/snapshot-restore-volume-definition/snap1",
           200, {"to_resource": "res1-restored"})
    expect(rest, "POST", "/v1/resource-definitions/res1/snapshot-restore-resource/snap1", 200,
           {"to_resource": "res1-restored"})
    restored = expect(rest, "GET", "/v1/view/resources?resources=res1-restored", 200)
    check(len(restored) >= 2, "restored resources on the snapshot's nodes")
    expect(rest, "DELETE", "/v1/resource-definitions/res1/snapshots/nope", 404)
    expect(rest, "POST", "/v1/resource-definitions/res1/snapshots", 201, {"name": "snap2"})
    expect(rest, "DELETE", "/v1/resource-definitions/res1/snapshots/snap2", 200)


def test_keep_alive(port):
    rest = Rest(port)
    rest.call("GET", "/v1/nodes")
    sock = rest.conn.sock
    for _ in range(5):
        rest.call("GET", "/v1/resource-definitions")
    check(sock is not None and rest.conn.sock is sock, "five requests on one kept-alive socket")
    rest.close()


def snapshot_of_state(rest):
    """Everything the API shows, minus the runtime fields (connection, satellite reports)."""
    nodes = rest.call("GET", "/v1/nodes")[1]
    for n in nodes:
        n.pop("connection_status")
    resources = rest.call("GET", "/v1/view/resources")[1]
    for r in resources:
        r.pop("state")
        r["layer_object"]["drbd"].pop("connections")
        r["layer_object"]["drbd"].pop("drbd_volumes")
        for v in r["volumes"]:
            v.pop("state")
            v.pop("layer_data_list")
    return {
        "nodes": nodes,
        "pools": rest.call("GET", "/v1/view/storage-pools")[1],
        "groups": rest.call("GET", "/v1/resource-groups")[1],
        "definitions": rest.call("GET", "/v1/resource-definitions?with_volume_definitions=True")[1],
        "resources": resources,
        # SUCCESSFUL depends on the satellites' reports, which are runtime state.
        "snapshots": [dict(s, flags=[f for f in s["flags"] if f != "SUCCESSFUL"],
                           snapshots=[dict(x, flags=[]) for x in s["snapshots"]])
                      for s in rest.call("GET", "/v1/view/snapshots")[1]],
        "controller": rest.call("GET", "/v1/controller/properties")[1],
    }


def main():
    if not os.path.exists(CONTROLLER):
        print("tandem-controller not built (%s): skipped" % CONTROLLER)
        return SKIP
    satellites = [FakeSatellite(name, "%s.%d" % (SATELLITE_NET, i + 2))
                  for i, name in enumerate(["alpha", "beta", "gamma"])]
    with tempfile.TemporaryDirectory(prefix="tandem-controller-api-") as tmp:
        db = os.path.join(tmp, "controller.sqlite")
        port = free_port()
        controller = start_controller(port, db)
        rest = Rest(port)
        try:
            test_basics(rest)
            test_nodes_and_pools(rest, satellites)
            test_groups_and_spawn(rest, satellites)
            test_definitions_and_resources(rest)
            test_snapshots(rest)
            test_keep_alive(port)
            before = snapshot_of_state(rest)
            hellos_before = sum(s.hellos for s in satellites)
            rest.close()
            controller.send_signal(signal.SIGKILL)
            controller.wait(timeout=10)
            controller = start_controller(port, db)
            rest = Rest(port)
            after = snapshot_of_state(rest)
            for key in before:
                if not check(before[key] == after[key], "after SIGKILL + restart, %s unchanged" % key):
                    print(json.dumps(before[key], sort_keys=True)[:3000])
                    print(json.dumps(after[key], sort_keys=True)[:3000])
            wait_until(lambda: sum(s.hellos for s in satellites) >= hellos_before + 3,
                       "satellites reconnected after the restart")
            wait_until(lambda: nodes_online(rest, [s.name for s in satellites]),
                       "satellites ONLINE after the restart")
            # One satellite goes away: its node goes OFFLINE, the others stay ONLINE.
            satellites[2].stop()
            wait_until(lambda: node_status(rest, "gamma") == "OFFLINE",
                       "gamma OFFLINE after its satellite stopped")
            check(node_status(rest, "alpha") == "ONLINE", "alpha stays ONLINE")
            # ... and comes back: the controller reconnects (backoff) and sends the full state.
            satellites[2] = FakeSatellite("gamma", satellites[2].address)
            wait_until(lambda: node_status(rest, "gamma") == "ONLINE",
                       "gamma ONLINE again after its satellite came back", 30)
            wait_until(lambda: satellites[2].latest() is not None and any(
                r["name"] == "res1" for r in satellites[2].latest()["resources"]),
                "the returning satellite got its full desired state")
            # A satellite that answers with another node's name is refused.
            impostor = FakeSatellite("delta", "%s.5" % SATELLITE_NET, claimed_name="not-delta")
            satellites.append(impostor)
            expect(rest, "POST", "/v1/nodes", 201, {
                "name": "delta", "net_interfaces": [{"address": impostor.address}]})
            wait_until(lambda: node_status(rest, "delta") == "HOSTNAME_MISMATCH",
                       "delta shows HOSTNAME_MISMATCH")
            check(impostor.states == [], "no desired state is applied by a mismatched satellite")
            # Deletes after the restart.
            expect(rest, "DELETE", "/v1/resource-definitions/res3", 200)
            expect(rest, "GET", "/v1/resource-definitions/res3", 404)
            expect(rest, "DELETE", "/v1/resource-groups/bare", 500, what="bare still in use")
        finally:
            rest.close()
            controller.send_signal(signal.SIGTERM)
            try:
                controller.wait(timeout=10)
            except subprocess.TimeoutExpired:
                controller.kill()
            for sat in satellites:
                if not sat.stopped:
                    sat.stop()
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("controller_api: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
