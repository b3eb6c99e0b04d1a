#!/usr/bin/env python3
"""Observability of real tandem processes: Prometheus /metrics, promtool, the Grafana dashboard and
the event streams.

1. tandemd: two real daemons with --metrics-listen. `tandemadm events --json` follows both while n0
   disconnects from n1, writes 50 blocks and reconnects; the streams must show
   disconnect -> resync -> UpToDate in order. /metrics is scraped while disconnected and after the
   resync; every scrape passes `promtool check metrics` and carries the values the run implies.
2. tandem-controller: scripted satellites (cli_resource_states.py) report a resync in progress,
   then its end; /metrics passes promtool and GET /v1/events shows the controller-level changes.
3. tandem-sim --metrics-out: the OpenMetrics file imports with `promtool tsdb create-blocks-from
   openmetrics`, uses tandemd's metric names, and shows a scenario's disconnect and resync.
4. engine/metrics/grafana/tandem.json: valid JSON in the shape Grafana imports, and every metric
   name its expressions use was produced by one of the exporters above and is in docs/metrics.md.

Exits 77 (skipped) when promtool or a binary is missing. Every wait is bounded.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import tandem_cluster  # noqa: E402
from tandem_cluster import BLOCK, Cluster, NbdClient, pattern, wait_until  # noqa: E402

SKIP = 77
NET = 38  # 127.0.38.x: tandemd_cluster.py uses 31-36, controller_scale 41, satellite_scale 42, satellite_cluster 43
produced = set()  # metric family names seen in real scrapes


def scrape(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200, f"{url}: HTTP {answer.status}"
        content_type = answer.headers.get("Content-Type", "")
        assert content_type.startswith("text/plain; version=0.0.4"), f"{url}: {content_type}"
        return answer.read().decode()


def promtool_check(text, what):
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, f"promtool check metrics on {what}: {result.stdout}{result.stderr}"
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            produced.add(line.split()[2])
    print(f"ok    promtool check metrics: {what} ({len(text.splitlines())} lines)")


def sample(text, metric, **labels):
    """The value of the one sample of `metric` whose labels include `labels`."""
    found = []
    for line in text.splitlines():
        if not line.startswith(metric + "{") and not line.startswith(metric + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            found.append(float(line.rsplit(" ", 1)[1]))
    assert len(found) == 1, f"{metric}{labels}: {len(found)} samples"
    return found[0]


class EventStream:
    def __init__(self, node):
        env = dict(os.environ, TANDEM_ADMIN_SOCKET=node.admin_socket)
        self.process = subprocess.Popen([tandem_cluster.binary("tandemadm"), "events", "--json"],
                                        env=env, stdout=subprocess.PIPE, text=True)

    def stop(self):
        self.process.terminate()
        out, _ = self.process.communicate(timeout=10)
        return [json.loads(line) for line in out.splitlines()]


def expect_in_order(events, steps, who):
    """Each step (a dict of fields) matches a later event than the step before it."""
    position = 0
    for step in steps:
        while position < len(events) and not all(events[position].get(k) == v
                                                 for k, v in step.items()):
            position += 1
        assert position < len(events), f"{who}: no {step} after the earlier steps in\n" + \
            "\n".join(json.dumps(e) for e in events)
        position += 1
    print(f"ok    {who}: {len(steps)} steps in order")


def case_tandemd():
    cluster = Cluster(nodes=2, net=NET)
    for node in cluster.nodes:
        node.extra_args = ["--metrics-listen", f"{node.address}:9942"]
    try:
        cluster.create()
        cluster.start()
        cluster.wait_connected()
        n0, n1 = cluster.nodes
        url = {n.name: f"http://{n.address}:9942/metrics" for n in cluster.nodes}
        now = n1.adm("events", "--now").stdout.splitlines()
        assert now[0] == "exists resource name:r0 role:Secondary" and now[-1] == "exists -", now
        streams = [EventStream(n0), EventStream(n1)]
        time.sleep(0.3)  # both subscribed before the story starts
        n0.adm("disconnect", "r0", "n1")
        wait_until(lambda: n0.status()["connections"][0]["connection-state"] == "StandAlone", 10,
                   "n0 StandAlone", cluster)
        client = NbdClient(n0.address, n0.nbd_port, "r0")
        for b in range(50):
            assert client.write(b * BLOCK, pattern(b, 1)) == 0
        assert client.flush() == 0
        client.close()
        text = scrape(url["n0"])
        promtool_check(text, "tandemd n0, disconnected")
        pd = {"name": "r0", "conn_name": "n1", "volume": "0"}
        assert sample(text, "drbd_peerdevice_outofsync_bytes", **pd) == 50 * BLOCK
        assert sample(text, "drbd_connection_state", conn_name="n1",
                      drbd_connection_state="StandAlone") == 1
        assert sample(text, "tandem_device_writes_total", name="r0") == 50
        assert sample(text, "drbd_device_written_bytes_total", name="r0") == 50 * BLOCK
        assert sample(text, "tandem_device_write_latency_seconds_count", name="r0") == 50
        # The payloads live in the registered buffer arena: every data write went as WRITE_FIXED.
        assert sample(text, "tandem_disk_fixed_requests_total") >= 50
        assert sample(text, "tandem_buffer_arena_allocated_bytes") >= 0
        n0.adm("connect", "r0", "n1")
        cluster.wait_connected(timeout=30)
        cluster.wait_uptodate()
        time.sleep(0.3)
        sent = [s.stop() for s in streams]
        expect_in_order(sent[0], [
            {"type": "change", "object": "connection", "connection": "StandAlone"},
            {"type": "change", "object": "connection", "connection": "Connected"},
            {"type": "change", "object": "peer-device", "replication": "SyncSource"},
            {"type": "event", "object": "resync-started", "blocks": 50},
            {"type": "change", "object": "peer-device", "peer-disk": "UpToDate"},
            {"type": "change", "object": "peer-device", "replication": "Established"},
            {"type": "event", "object": "resync-finished"},
        ], "n0 events (SyncSource)")
        expect_in_order(sent[1], [
            {"type": "change", "object": "connection", "conn-name": "n0"},
            {"type": "change", "object": "connection", "connection": "Connected"},
            {"type": "change", "object": "peer-device", "replication": "SyncTarget"},
            {"type": "change", "object": "device", "disk": "Inconsistent"},
            {"type": "change", "object": "device", "disk": "UpToDate"},
        ], "n1 events (SyncTarget)")
        # The new writes after the resync are replicated: peer acks are measured.
        client = NbdClient(n0.address, n0.nbd_port, "r0")
        for b in range(10):
            assert client.write(b * BLOCK, pattern(b, 2)) == 0
        client.close()
        for node in cluster.nodes:
            text = scrape(url[node.name])
            promtool_check(text, f"tandemd {node.name}, after the resync")
            assert sample(text, "drbd_device_state", name="r0",
                          drbd_device_state="UpToDate") == 1
            assert sample(text, "drbd_peerdevice_outofsync_bytes", name="r0") == 0
        text = scrape(url["n0"])
        assert sample(text, "tandem_connection_ack_latency_seconds_count", conn_name="n1") >= 10
        assert sample(text, "tandem_peerdevice_resynced_bytes", name="r0") == 50 * BLOCK
        text = scrape(url["n1"])
        assert sample(text, "drbd_resource_role", name="r0", drbd_resource_role="Secondary") == 1
        # The resync target's and the replicated writes' payloads too (10 writes, and the 50
        # resynced blocks in at least one request).
        fixed = sample(text, "tandem_disk_fixed_requests_total")
        assert fixed >= 11, f"n1: {fixed} fixed requests"
        print("ok    tandemd: metrics and events tell the disconnect -> resync -> UpToDate story")
    except BaseException:
        print(cluster.logs())
        raise
    finally:
        cluster.cleanup()


def case_controller(tmp):
    import cli_resource_states as states
    bin_dir = tandem_cluster.BIN_DIR
    controller = os.path.join(bin_dir, "tandem-controller")
    tandem = os.path.join(bin_dir, "tandem")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, TANDEM_CONTROLLERS=f"127.0.0.1:{port}")
    phase = {"done": False}
    original = states.replica_report

    def report(node, resource):
        r = original(node, resource)
        if phase["done"] and node in ("alpha", "beta"):
            for v in r["volumes"]:
                v["disk_state"] = "UpToDate"
                for p in v["peers"].values():
                    p.update(replication_state="Established", done_percentage=100.0,
                             out_of_sync_bytes=0)
        return r
    states.replica_report = report

    def tandem_cli(*args):
        result = subprocess.run([tandem, *args], env=env, capture_output=True, text=True,
                                timeout=30)
        assert result.returncode == 0, f"tandem {' '.join(args)}: {result.stdout}{result.stderr}"

    log = open(os.path.join(tmp, "controller.log"), "w")
    process = subprocess.Popen([controller, "--rest-listen", f"127.0.0.1:{port}", "--db",
                                os.path.join(tmp, "controller.db")], stdout=log,
                               stderr=subprocess.STDOUT)
    satellites = {}
    follower = None
    try:
        wait_until(lambda: urllib.request.urlopen(base + "/health", timeout=2).status == 200, 10,
                   "the controller's /health")
        # `tandem events --follow` from the start: it must print every event the run makes.
        follower_out = open(os.path.join(tmp, "follow.jsonl"), "w+")
        follower = subprocess.Popen([tandem, "events", "--follow", "-m", "--poll-interval-ms",
                                     "50"], env=env, stdout=follower_out,
                                    stderr=subprocess.STDOUT)
        for name in ("alpha", "beta", "gamma"):
            satellites[name] = states.ScriptedSatellite(name)
            tandem_cli("n", "c", name, "127.0.0.1", "--port", str(satellites[name].port))
        for name in satellites:
            tandem_cli("sp", "c", "file", name, "pool1", os.path.join(tmp, name))
        tandem_cli("rd", "c", "vm1")
        tandem_cli("rd", "sp", "vm1", "DrbdOptions/auto-add-quorum-tiebreaker", "False")
        tandem_cli("vd", "c", "vm1", "1G")
        tandem_cli("r", "c", "alpha", "beta", "vm1", "-s", "pool1")
        tandem_cli("r", "c", "gamma", "vm1", "--diskless")

        def syncing():
            text = scrape(base + "/metrics")
            return sample(text, "tandem_volume_replication_state", node="beta",
                          replication_state="SyncTarget") == 1
        wait_until(syncing, 15, "beta reported SyncTarget")
        phase["done"] = True
        # A DrbdOptions change is part of every replica's desired state (an Aux/ property is
        # not): each scripted satellite gets a new one and reports again.
        tandem_cli("rd", "sp", "vm1", "DrbdOptions/Net/max-buffers", "8000")
        wait_until(lambda: sample(scrape(base + "/metrics"), "linstor_volume_state", node="beta")
                   == 1, 15, "beta reported UpToDate")
        text = scrape(base + "/metrics")
        promtool_check(text, "tandem-controller")
        assert sample(text, "linstor_node_state", node="alpha") == 2
        assert sample(text, "linstor_resource_definitions") == 1
        assert sample(text, "linstor_resource_definition_resources", name="vm1") == 3
        assert sample(text, "linstor_resource_state", name="vm1", node="gamma") == 1
        assert sample(text, "tandem_resource_diskless_primary", node="gamma") == 1
        assert sample(text, "linstor_volume_state", node="gamma") == 4
        assert sample(text, "linstor_storage_pool_capacity_total_bytes", node="alpha",
                      storage_pool="pool1") == states.POOL_KIB * 1024
        assert sample(text, "linstor_volume_definition_size_bytes", name="vm1") == 1 << 30
        assert sample(text, "tandem_api_request_duration_seconds_count", method="POST") >= 8
        with urllib.request.urlopen(base + "/v1/events?since=0", timeout=10) as answer:
            events = json.loads(answer.read())["events"]
        expect_in_order(events, [
            {"node": "beta", "connection": "ONLINE"},
            {"node": "beta", "resource": "vm1", "volume": 0, "disk": "Inconsistent"},
            {"node": "beta", "resource": "vm1", "peer": "alpha", "replication": "SyncTarget"},
            {"node": "beta", "resource": "vm1", "volume": 0, "disk": "UpToDate"},
            {"node": "beta", "resource": "vm1", "peer": "alpha", "replication": "Established"},
        ], "controller events (beta: SyncTarget -> UpToDate)")
        last = events[-1]["seq"]
        with urllib.request.urlopen(f"{base}/v1/events?since={last}", timeout=10) as answer:
            assert json.loads(answer.read())["events"] == [], "since= skips what was seen"
        check_events_cli(tandem, env, events, follower, follower_out)
        print("ok    tandem-controller: /metrics and /v1/events follow the satellites' reports")
    finally:
        if follower is not None and follower.poll() is None:
            follower.kill()
            follower.wait(timeout=10)
        for satellite in satellites.values():
            satellite.close()
        process.terminate()
        process.wait(timeout=10)
        log.close()


def check_events_cli(tandem, env, events, follower, follower_out):
    """`tandem events`: the table lines, -m and --since, --follow, and a bad argument."""
    def run(*args, rc=0):
        result = subprocess.run([tandem, *args], env=env, capture_output=True, text=True,
                                timeout=30)
        assert result.returncode == rc, f"tandem {' '.join(args)}: rc {result.returncode}\n" \
            f"{result.stdout}{result.stderr}"
        return result
    lines = run("events").stdout.splitlines()
    assert len(lines) == len(events), f"{len(lines)} lines for {len(events)} events"
    sync = next(e for e in events if e.get("replication") == "SyncTarget")
    line = lines[sync["seq"] - 1]
    assert re.fullmatch(rf"{sync['seq']} \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z change "
                        r"node:beta resource:vm1 volume:0 peer:alpha replication:SyncTarget "
                        r"\(was -\)", line), line
    later = [json.loads(x) for x in run("events", "-m", "--since", str(sync["seq"])).stdout
             .splitlines()]
    assert [e["seq"] for e in later] == [e["seq"] for e in events if e["seq"] > sync["seq"]]
    assert "--since" in run("events", "--since", "yesterday", rc=2).stderr
    # The follower printed the same events, in order, as they came.
    wait_until(lambda: len(open(follower_out.name).read().splitlines()) >= len(events), 10,
               "tandem events --follow caught up")
    assert follower.poll() is None, "tandem events --follow exited"
    followed = [json.loads(x) for x in open(follower_out.name).read().splitlines()]
    assert followed[:len(events)] == events, f"followed {followed}\nREST {events}"
    follower.terminate()
    follower.wait(timeout=10)
    print(f"ok    tandem events: {len(lines)} lines, --since, -m and --follow agree with REST")


def tsdb_values(db, selector):
    """[(timestamp_ms, value)] of one series from a TSDB directory, through `promtool tsdb dump`."""
    result = subprocess.run(["promtool", "tsdb", "dump", f"--match={selector}", db],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"promtool tsdb dump {selector}: {result.stderr}"
    series = {line.rsplit("} ", 1)[0] for line in result.stdout.splitlines()}
    assert len(series) == 1, f"{selector}: {len(series)} series"
    return [(int(line.split()[-1]), float(line.split()[-2])) for line in result.stdout.splitlines()]


def case_sim(tmp):
    """tandem-sim --metrics-out: the file imports into a Prometheus TSDB, and the imported values
    tell the scenario's story (n2 cut off, 40 blocks out of sync, a resync, in sync again)."""
    path = os.path.join(tmp, "sim.om")
    sim = subprocess.run([tandem_cluster.binary("tandem-sim"), "run",
                          os.path.join(ROOT, "scenarios/resync-after-disconnect.toml"),
                          "--metrics-out", path, "--metrics-interval-ms", "1"],
                         capture_output=True, text=True, timeout=120)
    assert sim.returncode == 0, sim.stdout + sim.stderr
    db = os.path.join(tmp, "sim-tsdb")
    result = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", path, db],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"create-blocks-from openmetrics: {result.stdout}{result.stderr}"
    os.makedirs(os.path.join(db, "wal"), exist_ok=True)  # tsdb dump wants one, blocks suffice
    with open(path) as f:
        families = {line.split()[2] for line in f if line.startswith("# TYPE ")}
    # The same names as a real tandemd (OpenMetrics drops a counter's _total in TYPE), apart from
    # the simulated network's own counters (tandem_sim_link_*, docs/metrics.md), which only the
    # simulator has; they must be there.
    sim_only = {n for n in families if n.startswith("tandem_sim_link_")}
    assert "tandem_sim_link_retransmissions" in sim_only, sorted(families)
    unknown = sorted(n for n in families - sim_only
                     if n not in produced and n + "_total" not in produced)
    assert not unknown, f"tandem-sim writes families tandemd does not: {unknown}"
    pd = 'name="resync-after-disconnect",node="n0",conn_name="n2",volume="0"'
    out_of_sync = tsdb_values(db, "drbd_peerdevice_outofsync_bytes{" + pd + "}")
    resynced = tsdb_values(db, "tandem_peerdevice_resynced_bytes{" + pd + "}")
    connected = tsdb_values(db, 'drbd_connection_state{name="resync-after-disconnect",node="n0",'
                                'conn_name="n2",drbd_connection_state="Connected"}')
    source = tsdb_values(db, "drbd_peerdevice_replication_state{" + pd +
                         ',drbd_peerdevice_replication_state="SyncSource"}')
    start_ms = 1_700_000_000_000  # tandem-sim's default --metrics-start-ms
    # Isolated at 50 ms, rejoined at 200 ms (the scenario's timeline).
    assert dict(connected)[start_ms + 40] == 1 and dict(connected)[start_ms + 100] == 0
    assert max(v for _, v in out_of_sync) >= 38 * BLOCK, out_of_sync
    assert any(v == 1 for _, v in source), "no SyncSource sample"
    assert out_of_sync[-1][1] == 0 and connected[-1][1] == 1
    # n2 pulls from the Secondary n1 until the Primary n0's handshake completes, then from n0: the
    # blocks n0 marked reach n2 from the two of them together.
    from_n1 = tsdb_values(db, "tandem_peerdevice_resynced_bytes{" + pd.replace('node="n0"',
                                                                             'node="n1"') + "}")
    from_both = resynced[-1][1] + (from_n1[-1][1] if from_n1 else 0)
    assert from_both == max(v for _, v in out_of_sync), (resynced[-1], from_n1[-1:], out_of_sync)
    print(f"ok    tandem-sim --metrics-out: {len(families)} families, imported by promtool, "
          f"resync of {int(from_both) // BLOCK} blocks visible")


