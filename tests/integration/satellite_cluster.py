#!/usr/bin/env python3
"""Integration test of tandem-satellite: the real controller, three nodes each with a real tandemd
and a real satellite on 127.0.43.x, driven with the real `tandem` CLI.

1. A resource group with place_count 2 spawns a 64 MiB volume: two diskful replicas on FILE_THIN
   pools plus the automatic tie-breaker; day 0 (no initial sync).
2. A writer streams 4 KiB writes through NBD while every satellite AND the controller are killed
   with SIGKILL and restarted: zero I/O errors, tandemd never restarted, every acknowledged block
   reads back, the diskful replicas are byte-identical.
   A snapshot of it is restored into a new definition, which holds the same blocks.
3. The replica moves (`r c` on the tie-breaker's node, which takes the tie-breaker over and syncs
   in full; `r d` of an old one, which deletes its backing file), the data follows.
4. `rd d` removes every resource file and backing file on every node.

Exits 77 (skipped) when a binary is missing. TANDEM_KEEP=1 keeps the directory.
"""
import hashlib
import os
import sys
import threading
import time

import tandem_cluster

REQUIRED = ("tandemd", "tandemadm", "tandem-satellite", "tandem-controller", "tandem")
for name in REQUIRED:
    if not os.path.exists(os.path.join(tandem_cluster.BIN_DIR, name)):
        print(f"{name} not built in {tandem_cluster.BIN_DIR}: skipped")
        sys.exit(77)

from control_plane import BLOCK, NbdClient, Stack, pattern, wait_until  # noqa: E402

SIZE_BYTES = 64 << 20
BLOCKS = SIZE_BYTES // BLOCK
MAX_WRITES = 200_000  # the writer's hard bound


def check(condition, what, stack=None):
    if not condition:
        raise AssertionError(what + ("\n" + stack.logs() if stack else ""))
    print(f"ok: {what}", flush=True)


def sha(path, length=SIZE_BYTES):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read(length)).hexdigest()


def roles(stack, resource):
    """node -> 'diskful' | 'tie-breaker' | 'diskless' from the controller's flags."""
    out = {}
    for node, r in stack.replicas(resource).items():
        flags = r.get("flags", [])
        out[node] = ("tie-breaker" if "TIE_BREAKER" in flags else
                     "diskless" if "DRBD_DISKLESS" in flags or "DISKLESS" in flags else "diskful")
    return out


class Writer(threading.Thread):
    """Writes generation-stamped blocks through NBD until told to stop; remembers what was acked."""

    def __init__(self, node, resource):
        super().__init__(daemon=True)
        self.client = NbdClient(node.address, node.nbd_port, resource)
        self.stop_event = threading.Event()
        self.acked = {}  # block -> generation
        self.errors = []

    def run(self):
        for i in range(MAX_WRITES):
            if self.stop_event.is_set():
                break
            block = (i * 7919) % BLOCKS
            try:
                error = self.client.write(block * BLOCK, pattern(block, i + 1))
            except OSError as e:
                self.errors.append(f"write {i}: {e}")
                break
            if error:
                self.errors.append(f"write {i} to block {block}: NBD error {error}")
            else:
                self.acked[block] = i + 1
        if self.client.flush():
            self.errors.append("flush failed")


def verify(client, acked):
    for block, generation in acked.items():
        data = client.read(block * BLOCK, BLOCK)
        if data != pattern(block, generation):
            return f"block {block}: expected generation {generation}"
    return None


