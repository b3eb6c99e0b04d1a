"""Real tandemd processes on loopback addresses, for integration tests and the demo.

Standard library only. A Cluster writes one resource file per node, runs `tandemadm create-md`,
starts one `tandemd` per node on its own 127.0.x.y address and talks to it through `tandemadm`.
Every wait is bounded; a failed wait raises with the daemons' recent log lines attached.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

BIN_DIR = os.environ.get("TANDEM_BIN_DIR", os.path.join(os.path.dirname(__file__), "../../build/bin"))
BLOCK = 4096


def binary(name):
    path = os.path.join(BIN_DIR, name)
    if not os.path.exists(path):
        raise SystemExit(f"missing binary {path} (build first, or set TANDEM_BIN_DIR)")
    return path


def kill_process(process):
    """SIGKILL and reap; returns None for the caller's handle."""
    if process and process.poll() is None:
        process.kill()
        process.wait(timeout=10)
    return None


def stop_process(process):
    """SIGTERM, SIGKILL after 15 s, reap; returns None for the caller's handle."""
    if process and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            kill_process(process)
    return None


def log_tail(path, lines):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class TandemadmMixin:
    """`tandemadm` against a node's tandemd; the node has name, admin_socket and resource_dir."""

    def adm(self, *args, check=True, timeout=20):
        env = dict(os.environ, TANDEM_ADMIN_SOCKET=self.admin_socket,
                   TANDEM_RESOURCE_DIR=self.resource_dir, TANDEM_NODE_NAME=self.name)
        result = subprocess.run([binary("tandemadm"), *args], env=env, capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"tandemadm {' '.join(args)} on {self.name} failed "
                                 f"({result.returncode}): {result.stderr.strip()}")
        return result

    def adm_ok(self, *args):
        try:
            return self.adm(*args, check=False).returncode == 0
        except subprocess.TimeoutExpired:
            return False


class Node(TandemadmMixin):
    def __init__(self, cluster, index, name, address, diskless):
        self.cluster = cluster
        self.index = index
        self.name = name
        self.address = address
        self.diskless = diskless
        self.dir = os.path.join(cluster.root, name)
        self.resource_dir = self.dir
        os.makedirs(self.dir, exist_ok=True)
        self.disk = os.path.join(self.dir, f"{cluster.resource}_00000.img")
        self.admin_socket = os.path.join(self.dir, "tandemd.sock")
        self.log_path = os.path.join(self.dir, "tandemd.log")
        self.nbd_port = 10809
        self.extra_args = []  # more tandemd options (e.g. --metrics-listen)
        self.process = None

    @property
    def nbd_uri(self):
        return f"nbd://{self.address}:{self.nbd_port}/{self.cluster.resource}"

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [binary("tandemd"), "--node-name", self.name, "--resource-dir", self.dir,
             "--admin-socket", self.admin_socket, "--nbd-listen", f"{self.address}:{self.nbd_port}",
             "--up-all", *self.extra_args], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_until(lambda: os.path.exists(self.admin_socket) and self.adm_ok("list"),
                   10, f"tandemd on {self.name} to start", self.cluster)

    def kill(self):
        """SIGKILL: no demotion, no metadata commit, like a crash of the process."""
        self.process = kill_process(self.process)
        if os.path.exists(self.admin_socket):
            os.unlink(self.admin_socket)

    def stop(self):
        self.process = stop_process(self.process)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def status(self):
        out = self.adm("status", self.cluster.resource, "--json").stdout
        return json.loads(out)["resources"][0]

    def log_tail(self, lines=15):
        return log_tail(self.log_path, lines)

    def read_disk(self, offset, length):
        with open(self.disk, "rb") as f:
            f.seek(offset)
            return f.read(length)