def case_dashboard():
    with open(os.path.join(ROOT, "engine/metrics/grafana/tandem.json")) as f:
        dashboard = json.load(f)
    with open(os.path.join(ROOT, "docs/metrics.md")) as f:
        documented = set(re.findall(r"`([a-z_]+)(?:\{[^`]*\})?`", f.read()))
    for key in ("title", "uid", "panels", "schemaVersion", "time"):
        assert key in dashboard, f"dashboard lacks {key}"
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 30
    functions = {"sum", "by", "count", "rate", "deriv", "histogram_quantile", "vector", "or",
                 "le", "node", "name", "conn_name", "method", "without", "and", "unless"}
    used = set()
    ids = set()
    for panel in dashboard["panels"]:
        for key in ("id", "type", "title", "gridPos"):
            assert key in panel, f"panel {panel.get('title')} lacks {key}"
        assert panel["id"] not in ids, f"duplicate panel id {panel['id']}"
        ids.add(panel["id"])
        for target in panel.get("targets", []):
            expr = re.sub(r'\{[^}]*\}|"[^"]*"|\[[^\]]*\]', "", target["expr"])
            for word in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
                if word not in functions and "_" in word:
                    used.add(re.sub(r"_(bucket|sum|count)$", "", word)
                             if word.endswith(("_bucket",)) else word)
    unknown = sorted(n for n in used if n not in produced)
    assert not unknown, f"dashboard uses metrics no exporter produced: {unknown}"
    undocumented = sorted(n for n in produced if n not in documented)
    assert not undocumented, f"docs/metrics.md does not list {undocumented}"
    print(f"ok    dashboard: {len(dashboard['panels'])} panels, {len(used)} metric names, "
          "all produced by the exporters and documented")


def main():
    if shutil.which("promtool") is None:
        print("SKIP: promtool missing (Debian package prometheus; scripts/deps installs it)")
        return SKIP
    for name in ("tandemd", "tandemadm", "tandem-controller", "tandem", "tandem-sim"):
        if not os.path.exists(os.path.join(tandem_cluster.BIN_DIR, name)):
            print(f"SKIP: {name} not built in {tandem_cluster.BIN_DIR}")
            return SKIP
    case_tandemd()
    with tempfile.TemporaryDirectory(prefix="tandem-observability-") as tmp:
        case_controller(tmp)
        case_sim(tmp)
    case_dashboard()
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
