"""A whole tandem installation on loopback, for integration tests and the demo.

Standard library only. One tandem-controller (SQLite) and, per node, one tandemd and one
tandem-satellite, all real processes: node i lives on 127.0.<net>.<i+2> (satellite on :3366,
NBD on :10809, replication on the controller's ports), the controller's REST API on
127.0.<net>.1. The `tandem` CLI and plain REST calls drive it. Every wait is bounded; a failed
wait raises with the processes' recent log lines attached.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import tandem_cluster
from tandem_cluster import binary

REST_PORT = 3370


class Process:
    """One daemon process with its log file; kill() is SIGKILL (a crash), stop() SIGTERM."""

    def __init__(self, name, argv, log_path, ready):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.ready = ready  # predicate: the process serves requests
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        wait_until(lambda: self.alive() and self.ready(), 15, f"{self.name} to start", self)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        self.process = tandem_cluster.kill_process(self.process)

    def stop(self):
        self.process = tandem_cluster.stop_process(self.process)

    @property
    def pid(self):
        return self.process.pid if self.alive() else None

    def logs(self, lines=12):
        return f"--- {self.name} ({self.log_path})\n{tandem_cluster.log_tail(self.log_path, lines)}"


def port_open(address, port):
    import socket
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


class Node(tandem_cluster.TandemadmMixin):
    def __init__(self, stack, index):
        self.stack = stack
        self.name = f"n{index}"
        self.address = f"127.0.{stack.net}.{index + 2}"
        self.dir = os.path.join(stack.root, self.name)
        self.pool_dir = os.path.join(self.dir, "pool")
        self.resource_dir = os.path.join(self.dir, "resources")
        for d in (self.pool_dir, self.resource_dir):
            os.makedirs(d, exist_ok=True)
        self.admin_socket = os.path.join(self.dir, "tandemd.sock")
        self.nbd_port = 10809
        self.tandemd = Process(
            f"tandemd {self.name}",
            [binary("tandemd"), "--node-name", self.name, "--resource-dir", self.resource_dir,
             "--admin-socket", self.admin_socket, "--nbd-listen", f"{self.address}:{self.nbd_port}",
             "--up-all", *stack.tandemd_args(self)],
            os.path.join(self.dir, "tandemd.log"), lambda: self.adm_ok("list"))
        self.satellite = Process(
            f"satellite {self.name}",
            [binary("tandem-satellite"), "--node-name", self.name, "--listen", f"{self.address}:3366",
             "--resource-dir", self.resource_dir, "--tandemd-socket", self.admin_socket],
            os.path.join(self.dir, "satellite.log"), lambda: port_open(self.address, 3366))

    def nbd_uri(self, resource):
        return f"nbd://{self.address}:{self.nbd_port}/{resource}"

    def start(self):
        self.tandemd.start()
        self.satellite.start()

    def kill(self):
        """The node fails: its tandemd and satellite die with SIGKILL."""
        self.satellite.kill()
        self.tandemd.kill()
        if os.path.exists(self.admin_socket):
            os.unlink(self.admin_socket)

    def replica(self, resource):
        """tandemd's own status of `resource` on this node (tandemadm status --json)."""
        out = self.adm("status", resource, "--json").stdout
        return json.loads(out)["resources"][0]

    def backing_file(self, resource, volume=0):
        return os.path.join(self.pool_dir, f"{resource}_{volume:05d}.img")


class Stack:
    def __init__(self, net, nodes=3, root=None, metrics=False):
        self.net = net
        self.metrics = metrics
        self.root = root or tempfile.mkdtemp(prefix="tandem-stack-")
        self.controller_address = f"127.0.{net}.1"
        self.rest_port = REST_PORT
        self.controller = Process(
            "controller",
            [binary("tandem-controller"), "--rest-listen",
             f"{self.controller_address}:{self.rest_port}",
             "--db", os.path.join(self.root, "controller.db")],
            os.path.join(self.root, "controller.log"),
            lambda: port_open(self.controller_address, self.rest_port))
        self.nodes = [Node(self, i) for i in range(nodes)]

    def tandemd_args(self, node):
        return ["--metrics-listen", f"{node.address}:9942"] if self.metrics else []

    @property
    def controllers(self):
        return f"{self.controller_address}:{self.rest_port}"

    def processes(self):
        return [self.controller] + [p for n in self.nodes for p in (n.tandemd, n.satellite)]

    def logs(self):
        return "\n".join(p.logs() for p in self.processes())

    def start(self):
        self.controller.start()
        for node in self.nodes:
            node.start()

    def register_nodes(self, pool="pool1"):
        """node create + a FILE_THIN pool on every node; NBD listens on the node's address."""
        for node in self.nodes:
            self.cli("node", "create", node.name, node.address)
            self.cli("node", "set-property", node.name, "Nbd/ListenAddress", node.address)
            self.cli("storage-pool", "create", "filethin", node.name, pool, node.pool_dir)
        wait_until(lambda: all(n["connection_status"] == "ONLINE" for n in self.rest("GET", "/v1/nodes")),
                   30, "every satellite ONLINE", self)

    def cli(self, *args, check=True, machine=False):
        argv = [binary("tandem"), "--controllers", self.controllers]
        if machine:
            argv.append("-m")
        result = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"tandem {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}{result.stderr}")
        return json.loads(result.stdout) if machine else result.stdout

    def rest(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://{self.controllers}{path}", data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return json.loads(text) if text else None

    def replicas(self, resource):
        """node name -> the controller's view of that replica (GET /v1/view/resources)."""
        out = {}
        for r in self.rest("GET", "/v1/view/resources"):
            if r["name"] == resource:
                out[r["node_name"]] = r
        return out

    def disk_states(self, resource):
        """node -> disk state as the satellites report it ('' while unreported)."""
        out = {}
        for node, r in self.replicas(resource).items():
            volumes = r.get("volumes") or [{}]
            out[node] = volumes[0].get("state", {}).get("disk_state", "")
        return out

    def wait_disk_states(self, resource, wanted, timeout=60):
        """wanted: node -> disk state, e.g. {"n0": "UpToDate", "n2": "Diskless"}."""
        wait_until(lambda: all(self.disk_states(resource).get(n) == s for n, s in wanted.items()),
                   timeout, f"{resource} disk states {wanted}", self)

    def wait_connected(self, resource, timeout=60):
        """Every replica of `resource` is connected to every peer (tandemd's own view)."""
        holders = [self.node(name) for name in self.replicas(resource)]

        def connected():
            return all(c["connection-state"] == "Connected"
                       for n in holders for c in n.replica(resource)["connections"])
        wait_until(connected, timeout, f"every replica of {resource} connected", self)

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    def stop(self):
        for node in self.nodes:
            node.satellite.stop()
        self.controller.stop()
        for node in self.nodes:
            node.tandemd.stop()

    def cleanup(self, keep=False):
        for p in self.processes():
            p.kill()
        if keep:
            print(f"kept {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def wait_until(predicate, timeout_s, what, owner=None):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if predicate():
                return
        except (AssertionError, json.JSONDecodeError, KeyError, IndexError, OSError, TypeError):
            pass
        if time.monotonic() > deadline:
            logs = owner.logs() if owner else ""
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}\n{logs}")
        time.sleep(0.1)


BLOCK = tandem_cluster.BLOCK
NbdClient = tandem_cluster.NbdClient
pattern = tandem_cluster.pattern
