"""bench/run's report: the targets with PASS / MISS, each part's figures, and the SVG charts.

Reads the parts' JSON (bench/datapath, bench/resync, bench/control-plane, scripts/bench) and writes
<date>.md with <date>-*.svg beside it. Every figure is a ratio against a baseline measured in the
same run (BENCHMARKS.md), except the control plane's absolute memory and latency targets.
"""
import os

from svg_chart import horizontal_bars

MIB = 1 << 20

# The targets: BENCHMARKS.md's count where an issue words them differently; issue 9's are listed
# too (they are stricter in two places).
GE, LE = ">=", "<="


def datapath_cell(datapath, target, workload):
    for r in datapath.get("results", []):
        if r["target"] == target and r["workload"] == workload:
            return r
    return None


def datapath_figure(datapath, target, workload):
    cell = datapath_cell(datapath, target, workload)
    if cell is None:
        return None
    return cell["mb_s"] if workload.startswith("seq") else cell["iops"]


def ratio(a, b):
    return a / b if a is not None and b else None


def targets_of(parts):
    """(section, what, source, comparison, threshold, figure, unit, how) for every target."""
    rows = []
    datapath = parts.get("datapath")
    if datapath:
        def vs(target, workload, baseline):
            return ratio(datapath_figure(datapath, target, workload),
                         datapath_figure(datapath, baseline, workload))
        page_cache = "nbdkit reads the page cache, tandem O_DIRECT"
        rows += [
            ("data path", "sequential write 1 MiB QD8, 2 replicas", "issue 9", GE, 0.97,
             vs("tandem2", "seq-write-1M", "raw"), "x raw", "single raw writer"),
            ("data path", "sequential write 1 MiB QD8, 2 replicas", "BENCHMARKS.md", GE, 0.97,
             vs("tandem2", "seq-write-1M", "nbdkit x2"), "x nbdkit x2",
             "same-disk limit: nbdkit with 2 writers, per writer"),
        ]
        # (what, workload, target, issue 9's threshold, BENCHMARKS.md's, note)
        for what, workload, target, issue, benchmarks, note in (
                ("4 KiB random write QD32, 2 replicas", "rand-write-4k-qd32", "tandem2", 1.0, 0.7,
                 "BENCHMARKS.md: moonshot 1.0"),
                ("4 KiB random write QD32, 1 node", "rand-write-4k-qd32", "tandem1", None, 1.0, ""),
                ("4 KiB random write QD1, 2 replicas", "rand-write-4k-qd1", "tandem2", None, 0.8, ""),
                ("sequential read 1 MiB QD8, 2 replicas", "seq-read-1M", "tandem2", None, 0.97,
                 page_cache),
                ("4 KiB random read QD32, 2 replicas", "rand-read-4k-qd32", "tandem2", None, 1.0,
                 page_cache)):
            figure = vs(target, workload, "nbdkit")
            for source, threshold in (("issue 9", issue), ("BENCHMARKS.md", benchmarks)):
                if threshold is not None:
                    rows.append(("data path", what, source, GE, threshold, figure, "x nbdkit",
                                 note))
    resync = parts.get("resync")
    if resync:
        rows.append(("resync", "bytes on the wire / bytes dirtied", "issue 9, BENCHMARKS.md", LE,
                     1.05, resync.get("wire_per_dirty"), "x", "kernel's bytes_sent, node 0 to 1"))
        raw_mb_s = datapath_figure(datapath, "raw", "seq-write-1M") if datapath else None
        rate_mb_s = resync["mib_s"] * MIB / 1e6 if resync.get("mib_s") else None
        rows.append(("resync", "resync rate", "BENCHMARKS.md", GE, 0.9, ratio(rate_mb_s, raw_mb_s),
                     "x raw write", "raw: the data path's sequential 1 MiB write"))
    control = parts.get("control-plane")
    if control:
        real = control["real_nodes"]
        fake = control["fake_satellites"]
        rows.append(("control plane", "satellite + tandemd RSS per node, idle", "issue 9, "
                     "BENCHMARKS.md", LE, 32, max(real["idle"]["per_node_rss_mib"].values()),
                     "MiB", "largest of 3 nodes"))
        rows.append(("control plane", f"satellite + tandemd RSS per node, "
                     f"{real['definitions']} definitions", "issue 9, BENCHMARKS.md", LE, 32,
                     max(real["loaded"]["per_node_rss_mib"].values()), "MiB",
                     f"{real['replicas']} replicas on 3 nodes"))
        scale = control["fake_satellites_scale"]
        rows.append(("control plane", f"controller RSS, {scale['definitions']} definitions on "
                     f"10 nodes", "BENCHMARKS.md", LE, 64,
                     scale["controller_after_listing"]["VmRSS"], "MiB",
                     f"{scale['resources']} resources; peak (VmHWM) "
                     f"{scale['controller_after_listing']['VmHWM']} MiB"))
        rows.append(("control plane", f"`tandem r l`, {scale['resources']} resources",
                     "BENCHMARKS.md", LE, 1.0, scale["cli_resource_list"]["median_s"], "s",
                     "median of 5, CLI process"))
        rows.append(("control plane", f"controller RSS, {fake['resources']} resources",
                     "BENCHMARKS.md's bound for 1000 definitions", LE, 64,
                     fake["controller_after_listing"]["VmRSS"], "MiB",
                     f"{fake['definitions']} definitions x {fake['place_count']}"
                     f"{' + tie-breaker' if fake['place_count'] == 2 else ''}; peak (VmHWM) "
                     f"{fake['controller_after_listing']['VmHWM']} MiB"))
        if fake.get("stopped"):  # the target is at 10 000: no verdict on fewer
            rows.append(("control plane", "`tandem r l`, 10 000 resources", "issue 9", LE, 1.0,
                         None, "s", f"not reached: the run stopped at "
                         f"{fake['resources']} resources, where `r l` took "
                         f"{fake['cli_resource_list']['median_s']} s"))
        else:
            rows.append(("control plane", f"`tandem r l`, {fake['resources']} resources",
                         "issue 9", LE, 1.0, fake["cli_resource_list"]["median_s"], "s",
                         "median of 5, CLI process"))
    micro = parts.get("micro")
    if micro:
        sim = next((b for b in micro.get("benchmarks", [])
                    if b["name"].startswith("BM_sim_write_workload")), None)
        if sim and sim.get("items_per_second"):
            rows.append(("simulator", "events per second, 3 nodes, 1000 writes", "BENCHMARKS.md",
                         GE, 1e6, sim["items_per_second"], "events/s", sim["name"]))
    return rows


