"""What the end-to-end benchmarks share: preallocated backing files and a tandemd cluster on them.

bench/datapath and bench/resync import this; the cluster itself is the integration tests' own
(tests/integration/tandem_cluster.py), so the benchmarks start tandemd exactly as the tests do.
"""
import os
import secrets
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import tandem_cluster  # noqa: E402  (the integration tests' helpers: real tandemd clusters)

MIB = 1 << 20


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)


def preallocated(path, size_bytes):
    """A file of size_bytes whose blocks are allocated (fallocate) and written once (zeros), so
    that no target pays for unwritten-extent conversion or block allocation during a cell."""
    with open(path, "wb") as f:
        os.posix_fallocate(f.fileno(), 0, size_bytes)
    run(["dd", "if=/dev/zero", f"of={path}", "bs=4M", f"count={size_bytes // (4 * MIB)}",
         "conv=notrunc,fdatasync", "oflag=direct"])
    return path


class BenchCluster(tandem_cluster.Cluster):
    """The integration tests' cluster with preallocated backing files and more room for the
    metadata of a large device."""

    def usable_bytes(self):
        return self.size_bytes - 8 * MIB

    def create(self, day0=True):
        # Cluster.create, with preallocated files instead of sparse ones.
        self.write_resource_files()
        day0_uuid = secrets.token_hex(7) + "00"
        for node in self.nodes:
            preallocated(node.disk, self.size_bytes)
            node.adm("create-md", self.resource, *(["--day0-uuid", day0_uuid] if day0 else []))

    def serve_nbd_on_unix_sockets(self):
        """Every node exports on <node dir>/nbd.sock (call before start()); returns node 0's."""
        for node in self.nodes:
            node.extra_args = ["--nbd-socket", os.path.join(node.dir, "nbd.sock")]
        return os.path.join(self.nodes[0].dir, "nbd.sock")
