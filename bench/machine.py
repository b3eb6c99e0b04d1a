"""The facts every benchmark report states (BENCHMARKS.md, Reporting): the machine and the commit."""
import os
import platform
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_average():
    """The 1, 5 and 15 minute load averages: the machine is shared, so every report says them."""
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def commit():
    """Short commit, with +dirty when bench/ or engine/ differ from it."""
    head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", REPO, "diff", "--quiet", "HEAD", "--", "engine", "core"],
                           capture_output=True).returncode != 0
    return head + ("+dirty" if dirty else "")


def memory_gib():
    with open("/proc/meminfo") as f:
        total_kib = int(next(line for line in f if line.startswith("MemTotal:")).split()[1])
    return round(total_kib / (1 << 20), 1)


def facts():
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f
                    if line.startswith("model name")), "?")
    return {"cpu": cpu, "nproc": os.cpu_count(), "memory_gib": memory_gib(),
            "kernel": platform.release(), "commit": commit(), "loadavg_start": load_average()}