def verdict(comparison, threshold, figure):
    if figure is None:
        return "not measured"
    met = figure >= threshold if comparison == GE else figure <= threshold
    return "PASS" if met else "**MISS**"


def number(value):
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"


def targets_table(rows):
    lines = ["| section | what | target (source) | figure | verdict | note |",
             "|---|---|---|---|---|---|"]
    for section, what, source, comparison, threshold, figure, unit, how in rows:
        sign = "≥" if comparison == GE else "<" if unit in ("MiB", "s") else "≤"
        shown = f"{threshold:,.0f}" if threshold >= 1000 else f"{threshold:g}"
        lines.append(f"| {section} | {what} | {sign} {shown} {unit} ({source}) | "
                     f"{number(figure)} {unit} | {verdict(comparison, threshold, figure)} | {how} |")
    return "\n".join(lines)


def short(what):
    """A target's name short enough for a chart's label column."""
    for long, brief in (("sequential", "seq"), ("random ", "rand "), ("replicas", "repl"),
                        ("satellite + tandemd", "sat+tandemd"), ("definitions", "def."),
                        (" on 10 nodes", ""), ("events per second", "events/s"),
                        ("bytes on the wire / bytes dirtied", "wire bytes / dirty bytes")):
        what = what.replace(long, brief)
    return what.replace("`", "")


def headroom_chart(rows):
    """Every target as figure / threshold (for <= targets threshold / figure): >= 1 is met."""
    bars = []
    for section, what, source, comparison, threshold, figure, unit, _ in rows:
        if figure is None or figure == 0:
            continue
        value = figure / threshold if comparison == GE else threshold / figure
        label = f"{short(what)} ({source.split(',')[0].split(' ')[0].replace('.md', '')})"
        bars.append((label, value, "tandem" if value >= 1 else "other"))
    return horizontal_bars("Every target: measured / target (1.0 = just met)",
                           "headroom (≥ 1 met, < 1 missed; ≤-targets inverted)", bars,
                           targets=[(1.0, "target")])