def main():
    stack = Stack(nodes=3, net=43)  # 127.0.43.x: controller_scale.py uses 41
    try:
        stack.start()
        stack.register_nodes()
        nodes = {n.name: n for n in stack.nodes}

        # 1. spawn
        stack.cli("resource-group", "create", "rg1", "--place-count", "2", "-s", "pool1")
        stack.cli("resource-group", "spawn-resources", "rg1", "res1", "64MiB")
        placed = roles(stack, "res1")
        diskful = sorted(n for n, r in placed.items() if r == "diskful")
        tie_breaker = [n for n, r in placed.items() if r == "tie-breaker"]
        check(len(diskful) == 2 and len(tie_breaker) == 1,
              f"spawn placed 2 diskful replicas {diskful} and a tie-breaker {tie_breaker}", stack)
        tie_breaker = tie_breaker[0]
        stack.wait_disk_states("res1", {diskful[0]: "UpToDate", diskful[1]: "UpToDate",
                                        tie_breaker: "Diskless"})
        check(True, "the satellites brought every replica up and report UpToDate/Diskless")
        for name in diskful:
            peers = nodes[name].replica("res1")["connections"]
            resynced = sum(pd.get("resynced-bytes", 0) for c in peers for pd in c["peer-devices"])
            check(resynced == 0, f"{name}: day 0, no initial sync (resynced {resynced} bytes)")
            check(os.path.exists(nodes[name].backing_file("res1")), f"{name} has its backing file")
        check(not os.path.exists(nodes[tie_breaker].backing_file("res1")),
              "the tie-breaker has no backing file")
        for node in stack.nodes:
            path = os.path.join(node.resource_dir, "res1.toml")
            with open(path) as f:
                check(f.readline().startswith("# Generated by tandem-satellite"),
                      f"{node.name}: the satellite wrote {path}")

        # 2. SIGKILL of every satellite and the controller under I/O
        # (with quorum majority the first writer needs its peers connected to promote)
        stack.wait_connected("res1")
        primary = nodes[diskful[0]]
        tandemd_pids = {n.name: n.tandemd.pid for n in stack.nodes}
        writer = Writer(primary, "res1")
        writer.start()
        wait_until(lambda: len(writer.acked) > 200, 30, "the writer to get going", stack)
        for node in stack.nodes:
            node.satellite.kill()
        stack.controller.kill()
        acked_while_down = len(writer.acked)
        time.sleep(1.0)
        check(len(writer.acked) > acked_while_down,
              "writes continue while every satellite and the controller are dead")
        stack.controller.start()
        for node in stack.nodes:
            node.satellite.start()
        wait_until(lambda: all(n["connection_status"] == "ONLINE"
                               for n in stack.rest("GET", "/v1/nodes")), 30,
                   "the satellites back ONLINE", stack)
        stack.wait_disk_states("res1", {diskful[0]: "UpToDate", diskful[1]: "UpToDate",
                                        tie_breaker: "Diskless"})
        time.sleep(0.5)
        writer.stop_event.set()
        writer.join(timeout=60)
        check(not writer.errors, f"zero I/O errors ({len(writer.acked)} distinct blocks written, "
                                 f"errors: {writer.errors[:3]})", stack)
        check({n.name: n.tandemd.pid for n in stack.nodes} == tandemd_pids,
              "no tandemd was restarted")
        check(verify(writer.client, writer.acked) is None,
              "every acknowledged block reads back on the primary")
        writer.client.close()
        wait_until(lambda: primary.replica("res1")["role"] == "Secondary", 10,
                   "the primary to demote when its writer leaves", stack)
        check(sha(nodes[diskful[0]].backing_file("res1")) == sha(nodes[diskful[1]].backing_file("res1")),
              "the two diskful replicas are byte-identical")
        for name in diskful:
            with open(nodes[name].tandemd.log_path) as f:
                check("down" not in f.read(), f"{name}: tandemd never took res1 down")

        # 2b. a snapshot, restored into a new resource definition
        stack.cli("snapshot", "create", "res1", "snap1")
        wait_until(lambda: any(s["name"] == "snap1" and "SUCCESSFUL" in s.get("flags", [])
                               for s in stack.rest("GET", "/v1/view/snapshots")), 30,
                   "snapshot snap1 to be taken on every diskful node", stack)
        check(all(any("snap1" in f for f in os.listdir(nodes[n].pool_dir)) for n in diskful),
              "snap1 exists in both diskful pools (FILE_THIN copy-on-write copies)")
        stack.cli("resource-definition", "create", "res2")
        stack.cli("snapshot", "volume-definition", "restore", "--from-resource", "res1",
                  "--from-snapshot", "snap1", "--to-resource", "res2")
        stack.cli("snapshot", "resource", "restore", "--from-resource", "res1",
                  "--from-snapshot", "snap1", "--to-resource", "res2")
        stack.wait_disk_states("res2", {diskful[0]: "UpToDate", diskful[1]: "UpToDate"})
        stack.wait_connected("res2")  # quorum majority: I/O needs the peers
        restored = NbdClient(primary.address, primary.nbd_port, "res2")
        check(verify(restored, writer.acked) is None,
              "res2, restored from snap1, holds every block res1 had acknowledged")
        restored.close()
        stack.cli("resource-definition", "delete", "res2")
        stack.cli("snapshot", "delete", "res1", "snap1")
        wait_until(lambda: not any("snap1" in f or "res2" in f for n in diskful
                                   for f in os.listdir(nodes[n].pool_dir)), 30,
                   "res2 and snap1 to be deleted from the pools", stack)
        check(True, "rd d res2 and s d snap1 removed their files")

        # 3. move a replica: the tie-breaker's node becomes diskful, the first diskful one goes
        stack.cli("resource", "create", tie_breaker, "res1", "-s", "pool1")
        stack.wait_disk_states("res1", {tie_breaker: "UpToDate"}, timeout=120)
        check(os.path.exists(nodes[tie_breaker].backing_file("res1")),
              f"{tie_breaker} took the tie-breaker over with a backing file and synced in full")
        stack.cli("resource", "delete", diskful[0], "res1")
        wait_until(lambda: not os.path.exists(nodes[diskful[0]].backing_file("res1")), 30,
                   f"{diskful[0]}'s backing file to be deleted", stack)
        # Two diskful replicas again: the controller puts a tie-breaker on the freed node, which
        # tandemd then runs without a disk.
        wait_until(lambda: roles(stack, "res1").get(diskful[0]) == "tie-breaker", 30,
                   f"a tie-breaker on {diskful[0]}", stack)
        wait_until(lambda: nodes[diskful[0]].replica("res1")["devices"][0]["disk-state"]
                   == "Diskless", 30, f"{diskful[0]} to run res1 disklessly", stack)
        check("res1" in nodes[diskful[0]].adm("list").stdout,
              f"{diskful[0]}: tandemd runs res1 again, now as a diskless tie-breaker")
        reader = NbdClient(nodes[tie_breaker].address, nodes[tie_breaker].nbd_port, "res1")
        check(verify(reader, writer.acked) is None,
              f"the data reads back on {tie_breaker}, the replica's new home")
        reader.close()

        # 3b. grow the volume while the resource runs: every satellite grows its backing file,
        # tandemd moves the metadata to the new end, adjust grows the volume live (refused until
        # every diskful node's device has grown; the satellites retry)
        before = {n: nodes[n].replica("res1")["devices"][0]["size-bytes"]
                  for n in (tie_breaker, diskful[1])}
        stack.cli("volume-definition", "set-size", "res1", "0", "96MiB")
        wait_until(lambda: all(nodes[n].replica("res1")["devices"][0]["size-bytes"] >= 96 << 20
                               for n in (tie_breaker, diskful[1], diskful[0])), 60,
                   "every replica of res1 to grow to 96 MiB", stack)
        check(True, f"vd set-size grew res1 live on every node (from {before})")
        stack.wait_disk_states("res1", {tie_breaker: "UpToDate", diskful[1]: "UpToDate"})
        reader = NbdClient(nodes[tie_breaker].address, nodes[tie_breaker].nbd_port, "res1")
        check(reader.size >= 96 << 20, f"a new client sees {reader.size} bytes")
        check(verify(reader, writer.acked) is None, "every acknowledged block survived the grow")
        reader.close()

        # 4. delete the definition
        stack.cli("resource-definition", "delete", "res1")

        def all_gone():
            for node in stack.nodes:
                if os.listdir(node.pool_dir) or os.path.exists(
                        os.path.join(node.resource_dir, "res1.toml")):
                    return False
                if "res1" in node.adm("list").stdout:
                    return False
            return True
        wait_until(all_gone, 30, "res1 to be gone from every node", stack)
        check(True, "rd d removed every resource file, backing file and replica")
        # Every change after a connection's full state was a delta that fit the satellite's copy.
        with open(stack.controller.log_path, errors="replace") as log:
            check("asks for a full state" not in log.read(),
                  "no satellite needed a resync_request", stack)
        print("satellite_cluster: passed")
    finally:
        stack.cleanup(keep=os.environ.get("TANDEM_KEEP") == "1")


if __name__ == "__main__":
    main()
