#!/usr/bin/env python3
"""Integration test of the `tandem` command-line client against the real tandem-controller.

Starts tandem-controller from $TANDEM_BIN_DIR on 127.0.0.1 with a free port and a temporary
database, then runs every command of the CLI, in its long form and in LINSTOR's short aliases,
checking exit codes and output. No satellites run, so replicas show no live state; what is
checked is the command tree, the REST calls behind it, the tables, -m JSON, exit codes and
error messages. Exits 77 (skipped) when tandem-controller has not been built.

Every failed check is collected and printed; the test fails if there is at least one.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77
COMMAND_TIMEOUT_S = 60
STARTUP_TIMEOUT_S = 30

BIN_DIR = os.environ.get("TANDEM_BIN_DIR", "")
TANDEM = os.path.join(BIN_DIR, "tandem")
CONTROLLER = os.path.join(BIN_DIR, "tandem-controller")

failures = []


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cli:
    def __init__(self, port):
        self.env = dict(os.environ, TANDEM_CONTROLLERS="127.0.0.1:%d" % port)

    def run(self, *args, rc=0, contains=(), absent=(), stderr_contains=()):
        """Runs tandem ARGS; records a failure when the exit code or output is not as expected."""
        result = subprocess.run([TANDEM, *args], env=self.env, capture_output=True, text=True,
                                timeout=COMMAND_TIMEOUT_S)
        where = "tandem " + " ".join(args)
        problems = []
        if result.returncode != rc:
            problems.append("exit code %d, expected %d" % (result.returncode, rc))
        for text in contains:
            if text not in result.stdout:
                problems.append("stdout lacks %r" % text)
        for text in absent:
            if text in result.stdout:
                problems.append("stdout has %r" % text)
        for text in stderr_contains:
            if text not in result.stderr:
                problems.append("stderr lacks %r" % text)
        if problems:
            failures.append("%s: %s\n--- stdout:\n%s--- stderr:\n%s" % (
                where, "; ".join(problems), result.stdout, result.stderr))
            print("FAIL  " + where)
        else:
            print("ok    " + where)
        return result

    def json(self, *args):
        """Runs tandem -m ARGS and returns the parsed JSON (None after recording a failure)."""
        result = self.run("-m", *args)
        try:
            return json.loads(result.stdout)
        except ValueError as error:
            failures.append("tandem -m %s: output is not JSON (%s): %r" % (
                " ".join(args), error, result.stdout[:300]))
            return None


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL  " + message)


def wait_for_controller(port, process):
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("tandem-controller exited early with code %d" % process.returncode)
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("tandem-controller did not answer /health within %d s" % STARTUP_TIMEOUT_S)


def check_bash_completion(cli):
    """Loads the printed script into bash and presses TAB after 'tandem rd lp ' and 'tandem n '."""
    script = r'''
source <("$0" completion bash)
COMP_WORDS=("$0" rd lp ""); COMP_CWORD=3; _tandem; echo "rd-lp: ${COMPREPLY[*]}"
COMP_WORDS=("$0" n ""); COMP_CWORD=2; _tandem; echo "n: ${COMPREPLY[*]}"
COMP_WORDS=("$0" sp d al); COMP_CWORD=3; _tandem; echo "sp-d: ${COMPREPLY[*]}"
'''
    result = subprocess.run(["bash", "-c", script, TANDEM], env=cli.env, capture_output=True,
                            text=True, timeout=COMMAND_TIMEOUT_S)
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    check("res1" in lines.get("rd-lp", "").split(),
          "bash completion of 'tandem rd lp ' should offer res1: %r %r" % (result.stdout,
                                                                           result.stderr))
    check({"create", "c", "list", "l", "describe", "dsc"} <= set(lines.get("n", "").split()),
          "bash completion of 'tandem n ' should offer node sub-commands: %r" % result.stdout)
    check(lines.get("sp-d", "").split() == ["alpha"],
          "bash completion of 'tandem sp d al' should offer exactly alpha: %r" % result.stdout)


def test_not_a_controller(tmp):
    """A web server that is not a controller (wrong port) gives exit 22 and says why."""
    import functools
    import http.server
    import threading
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=tmp)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        Cli(port).run("n", "l", rc=22, stderr_contains=[
            "controller at 127.0.0.1:%d answered GET /v1/nodes with HTTP 404" % port,
            "which is not JSON"])
    finally:
        server.shutdown()
        server.server_close()


def test_without_controller(cli_for_closed_port, closed_port):
    cli_for_closed_port.run(
        "node", "list", rc=20,
        stderr_contains=["cannot reach controller at 127.0.0.1:%d: connection refused" % closed_port])
    cli_for_closed_port.run("--controllers", "127.0.0.1:99999", "n", "l", rc=2,
                            stderr_contains=["port '99999' is not a number between 1 and 65535"])
    cli_for_closed_port.run("vd", "c", "res1", "12Q", rc=2,
                            stderr_contains=["'Q' is not a valid unit"])
    cli_for_closed_port.run("r", "c", rc=2)
    cli_for_closed_port.run("--version", contains=["tandem "])
    cli_for_closed_port.run("frobnicate", rc=2)
    cli_for_closed_port.run("completion", "bash", contains=["complete -F _tandem tandem"])
    completion = cli_for_closed_port.run("completion", "words", "--", "r")
    check(set(completion.stdout.split()) >= {"create", "c", "list", "l", "delete", "d", "td"},
          "completion of 'tandem r' lacks sub-commands: %r" % completion.stdout)


def test_nodes_and_pools(cli, pool_dir):
    cli.run("controller", "version", contains=["REST API"])
    cli.run("c", "v", contains=["REST API"])
    version = cli.json("c", "v")
    check(version is not None and version[0].get("rest_api_version", "").startswith("1."),
          "c v -m: rest_api_version should start with 1.: %r" % version)
    cli.run("controller", "list-properties", contains=["Key", "Value"])
    cli.run("c", "lp", contains=["Key"])

    cli.run("node", "create", "alpha", "127.0.0.2", contains=["SUCCESS"])
    cli.run("n", "c", "beta", "127.0.0.3", contains=["SUCCESS"])
    cli.run("n", "c", "gamma", "127.0.0.4", contains=["SUCCESS"])
    cli.run("n", "c", "alpha", "127.0.0.2", rc=10, contains=["ERROR"])  # exists already
    cli.run("node", "list", contains=["Node", "NodeType", "alpha", "beta", "gamma", "SATELLITE",
                                      "127.0.0.2:3366 (PLAIN)"])
    cli.run("n", "l", "-n", "alpha", contains=["alpha"], absent=["beta"])
    nodes = cli.json("n", "l")
    check(nodes is not None and sorted(n["name"] for n in nodes[0]) == ["alpha", "beta", "gamma"],
          "n l -m should list alpha, beta, gamma: %r" % nodes)

    for node in ("alpha", "beta", "gamma"):
        cli.run("storage-pool", "create", "file", node, "pool1", os.path.join(pool_dir, node),
                rc=0)
    cli.run("sp", "c", "diskless", "alpha", "dl1")
    cli.run("storage-pool", "list", contains=["StoragePool", "pool1", "FILE", "alpha", "gamma"])
    cli.run("sp", "l", "-s", "dl1", contains=["dl1", "DISKLESS"], absent=["pool1"])
    cli.run("sp", "d", "alpha", "dl1", contains=["SUCCESS"])
    cli.run("sp", "l", absent=["dl1"])

    cli.run("node", "describe", "alpha", contains=["alpha (SATELLITE", "StoragePool pool1"])
    cli.run("node", "set-property", "alpha", "Aux/site", "dc1", contains=["SUCCESS"])
    cli.run("n", "sp", "--aux", "beta", "site", "dc2")
    cli.run("node", "list-properties", "alpha", contains=["Aux/site", "dc1"])
    cli.run("n", "lp", "beta", contains=["dc2"])
    cli.run("n", "sp", "beta", "Aux/site")
    cli.run("n", "lp", "beta", absent=["Aux/site"])
    cli.run("n", "lp", "nosuchnode", rc=3, stderr_contains=["node 'nosuchnode' not found"])
    cli.run("controller", "set-property", "Aux/owner", "ops", contains=["SUCCESS"])
    cli.run("c", "lp", contains=["Aux/owner", "ops"])
    cli.run("c", "sp", "Aux/owner")
    cli.run("c", "lp", absent=["Aux/owner"])
    cli.run("n", "dsc", "nosuchnode", rc=3, stderr_contains=["node 'nosuchnode' not found"])


def test_groups(cli):
    cli.run("resource-group", "create", "--place-count", "2", "--storage-pool", "pool1",
            "--description", "vm disks", "rg1", contains=["SUCCESS"])
    cli.run("rg", "c", "rg2")
    cli.run("resource-group", "list", contains=["ResourceGroup", "rg1", "PlaceCount: 2",
                                                "StoragePool(s): pool1", "vm disks", "rg2"])
    cli.run("rg", "m", "--place-count", "3", "rg1", contains=["SUCCESS"])
    cli.run("rg", "l", "-r", "rg1", contains=["PlaceCount: 3"], absent=["rg2"])
    groups = cli.json("rg", "l")
    check(groups is not None and "rg1" in [g["name"] for g in groups[0]],
          "rg l -m should contain rg1: %r" % groups)
    cli.run("volume-group", "create", "rg1", contains=["SUCCESS"])
    cli.run("vg", "l", "rg1", contains=["VolumeNr", "0"])
    cli.run("rg", "l", "-r", "rg1", contains=["| 0 "])  # the VlmNrs column
    cli.run("vg", "c", "nosuchgroup", rc=10, contains=["ERROR"])
    cli.run("rg", "m", "--place-count", "2", "rg1")
    cli.run("vg", "c", "rg1")
    numbers = cli.json("vg", "l", "rg1")
    check(numbers is not None and [v["volume_number"] for v in numbers[0]] == [0, 1],
          "rg1 should have volume groups 0 and 1: %r" % numbers)
    cli.run("volume-group", "delete", "rg1", "1", contains=["SUCCESS"])
    numbers = cli.json("vg", "l", "rg1")
    check(numbers is not None and [v["volume_number"] for v in numbers[0]] == [0],
          "after vg d rg1 1 only volume group 0 should remain: %r" % numbers)
    cli.run("rg", "c", "rgtmp")
    cli.run("resource-group", "delete", "rgtmp", contains=["SUCCESS"])
    cli.run("rg", "l", absent=["rgtmp"])
    cli.run("rg", "d", "nosuchgroup", rc=10, contains=["ERROR"])

    # Definitions only: the nodes have no running satellite, so nothing can be placed.
    cli.run("resource-group", "spawn-resources", "-d", "rg1", "res2", "1G", contains=["SUCCESS"])
    cli.run("rg", "spawn", "--definitions-only", "rg1", "res3", "512M")
    cli.run("rd", "l", contains=["res2", "res3", "rg1"])
    cli.run("vd", "l", "-r", "res3", contains=["res3", "512 MiB"])


def test_definitions(cli):
    cli.run("resource-definition", "create", "res1", contains=["SUCCESS"])
    answer = cli.json("rd", "c", "resjson")
    check(answer is not None and len(answer) >= 1 and answer[0].get("ret_code", -1) > 0 and
          "resjson" in answer[0].get("message", ""),
          "-m rd c should print the controller's ApiCallRc array: %r" % answer)
    cli.run("rd", "d", "resjson")
    cli.run("rd", "c", "res1", rc=10, contains=["ERROR"])
    cli.run("resource-definition", "list", contains=["ResourceName", "res1", "DfltRscGrp"])
    cli.run("rd", "l", "-r", "res1", contains=["res1"], absent=["res2"])
    cli.run("resource-definition", "set-property", "res1", "Aux/site", "dc1", contains=["SUCCESS"])
    cli.run("rd", "sp", "--aux", "res1", "rack", "r7")
    cli.run("resource-definition", "list-properties", "res1", contains=["Aux/site", "dc1",
                                                                         "Aux/rack", "r7"])
    props = cli.json("rd", "lp", "res1")
    check(props is not None and props[0].get("Aux/site") == "dc1",
          "rd lp -m should show Aux/site=dc1: %r" % props)
    cli.run("rd", "sp", "res1", "Aux/rack")  # no value: delete
    cli.run("rd", "lp", "res1", contains=["Aux/site"], absent=["Aux/rack"])
    cli.run("rd", "lp", "nosuchres", rc=3,
            stderr_contains=["resource definition 'nosuchres' not found"])

    cli.run("volume-definition", "create", "res1", "1G", contains=["SUCCESS"])
    cli.run("vd", "l", contains=["ResourceName", "VolumeNr", "res1", "1 GiB"])
    cli.run("volume-definition", "set-size", "res1", "0", "2GiB", contains=["SUCCESS"])
    cli.run("vd", "size", "res1", "0", "3")  # default unit GiB
    cli.run("vd", "l", "-r", "res1", contains=["3 GiB"])
    cli.run("vd", "c", "res1", "1G")
    cli.run("vd", "l", "-r", "res1", contains=["| res1         |        1 |"])
    cli.run("volume-definition", "delete", "res1", "1", contains=["SUCCESS"])
    cli.run("vd", "l", "-r", "res1", absent=["|        1 |"])
    vds = cli.json("rd", "l", "-r", "res1")
    check(vds is not None and len(vds[0]) == 1 and vds[0][0]["name"] == "res1",
          "rd l -m -r res1 should return exactly res1: %r" % vds)
    cli.run("vd", "c", "nosuchres", "1G", rc=10, contains=["ERROR"])


def test_resources(cli):
    cli.run("resource", "create", "alpha", "beta", "res1", "-s", "pool1", contains=["SUCCESS"])
    cli.run("r", "c", "gamma", "res1", "--diskless")
    cli.run("resource", "list", contains=["ResourceName", "Node", "Port", "Usage", "Conns",
                                          "State", "alpha", "beta", "gamma"])
    cli.run("r", "l", "-n", "gamma", contains=["| gamma "], absent=["| alpha ", "| beta "])
    # No satellite has reported these replicas: their state is Unknown, which needs attention.
    cli.run("r", "l", "--faulty", contains=["| alpha ", "Unknown"])
    resources = cli.json("r", "l", "-r", "res1")
    check(resources is not None and
          sorted(r["node_name"] for r in resources[0]) == ["alpha", "beta", "gamma"],
          "r l -m should list res1 on alpha, beta, gamma: %r" % resources)
    if resources:
        gamma = [r for r in resources[0] if r["node_name"] == "gamma"]
        check(gamma and "DRBD_DISKLESS" in gamma[0].get("flags", []),
              "the diskless replica on gamma should carry DRBD_DISKLESS: %r" % gamma)
    cli.run("volume", "list", contains=["Node", "Resource", "StoragePool", "VolNr", "alpha",
                                        "pool1"])
    cli.run("v", "l", "-n", "beta", contains=["| beta "], absent=["| alpha ", "| gamma "])
    cli.run("r", "lv", contains=["res1"])

    cli.run("resource", "toggle-disk", "gamma", "res1", "-s", "pool1", contains=["SUCCESS"])
    cli.run("r", "td", "gamma", "res1", "--diskless", contains=["SUCCESS"])
    cli.run("r", "c", "alpha", "nosuchres", rc=10, contains=["ERROR"])

    cli.run("snapshot", "create", "res1", "snap1", contains=["SUCCESS"])
    cli.run("s", "l", contains=["ResourceName", "SnapshotName", "res1", "snap1"])
    cli.run("s", "c", "alpha", "res1", "snap2")
    cli.run("snapshot", "list", "-r", "res1", contains=["snap2"])
    cli.run("rd", "c", "res1copy")
    cli.run("snapshot", "volume-definition", "restore", "--from-resource", "res1",
            "--from-snapshot", "snap1", "--to-resource", "res1copy", contains=["SUCCESS"])
    cli.run("vd", "l", "-r", "res1copy", contains=["res1copy", "3 GiB"])
    cli.run("s", "r", "rst", "--fr", "res1", "--fs", "snap1", "--tr", "res1copy", "alpha",
            contains=["SUCCESS"])
    cli.run("r", "l", "-r", "res1copy", contains=["alpha"])
    cli.run("resource", "make-available", "gamma", "res1copy", contains=["SUCCESS"])
    cli.run("r", "l", "-r", "res1copy", contains=["| gamma "])
    cli.run("r", "mkavail", "alpha", "nosuchres", rc=10, contains=["ERROR"])
    # No satellite reports free space, so the autoplacer finds no pool; the error is shown.
    cli.run("resource-definition", "auto-place", "res1copy", "--place-count", "3", rc=10,
            contains=["ERROR"])
    cli.run("rd", "ap", "nosuchres", rc=10, contains=["ERROR"])
    cli.run("snapshot", "delete", "res1", "snap2", contains=["SUCCESS"])
    cli.run("s", "d", "res1", "snap1")
    cli.run("s", "l", absent=["snap1", "snap2"])

    completion = cli.run("completion", "words", "--", "rd", "lp")
    check("res1" in completion.stdout.split(),
          "completion of 'tandem rd lp' should offer res1: %r" % completion.stdout)
    completion = cli.run("completion", "words", "--", "r", "c")
    check({"alpha", "res1"} <= set(completion.stdout.split()),
          "completion of 'tandem r c' should offer nodes and resources: %r" % completion.stdout)

    check_bash_completion(cli)

    cli.run("resource", "delete", "gamma", "res1", contains=["SUCCESS"])
    cli.run("r", "d", "gamma", "alpha", "res1copy")  # diskless first, as the controller requires
    cli.run("r", "d", "alpha", "beta", "res1")
    cli.run("rd", "d", "res2", contains=["SUCCESS"])
    cli.run("resource-definition", "delete", "res3")
    cli.run("node", "delete", "gamma", contains=["SUCCESS"])
    cli.run("n", "d", "nosuchnode", rc=10, contains=["ERROR"])


def main():
    if not os.path.isfile(TANDEM):
        print("tandem not found in TANDEM_BIN_DIR=%r; build the 'tandem' target" % BIN_DIR)
        return 1
    if not os.path.isfile(CONTROLLER):
        print("SKIP: %s is missing; build the 'tandem-controller' target to run this test"
              % CONTROLLER)
        return SKIP
    closed_port = free_port()
    test_without_controller(Cli(closed_port), closed_port)

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tandem-cli-") as tmp:
        test_not_a_controller(tmp)
        pool_dir = os.path.join(tmp, "pools")
        os.makedirs(pool_dir)
        log_path = os.path.join(tmp, "controller.log")
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [CONTROLLER, "--rest-listen", "127.0.0.1:%d" % port, "--db",
                 os.path.join(tmp, "controller.db")], stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_for_controller(port, process)
                cli = Cli(port)
                # The first controller of a list is down: the second one answers.
                cli.run("--controllers", "127.0.0.1:%d,127.0.0.1:%d" % (closed_port, port),
                        "c", "v", contains=["REST API"])
                test_nodes_and_pools(cli, pool_dir)
                test_groups(cli)
                test_definitions(cli)
                test_resources(cli)
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