def datapath_charts(datapath):
    def dp(target, workload):
        return datapath_figure(datapath, target, workload)
    kind = {"raw": "baseline", "nbdkit": "baseline"}
    seq = [(t, dp(t, "seq-write-1M"), kind.get(t.split(" ")[0], "tandem"))
           for t in ("raw", "raw x2", "raw x3", "nbdkit", "nbdkit x2", "nbdkit x3",
                     "tandem1", "tandem2", "tandem3")]
    raw = dp("raw", "seq-write-1M")
    seq_svg = horizontal_bars(
        "Sequential write 1 MiB QD8 (xN: per writer, N writers on the same disk)", "MB/s",
        [b for b in seq if b[1] is not None],
        targets=[(0.97 * raw, "0.97 x raw (issue 9)")] if raw else [])
    rand = [(t, dp(t, "rand-write-4k-qd32"), kind.get(t, "tandem"))
            for t in ("raw", "nbdkit", "tandem1", "tandem2", "tandem3")]
    peer = dp("nbdkit", "rand-write-4k-qd32")
    rand_svg = horizontal_bars(
        "4 KiB random write QD32", "IOPS", [b for b in rand if b[1] is not None],
        targets=[(peer, "1.0 x nbdkit (issue 9)"), (0.7 * peer, "0.7 x nbdkit")] if peer else [])
    return {"datapath-seq-write": seq_svg, "datapath-rand-write": rand_svg}


def resync_chart(resync):
    dirty = resync["dirty_bytes"] / MIB
    return horizontal_bars(
        f"Resync after dirtying {resync['dirty_percent']} % of "
        f"{resync['volume_bytes'] / MIB:.0f} MiB ({resync['seconds']:.2f} s, "
        f"{resync['mib_s']} MiB/s)", "MiB",
        [("dirty (out of sync)", dirty, "baseline"),
         ("on the wire (kernel)", resync["wire_bytes"] / MIB, "tandem"),
         ("sent (tandemd's counter)", resync["tandemd_sent_bytes"] / MIB, "measure"),
         ("resynced (tandemd's counter)", resync["resynced_bytes"] / MIB, "measure")],
        targets=[(1.05 * dirty, "1.05 x dirty")])


def control_plane_charts(control):
    real, fake = control["real_nodes"], control["fake_satellites"]
    memory = [("controller, idle (3 nodes)",
               real["idle"]["processes"]["controller"]["VmRSS"], "baseline"),
              (f"controller, {real['definitions']} definitions",
               real["loaded"]["processes"]["controller"]["VmRSS"], "baseline")]
    scale = control["fake_satellites_scale"]
    memory.append((f"controller, {scale['resources']} resources (fake nodes)",
                   scale["controller_after_listing"]["VmRSS"], "baseline"))
    memory.append((f"controller, {fake['resources']} resources",
                   fake["controller_after_listing"]["VmRSS"], "baseline"))
    for node, mib in real["idle"]["per_node_rss_mib"].items():
        memory.append((f"{node}: satellite + tandemd, idle", mib, "tandem"))
    for node, mib in real["loaded"]["per_node_rss_mib"].items():
        memory.append((f"{node}: satellite + tandemd, {real['definitions']} def.", mib, "tandem"))
    listing = [(f"tandem r l, {scale['resources']} resources",
                scale["cli_resource_list"]["median_s"], "tandem"),
               (f"tandem r l, {fake['resources']} resources",
                fake["cli_resource_list"]["median_s"], "tandem"),
               (f"GET /v1/view/resources, {fake['resources']}",
                fake["view_resources"]["median_s"], "measure"),
               (f"tandem r l, {real['replicas']} resources (real)",
                real["cli_resource_list"]["median_s"], "tandem")]
    return {
        "control-plane-memory": horizontal_bars(
            "Resident memory (VmRSS)", "MiB", memory,
            targets=[(32, "32 MiB per node"), (64, "64 MiB controller")]),
        "control-plane-listing": horizontal_bars(
            "Listing resources (median of 5)", "seconds", listing, targets=[(1.0, "1 s")]),
    }


def micro_chart(micro):
    bars = [(b["name"].replace("BM_", "")[:48], b["items_per_second"], "tandem")
            for b in micro.get("benchmarks", [])
            if b.get("run_type", "iteration") == "iteration" and b.get("items_per_second")]
    return horizontal_bars("Micro-benchmarks (Google Benchmark)", "items per second (log scale)",
                           bars, targets=[(1e6, "1 M/s (simulator events)")], log_scale=True)


