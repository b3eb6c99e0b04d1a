#!/usr/bin/env python3
"""Scale check of tandem-controller: 1000 resource definitions placed on 10 nodes.

Starts the controller with a temporary database and ten protocol-speaking Python satellites on
127.0.41.2-11 (the FakeSatellite of controller_api.py), spawns N resource definitions (default
1000, 2 replicas + tie-breaker each) from a resource group, and prints the controller's RSS
(VmRSS and VmHWM from /proc) before, after the spawns and after a view, the time per spawn, and
how long listing /v1/view/resources takes. Then it restarts the controller on the same database and checks that
all definitions are back.

usage: controller_scale.py [definitions]     (exits 77 when tandem-controller is not built)
Prints one JSON line with the numbers at the end. Not a timed test: it asserts correctness only.
"""
import json
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from controller_api import (CONTROLLER, SKIP, FakeSatellite, Rest, free_port,  # noqa: E402
                            nodes_online, start_controller, wait_until)

NODES = 10


def rss_kib(pid):
    values = {}
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def cpu_s(pid):
    """User + system CPU seconds the process has used (/proc/<pid>/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    definitions = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    if not os.path.exists(CONTROLLER):
        print("tandem-controller not built: skipped")
        return SKIP
    satellites = [FakeSatellite("node%02d" % i, "127.0.41.%d" % (i + 2)) for i in range(NODES)]
    result = {"definitions": definitions, "nodes": NODES}
    ok = True
    with tempfile.TemporaryDirectory(prefix="tandem-controller-scale-") as tmp:
        db = os.path.join(tmp, "controller.sqlite")
        port = free_port()
        level = os.environ.get("TANDEM_CONTROLLER_LOG_LEVEL", "info")
        controller = start_controller(port, db, level)
        rest = Rest(port)
        try:
            for sat in satellites:
                status, _, _ = rest.call("POST", "/v1/nodes", {
                    "name": sat.name, "net_interfaces": [{"name": "default",
                                                          "address": sat.address}]})
                assert status == 201, status
                status, _, _ = rest.call("POST", "/v1/nodes/%s/storage-pools" % sat.name, {
                    "storage_pool_name": "pool1", "provider_kind": "FILE_THIN",
                    "props": {"StorDriver/StorPoolName": "/srv/" + sat.name}})
                assert status == 201, status
            wait_until(lambda: nodes_online(rest, [s.name for s in satellites]), "nodes online", 60)
            wait_until(lambda: all(p.get("free_capacity") for p in
                                   rest.call("GET", "/v1/view/storage-pools")[1]
                                   if p["provider_kind"] != "DISKLESS"), "capacities", 60)
            status, _, _ = rest.call("POST", "/v1/resource-groups", {
                "name": "scale", "select_filter": {"place_count": 2}})
            assert status == 201, status
            result["rss_before_kib"] = rss_kib(controller.pid)
            start = time.monotonic()
            cpu_start = cpu_s(controller.pid)
            for i in range(definitions):
                status, body, _ = rest.call("POST", "/v1/resource-groups/scale/spawn", {
                    "resource_definition_name": "vm-%04d" % i, "volume_sizes": [1048576]})
                if status != 201:
                    print("spawn %d failed: %d %s" % (i, status, body))
                    ok = False
                    break
            result["spawn_s"] = round(time.monotonic() - start, 2)
            result["spawn_ms_each"] = round(result["spawn_s"] * 1000 / max(definitions, 1), 2)
            result["controller_cpu_s"] = round(cpu_s(controller.pid) - cpu_start, 2)
            result["rss_after_spawns_kib"] = rss_kib(controller.pid)  # VmHWM before any view
            start = time.monotonic()
            _, resources, _ = rest.call("GET", "/v1/view/resources")
            result["view_resources_s"] = round(time.monotonic() - start, 3)
            result["resources"] = len(resources)
            time.sleep(2)  # let the satellites' status reports land
            result["rss_after_kib"] = rss_kib(controller.pid)
            ok = ok and len(resources) == 3 * definitions
            rest.close()
            controller.send_signal(signal.SIGKILL)
            controller.wait(timeout=10)
            start = time.monotonic()
            controller = start_controller(port, db, level)
            rest = Rest(port)
            _, listed, _ = rest.call("GET", "/v1/resource-definitions")
            result["restart_s"] = round(time.monotonic() - start, 2)
            ok = ok and len(listed) == definitions
            result["rss_after_restart_kib"] = rss_kib(controller.pid)
        finally:
            rest.close()
            controller.send_signal(signal.SIGTERM)
            try:
                controller.wait(timeout=10)
            except Exception:
                controller.kill()
            for sat in satellites:
                sat.stop()
        if level == "debug":
            # Where a mutation's time goes, averaged over the last 100 spawns.
            with open(db + ".log") as log:
                phases = [line for line in log if "mutation: copy" in line][-100:]
            print("".join(phases[-3:]), end="")
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
