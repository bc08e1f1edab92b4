#!/usr/bin/env python3
"""hermetic-gate overhead benchmark (tests/bench).

Runs each workload of this folder bare, under `hermetic-gate exec --quiet --out DIR --`,
under floor_sup (the design's floor: one stop per trapped call and nothing else, see
floor_sup.c) and under `strace -f -qq --seccomp-bpf -e trace=network -o /dev/null` (when
strace is installed), interleaved: one round runs bare, gate, strace and the next round the reverse
order, so slow drifts of the machine's load hit every variant alike. A ratio is
supervised / bare wall time of the SAME round; the table gives the median over rounds and
the min-max range.

Memory: the supervisor's own peak RSS is the VmHWM of its process read at its exit
(ptrace exit-stop, see peak_rss_at_exit); not ru_maxrss, which is the max over the whole
waited-for tree and also inherits the runner's RSS through fork/exec.

Event storm (--storm N[,N...]): wl_storm makes N trapped datagram sendto() calls (4
processes x 8 threads, audit mode) inside a private network namespace made here
(tests/integration/netns.py: lo up, a veth with 203.0.113.2/24 and nothing behind it; the
calls go to 127.0.0.1). Checks that the gate's peak RSS stays under STORM_RSS_LIMIT
whatever N (it keeps aggregates, not records) and that strace.txt has one line per call
the workload reports having made.

Modes:
  hg_bench.py --gate G --bindir D --srcdir S [--floor F]  the benchmark (meson benchmark 'overhead')
  hg_bench.py --gate G --bindir D --srcdir S --smoke    every workload once, tiny, must exit 0
  hg_bench.py --gate G --bindir D --srcdir S --storm N[,N...] [--storm-untimed]
                                                        the event storm (meson benchmark
                                                        'event-storm'; test 'bench-storm-smoke')

Environment: HG_BENCH_ROUNDS (5), HG_BENCH_QUICK=1 (scale 0.1, 2 rounds, 200 processes), HG_BENCH_SCALE
(size factor, not applied to the 2,000 live processes), HG_BENCH_PROCS, HG_BENCH_WORKLOADS (comma list), HG_BENCH_NO_STRACE=1, HG_BENCH_JSON (path).
Exit status: 0 when every workload ran (targets missed or not: the numbers are noisy and
only reported), 1 when a workload failed to run, 2 on a usage error. The storm exits 1
also when a call is missing from strace.txt or the RSS limit is missed (neither is noise),
77 when no private network namespace can be made.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time

MiB = 1024 * 1024

# name, unit, default size, argv(bindir, srcdir, size), target kind, target value
#   ratio: gate ratio <= value; half-strace: gate overhead <= value * strace overhead.
WORKLOADS = [
    ("forkexec", "process", 1000, lambda b, s, n: [f"{b}/wl_forkexec", str(n)], "half-strace", 0.5),
    ("syscalls", "syscall", 1000000, lambda b, s, n: [f"{b}/wl_syscalls", str(n)], "ratio", 1.15),
    ("unixconnect", "connect", 10000, lambda b, s, n: [f"{b}/wl_unixconnect", str(n)], "half-strace", 0.5),
    ("threads", "thread", 5000, lambda b, s, n: [f"{b}/wl_threads", str(n), "4"], "half-strace", 0.5),
    ("build", "file", 20, lambda b, s, n: ["/bin/sh", f"{s}/wl_build.sh", str(n), "8", "2"], "ratio", 1.05),
    ("testrun", "test", 100, lambda b, s, n: [f"{b}/wl_testrun", str(n)], "ratio", 1.05),
]
# The RSS workload: this many processes alive in the tree at once.
PROCS_N = 2000
PROCS_HOLD_MS = 300
RSS_TARGET = 8 * MiB
SMOKE_SIZES = {"forkexec": 5, "syscalls": 1000, "unixconnect": 20, "threads": 8, "build": 2,
               "testrun": 2, "procs": 20}
# testrun listens on and connects to 127.0.0.1: in audit mode that is a violation (exit 3).
OK_STATUS = {"testrun": (0, 3)}

# The event storm: trapped calls made by STORM_PROCS processes of STORM_THREADS threads.
STORM_PROCS, STORM_THREADS = 4, 8
STORM_RSS_LIMIT = 16 * MiB
STORM_OK = (3,)  # audit mode: every call is a violation

STRACE_ARGS = ["-f", "-qq", "--seccomp-bpf", "-e", "trace=network", "-o", "/dev/null"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --- running one command --------------------------------------------------------------

class Run:
    __slots__ = ("wall", "cpu", "status", "maxrss", "hwm")

    def __init__(self, wall, cpu, status, maxrss, hwm=None):
        self.wall, self.cpu, self.status, self.maxrss, self.hwm = wall, cpu, status, maxrss, hwm


_current = [0]  # process group of the run in progress (each run gets its own)


def _on_interrupt(sig, _frame):
    """Kills the whole tree of the run in progress, then exits: no stray workloads."""
    if _current[0] > 0:
        try:
            os.killpg(_current[0], signal.SIGKILL)
        except OSError:
            pass
    sys.exit(128 + sig)


def exit_code(status):
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return 255


def timed_run(argv, stderr_path):
    """Wall time around posix_spawn..wait4, CPU (user+sys of the waited tree)."""
    err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ,
                             file_actions=[(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                                           (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
                                           (os.POSIX_SPAWN_DUP2, err, 2)],
                             setpgroup=0)
        _current[0] = pid
        _, status, ru = os.wait4(pid, 0)
        _current[0] = 0
        wall = time.perf_counter() - t0
    finally:
        os.close(err)
    return Run(wall, ru.ru_utime + ru.ru_stime, exit_code(status), ru.ru_maxrss * 1024)


PTRACE_TRACEME, PTRACE_CONT, PTRACE_SETOPTIONS = 0, 7, 0x4200
PTRACE_O_TRACEEXIT, PTRACE_EVENT_EXIT = 0x40, 6
_libc = None


def _ptrace(req, pid, addr, data):
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        _libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
        _libc.ptrace.restype = ctypes.c_long
    return _libc.ptrace(req, pid, ctypes.c_void_p(addr), ctypes.c_void_p(data))


def read_hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def peak_rss_at_exit(argv, stderr_path):
    """Runs argv (untimed) and returns its own peak RSS: VmHWM read at its exit.

    The runner is the supervisor's tracer (PTRACE_TRACEME before exec, PTRACE_O_TRACEEXIT):
    at the exit stop the process still has its memory, so VmHWM covers the whole run,
    teardown included. VmHWM belongs to the mm made by execve, so nothing of this Python
    process leaks in. The only side effect is that each signal the supervisor gets (its
    SIGCHLDs) passes through this runner, which is why these runs are not timed.
    Falls back to polling VmHWM every 2 ms when ptrace is not available.
    """
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: no Python-level cleanup, only async-signal-safe work until exec
        try:
            os.setpgid(0, 0)
            os.close(rfd)
            null = os.open("/dev/null", os.O_RDWR)
            err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(null, 0)
            os.dup2(null, 1)
            os.dup2(err, 2)
            traced = _ptrace(PTRACE_TRACEME, 0, 0, 0) == 0
            os.write(wfd, b"T" if traced else b"P")
            os.close(wfd)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    os.close(wfd)
    _current[0] = pid
    traced = os.read(rfd, 1) == b"T"
    os.close(rfd)
    t0 = time.perf_counter()
    hwm = None
    if traced:
        first = True
        while True:
            _, status = os.waitpid(pid, 0)
            if not os.WIFSTOPPED(status):
                break
            sig = os.WSTOPSIG(status)
            if first and sig == signal.SIGTRAP:  # the exec stop
                first = False
                _ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEEXIT)
                sig = 0
            elif sig == signal.SIGTRAP and (status >> 16) == PTRACE_EVENT_EXIT:
                hwm = read_hwm(pid)
                sig = 0
            _ptrace(PTRACE_CONT, pid, 0, sig)
    else:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            hwm = read_hwm(pid) or hwm
            time.sleep(0.002)
    _current[0] = 0
    wall = time.perf_counter() - t0
    return Run(wall, 0.0, exit_code(status), 0, hwm)


# --- the benchmark --------------------------------------------------------------------

def variants(gate, out_dir, strace, floor):
    v = [("bare", [])]
    v.append(("gate", [gate, "exec", "--quiet", "--out", out_dir, "--"]))
    if floor:
        v.append(("floor", [floor]))
    if strace:
        v.append(("strace", [strace] + STRACE_ARGS))
    return v


def quantiles(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[0], xs[-1]


def bench_workload(name, argv, vs, rounds, tmp, ok):
    """Warm-up round (untimed, measures each supervisor's peak RSS), then timed rounds."""
    res = {"argv": argv, "runs": {v: [] for v, _ in vs}, "hwm": {}, "failed": None}
    errp = os.path.join(tmp, f"{name}.stderr")

    def check(vname, run):
        okset = ok if vname == "gate" else (0,)
        if run.status not in okset:
            with open(errp, errors="replace") as f:
                tail = f.read()[-2000:]
            res["failed"] = f"{vname} exited {run.status}: {tail.strip()}"
            log(f"  {name}/{vname}: FAILED (exit {run.status})\n{tail}")
            return False
        return True

    for vname, prefix in vs:
        if vname == "bare":
            r = timed_run(argv, errp)
        else:
            r = peak_rss_at_exit(prefix + argv, errp)
            res["hwm"][vname] = r.hwm
        if not check(vname, r):
            return res
    for i in range(rounds):
        order = vs if i % 2 == 0 else list(reversed(vs))
        line = []
        for vname, prefix in order:
            r = timed_run(prefix + argv, errp)
            if not check(vname, r):
                return res
            res["runs"][vname].append(r)
            line.append(f"{vname} {r.wall:.2f}s")
        log(f"  {name} round {i + 1}/{rounds}: " + ", ".join(line) + f"  (load {os.getloadavg()[0]:.1f})")
    return res


def summarize(name, unit, size, kind, target, res):
    bare = res["runs"]["bare"]
    row = {"workload": name, "size": size, "unit": unit, "bare_s": statistics.median(r.wall for r in bare),
           "target_kind": kind, "target": target, "hwm": res["hwm"]}
    for v in ("gate", "floor", "strace"):
        runs = res["runs"].get(v)
        if not runs:
            continue
        ratios = [s.wall / b.wall for s, b in zip(runs, bare)]
        cpu = [s.cpu / b.cpu for s, b in zip(runs, bare) if b.cpu > 0]
        per_unit = [(s.wall - b.wall) / size for s, b in zip(runs, bare)]
        med, lo, hi = quantiles(ratios)
        row[v] = {"ratio": med, "min": lo, "max": hi, "ratios": ratios,
                  "cpu_ratio": statistics.median(cpu) if cpu else None,
                  "per_unit_s": statistics.median(per_unit)}
    g, s = row.get("gate"), row.get("strace")
    if g is None:
        row["met"] = None
    elif kind == "ratio":
        row["met"] = g["ratio"] <= target
        row["target_text"] = f"<= {target:.2f}x"
    else:
        row["target_text"] = f"ovh <= {target:g} x strace's"
        row["met"] = None if s is None else (g["ratio"] - 1) <= target * (s["ratio"] - 1)
    return row


def plural(unit):
    return unit + ("es" if unit.endswith("s") else "s")


def fmt_unit(sec):
    if abs(sec) >= 1e-3:
        return f"{sec * 1e3:.2f} ms"
    if abs(sec) >= 1e-6:
        return f"{sec * 1e6:.1f} us"
    return f"{sec * 1e9:.0f} ns"


def fmt_mib(b):
    return "n/a" if b is None else f"{b / MiB:.1f} MiB"


def table(rows, rss, rounds, strace):
    out = []
    hdr = ("| workload | size | bare s | gate x [min-max] | floor x [min-max] | strace-seccomp x [min-max] "
           "| gate cpu x | gate cost/unit | target | met |")
    out.append(hdr)
    out.append("|" + "---|" * 10)
    for r in rows:
        if r.get("failed"):
            out.append(f"| {r['workload']} | {r['size']} {plural(r['unit'])} | | FAILED | | | | | | ERROR |")
            continue
        g, s = r.get("gate"), r.get("strace")

        def cell(v):
            return f"{v['ratio']:.2f}x [{v['min']:.2f}-{v['max']:.2f}]" if v else "n/a"
        gx, fx, sx = cell(g), cell(r.get("floor")), cell(s)
        unit = f"{fmt_unit(g['per_unit_s'])}/{r['unit']}" if g else ""
        met = {True: "yes", False: "NO", None: "n/a"}[r["met"]]
        cpu = f"{g['cpu_ratio']:.2f}x" if g and g["cpu_ratio"] else "n/a"
        out.append(f"| {r['workload']} | {r['size']} {plural(r['unit'])} | {r['bare_s']:.2f} | {gx} | {fx} | {sx} | {cpu} | {unit} "
                   f"| {r.get('target_text', '')} | {met} |")
    out.append("")
    out.append(f"Ratios: median over {rounds} interleaved rounds of supervised/bare wall time of the same round; "
               "cpu x: the same for user+sys time of the whole tree (wait4). floor: floor_sup, the design's "
               "floor (one stop per trapped call, no decoding or evidence), in the same rounds.")
    out.append("")
    out.append("| supervisor peak RSS (VmHWM at exit) | " + " | ".join(r["workload"] for r in rows) + " | "
               + f"{rss['n']} processes alive |")
    out.append("|---|" + "---|" * (len(rows) + 1))
    for v in ["gate"] + (["floor"] if any("floor" in r["hwm"] for r in rows) else []) + (["strace"] if strace else []):
        cells = [fmt_mib(r["hwm"].get(v)) for r in rows]
        out.append(f"| {v} | " + " | ".join(cells) + f" | {fmt_mib(rss['hwm'].get(v))} |")
    met = rss["hwm"].get("gate") is not None and rss["hwm"]["gate"] < RSS_TARGET
    out.append("")
    out.append(f"RSS target: gate < 8 MiB with {rss['n']} processes alive: "
               + ("met" if met else "NOT met") + f" ({fmt_mib(rss['hwm'].get('gate'))}).")
    return "\n".join(out), met


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%d %H:%M %Z"), "load": os.getloadavg()}


def rss_run(name, argv, vs, tmp, ok):
    res = {"n": int(argv[1]), "hwm": {}, "failed": None}
    errp = os.path.join(tmp, f"{name}.stderr")
    for vname, prefix in vs:
        if vname == "bare":
            r = timed_run(argv, errp)
        else:
            r = peak_rss_at_exit(prefix + argv, errp)
            res["hwm"][vname] = r.hwm
        log(f"  {name}/{vname}: {r.wall:.2f}s exit {r.status} peak RSS {fmt_mib(r.hwm)}")
        if r.status not in (ok if vname == "gate" else (0,)):
            with open(errp, errors="replace") as f:
                res["failed"] = f"{vname} exited {r.status}: {f.read()[-2000:]}"
            log(res["failed"])
    return res


# --- the event storm ------------------------------------------------------------------

def storm_counts(stderr_path, strace_path):
    """(calls the workload reports, strace.txt lines, of them sendto lines)."""
    calls = None
    with open(stderr_path, errors="replace") as f:
        for line in f:
            if line.startswith("wl_storm: calls="):
                calls = int(line.split()[1].split("=")[1])
    lines = sends = 0
    if os.path.exists(strace_path):
        with open(strace_path, "rb") as f:
            for line in f:
                lines += 1
                sends += b" sendto(" in line
    return calls, lines, sends


def storm_one(gate, bindir, n, tmp, timed):
    """One size: peak RSS (VmHWM at the gate's exit) and strace.txt completeness; with
    timed, also a bare and a gate run for the cost per call."""
    out = os.path.join(tmp, f"storm-{n}")
    work = [f"{bindir}/wl_storm", str(n), str(STORM_PROCS), str(STORM_THREADS)]
    argv = [gate, "exec", "--quiet", "--out", out, "--"] + work
    errp = os.path.join(tmp, f"storm-{n}.stderr")
    row = {"calls_target": n, "failed": None}
    r = peak_rss_at_exit(argv, errp)
    row["hwm"], row["status"] = r.hwm, r.status
    row["calls"], row["lines"], row["sendto_lines"] = storm_counts(errp, os.path.join(out, "strace.txt"))
    if r.status not in STORM_OK:
        with open(errp, errors="replace") as f:
            row["failed"] = f"gate exited {r.status}: {f.read()[-2000:].strip()}"
    elif row["calls"] != n or row["lines"] != n or row["sendto_lines"] != n:
        row["failed"] = (f"the workload made {row['calls']} calls of {n}; strace.txt has {row['lines']} lines, "
                         f"{row['sendto_lines']} of them sendto")
    elif row["hwm"] is None or row["hwm"] >= STORM_RSS_LIMIT:
        row["failed"] = f"peak RSS {fmt_mib(row['hwm'])}, limit {fmt_mib(STORM_RSS_LIMIT)}"
    shutil.rmtree(out, ignore_errors=True)
    if timed and not row["failed"]:
        bare = timed_run(work, errp)
        run = timed_run(argv, errp)
        shutil.rmtree(out, ignore_errors=True)
        row["bare_s"], row["gate_s"] = bare.wall, run.wall
        row["per_call_s"] = (run.wall - bare.wall) / n
    log(f"  storm {n}: exit {r.status}, peak RSS {fmt_mib(row['hwm'])}, {row['lines']} strace.txt lines for "
        f"{row['calls']} calls" + (f", gate {row['gate_s']:.2f}s vs bare {row['bare_s']:.2f}s" if "gate_s" in row else "")
        + (f": FAILED: {row['failed']}" if row["failed"] else ""))
    return row


def storm(gate, bindir, sizes, tmp, timed, json_path):
    info = machine()
    rows = [storm_one(gate, bindir, n, tmp, timed) for n in sizes]
    print(f"\nMachine: {info['nproc']} CPUs, {info['cpu']}, Linux {info['kernel']}, {info['date']}, "
          f"load {info['load'][0]:.2f} at start\n")
    print(f"Event storm: datagram sendto() to 127.0.0.1 in a private network namespace, {STORM_PROCS} processes "
          f"x {STORM_THREADS} threads, audit mode\n")
    print("| trapped calls | gate peak RSS (VmHWM at exit) | strace.txt lines | bare s | gate s | gate cost/call | "
          f"RSS < {fmt_mib(STORM_RSS_LIMIT)} and no call missing |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        timing = (f"{r['bare_s']:.2f} | {r['gate_s']:.2f} | {fmt_unit(r['per_call_s'])}" if "gate_s" in r
                  else "n/a | n/a | n/a")
        print(f"| {r['calls_target']:,} | {fmt_mib(r['hwm'])} | {r['lines']:,} | {timing} | "
              + ("yes" if not r["failed"] else "NO: " + r["failed"].splitlines()[0]) + " |")
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"machine": info, "storm": rows}, f, indent=1)
    return 1 if any(r["failed"] for r in rows) else 0