def micro_table(micro):
    lines = ["| benchmark | time per iteration | items/s |", "|---|---|---|"]
    for b in micro.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        time_shown = f"{b.get('real_time' if 'real_time' in b['name'] else 'cpu_time', 0):,.1f}"
        items = f"{b['items_per_second']:,.0f}" if b.get("items_per_second") else ""
        lines.append(f"| `{b['name']}` | {time_shown} {b.get('time_unit', '')} | {items} |")
    return "\n".join(lines)


def machine_lines(date, machine, quick, outcomes):
    load_start = " ".join(f"{x:.2f}" for x in machine["loadavg_start"])
    load_end = " ".join(f"{x:.2f}" for x in machine["loadavg_end"])
    parts = ", ".join(f"{name} {o['elapsed_s']} s{'' if o['ok'] else ' (FAILED: ' + o['why'] + ')'}"
                      f"{' (' + o['note'] + ')' if o.get('note') else ''}"
                      for name, o in outcomes.items())
    return [
        f"# Benchmark report {date}{' (quick smoke: figures are rough)' if quick else ''}",
        "",
        "Written by `bench/run" + (" --quick" if quick else "") + "`; every figure was measured in "
        "this one invocation on this machine, one part after the other.",
        "",
        f"- **Machine**: {machine['nproc']} cores ({machine['cpu']}), {machine['memory_gib']} GiB "
        f"RAM, kernel {machine['kernel']}",
        f"- **Commit**: `{machine['commit']}`, binaries from `{machine['bin_dir']}`",
        f"- **Load average** (1, 5, 15 min): {load_start} at the start, {load_end} at the end. "
        "The machine is shared with other engineers' builds: on 2 cores a load of 2 or more means "
        "the benchmarks competed for CPU, so the figures are indicative, not firm.",
        f"- **Duration**: {machine['elapsed_s']} s ({parts})",
        "",
    ]


