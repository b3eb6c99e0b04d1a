#!/usr/bin/env python3
"""Scale smoke test of the whole installation: COUNT resources (default 10) spawned through the
controller onto 3 nodes (2 replicas + tie-breaker each, 16 MiB FILE_THIN volumes); every replica
must come up UpToDate / Diskless through the satellites. Prints the time it took and the resident
memory (VmRSS) of every tandemd and tandem-satellite; run it by hand with 100 against a Release
build for the figures in the closing notes:

    TANDEM_BIN_DIR=build/bin tests/integration/satellite_scale.py 100

Exits 77 (skipped) when a binary is missing.
"""
import os
import sys
import time

import tandem_cluster

for name in ("tandemd", "tandemadm", "tandem-satellite", "tandem-controller", "tandem"):
    if not os.path.exists(os.path.join(tandem_cluster.BIN_DIR, name)):
        print(f"{name} not built in {tandem_cluster.BIN_DIR}: skipped")
        sys.exit(77)

from control_plane import Stack, wait_until  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    stack = Stack(net=42, nodes=3)
    try:
        stack.start()
        stack.register_nodes()
        idle = {p.name: rss_kib(p.pid) for n in stack.nodes for p in (n.tandemd, n.satellite)}
        stack.cli("resource-group", "create", "rg1", "--place-count", "2", "-s", "pool1")
        started = time.monotonic()
        for i in range(count):
            stack.cli("resource-group", "spawn-resources", "rg1", f"res{i:04d}", "16MiB")
        spawned_s = time.monotonic() - started

        def all_up():
            states = {}
            for r in stack.rest("GET", "/v1/view/resources"):
                volumes = r.get("volumes") or [{}]
                states[(r["name"], r["node_name"])] = volumes[0].get("state", {}).get("disk_state")
            up = sum(1 for s in states.values() if s in ("UpToDate", "Diskless"))
            return len(states) == 3 * count and up == len(states)
        wait_until(all_up, 120 + count * 3, f"{count * 3} replicas UpToDate / Diskless", stack)
        converged_s = time.monotonic() - started
        for node in stack.nodes:
            listed = node.adm("list").stdout.split()
            assert len(listed) == count, f"{node.name}: tandemd has {len(listed)} resources"
        print(f"{count} resources ({count * 3} replicas): spawned through the CLI in "
              f"{spawned_s:.1f} s, all up and reported in {converged_s:.1f} s")
        for node in stack.nodes:
            for p in (node.tandemd, node.satellite):
                print(f"  {p.name:14s} VmRSS {rss_kib(p.pid) / 1024:7.1f} MiB "
                      f"(idle before: {idle[p.name] / 1024:.1f} MiB)")
        print("satellite_scale: passed")
    finally:
        stack.cleanup(keep=os.environ.get("TANDEM_KEEP") == "1")


if __name__ == "__main__":
    main()