def enter_private_netns(srcdir):
    """Re-runs this script in a private network namespace (netns.enter; exits 77 when none
    can be made): the storm's calls never reach a real network."""
    sys.path.insert(0, os.path.join(srcdir, "..", "integration"))
    import netns  # noqa: E402 (the integration tests' harness)
    netns.enter()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gate", required=True, help="the hermetic-gate binary")
    ap.add_argument("--bindir", required=True, help="folder with the built wl_* workloads")
    ap.add_argument("--srcdir", required=True, help="tests/bench (for wl_build.sh)")
    ap.add_argument("--floor", default=None, help="floor_sup, run beside the gate (optional)")
    ap.add_argument("--smoke", action="store_true", help="run every workload once, tiny, under the gate")
    ap.add_argument("--storm", default=None, help="event storm sizes, comma-separated trapped call counts")
    ap.add_argument("--storm-untimed", action="store_true", help="storm: peak RSS and strace.txt only, no timing")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--scale", type=float, default=None)
    ap.add_argument("--json", default=os.environ.get("HG_BENCH_JSON"), help="also write the results here")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, _on_interrupt)
    signal.signal(signal.SIGINT, _on_interrupt)

    gate = os.path.abspath(a.gate)
    bindir, srcdir = os.path.abspath(a.bindir), os.path.abspath(a.srcdir)
    quick = os.environ.get("HG_BENCH_QUICK", "") not in ("", "0")
    rounds = a.rounds or int(os.environ.get("HG_BENCH_ROUNDS", "2" if quick else "5"))
    scale = a.scale or float(os.environ.get("HG_BENCH_SCALE", "0.1" if quick else "1"))
    only = [w for w in os.environ.get("HG_BENCH_WORKLOADS", "").split(",") if w]
    strace = None if os.environ.get("HG_BENCH_NO_STRACE") else shutil.which("strace")
    if a.storm:
        try:
            sizes = [int(x) for x in a.storm.split(",")]
        except ValueError:
            ap.error(f"--storm {a.storm}: not a list of counts")
        enter_private_netns(srcdir)

    with tempfile.TemporaryDirectory(prefix="hg-bench-") as tmp:
        if a.storm:
            return storm(gate, bindir, sizes, tmp, not a.storm_untimed, a.json)
        out_dir = os.path.join(tmp, "evidence")
        if a.smoke:
            return smoke(gate, bindir, srcdir, tmp, out_dir, a.floor and os.path.abspath(a.floor))
        vs = variants(gate, out_dir, strace, a.floor and os.path.abspath(a.floor))
        info = machine()
        log(f"hermetic-gate overhead benchmark: {rounds} rounds, scale {scale:g}, "
            f"supervisors: {', '.join(v for v, _ in vs[1:])}; load {info['load'][0]:.2f}")
        rows, failed = [], False
        for name, unit, size, mk, kind, target in WORKLOADS:
            if only and name not in only:
                continue
            n = max(1, int(size * scale))
            log(f"{name}: {n} {plural(unit)}")
            res = bench_workload(name, mk(bindir, srcdir, n), vs, rounds, tmp, OK_STATUS.get(name, (0,)))
            if res["failed"]:
                failed = True
                rows.append({"workload": name, "size": n, "unit": unit, "failed": res["failed"], "hwm": {}})
                continue
            rows.append(summarize(name, unit, n, kind, target, res))
        # The RSS target is defined at 2,000 live processes: not scaled, except in quick mode.
        n = int(os.environ.get("HG_BENCH_PROCS", str(PROCS_N // 10 if quick else PROCS_N)))
        log(f"procs: {n} processes alive at once (peak RSS)")
        rss = rss_run("procs", [f"{bindir}/wl_procs", str(n), str(PROCS_HOLD_MS)], vs, tmp, (0,))
        failed = failed or bool(rss["failed"])
        info["load_end"] = os.getloadavg()
        text, rss_met = table(rows, rss, rounds, strace)
        print(f"\nMachine: {info['nproc']} CPUs, {info['cpu']}, Linux {info['kernel']}, {info['date']}, "
              f"load {info['load'][0]:.2f} at start, {info['load_end'][0]:.2f} at end\n")
        print(text)
        met = [r["workload"] for r in rows if r.get("met")]
        missed = [r["workload"] for r in rows if r.get("met") is False]
        print(f"\nTargets met: {', '.join(met) or 'none'}" + ("; RSS" if rss_met else "")
              + f". Missed: {', '.join(missed) or 'none'}" + ("" if rss_met else "; RSS") + ".")
        if failed:
            print("Some workloads FAILED to run (see above): exit 1.")
        if a.json:
            def enc(o):
                return o.__dict__ if hasattr(o, "__dict__") else {k: getattr(o, k) for k in o.__slots__}
            with open(a.json, "w") as f:
                json.dump({"machine": info, "rounds": rounds, "scale": scale, "rows": rows, "rss": rss}, f,
                          indent=1, default=enc)
        return 1 if failed else 0


def smoke(gate, bindir, srcdir, tmp, out_dir, floor):
    """Every workload once at a tiny size, bare, under the gate and under floor_sup; all must exit 0.
    testrun's loopback listen/connect are allowed by exception so the gate exits 0 too."""
    bad = 0
    cases = [(name, mk(bindir, srcdir, SMOKE_SIZES[name])) for name, _, _, mk, _, _ in WORKLOADS]
    cases.append(("procs", [f"{bindir}/wl_procs", str(SMOKE_SIZES["procs"]), "10"]))
    for name, argv in cases:
        extra = ["--allow-listen", "127.0.0.1", "--allow-host", "127.0.0.1"] if name == "testrun" else []
        runs = [("bare", []), ("gate", [gate, "exec", "--quiet", "--out", out_dir] + extra + ["--"])]
        if floor:
            runs.append(("floor", [floor]))
        for vname, prefix in runs:
            errp = os.path.join(tmp, f"{name}.{vname}.stderr")
            r = timed_run(prefix + argv, errp)
            ok = r.status == 0
            with open(errp, errors="replace") as f:
                err = f.read()[-2000:]
            print(f"{'ok  ' if ok else 'FAIL'} {name:12s} {vname:5s} exit {r.status} {r.wall:.2f}s"
                  + ("" if ok else f"\n{err}"))
            bad += not ok
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
