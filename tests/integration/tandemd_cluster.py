#!/usr/bin/env python3
"""Integration tests of real tandemd processes on loopback addresses.

usage: tandemd_cluster.py replicate|resync|crash [cycles]|disk-failure|hostile-peers|membership|
       auto-promote|verify-invalidate|resync-rate|resize|power-cut [cycles]|
       power-cut-secondary [cycles]
Each case starts its own cluster under a temporary directory and removes it afterwards; a failure
prints the daemons' last log lines. Every loop and wait is bounded.
"""
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from tandem_cluster import BLOCK, Cluster, NbdClient, pattern, wait_until  # noqa: E402


# Each case owns a 127.0.<net>.0/24, so ctest can run the cases in parallel.
NETS = {"replicate": 31, "resync": 32, "crash": 33, "disk-failure": 34, "hostile-peers": 35,
        "membership": 36, "auto-promote": 37, "verify-invalidate": 45, "resync-rate": 48,
        "resize": 53, "power-cut": 54, "power-cut-secondary": 55}


def qemu_io(uri, *commands, timeout=60):
    args = ["qemu-io", "-f", "raw"]
    for c in commands:
        args += ["-c", c]
    result = subprocess.run(args + [uri], capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or "error" in result.stdout.lower() or "fail" in result.stdout.lower():
        raise AssertionError(f"qemu-io {commands} on {uri}: {result.stdout}{result.stderr}")
    return result.stdout


def case_replicate():
    """3 nodes: a real client writes through NBD on n0; every backing file holds the bytes at
    offset 0; then the 'VM migrates': n1 reads and writes through its own export."""
    cluster = Cluster(nodes=3, net=NETS["replicate"])
    try:
        cluster.create()
        cluster.start()
        cluster.wait_connected()
        n0, n1, n2 = cluster.nodes
        qemu_io(n0.nbd_uri, "write -P 0x5a 0 4M", "write -P 0xa5 8M 512", "flush")
        expected = b"\x5a" * (4 << 20)
        for node in cluster.nodes:
            assert node.read_disk(0, 4 << 20) == expected, f"{node.name}: data differs at 0..4M"
            assert node.read_disk(8 << 20, 512) == b"\xa5" * 512, f"{node.name}: sub-block write"
        # The client disconnected: n0 demoted itself (auto-promote), so n1 can take over.
        wait_until(lambda: n0.status()["role"] == "Secondary", 10, "n0 to demote", cluster)
        qemu_io(n1.nbd_uri, "read -P 0x5a 0 4M", "write -P 0x77 12M 64k")
        for node in cluster.nodes:
            assert node.read_disk(12 << 20, 65536) == b"\x77" * 65536, node.name
        print("replicate: 3 replicas hold identical bytes; n1 took over after n0 demoted")
    finally:
        cluster.cleanup(keep=keep_on_failure())


class CountingProxy:
    """Forwards one TCP port to another and counts the bytes in each direction."""

    def __init__(self, listen, target):
        self.target = target
        self.server = socket.create_server(listen, reuse_port=False)
        self.server.settimeout(0.2)
        self.to_client_bytes = 0  # target -> dialer
        self.lock = threading.Lock()
        self.stopped = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopped:
            try:
                client, _ = self.server.accept()
            except socket.timeout:
                continue
            except OSError:  # stop() closed the listening socket
                break
            try:
                upstream = socket.create_connection(self.target, timeout=2)
            except OSError:
                client.close()
                continue
            for a, b, count in ((client, upstream, False), (upstream, client, True)):
                threading.Thread(target=self.pump, args=(a, b, count), daemon=True).start()

    def pump(self, source, sink, count):
        try:
            while not self.stopped:
                data = source.recv(65536)
                if not data:
                    break
                if count:
                    with self.lock:
                        self.to_client_bytes += len(data)
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        self.stopped = True
        self.server.close()


def write_while_disconnected(cluster, rng, count):
    """Disconnects n0 from n1 and writes `count` random blocks through n0's NBD
    export, each block's generation-1 pattern; returns the blocks, all dirty toward n1."""
    n0 = cluster.nodes[0]
    n0.adm("disconnect", "r0", "n1")
    wait_until(lambda: n0.status()["connections"][0]["connection-state"] == "StandAlone", 10,
               "n0 StandAlone toward n1", cluster)
    blocks = rng.sample(range(cluster.usable_bytes() // BLOCK), count)
    client = NbdClient(n0.address, n0.nbd_port, "r0")
    for b in blocks:
        assert client.write(b * BLOCK, pattern(b, 1)) == 0
    assert client.flush() == 0
    client.close()
    return blocks


def case_resync():
    """n1 reaches n0 through a counting proxy. While disconnected, n0 writes 100 distinct blocks;
    after reconnecting, the bytes n0 sends to n1 are the dirty blocks, not the 63 MiB volume."""
    net = NETS["resync"]
    proxy_address = (f"127.0.{net}.100", 7100)
    cluster = Cluster(nodes=2, net=net, peer_address_override={1: {0: proxy_address}})
    proxy = CountingProxy(proxy_address, (cluster.nodes[0].address, 7000))
    try:
        cluster.create()
        cluster.start()
        cluster.wait_connected()
        n0, n1 = cluster.nodes
        blocks = write_while_disconnected(cluster, random.Random(7), 100)
        oos = n0.status()["connections"][0]["peer-devices"][0]["out-of-sync-bytes"]
        assert oos == 100 * BLOCK, f"n0 reports {oos} out-of-sync bytes, expected {100 * BLOCK}"
        before = proxy.to_client_bytes
        n0.adm("connect", "r0", "n1")
        cluster.wait_connected(timeout=30)
        cluster.wait_uptodate()
        moved = proxy.to_client_bytes - before
        assert 100 * BLOCK <= moved < 100 * BLOCK + 256 * 1024, \
            f"resync moved {moved} bytes for 100 dirty blocks"
        for b in blocks:
            assert n1.read_disk(b * BLOCK, BLOCK) == pattern(b, 1), f"block {b} not resynced"
        print(f"resync: 100 dirty blocks ({100 * BLOCK} bytes), the wire carried {moved} bytes "
              f"from n0 to n1 (volume {cluster.usable_bytes()} bytes)")
    finally:
        proxy.stop()
        cluster.cleanup(keep=keep_on_failure())


def case_resync_rate():
    """With c-max-rate = 250 KiB/s (DRBD's lowest), a resync of 1 MiB takes at least ~4 s: tandemd
    drives the core's resync rate timer on real time. Every block still arrives."""
    cluster = Cluster(nodes=2, net=NETS["resync-rate"],
                      options={"c-max-rate": 250, "c-fill-target": 10000})
    try:
        cluster.create()
        cluster.start()
        cluster.wait_connected()
        n0, n1 = cluster.nodes
        blocks = write_while_disconnected(cluster, random.Random(8), 256)
        started = time.monotonic()
        n0.adm("connect", "r0", "n1")
        cluster.wait_connected(timeout=30)
        cluster.wait_uptodate(timeout=60)
        elapsed = time.monotonic() - started
        assert elapsed >= 3.5, f"1 MiB at 250 KiB/s resynced in {elapsed:.1f} s"
        for b in blocks:
            assert n1.read_disk(b * BLOCK, BLOCK) == pattern(b, 1), f"block {b} not resynced"
        print(f"resync-rate: 1 MiB at c-max-rate 250 KiB/s took {elapsed:.1f} s")
    finally:
        cluster.cleanup(keep=keep_on_failure())


def case_crash(cycles):
    """SIGKILL the Primary's tandemd in the middle of a write workload, `cycles` times. Every
    acknowledged write must be on the surviving replica (a write cut short by the kill may or may
    not be); after the restart and resync both replicas match."""
    cluster = Cluster(nodes=2, size_mib=32, net=NETS["crash"])
    rng = random.Random(11)
    acked = {}  # block -> generation of its last acknowledged write
    unsure = {}  # block -> generations written after it but cut short by a kill
    acked_in = {}  # block -> the cycle that acknowledged it (for the message)
    try:
        cluster.create()
        cluster.start()
        cluster.wait_connected()
        n0, n1 = cluster.nodes
        block_count = cluster.usable_bytes() // BLOCK
        generation = 0
        for cycle in range(cycles):
            client = NbdClient(n0.address, n0.nbd_port, "r0")
            killer = threading.Timer(rng.uniform(0.2, 0.6), n0.kill)
            killer.start()
            # Bounded: at most 5000 writes per cycle; the kill ends it sooner.
            for _ in range(5000):
                generation += 1
                b = rng.randrange(block_count)
                try:
                    ok = client.write(b * BLOCK, pattern(b, generation)) == 0
                except (ConnectionError, OSError, AssertionError, struct.error):
                    ok = False
                if not ok:
                    unsure.setdefault(b, set()).add(generation)
                    break
                acked[b] = generation
                acked_in[b] = cycle
                unsure.pop(b, None)
            killer.join()
            client.sock.close()
            # The survivor holds every acknowledged write (protocol C).
            for b, g in acked.items():
                got = n1.read_disk(b * BLOCK, BLOCK)
                allowed = [pattern(b, g)] + [pattern(b, u) for u in unsure.get(b, ())]
                if got not in allowed:
                    held = struct.unpack(">QQ", got[:16])
                    raise AssertionError(
                        f"cycle {cycle}: block {b} generation {g} (acknowledged in cycle "
                        f"{acked_in[b]}) lost: n1 holds (block, generation) {held}")
            n0.start()
            cluster.wait_connected(timeout=30)
            cluster.wait_uptodate(timeout=60)
        with open(n0.disk, "rb") as a, open(n1.disk, "rb") as b:
            usable = cluster.usable_bytes()
            assert a.read(usable) == b.read(usable), "replicas differ after the last resync"
        print(f"crash: {cycles} SIGKILLs of the Primary, {len(acked)} blocks acknowledged, none lost;"
              f" replicas identical")
    finally:
        cluster.cleanup(keep=keep_on_failure())


def case_power_cut(cycles, victim_index=0):
    """A node (the Primary, n0, or with victim_index 1 the Secondary) loses its power in the middle
    of a write workload on n0, `cycles` times: its disks
    model a volatile write cache (volatile-write-cache), so every write no flush made durable is
    lost, metadata included, and tandemd dies at once. SIGKILL cannot test that (the page cache
    survives the process). A block device promises only what a FLUSH covered: every write
    acknowledged before the last acknowledged FLUSH must be on both replicas after the restart and
    resync, a later one may be there or not, and the replicas must be identical. The activity
    log, committed and flushed before the writes it covers, is what makes the resync take the
    crashed Primary's hot extents (DRBD's crashed-primary rule). On the Secondary, what it
    acknowledged must have been on stable storage already: the Primary counts it as in sync."""
    # 7 activity-log extents over the 8 of the volume: extents leave and enter the AL all the
    # time, so AL transactions are written between the (rare) flushes too.
    name = "power-cut" if victim_index == 0 else "power-cut-secondary"
    cluster = Cluster(nodes=2, size_mib=32, net=NETS[name],
                      options={"volatile-write-cache": True, "al-extents": 7})
    rng = random.Random(23)
    durable = {}      # block -> generation a FLUSH covered (or found on disk after a cycle)
    since_flush = {}  # block -> generations written (acknowledged or not) after the last FLUSH
    lost_records = 0
    flushes = 0
    try:
        cluster.create()
        cluster.start()
        cluster.wait_connected()
        n0, n1 = cluster.nodes
        block_count = cluster.usable_bytes() // BLOCK
        generation = 0
        for cycle in range(cycles):
            client = NbdClient(n0.address, n0.nbd_port, "r0")
            victim = cluster.nodes[victim_index]
            cut = threading.Timer(rng.uniform(0.2, 0.5),
                                  lambda: victim.adm("power-cut", check=False))
            cut.start()
            latest = {}  # acknowledged since the last FLUSH
            for _ in range(5000):  # bounded; the power cut ends it sooner
                generation += 1
                b = rng.randrange(block_count)
                since_flush.setdefault(b, set()).add(generation)
                try:
                    if client.write(b * BLOCK, pattern(b, generation)) != 0:
                        break
                    latest[b] = generation
                    if generation % 200 == 0:
                        if client.flush() != 0:
                            break
                        durable.update(latest)
                        latest.clear()
                        since_flush.clear()
                        flushes += 1
                except (ConnectionError, OSError, AssertionError, struct.error):
                    break
            cut.join()
            client.sock.close()
            wait_until(lambda: not victim.alive(), 10, "the power cut", cluster)
            lost_records += int(victim.log_tail(5).split("power cut: ")[-1].split()[0])
            victim.kill()  # reaps the process, removes its socket
            victim.start()
            cluster.wait_connected(timeout=30)
            cluster.wait_uptodate(timeout=60)
            zero = bytes(BLOCK)
            for b in set(durable) | set(since_flush):
                allowed = {pattern(b, g) for g in since_flush.get(b, ())}
                allowed.add(pattern(b, durable[b]) if b in durable else zero)
                got = n0.read_disk(b * BLOCK, BLOCK)
                if got not in allowed:
                    held = struct.unpack(">QQ", got[:16])
                    raise AssertionError(
                        f"cycle {cycle}: block {b}: flushed generation {durable.get(b)} lost, "
                        f"n0 holds (block, generation) {held}")
                if n1.read_disk(b * BLOCK, BLOCK) != got:
                    raise AssertionError(f"cycle {cycle}: block {b} differs between n0 and n1")
                if got != zero:
                    durable[b] = struct.unpack(">QQ", got[:16])[1]
            since_flush.clear()
        with open(n0.disk, "rb") as a, open(n1.disk, "rb") as b:
            usable = cluster.usable_bytes()
            assert a.read(usable) == b.read(usable), "replicas differ after the last resync"
        role = "Primary" if victim_index == 0 else "Secondary"
        print(f"{name}: {cycles} power cuts of the {role} ({lost_records} unflushed write "
              f"records lost with them, {flushes} flushes), no flushed write lost; replicas "
              f"identical")
    finally:
        cluster.cleanup(keep=keep_on_failure())


def case_disk_failure():
    """The Primary's disk fails under a write workload: it detaches and keeps serving its client
    through the peer; the data is on the peer."""
    cluster = Cluster(nodes=2, net=NETS["disk-failure"])
    try:
        cluster.create()
        cluster.start()
        cluster.wait_connected()
        n0, n1 = cluster.nodes
        client = NbdClient(n0.address, n0.nbd_port, "r0")
        for b in range(50):
            assert client.write(b * BLOCK, pattern(b, 1)) == 0
        n0.adm("inject-fault", "r0", "0", "on")
        for b in range(50, 150):
            assert client.write(b * BLOCK, pattern(b, 2)) == 0, f"write {b} after disk failure"
        for b in range(150):
            assert client.read(b * BLOCK, BLOCK) == pattern(b, 1 if b < 50 else 2), b
        client.close()
        disk = n0.status()["devices"][0]["disk-state"]
        assert disk in ("Diskless", "Failed"), f"n0 disk state {disk} after the failure"
        for b in range(50, 150):
            assert n1.read_disk(b * BLOCK, BLOCK) == pattern(b, 2), f"n1 lacks block {b}"
        print(f"disk-failure: n0 detached ({disk}) and served 100 writes and 150 reads via n1")
    finally:
        cluster.cleanup(keep=keep_on_failure())


def case_hostile_peers():
    """A node with the wrong secret is refused; garbage on the replication and NBD ports does not
    crash tandemd."""
    cluster = Cluster(nodes=2, net=NETS["hostile-peers"])
    try:
        cluster.create()
        # n1 gets a different secret than n0.
        with open(os.path.join(cluster.nodes[1].dir, "r0.toml")) as f:
            text = f.read().replace(cluster.secret, "not-the-secret")
        with open(os.path.join(cluster.nodes[1].dir, "r0.toml"), "w") as f:
            f.write(text)
        cluster.start()
        n0, n1 = cluster.nodes
        # The dialer (n1) checks the acceptor's proof first, so it is the one that refuses.
        wait_until(lambda: n1.status()["connections"][0]["auth-failures"] > 0, 15,
                   "n1 to refuse n0's proof", cluster)
        assert n0.status()["connections"][0]["connection-state"] != "Connected"
        assert n1.status()["connections"][0]["connection-state"] != "Connected"
        with open(n1.log_path) as f:
            assert "wrong shared secret" in f.read(), "the refusal is not logged"
        rng = random.Random(3)
        for port in (7000, n0.nbd_port):
            for size in (1, 7, 64, 4096, 70000):
                s = socket.create_connection((n0.address, port), timeout=5)
                try:
                    s.sendall(bytes(rng.randrange(256) for _ in range(size)))
                    s.settimeout(2)
                    s.recv(4096)
                except OSError:
                    pass
                s.close()
        assert n0.alive() and n1.alive(), "a daemon died on hostile input"
        n0.status()
        print("hostile-peers: wrong secret refused and logged; garbage on both ports survived")
    finally:
        cluster.cleanup(keep=keep_on_failure())


def case_membership():
    """Live adjust under I/O: n0 is Primary with an NBD writer; the resource files add n3 (a
    brand-new, empty replica) and then drop n2, and `tandemadm adjust` runs on every node while the
    writer goes on. No write may fail, n3 must sync to UpToDate, and every acknowledged block must
    read back from n3's disk."""
    cluster = Cluster(nodes=4, size_mib=32, net=NETS["membership"],
                      options={"quorum": "majority"})
    everyone = list(cluster.nodes)
    n0, n1, n2, n3 = everyone

    def write_files(members, on):
        cluster.nodes = members
        try:
            for node in on:
                with open(os.path.join(node.dir, "r0.toml"), "w") as f:
                    f.write(cluster.resource_file(node))
        finally:
            cluster.nodes = everyone

    def adjust(node, expect):
        answer = node.adm("adjust", "r0").stdout + node.adm("status", "r0").stdout
        assert expect in answer, f"adjust on {node.name}: {answer!r}"

    acked = {}  # block -> generation of its last acknowledged write
    errors = []
    stop = threading.Event()
    counts = {"writes": 0}

    def writer():
        rng = random.Random(36)
        client = NbdClient(n0.address, n0.nbd_port, "r0")
        block_count = cluster.usable_bytes() // BLOCK
        # Bounded: 200000 writes at most; the main thread stops it much sooner.
        for generation in range(1, 200_001):
            if stop.is_set():
                break
            b = rng.randrange(block_count)
            try:
                error = client.write(b * BLOCK, pattern(b, generation))
            except (ConnectionError, OSError, AssertionError, struct.error) as e:
                errors.append(f"write {generation} block {b}: {e}")
                break
            if error != 0:
                errors.append(f"write {generation} block {b}: NBD error {error}")
                continue
            acked[b] = generation
            counts["writes"] += 1
        client.flush()
        client.close()

    try:
        cluster.nodes = everyone[:3]
        cluster.create()
        cluster.start()
        cluster.wait_connected()
        cluster.nodes = everyone
        thread = threading.Thread(target=writer)
        thread.start()
        wait_until(lambda: counts["writes"] >= 200, 30, "the writer to get going", cluster)
        assert n0.status()["role"] == "Primary"

        # Step 1: n3 joins. Its metadata is fresh (no day-0 generation): it must be fully synced.
        with open(n3.disk, "wb") as f:
            f.truncate(cluster.size_bytes)
        write_files(everyone, everyone)
        n3.adm("create-md", "r0")
        before = counts["writes"]
        for node in (n0, n1, n2):
            adjust(node, "adjusted live: added peer n3")
        n3.start()
        wait_until(lambda: n3.status()["devices"][0]["disk-state"] == "UpToDate", 120,
                   "n3 to sync to UpToDate", cluster)
        during_add = counts["writes"] - before

        # Step 2: n2 leaves (as `r d` would: the others adjust, n2 goes down).
        write_files([n0, n1, n3], [n0, n1, n3, n2])
        before = counts["writes"]
        for node in (n0, n1, n3):
            adjust(node, "adjusted live: removed peer n2")
        refused = n2.adm("adjust", "r0", check=False)
        assert refused.returncode == 1 and "no longer lists this node" in refused.stderr, refused
        n2.adm("down", "r0")
        n2.stop()
        time.sleep(1.0)  # writes go on without n2
        during_remove = counts["writes"] - before
        again = n0.adm("adjust", "r0").stdout
        assert "matches its file" in again, again
        # A change that is not about peers still needs an idle resource: refused, naming it.
        cluster.protocol = "B"
        write_files([n0, n1, n3], [n0])
        cluster.protocol = "C"
        refused = n0.adm("adjust", "r0", check=False)
        assert refused.returncode == 1 and "(protocol)" in refused.stderr, refused
        write_files([n0, n1, n3], [n0])
        # Options apply live, on the Primary under I/O too (DRBD's adjust of resource, net and
        # disk options).
        cluster.options["after-sb-0pri"] = "discard-younger-primary"
        cluster.options["on-io-error"] = "pass_on"
        write_files([n0, n1, n3], [n0, n1, n3])
        for node in (n0, n1, n3):
            adjust(node, "adjusted live: options after-sb-0pri; on-io-error")
        again = n0.adm("adjust", "r0").stdout
        assert "matches its file" in again, again

        stop.set()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the writer hung"
        assert not errors, f"I/O errors during adjust: {errors[:5]}"
        status = n0.status()
        peers = sorted(c["peer-node-id"] for c in status["connections"])
        assert peers == [1, 3], f"n0 still has peers {peers}"
        assert all(d["quorum"] for d in status["devices"]), "n0 lost quorum"
        for c in status["connections"]:
            assert c["connection-state"] == "Connected", c
        wait_until(lambda: n3.status()["devices"][0]["disk-state"] == "UpToDate", 60,
                   "n3 UpToDate after the writer stopped", cluster)
        for b, g in acked.items():
            got = n3.read_disk(b * BLOCK, BLOCK)
            if got != pattern(b, g):
                held = struct.unpack(">QQ", got[:16])
                raise AssertionError(f"block {b} generation {g} missing on n3: holds {held}")
        with open(n0.disk, "rb") as a, open(n3.disk, "rb") as c:
            usable = cluster.usable_bytes()
            assert a.read(usable) == c.read(usable), "n0 and n3 differ"
        print(f"membership: {counts['writes']} writes acknowledged, 0 errors; {during_add} during "
              f"the add and n3's full sync, {during_remove} during n2's removal; {len(acked)} "
              f"blocks read back from n3; n0 and n3 identical")
    finally:
        stop.set()
        cluster.nodes = everyone
        cluster.cleanup(keep=keep_on_failure())


def case_auto_promote():
    """A VM migrates while its old node still holds the volume: the new node's writable open
    waits (DRBD's auto-promote-timeout) and gets write access once the old writer leaves, instead
    of a read-only device."""
    cluster = Cluster(nodes=2, net=NETS["auto-promote"])
    try:
        cluster.create()
        cluster.start()
        cluster.wait_connected()
        n0, n1 = cluster.nodes
        old = NbdClient(n0.address, n0.nbd_port, cluster.resource)
        assert old.write(0, pattern(0, 1)) == 0
        opened = {}

        def open_on_n1():
            started = time.monotonic()
            opened["client"] = NbdClient(n1.address, n1.nbd_port, cluster.resource)
            opened["waited_s"] = time.monotonic() - started
        opener = threading.Thread(target=open_on_n1)
        opener.start()
        time.sleep(0.5)
        assert "client" not in opened, "n1 granted the export while n0 was still Primary"
        old.close()
        opener.join(timeout=10)
        new = opened["client"]
        read_only = bool(new.transmission_flags & 2)  # NBD_FLAG_READ_ONLY
        assert not read_only, "n1 got the export read-only although n0 demoted in time"
        assert new.write(4096, pattern(1, 2)) == 0, "write on n1 after the migration failed"
        assert new.read(0, 4096) == pattern(0, 1)
        new.close()
        print(f"auto-promote: n1's open waited {opened['waited_s']:.2f} s for n0 to demote, "
              f"then got write access")
        # Nobody leaves: after the timeout the second opener gets the device read-only.
        holder = NbdClient(n0.address, n0.nbd_port, cluster.resource)
        started = time.monotonic()
        late = NbdClient(n1.address, n1.nbd_port, cluster.resource)
        waited = time.monotonic() - started
        assert late.transmission_flags & 2, "two writers: the second must be read-only"
        assert 1.5 < waited < 10, f"the refused open returned after {waited:.2f} s"
        # Nor can a resource be taken down under its clients, even a read-only one (their
        # sessions point into it).
        refused = n1.adm("down", cluster.resource, check=False)
        assert refused.returncode == 1 and "held open by 1 NBD client" in refused.stderr, \
            refused.stderr
        late.close()
        holder.close()
        print(f"auto-promote: with n0 still writing, n1 got read-only after {waited:.2f} s")
    finally:
        cluster.cleanup(keep=keep_on_failure())


def case_verify_invalidate():
    """2 nodes: after writes through n0, block 0 of n1's backing file is overwritten behind
    tandemd's back. `tandemadm verify` on n0 reports it out of sync (and repairs nothing); then
    `tandemadm invalidate` on n1 resyncs n1 fully from n0, after which block 0 is right again.
    Then n1 detaches its disk (Diskless, reads through n0) while n0 writes, and attaches it again:
    a full sync brings it the blocks it missed."""
    cluster = Cluster(nodes=2, size_mib=16, net=NETS["verify-invalidate"])
    try:
        cluster.create()
        cluster.start()
        cluster.wait_connected()
        n0, n1 = cluster.nodes
        client = NbdClient(n0.address, n0.nbd_port, "r0")
        for b in range(64):
            assert client.write(b * BLOCK, pattern(b, 3)) == 0
        assert client.flush() == 0
        client.close()
        assert n1.read_disk(0, BLOCK) == pattern(0, 3), "n1 lacks the write before the test"
        # Bit rot on n1: a direct write to its backing file, synced, that tandemd never saw.
        fd = os.open(n1.disk, os.O_WRONLY)
        try:
            os.pwrite(fd, b"\xee" * BLOCK, 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        volume_bytes = cluster.usable_bytes()

        def peer_device(node):
            return node.status()["connections"][0]["peer-devices"][0]

        n0.adm("verify", "r0")
        wait_until(lambda: peer_device(n0)["replication-state"] == "Established" and
                   peer_device(n0)["verified-bytes"] > 0, 60, "n0's verify to end", cluster)
        pd = peer_device(n0)
        assert pd["verified-bytes"] == volume_bytes, f"verify compared {pd['verified-bytes']} bytes"
        assert pd["verify-out-of-sync-bytes"] >= BLOCK, f"verify found {pd}"
        assert pd["out-of-sync-bytes"] >= BLOCK, "the verify did not mark the block"
        assert n1.read_disk(0, BLOCK) == b"\xee" * BLOCK, "verify must not repair by itself"
        # A verify toward an unknown peer is refused with a reason.
        refused = n0.adm("verify", "r0", "n9", check=False)
        assert refused.returncode == 1 and "unknown peer" in refused.stderr, refused.stderr
        n1.adm("invalidate", "r0")
        wait_until(lambda: n1.status()["devices"][0]["disk-state"] == "UpToDate" and
                   peer_device(n1)["replication-state"] == "Established", 60,
                   "n1's full sync to end", cluster)
        assert n1.read_disk(0, BLOCK) == pattern(0, 3), "invalidate did not repair block 0"
        for b in (1, 33, 63):
            assert n1.read_disk(b * BLOCK, BLOCK) == pattern(b, 3), f"block {b} after invalidate"
        wait_until(lambda: peer_device(n0)["out-of-sync-bytes"] == 0, 10, "n0's marks cleared",
                   cluster)
        n1.adm("detach", "r0")
        wait_until(lambda: n1.status()["devices"][0]["disk-state"] == "Diskless", 10,
                   "n1 Diskless", cluster)
        client = NbdClient(n0.address, n0.nbd_port, "r0")
        for b in range(100, 110):
            assert client.write(b * BLOCK, pattern(b, 4)) == 0
        assert client.flush() == 0
        client.close()
        reader = NbdClient(n1.address, n1.nbd_port, "r0")  # served by n0
        assert reader.read(105 * BLOCK, BLOCK) == pattern(105, 4), "read through the peer"
        reader.close()
        n1.adm("attach", "r0")
        wait_until(lambda: n1.status()["devices"][0]["disk-state"] == "UpToDate" and
                   peer_device(n1)["replication-state"] == "Established", 60,
                   "n1 attached and resynced", cluster)
        for b in range(100, 110):
            assert n1.read_disk(b * BLOCK, BLOCK) == pattern(b, 4), f"block {b} after attach"
        print(f"verify-invalidate: verify found {pd['verify-out-of-sync-bytes']} bytes out of "
              f"sync in {volume_bytes}; invalidate repaired them; detach/attach kept every write")
    finally:
        cluster.cleanup(keep=keep_on_failure())


def case_resize():
    """2 diskful nodes and a diskless client: both backing files grow while the resource runs
    and a client writes; `tandemadm resize` on n0 grows the volume on every node (the metadata
    moves to the new ends), the new area is synced from n0, a new client sees the new size and
    writes at its end. The size survives a restart although the resource files still say the old
    one; `adjust` with a larger size-bytes grows it again, live."""
    cluster = Cluster(nodes=3, size_mib=32, diskless=(2,), net=NETS["resize"])
    try:
        cluster.create()
        cluster.start()
        cluster.wait_connected()
        n0, n1, n2 = cluster.nodes
        old_bytes = cluster.usable_bytes()
        client = NbdClient(n0.address, n0.nbd_port, "r0")
        for b in range(32):
            assert client.write(b * BLOCK, pattern(b, 1)) == 0
        for node in (n0, n1):
            with open(node.disk, "r+b") as f:
                f.truncate(64 << 20)
        refused = n1.adm("resize", "r0", check=False)  # n0 is Primary: it runs the resize
        assert refused.returncode == 1 and "Primary" in refused.stderr, refused.stderr
        # n1 notices its grown file within seconds; until then n0's resize is refused naming it.
        wait_until(lambda: n0.adm_ok("resize", "r0"), 15, "resize on n0", cluster)
        sizes = {node.name: node.status()["devices"][0]["size-bytes"] for node in cluster.nodes}
        new_bytes = sizes["n0"]
        assert new_bytes > (60 << 20) and len(set(sizes.values())) == 1, sizes
        for b in range(32, 40):  # the open client keeps writing below the old end
            assert client.write(b * BLOCK, pattern(b, 1)) == 0
        assert client.flush() == 0
        client.close()
        cluster.wait_connected(timeout=60)  # the new area synced to n1
        tail = new_bytes - 16 * BLOCK
        client = NbdClient(n2.address, n2.nbd_port, "r0")
        assert client.size == new_bytes, f"n2 exports {client.size} bytes, not {new_bytes}"
        for i in range(16):
            assert client.write(tail + i * BLOCK, pattern(1000 + i, 2)) == 0
        assert client.flush() == 0
        client.close()
        for node in (n0, n1):
            for b in range(40):
                assert node.read_disk(b * BLOCK, BLOCK) == pattern(b, 1), f"{node.name} block {b}"
            for i in range(16):
                assert node.read_disk(tail + i * BLOCK, BLOCK) == pattern(1000 + i, 2), \
                    f"{node.name} block {i} of the new area"
            # A block of the new area nobody wrote: n1 got n0's bytes there by the resync.
        assert n0.read_disk(old_bytes + BLOCK, BLOCK) == n1.read_disk(old_bytes + BLOCK, BLOCK)
        wait_until(lambda: n0.status()["role"] == "Secondary", 10, "n0 to demote", cluster)
        cluster.stop()
        for node in (n0, n1):
            assert not [f for f in os.listdir(node.dir) if ".grow-" in f], "a grow journal stayed"
        cluster.start()  # the files still say old_bytes
        cluster.wait_connected()
        sizes = {node.name: node.status()["devices"][0]["size-bytes"] for node in cluster.nodes}
        assert set(sizes.values()) == {new_bytes}, f"after a restart: {sizes}"
        # The operator grows it once more through the files: adjust resizes live.
        for node in (n0, n1):
            with open(node.disk, "r+b") as f:
                f.truncate(80 << 20)
        grown = new_bytes + (8 << 20)
        cluster.usable_bytes = lambda: grown
        cluster.write_resource_files()
        # Every node runs adjust (as every satellite does); one of them grows the volume for all
        # (here n0: no Primary, lowest node id), the others wait for its resize to reach them.
        waiting = n1.adm("adjust", "r0", check=False)
        assert waiting.returncode == 1 and "grows from node 0" in waiting.stderr, waiting.stderr

        def adjusted():
            ok = [node.adm_ok("adjust", "r0") for node in (n0, n1, n2)]
            return all(ok) and n1.status()["devices"][0]["size-bytes"] == grown
        wait_until(adjusted, 15, "adjust to grow", cluster)
        cluster.wait_connected(timeout=60)
        sizes = {node.name: node.status()["devices"][0]["size-bytes"] for node in cluster.nodes}
        assert set(sizes.values()) == {grown}, f"after adjust: {sizes}"
        for node in (n0, n1):
            for i in range(16):
                assert node.read_disk(tail + i * BLOCK, BLOCK) == pattern(1000 + i, 2), node.name
        print(f"resize: {old_bytes} -> {new_bytes} bytes by tandemadm resize, -> {grown} by "
              f"adjust; every write kept, the size survived a restart")
    finally:
        cluster.cleanup(keep=keep_on_failure())


def keep_on_failure():
    return os.environ.get("TANDEM_KEEP") == "1"


def main():
    case = sys.argv[1] if len(sys.argv) > 1 else ""
    cases = {"replicate": case_replicate, "resync": case_resync, "disk-failure": case_disk_failure,
             "hostile-peers": case_hostile_peers, "membership": case_membership,
             "auto-promote": case_auto_promote, "verify-invalidate": case_verify_invalidate,
             "resync-rate": case_resync_rate, "resize": case_resize,
             "crash": lambda: case_crash(int(sys.argv[2]) if len(sys.argv) > 2 else 20),
             "power-cut": lambda: case_power_cut(int(sys.argv[2]) if len(sys.argv) > 2 else 10),
             "power-cut-secondary": lambda: case_power_cut(
                 int(sys.argv[2]) if len(sys.argv) > 2 else 10, victim_index=1)}
    if case not in cases:
        raise SystemExit(__doc__)
    cases[case]()


if __name__ == "__main__":
    main()