class Cluster:
    """One resource replicated over `nodes` tandemd processes (node i on 127.0.<net>.<i+2>)."""

    def __init__(self, nodes=2, net=None, size_mib=64, diskless=(), secret=None, protocol="C",
                 options=None, resource="r0", root=None, peer_address_override=None):
        self.resource = resource
        self.root = root or tempfile.mkdtemp(prefix="tandem-it-")
        self.size_bytes = size_mib << 20
        self.secret = secret or secrets.token_hex(16)
        self.protocol = protocol
        self.options = options or {}
        net = net if net is not None else (os.getpid() % 200) + 20
        self.nodes = [Node(self, i, f"n{i}", f"127.0.{net}.{i + 2}", i in diskless)
                      for i in range(nodes)]
        # node index -> {peer index: (address, port)}: where that node dials a peer (a proxy).
        self.peer_address_override = peer_address_override or {}

    def resource_file(self, node):
        lines = [f'name = "{self.resource}"', f'shared-secret = "{self.secret}"',
                 f'protocol = "{self.protocol}"', "[options]", "fault-injection = true",
                 "ping-int-ms = 300", "ping-timeout-ms = 1500"]
        for key, value in self.options.items():
            lines.append(f"{key} = {json.dumps(value)}")
        usable = self.usable_bytes()
        lines += ["[[volume]]", "number = 0", f"size-bytes = {usable}"]
        for other in self.nodes:
            address, port = other.address, 7000
            override = self.peer_address_override.get(node.index, {}).get(other.index)
            if override:
                address, port = override
            lines += ["[[node]]", f'name = "{other.name}"', f"node-id = {other.index}",
                      f'address = "{address}"', f"port = {port}",
                      f"diskless = {'true' if other.diskless else 'false'}"]
            if not other.diskless:
                lines.append(f'disks = ["{other.disk}"]')
        return "\n".join(lines) + "\n"

    def usable_bytes(self):
        # Internal metadata of a 64 MiB device with 7 peer slots takes well under 1 MiB.
        return self.size_bytes - (1 << 20)

    def write_resource_files(self):
        for node in self.nodes:
            with open(os.path.join(node.dir, f"{self.resource}.toml"), "w") as f:
                f.write(self.resource_file(node))

    def create(self, day0=True):
        self.write_resource_files()
        day0_uuid = secrets.token_hex(7) + "00"
        for node in self.nodes:
            if node.diskless:
                continue
            with open(node.disk, "wb") as f:
                f.truncate(self.size_bytes)
            args = ["create-md", self.resource]
            if day0:
                args += ["--day0-uuid", day0_uuid]
            node.adm(*args)

    def start(self):
        for node in self.nodes:
            node.start()

    def stop(self):
        for node in self.nodes:
            node.stop()

    def cleanup(self, keep=False):
        for node in self.nodes:
            node.kill()
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def logs(self):
        return "\n".join(f"--- {n.name} ---\n{n.log_tail()}" for n in self.nodes)

    def wait_connected(self, timeout=20):
        """Every pair of running nodes Connected and every peer device Established."""
        def connected():
            for node in self.nodes:
                if not node.alive():
                    continue
                status = node.status()
                for conn in status.get("connections", []):
                    peer = self.nodes[conn["peer-node-id"]]
                    if not peer.alive():
                        continue
                    if conn["connection-state"] != "Connected":
                        return False
                    for pd in conn.get("peer-devices", []):
                        if pd["replication-state"] != "Established":
                            return False
            return True
        wait_until(connected, timeout, "all nodes connected and established", self)

    def wait_uptodate(self, timeout=60):
        def uptodate():
            for node in self.nodes:
                if not node.alive() or node.diskless:
                    continue
                if any(d["disk-state"] != "UpToDate" for d in node.status()["devices"]):
                    return False
            return True
        wait_until(uptodate, timeout, "every diskful replica UpToDate", self)


def wait_until(predicate, timeout_s, what, cluster=None):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if predicate():
                return
        except (AssertionError, json.JSONDecodeError, KeyError, IndexError, OSError):
            pass
        if time.monotonic() > deadline:
            logs = cluster.logs() if cluster else ""
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}\n{logs}")
        time.sleep(0.1)


class NbdClient:
    """A minimal NBD client (fixed newstyle, NBD_OPT_GO, simple replies), for workloads that must
    know exactly which writes were acknowledged."""

    def __init__(self, address, port, export, timeout=10):
        self.sock = socket.create_connection((address, port), timeout=timeout)
        self.handle = 0
        magic, opt_magic, flags = struct.unpack(">QQH", self._recv(18))
        assert magic == 0x4e42444d41474943 and opt_magic == 0x49484156454F5054, "not an NBD server"
        self.sock.sendall(struct.pack(">I", 1 | 2))  # FIXED_NEWSTYLE | NO_ZEROES
        name = export.encode()
        data = struct.pack(">I", len(name)) + name + struct.pack(">H", 0)
        self.sock.sendall(struct.pack(">QII", 0x49484156454F5054, 7, len(data)) + data)
        self.size = None
        while True:
            _, _, reply, length = struct.unpack(">QIIi", self._recv(20))
            payload = self._recv(length)
            if reply == 1:  # NBD_REP_ACK
                break
            if reply == 3 and len(payload) >= 12 and struct.unpack(">H", payload[:2])[0] == 0:
                self.size, self.transmission_flags = struct.unpack(">QH", payload[2:12])
            elif reply & 0x80000000:
                raise OSError(f"NBD_OPT_GO refused: {reply:#x} {payload!r}")

    def _recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("NBD server closed the connection")
            data += chunk
        return data

    def _request(self, command, offset, length, payload=b"", flags=0):
        self.handle += 1
        self.sock.sendall(struct.pack(">IHHQQI", 0x25609513, flags, command, self.handle, offset,
                                      length) + payload)
        magic, error, handle = struct.unpack(">IIQ", self._recv(16))
        assert magic == 0x67446698 and handle == self.handle
        data = self._recv(length) if command == 0 and error == 0 else b""
        return error, data

    def write(self, offset, data, fua=False):
        return self._request(1, offset, len(data), data, flags=1 if fua else 0)[0]

    def read(self, offset, length):
        error, data = self._request(0, offset, length)
        if error:
            raise OSError(f"NBD read error {error}")
        return data

    def flush(self):
        return self._request(3, 0, 0)[0]

    def close(self):
        try:
            self.sock.sendall(struct.pack(">IHHQQI", 0x25609513, 0, 2, 0, 0, 0))
        except OSError:
            pass
        self.sock.close()


def pattern(block, generation):
    """4 KiB that name their block and generation: any misplaced or stale block is recognisable."""
    head = struct.pack(">QQ", block, generation)
    return (head * (BLOCK // len(head)))[:BLOCK]
