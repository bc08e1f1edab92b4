#!/usr/bin/env python3
"""The tracer's failure paths and process lifetime, end to end.

fault_driver runs the real Supervisor (or the ptrace probe) on the kernel's ptrace with chosen
requests made to fail (fault_driver.cpp); netprobe is the tracee. Every call it makes goes to
203.0.113.1 (a documentation address) inside the private network namespace each case runs in
(tests/integration/netns.py), and most are refused before they happen anyway.
pid-reuse runs the hermetic-gate binary itself in a private pid namespace on pidreuse.c.

`tracer_cases.py NAME` runs one case; `--check-table NAME...` checks meson registers every case.
Exit 0 pass, 1 fail, 77 skip (only when a probe shows the kernel lacks what the case needs).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("HG_NETNS_DIR") or os.path.join(HERE, "..", "integration"))
import netns  # noqa: E402

V4 = netns.V4


class Failed(Exception):
    pass


def check(cond, what, out=None):
    if not cond:
        raise Failed(what + ("" if out is None else "\n" + out.text))


def skip(why):
    """Only for a kernel feature a probe showed to be missing; why names it."""
    print(f"SKIP: {why}", file=sys.stderr)
    sys.exit(netns.SKIP)


class Out:
    def __init__(self, argv, proc, elapsed):
        self.rc = proc.returncode
        self.elapsed = elapsed
        self.stdout, self.stderr = proc.stdout, proc.stderr
        self.log = proc.stdout + proc.stderr  # the gate's log lines (spdlog), wherever they go
        self.text = (f"--- $ {' '.join(argv)}\n--- rc={self.rc} after {elapsed:.1f}s\n--- stdout:\n{self.stdout}"
                     f"--- stderr:\n{self.stderr}---")
        self.lines = {}
        for line in self.stdout.splitlines():
            kind, _, rest = line.partition(" ")
            self.lines.setdefault(kind, []).append(netns.parse_kv(rest))

    def get(self, kind, **match):
        return [d for d in self.lines.get(kind, []) if all(d.get(k) == v for k, v in match.items())]

    def one(self, kind, **match):
        got = self.get(kind, **match)
        check(len(got) == 1, f"expected one '{kind}' line with {match}, got {len(got)}", self)
        return got[0]


def run(argv, timeout=30):
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise Failed(f"timed out after {timeout}s (the gate hung): $ {' '.join(argv)}\n{e.stdout}\n{e.stderr}")
    return Out(argv, proc, time.monotonic() - start)


def driver(args, command=None, timeout=30):
    argv = [netns.env_path("HG_FAULT_DRIVER")] + list(args)
    if command is not None:
        argv += ["--"] + list(command)
    return run(argv, timeout)


def netprobe(*args):
    return [netns.env_path("HG_NETPROBE")] + [str(a) for a in args]


# --- a trapped call whose details cannot be read -------------------------------------------------

def refused_connect(gate_args, fault):
    """Runs netprobe's connect to V4:443 with fault injected; checks it was refused (EPERM) and
    recorded as denied. Returns (driver output, the connect's record)."""
    out = driver(list(gate_args) + ["--fail", fault], netprobe("tcp4", V4, 443))
    check(out.rc == 0, "the driver failed", out)
    probe = out.one("netprobe", op="connect")
    check(probe.get("errno") == "EPERM", f"netprobe's connect got errno={probe.get('errno')}, expected EPERM", out)
    rec = out.one("record", call="connect")
    check(rec["decision"] == "denied", f"record decision={rec['decision']}, expected denied", out)
    return out, rec


def refused_unreadable(gate_args, fault, detail):
    """netprobe's connect to V4:443 traps; PTRACE_GET_SYSCALL_INFO fails there: the call must
    be refused (EPERM seen by netprobe) and recorded as undecodable and denied, in audit mode
    as in enforce mode."""
    def case():
        out, rec = refused_connect(gate_args, fault)
        check(rec["result_known"] == "1" and rec["result"] == "-1", "the record must say -EPERM (-1)", out)
        why = rec.get("why", "")
        check(why.startswith("the gate could not read the call's details: ptrace(PTRACE_GET_SYSCALL_INFO"),
              f"why={why!r}", out)
        check(detail in why, f"why does not say {detail!r}: {why!r}", out)
        res = out.one("result")
        check(res["violations"] == "1" and res["exit"] == "0", "one violation, netprobe exits 0", out)
        check("refusing connect of pid" in out.log, "no log line for the refusal", out)
    return case


def info_exit_fails():
    """The call ran (audit) but its result cannot be read: the record says so, and the
    tracee is resumed all the same."""
    out = driver(["--fail", "info-exit=EIO"], netprobe("tcp4", V4, 443))
    probe = out.one("netprobe", op="connect")
    check(probe.get("errno") == "EINPROGRESS", "netprobe's connect must have run", out)
    rec = out.one("record", call="connect")
    check(rec["decision"] == "audited" and rec["result_known"] == "0", "audited, result unknown", out)
    check(out.one("result")["exit"] == "0", "netprobe must finish normally", out)
    check(out.elapsed < 15, f"took {out.elapsed:.1f}s", out)


def info_socket_fails(gate_args):
    """The result of netprobe's socket() cannot be read, so the gate cannot note the socket as
    the tree's own: it fails closed, and the connect on it is refused as on a socket from
    outside the tree, in audit mode as in enforce mode."""
    def case():
        out, rec = refused_connect(gate_args, "info-socket=EIO")
        check("came from outside the traced tree" in rec.get("why", ""), f"why={rec.get('why')!r}", out)
        check("cannot read the result of socket()" in out.log, "no log line for the unreadable socket()", out)
    return case


# --- restarts and skips that fail -------------------------------------------------------------

def restart_syscall_fails():
    """The restart of netprobe's audited connect to its exit stop fails: left stopped, netprobe
    would hang the gate; it must be killed, and its record and process say so."""
    out = driver(["--fail", "restart-syscall=EIO"], netprobe("tcp4", V4, 443), timeout=20)
    check(out.rc == 0, "the driver failed", out)
    rec = out.one("record", call="connect")
    check(rec["result_known"] == "0", "the call's result cannot be known", out)
    check("could not resume the call" in rec.get("why", ""), f"why={rec.get('why')!r}", out)
    res = out.one("result")
    check(res["signal"] == "9", f"netprobe must be killed by SIGKILL, got signal={res['signal']}", out)
    proc = out.one("process", pid=res["root"])
    check(proc["killed"] == "1", "its process record must say killed by the gate", out)
    check("PTRACE_SYSCALL" in out.log and "killing pid" in out.log, "no log line for the kill", out)
    check(not out.get("netprobe", op="connect"), "netprobe went on after its call", out)


def restart_cont_fails():
    """The first PTRACE_CONT of the run fails: the root is killed, the gate ends."""
    out = driver(["--fail", "restart-cont=EIO"], netprobe("clean"), timeout=20)
    check(out.rc == 0, "the driver failed", out)
    res = out.one("result")
    check(res["signal"] == "9", f"the root must be killed by SIGKILL, got signal={res['signal']}", out)
    check(out.one("process", pid=res["root"])["killed"] == "1", "its process record must say killed", out)
    check("PTRACE_CONT" in out.log and "killing pid" in out.log, "no log line for the kill", out)


def skip_fails_enforce():
    """--enforce denies netprobe's connect, but the skip fails: the call must not run, so
    netprobe is killed, and the record says so."""
    out = driver(["--enforce", "--fail", "skip=EIO"], netprobe("tcp4", V4, 443), timeout=20)
    check(out.rc == 0, "the driver failed", out)
    check(not out.get("netprobe", op="connect"), "netprobe's connect returned: it must have been killed at it", out)
    rec = out.one("record", call="connect")
    check(rec["decision"] == "denied" and rec["result_known"] == "0", "denied, result unknown", out)
    check("could not skip the call" in rec.get("why", ""), f"why={rec.get('why')!r}", out)
    res = out.one("result")
    check(res["signal"] == "9", "netprobe must be killed by SIGKILL", out)
    check(out.one("process", pid=res["root"])["killed"] == "1", "its process record must say killed", out)


# --- the probe ------------------------------------------------------------------------------

def probe_unusable(fault, detail):
    def case():
        out = driver(["--probe", "--fail", fault])
        p = out.one("probe")
        check(p["ok"] == "0", "the probe must find the tracer unusable", out)
        check(p["call"] == "ptrace(PTRACE_GET_SYSCALL_INFO)", f"probe call={p['call']}", out)
        reason = p.get("reason", "")
        check(detail in reason and "Linux >= 5.3" in reason and "\n" not in reason, f"reason={reason!r}", out)
        auto = out.one("decision", choice="auto", strict="0")
        check(auto["action"] == "proc" and reason in auto.get("message", ""), "auto must fall back to proc-poll", out)
        for choice, strict in (("auto", "1"), ("ptrace", "0"), ("ptrace", "1")):
            d = out.one("decision", choice=choice, strict=strict)
            check(d["action"] == "refuse", f"--detector {choice} strict={strict} must refuse (exit 4)", out)
    return case


def require_ptrace():
    """Every case needs the kernel's ptrace to work, faults aside: the probe with nothing
    injected must pass. Skips only when facts show why it cannot (the kernel lacks
    PTRACE_GET_SYSCALL_INFO, or this process is filtered, traced or under Yama scope 3)."""
    out = driver(["--probe"])
    p = out.one("probe")
    if p["ok"] == "1":
        return out
    status = open("/proc/self/status").read()
    yama_path = "/proc/sys/kernel/yama/ptrace_scope"
    yama = open(yama_path).read().strip() if os.path.exists(yama_path) else ""
    release = tuple(int(x) for x in re.findall(r"\d+", os.uname().release)[:2])
    if p["call"] == "ptrace(PTRACE_GET_SYSCALL_INFO)" and release < (5, 3):
        skip(f"the kernel ({os.uname().release}) lacks PTRACE_GET_SYSCALL_INFO (Linux >= 5.3): {p.get('reason')}")
    if "Seccomp:\t2" in status or "\nTracerPid:\t0\n" not in status or yama == "3":
        skip(f"ptrace is not available to the tests themselves: {p.get('reason')}")
    raise Failed("the probe fails with nothing injected and nothing forbids ptrace", out)


def probe_ok():
    """The driver's fault wrapper changes nothing by itself."""
    out = require_ptrace()
    check(out.one("decision", choice="auto", strict="1")["action"] == "ptrace", "a working probe picks ptrace", out)


# --- process lifetime -----------------------------------------------------------------------

PIDREUSE_POLICY = """version: 1
hermetic_steps:
  - id: reuse
    run: [{helper}]
    timeout_seconds: 60
"""


def pid_reuse():
    """pidreuse forks child A, reaps it, and makes the kernel give child B the same pid, in a
    private pid namespace where the gate runs too. The gate's process_tree.json must hold two
    records with that pid: A's (exit 11) and B's (exit 22), not one merged record."""
    unshare = shutil.which("unshare") or "/usr/bin/unshare"
    probe = subprocess.run([unshare, "--pid", "--fork", "--mount-proc", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        skip(f"private pid namespaces are unavailable here ({unshare} --pid --fork --mount-proc: "
             f"{probe.stderr.strip()})")
    if not os.path.exists("/proc/sys/kernel/ns_last_pid"):
        skip("the kernel has no /proc/sys/kernel/ns_last_pid (CONFIG_CHECKPOINT_RESTORE): a pid cannot be reused "
             "on purpose")
    with tempfile.TemporaryDirectory(prefix="hg-tracer-") as tmp:
        policy = os.path.join(tmp, "policy.yml")
        with open(policy, "w") as f:
            f.write(PIDREUSE_POLICY.format(helper=json.dumps(netns.env_path("HG_PIDREUSE"))))
        outdir = os.path.join(tmp, "out")
        out = run([unshare, "--pid", "--fork", "--mount-proc", "--", netns.gate_bin(), "run", "--policy", policy,
                   "--out", outdir, "--sha", "reuse"], timeout=50)
        logs = os.path.join(outdir, "logs", "reuse")
        with open(os.path.join(logs, "stdout.txt")) as f:
            said = f.read()
        with open(os.path.join(logs, "stderr.txt")) as f:
            said += f.read()
        with open(os.path.join(logs, "process_tree.json")) as f:
            tree = json.load(f)
    out.text += f"\n--- step output:\n{said}\n--- process_tree.json:\n{json.dumps(tree, indent=1)}"
    line = next((netns.parse_kv(l.partition(" ")[2]) for l in said.splitlines() if l.startswith("pidreuse ")), None)
    check(line is not None and out.rc == 0, "pidreuse did not get the same pid twice (see its output)", out)
    check(line["first"] == line["second"], "the pids differ", out)
    pid = int(line["first"])
    twins = [p for p in tree["processes"] if p["pid"] == pid]
    check(len(twins) == 2, f"process_tree.json has {len(twins)} record(s) with pid {pid}, expected 2", out)
    check(sorted(p["exit_code"] for p in twins) == [11, 22], f"exit codes {[p['exit_code'] for p in twins]}", out)
    root = tree["root_pid"]
    check(all(p["ppid"] == root and p["exited"] for p in twins), "both are exited children of the root", out)
    check(twins[0]["spawn_seq"] != twins[1]["spawn_seq"], "the two records share a spawn_seq", out)


CASES = {
    "info-fails-audit": refused_unreadable([], "info-seccomp=EIO", "failed with EIO"),
    "info-fails-enforce": refused_unreadable(["--enforce"], "info-seccomp=EIO", "failed with EIO"),
    "info-wrong-op-audit": refused_unreadable([], "info-seccomp=op", "reported op 0, not a seccomp stop"),
    "info-exit-fails": info_exit_fails,
    "info-socket-fails-audit": info_socket_fails([]),
    "info-socket-fails-enforce": info_socket_fails(["--enforce"]),
    "restart-syscall-fails": restart_syscall_fails,
    "restart-cont-fails": restart_cont_fails,
    "skip-fails-enforce": skip_fails_enforce,
    "probe-ok": probe_ok,
    "probe-info-fails": probe_unusable("info-seccomp=EIO", "failed with EIO at a seccomp stop"),
    "probe-info-wrong-op": probe_unusable("info-seccomp=op", "reported op 0 instead of PTRACE_SYSCALL_INFO_SECCOMP"),
    "pid-reuse": pid_reuse,
}


def run_case(name):
    try:
        if name != "probe-ok":
            require_ptrace()
        CASES[name]()
    except Failed as e:
        print(f"FAIL {name}: {e}")
        return 1
    print(f"PASS {name}")
    return 0


if __name__ == "__main__":
    sys.exit(netns.table_main(sys.argv[1:], "tracer_cases.py", CASES, run_case))