def write(markdown_path, date, machine, quick, outcomes, parts):
    """Writes the report and its charts; returns the summary (the targets and the machine)."""
    out_dir = os.path.dirname(markdown_path)
    charts = {}
    rows = targets_of(parts)
    charts["targets"] = headroom_chart(rows)
    if "datapath" in parts:
        charts.update(datapath_charts(parts["datapath"]))
    if "resync" in parts:
        charts["resync"] = resync_chart(parts["resync"])
    if "control-plane" in parts:
        charts.update(control_plane_charts(parts["control-plane"]))
    if "micro" in parts:
        charts["micro"] = micro_chart(parts["micro"])
    chart_files = {}
    for name, svg in charts.items():
        chart_files[name] = f"{date}-{name}.svg"
        with open(os.path.join(out_dir, chart_files[name]), "w") as f:
            f.write(svg)

    def image(name, alt):
        return f"![{alt}]({chart_files[name]})" if name in chart_files else ""
    lines = machine_lines(date, machine, quick, outcomes)
    lines += ["## Targets", "", targets_table(rows), "", image("targets", "headroom per target"), ""]
    if "datapath" in parts:
        datapath = parts["datapath"]
        table_path = os.path.join(out_dir, f"{date}-datapath.md")
        table = open(table_path).read() if os.path.exists(table_path) else ""
        lines += ["## Data path (bench/datapath)", "",
                  f"fio, {datapath['runtime_s']} s cells, median of {datapath['repeat']}, regions of "
                  f"{datapath['region_bytes'] // MIB} MiB; tandem direct-io "
                  f"`{datapath['tandem_direct_io']}`; filesystem "
                  f"{datapath['machine']['filesystem']['type']} on "
                  f"{datapath['machine']['filesystem']['device']}; {datapath['machine']['fio']}, "
                  f"{datapath['machine']['nbdkit']}.", "", table, "",
                  image("datapath-seq-write", "sequential write"), "",
                  image("datapath-rand-write", "4 KiB random write QD32"), "",
                  f"![every workload, ratio to raw]({date}-datapath.svg)", ""]
    if "resync" in parts:
        r = parts["resync"]
        lines += ["## Resync (bench/resync)", "",
                  "| volume | dirtied (fio wrote) | out of sync | on the wire (kernel) | tandemd sent "
                  "| resynced | seconds | MiB/s | wire / dirty |", "|---|---|---|---|---|---|---|---|---|",
                  f"| {r['volume_bytes'] / MIB:.0f} MiB | {r['fio_written_bytes'] / MIB:.1f} MiB | "
                  f"{r['dirty_bytes']:,} | {r['wire_bytes']:,} | {r['tandemd_sent_bytes']:,} | "
                  f"{r['resynced_bytes']:,} | {r['seconds']:.2f} | {r['mib_s']} | "
                  f"{r['wire_per_dirty']} |", "",
                  "2 nodes, protocol C; node 0 disconnects, fio writes 10 % of the volume through "
                  "its NBD export in random 4 KiB..1 MiB blocks, node 0 reconnects; seconds from "
                  "`tandemadm connect` to the peer UpToDate with nothing out of sync (20 ms "
                  "polling, which dominates a small volume). The replicas' data areas are "
                  "compared afterwards.", "", image("resync", "resync bytes"), ""]
    if "control-plane" in parts:
        c = parts["control-plane"]
        real, fake = c["real_nodes"], c["fake_satellites"]
        lines += ["## Control plane (bench/control-plane)", "",
                  "| process | idle VmRSS MiB | with "
                  f"{real['definitions']} definitions ({real['replicas']} replicas) VmRSS / VmHWM MiB |",
                  "|---|---|---|"]
        for name, idle in real["idle"]["processes"].items():
            loaded = real["loaded"]["processes"][name]
            lines.append(f"| {name} | {idle['VmRSS']} | {loaded['VmRSS']} / {loaded['VmHWM']} |")
        lines += ["",
                  f"Real processes (controller, and per node a satellite and tandemd, 3 nodes on "
                  f"127.0.62.x); all replicas were up {real['converged_s']} s after the first "
                  f"spawn.", "",
                  "Listing: the controller with 10 protocol-speaking fake satellites "
                  "(`tests/integration/batching_fake_satellite.py`: like the real satellite they "
                  "answer the newest of the changes that have arrived and send their whole "
                  "status at most every 500 ms), on a fresh controller each time. "
                  "Three real nodes cannot hold 10 000 replicas on this machine (each is a tandemd "
                  "device with its own file and peer connections), and `r l` only reads the "
                  "controller's view, which the fake satellites fill with UpToDate states. The "
                  "controller hands out one replication port per definition from its "
                  "`TcpPortAutoRange` (7000-7999 by default, 1000 definitions); the 10 000-resource "
                  "run widens it first, as a LINSTOR administrator would"
                  + (f" (`{fake['tcp_port_auto_range']}`)" if fake.get("tcp_port_auto_range")
                     else "") + ".", "",
                  "| definitions x diskful replicas | resources | spawned in s | `tandem r l` "
                  "median / min s | lines printed | `GET /v1/view/resources` median s | "
                  "controller VmRSS idle / after / VmHWM MiB |",
                  "|---|---|---|---|---|---|---|"]
        for run in (c["fake_satellites_scale"], fake):
            lines.append(
                f"| {run['definitions']} x {run['place_count']}"
                f"{' + tie-breaker' if run['place_count'] == 2 else ''} | {run['resources']} | "
                f"{run['spawn_s']} | {run['cli_resource_list']['median_s']} / "
                f"{run['cli_resource_list']['min_s']} | {run['cli_resource_list_lines']} | "
                f"{run['view_resources']['median_s']} | {run['controller_idle']['VmRSS']} / "
                f"{run['controller_after_listing']['VmRSS']} / "
                f"{run['controller_after_listing']['VmHWM']} |")
        if fake.get("stopped"):
            lines += ["", f"The {fake['resources']}-resource run stopped early: {fake['stopped']}"
                      + (f" (nodes not ONLINE: {', '.join(fake['offline_nodes'])})"
                         if fake.get("offline_nodes") else "") + "."]
        lines += ["",
                  image("control-plane-memory", "resident memory"), "",
                  image("control-plane-listing", "listing latency"), ""]
    if "micro" in parts:
        lines += ["## Micro-benchmarks (scripts/bench)", "", micro_table(parts["micro"]), "",
                  image("micro", "micro-benchmarks"), ""]
    with open(markdown_path, "w") as f:
        f.write("\n".join(lines))
    return {"date": date, "quick": quick, "machine": machine,
            "parts": {name: {k: v for k, v in o.items() if k != "json"}
                      for name, o in outcomes.items()},
            "targets": [{"section": r[0], "what": r[1], "source": r[2], "comparison": r[3],
                         "threshold": r[4], "figure": r[5], "unit": r[6],
                         "verdict": verdict(r[3], r[4], r[5]).strip("*")} for r in rows]}
