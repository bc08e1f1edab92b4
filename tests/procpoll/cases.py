#!/usr/bin/env python3
"""Integration cases of the /proc fallback detector (issue #5): the engine through
procpoll_driver on holdnet scenarios, the ptrace probe under noptrace (a real seccomp
filter that denies ptrace), and the CLI (cli-* cases: the hermetic-gate binary itself, exec
and run, started under noptrace, with --detector / --strict / strict: true). `cases.py NAME` runs one case in its own network namespace
(tests/integration/netns.py: only 203.0.113.0/24 and loopback are used, nothing answers);
`cases.py --check-table NAME...` checks that meson registers every case. Exit 0 pass,
1 fail, 77 skip.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("PP_NETNS_DIR") or os.path.join(HERE, "..", "integration"))
import netns  # noqa: E402

V4 = netns.V4
SKIP = netns.SKIP


def tool(name):
    path = os.environ.get(name)
    if not path:
        print(f"FATAL: {name} is not set (run through meson test)", file=sys.stderr)
        sys.exit(99)
    return path


class Failed(Exception):
    pass


def check(cond, what, out=None):
    if not cond:
        raise Failed(what + ("" if out is None else "\n--- output:\n" + out.text))


class Out:
    def __init__(self, argv, proc, elapsed):
        self.argv = argv
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.elapsed = elapsed
        self.text = f"$ {' '.join(argv)}\nrc={self.rc} after {elapsed:.2f}s\n{self.stdout}--- stderr:\n{self.stderr}"
        self.lines = {}
        for line in self.stdout.splitlines():
            kind, _, rest = line.partition(" ")
            self.lines.setdefault(kind, []).append(netns.parse_kv(rest))

    def get(self, kind, **match):
        return [d for d in self.lines.get(kind, []) if all(d.get(k) == v for k, v in match.items())]


def run(argv, timeout=30, cwd=None):
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=cwd)
    return Out(argv, proc, time.monotonic() - start)


def driver(args, command, wrap=()):
    return run(list(wrap) + [tool("PP_DRIVER")] + list(args) + ["--"] + list(command))


def holdnet(*args):
    return [tool("PP_HOLDNET")] + [str(a) for a in args]


def holdnet_ops(out, op):
    return [d for d in out.get("holdnet") if d.get("op") == op]


def one(items, what, out):
    check(len(items) == 1, f"expected exactly one {what}, got {len(items)}", out)
    return items[0]


# --- the probe -------------------------------------------------------------------------------

def ptrace_missing(p):
    """Why ptrace cannot serve the tests here, when facts the probe did not produce itself
    show it (the kernel lacks PTRACE_GET_SYSCALL_INFO, or this process is filtered, traced
    or under Yama scope 3); None when nothing explains a failed probe, which is then a bug."""
    status = open("/proc/self/status").read()
    yama_path = "/proc/sys/kernel/yama/ptrace_scope"
    yama = open(yama_path).read().strip() if os.path.exists(yama_path) else ""
    release = tuple(int(x) for x in re.findall(r"\d+", os.uname().release)[:2])
    if p.get("call") == "ptrace(PTRACE_GET_SYSCALL_INFO)" and release < (5, 3):
        return f"the kernel ({os.uname().release}) lacks PTRACE_GET_SYSCALL_INFO (Linux >= 5.3): {p.get('reason')}"
    if "Seccomp:\t2" in status or "\nTracerPid:\t0\n" not in status or yama == "3":
        return f"ptrace is not available to the tests themselves: {p.get('reason')}"
    return None


def case_probe_ok():
    out = run([tool("PP_PROBE")])
    p = one(out.get("probe"), "probe line", out)
    if p["ok"] != "1":
        why = ptrace_missing(p)
        if why:
            print(f"SKIP: {why}", file=sys.stderr)
            sys.exit(SKIP)
        raise Failed("the probe says ptrace is unavailable where nothing forbids it", out)
    check(p["errnum"] == "0" and p["call"] == "-" and p["reason"] == "", "ok probe carries no failure", out)


def case_probe_noptrace():
    out = run([tool("PP_NOPTRACE"), tool("PP_PROBE")])
    check(out.rc == 0, "the probe program must survive the probe", out)
    p = one(out.get("probe"), "probe line", out)
    check(p["ok"] == "0", "ptrace denied by seccomp must be reported as unavailable", out)
    check(p["errnum"] == "EPERM", "errno is EPERM", out)
    check(p["call"] == "ptrace(PTRACE_SEIZE)", "the failing call is PTRACE_SEIZE", out)
    check(p["reason"] == "ptrace(PTRACE_SEIZE) failed with EPERM: denied by a seccomp filter on the gate "
                        "(Seccomp: 2 in /proc/self/status): likely the container's seccomp profile",
          "the reason names the seccomp filter", out)


def case_probe_noptrace_kill():
    out = run([tool("PP_NOPTRACE"), "--kill", tool("PP_PROBE")])
    check(out.rc == 0, "a filter that kills on ptrace must kill the probe's helper, not the gate", out)
    p = one(out.get("probe"), "probe line", out)
    check(p["ok"] == "0", "unavailable", out)
    check(p["reason"].startswith("ptrace(PTRACE_SEIZE) killed the probe with SIGSYS: a seccomp filter on the gate"),
          "the reason says the filter kills", out)


# --- detector choice under a runner that forbids ptrace --------------------------------------

def case_auto_falls_back_under_noptrace():
    out = driver(["--detector", "auto"], holdnet("connect", V4, 443, 1000), wrap=[tool("PP_NOPTRACE")])
    check(out.rc == 0, "auto falls back and runs the command", out)
    d = one(out.get("decision"), "decision line", out)
    check(d["action"] == "proc", "auto chooses the proc poller", out)
    check(d["message"].startswith("ptrace is unavailable (ptrace(PTRACE_SEIZE) failed with EPERM: denied by a seccomp filter"),
          "the message says why", out)
    check("falling back to the proc-poll detector, which is weaker" in d["message"], "and that it is weaker", out)
    one(out.get("record", call="connect", addr=f"{V4}:443", decision="audited"), "connect record", out)


def strict_like(args):
    with tempfile.TemporaryDirectory(prefix="hg-pp-") as tmp:
        marker = os.path.join(tmp, "ran")
        out = driver(args, holdnet("touch", marker), wrap=[tool("PP_NOPTRACE")])
        return out, os.path.exists(marker)


def case_strict_refuses_under_noptrace():
    out, ran = strict_like(["--detector", "auto", "--strict"])
    check(out.rc == 4, "strict mode exits 4", out)
    check(not ran, "strict mode runs nothing", out)
    d = one(out.get("decision"), "decision line", out)
    check(d["action"] == "refuse", "refused", out)
    check(d["message"].startswith("strict mode: the ptrace detector cannot run: ptrace(PTRACE_SEIZE) failed with EPERM")
          and d["message"].endswith("; nothing ran"), "one-line reason", out)
    check(not out.get("result") and not out.get("record"), "no poller output", out)


def case_ptrace_refuses_under_noptrace():
    out, ran = strict_like(["--detector", "ptrace"])
    check(out.rc == 4 and not ran, "--detector ptrace exits 4 and runs nothing when ptrace is denied", out)
    check(one(out.get("decision"), "decision line", out)["action"] == "refuse", "refused", out)


def case_proc_conflicts_with_strict():
    with tempfile.TemporaryDirectory(prefix="hg-pp-") as tmp:
        marker = os.path.join(tmp, "ran")
        out = driver(["--detector", "proc", "--strict"], holdnet("touch", marker))
        check(out.rc == 2 and not os.path.exists(marker), "--strict with --detector proc is a usage error", out)
        check(one(out.get("decision"), "decision line", out)["action"] == "conflict", "conflict", out)


# --- what the poller sees --------------------------------------------------------------------

def result_of(out):
    check(out.rc == 0, "the driver ran the command", out)
    return one(out.get("result"), "result line", out)


def case_connect_syn_sent():
    out = driver([], holdnet("connect", V4, 443, 1000))
    res = result_of(out)
    probe = one(holdnet_ops(out, "connect"), "holdnet connect", out)
    r = one(out.get("record", call="connect"), "connect record", out)
    check(r["addr"] == f"{V4}:443" and r["decision"] == "audited" and r["direction"] == "outbound",
          "an audited outbound connect to the remote", out)
    check(r["pid"] == probe["pid"], "attributed to the process that made it", out)
    check(r["result_known"] == "0" and r["why"] == f"TCP connect to {V4}:443 (seen in SYN-SENT)",
          "an attempt seen in SYN-SENT", out)
    e = one(out.get("established"), "established entry", out)
    check(e["state"] == "SYN-SENT" and e["peer"] == f"{V4}:443" and e["local"] == probe["local"], "ss entry", out)
    check(res["violations"] == "1" and res["exit"] == "0", "one violation, exit 0", out)
    check(any(l.startswith("SYN-SENT") or "SYN-SENT" in l for l in out.stdout.splitlines() if l.startswith("ss| tcp")),
          "ss_established.txt lists it", out)
    check(len(out.get("limit")) >= 8, "the limits are reported", out)


def case_connect_established_loopback():
    out = driver([], holdnet("loopback", 1000))
    result_of(out)
    listen = one(holdnet_ops(out, "listen"), "holdnet listen", out)
    conn = one(holdnet_ops(out, "connect"), "holdnet connect", out)
    port_addr = listen["local"]
    c = one(out.get("record", call="connect"), "connect record (the accepted side is not one)", out)
    check(c["addr"] == port_addr and c["local"] == conn["local"] and c["decision"] == "audited",
          "the client side, to the loopback listener, audited", out)
    check(c["result_known"] == "1" and "seen in" not in c["why"], "an established connection", out)
    l = one(out.get("record", call="listen"), "listen record", out)
    check(l["addr"] == "127.0.0.1:0" and l["local"] == port_addr and l["direction"] == "inbound"
          and l["decision"] == "audited", "the listener, its kernel-chosen port reported as 0", out)
    check(len(out.get("record")) == 2, "nothing else is reported", out)
    e = one(out.get("established"), "established entry", out)
    check(e["state"] == "ESTAB" and e["peer"] == port_addr, "ESTAB in ss_established", out)


def case_listen():
    out = driver([], holdnet("listen", 0, 1000))
    result_of(out)
    h = one(holdnet_ops(out, "listen"), "holdnet listen", out)
    r = one(out.get("record", call="listen"), "listen record", out)
    check(r["addr"] == "0.0.0.0:0" and r["local"] == h["local"] and r["decision"] == "audited"
          and r["direction"] == "inbound" and r["proto"] == "tcp",
          "an inbound listen, the kernel-picked port reported as 0 (the real one in local)", out)
    l = one(out.get("listening"), "listening entry", out)
    check(l["role"] == "listen" and l["state"] == "LISTEN" and l["local"] == h["local"], "ss_listen entry", out)
    # A port outside the namespace's ephemeral range (32768-60999 in a new namespace) is shown as it is.
    out = driver([], holdnet("listen", 8080, 300))
    result_of(out)
    r = one(out.get("record", call="listen"), "listen record", out)
    check(r["addr"] == "0.0.0.0:8080" and r["local"] == "0.0.0.0:8080", "a fixed port is reported as it is", out)


def case_udp_bind():
    out = driver([], holdnet("udp-bind", 0, 1000))
    result_of(out)
    h = one(holdnet_ops(out, "bind"), "holdnet bind", out)
    r = one(out.get("record", call="bind"), "bind record", out)
    check(r["proto"] == "udp" and r["addr"] == "127.0.0.1:0" and r["local"] == h["local"] and r["decision"] == "audited"
          and r["direction"] == "inbound", "an inbound UDP bind, the kernel-picked port reported as 0", out)
    check(one(out.get("listening"), "listening entry", out)["state"] == "UNCONN", "UNCONN in ss_listen", out)


def case_self_connect():
    """A process listens on 127.0.0.1:0 and connects to itself, holding both sockets 300 ms:
    the connect is a self connection reported under its listener at port 0, and an inbound
    exception for 127.0.0.1 allows both the listen and the connect."""
    out = driver([], holdnet("loopback", 300))
    res = result_of(out)
    listen = one(holdnet_ops(out, "listen"), "holdnet listen", out)
    conn = one(holdnet_ops(out, "connect"), "holdnet connect", out)
    l = one(out.get("record", call="listen"), "listen record", out)
    check(l["addr"] == "127.0.0.1:0" and l["local"] == listen["local"] and l["decision"] == "audited",
          "the listen, at port 0, audited without an exception", out)
    c = one(out.get("record", call="connect"), "connect record", out)
    check(c["direction"] == "self" and c["decision"] == "audited", "the connect is a self connection, audited", out)
    check(c["listener"] == "127.0.0.1:0", "its listener is shown at port 0", out)
    check(c["addr"] == listen["local"] and c["local"] == conn["local"], "the connect's own addresses are the real ones", out)
    check(c["why"].endswith(": the step's own listener on 127.0.0.1:0 (port chosen by the kernel)"), "the why says so", out)
    check(res["violations"] == "2", "two violations: the listen and the self connect", out)

    out = driver(["--allow-listen", "127.0.0.1"], holdnet("loopback", 300))
    res = result_of(out)
    l = one(out.get("record", call="listen"), "listen record", out)
    c = one(out.get("record", call="connect"), "connect record", out)
    check(l["decision"] == "allowed", "the inbound exception allows the listen", out)
    check(c["direction"] == "self" and c["decision"] == "allowed" and c["listener"] == "127.0.0.1:0",
          "and the self connect to that listener", out)
    check(res["violations"] == "0", "no violation", out)


def case_udp_connect_loopback_logged():
    out = driver([], holdnet("udp-connect", "127.0.0.1", 53, 1000))
    res = result_of(out)
    r = one(out.get("record", call="connect"), "connect record", out)
    check(r["proto"] == "udp" and r["decision"] == "logged" and r["addr"] == "127.0.0.1:53",
          "a datagram connect to loopback is logged, not a violation", out)
    check(res["violations"] == "0", "no violation", out)


def case_udp_connect_remote():
    out = driver([], holdnet("udp-connect", V4, 53, 1000))
    res = result_of(out)
    r = one(out.get("record", call="connect"), "connect record", out)
    check(r["proto"] == "udp" and r["decision"] == "audited" and r["addr"] == f"{V4}:53", "audited", out)
    check(res["violations"] == "1", "one violation", out)


def case_allowlist():
    out = driver(["--allow", V4], holdnet("connect", V4, 443, 1000))
    res = result_of(out)
    r = one(out.get("record", call="connect"), "connect record", out)
    check(r["decision"] == "allowed", "the exception matches", out)
    check(res["violations"] == "0", "no violation", out)


def case_orphan_seen_and_killed():
    out = driver([], holdnet("orphan", 30, "connect", V4, 443))
    res = result_of(out)
    grand = one(holdnet_ops(out, "grandchild"), "grandchild report", out)["pid"]
    check(out.elapsed < 10, "the gate does not wait for the orphan", out)
    r = one(out.get("record", call="connect"), "connect record", out)
    check(r["pid"] == grand, "the orphaned grandchild's connect is seen", out)
    p = one(out.get("process", pid=grand), "grandchild process", out)
    check(p["killed"] == "1" and p["exited"] == "1" and p["signal"] == "9", "killed by the gate and reaped", out)
    check(not os.path.exists(f"/proc/{grand}"), "the orphan is gone", out)
    left = out.get("left", pid=grand)
    check(len(left) == 1 and left[0]["state"] == "SYN-SENT", "its socket is listed as left behind", out)
    check(res["exit"] == "0", "the root exited 0", out)


def case_timeout_kills_tree():
    out = driver(["--timeout", "1"], holdnet("sleep", 30000))
    res = result_of(out)
    check(res["timed_out"] == "1" and res["signal"] == "9", "timed out, root killed", out)
    check(out.elapsed < 5, "within about a second", out)


def case_exit_code():
    out = driver([], holdnet("no-such-scenario"))
    res = result_of(out)
    check(res["exit"] == "2" and res["signal"] == "0", "the root's exit code is reported", out)
    root = one(out.get("process", pid=res["root"]), "root process", out)
    check(root["exited"] == "1" and root["code"] == "2" and root["ppid"] == "0", "root process record", out)
    check(int(res["polls"]) >= 1, "polled at least once", out)


def case_cannot_start():
    out = driver([], ["/nonexistent/hg-command"])
    check(out.rc == 1, "a missing command is an error", out)
    e = one(out.get("error"), "error line", out)
    check(e["errnum"] == "2" and "/nonexistent/hg-command" in e["message"], "names the command", out)
    with tempfile.TemporaryDirectory(prefix="hg-pp-") as tmp:
        bad = os.path.join(tmp, "not-a-program")
        with open(bad, "wb") as f:
            f.write(b"\x00\x01\x02garbage")
        os.chmod(bad, 0o755)
        out = driver([], [bad])
        check(out.rc == 1, "an unexecutable file is an error", out)
        e = one(out.get("error"), "error line", out)
        check(e["message"].startswith(f"cannot start '{bad}': Exec format error"), "execve's errno", out)
        check(not out.get("result"), "nothing ran", out)


# --- the CLI: the real hermetic-gate binary, started under noptrace ---------------------------
# The gate itself runs under the seccomp filter (a runner that really forbids ptrace), not with
# a flag that pretends so. HG_BIN is the gate, HG_VALIDATE_JSON / HG_SCHEMA_DIR the validator
# built in tests/integration and evidence-schema/.

GATE_TIMEOUT = 30  # seconds; every gate run is bounded, the meson timeout is above it
EPERM_REASON = ("ptrace(PTRACE_SEIZE) failed with EPERM: denied by a seccomp filter on the gate "
                "(Seccomp: 2 in /proc/self/status)")


def gate(args, wrap=True, cwd=None):
    """hermetic-gate ARGS, under noptrace unless wrap is False."""
    argv = ([tool("PP_NOPTRACE")] if wrap else []) + [tool("HG_BIN")] + [str(a) for a in args]
    try:
        return run(argv, timeout=GATE_TIMEOUT, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise Failed(f"$ {' '.join(argv)}\ndid not finish within {GATE_TIMEOUT}s; stderr so far:\n{e.stderr}")


def stderr_lines(out, prefix):
    return [l for l in out.stderr.splitlines() if l.startswith(prefix)]


def violations(out):
    """The live violation lines of the gate, parsed (key=value, values may be quoted)."""
    found = []
    for line in stderr_lines(out, "hermetic-gate: violation "):
        d = {}
        for part in line[len("hermetic-gate: violation "):].split():
            k, sep, v = part.partition("=")
            if sep:
                d[k] = v.strip('"')
        found.append(d)
    return found


def holdnet_stdout(text, op):
    """holdnet report lines of op in text (the command's stdout)."""
    found = []
    for line in text.splitlines():
        if line.startswith("holdnet "):
            d = netns.parse_kv(line[len("holdnet "):])
            if d.get("op") == op:
                found.append(d)
    return found


def check_fallback_warning(out):
    warn = stderr_lines(out, "hermetic-gate: warning: ")
    check(len(warn) == 1, f"expected exactly one warning line, got {len(warn)}", out)
    w = warn[0]
    check(w.startswith("hermetic-gate: warning: ptrace is unavailable (" + EPERM_REASON),
          "the warning says ptrace is unavailable, naming EPERM and the seccomp filter", out)
    check("; falling back to the proc-poll detector" in w, "the warning says it falls back to the proc-poll detector", out)


def check_one_error(out, start, rc):
    check(out.rc == rc, f"exit {rc} expected", out)
    lines = [l for l in out.stderr.splitlines() if l.strip()]
    check(len(lines) == 1, f"expected exactly one stderr line, got {len(lines)}", out)
    check(lines[0].startswith("hermetic-gate: error: " + start), f"the line starts with 'hermetic-gate: error: {start}'", out)
    return lines[0]


def check_refused_noptrace(out, start):
    line = check_one_error(out, start, 4)
    check(EPERM_REASON in line and line.endswith("; nothing ran"), "the line names EPERM and the seccomp filter, and says nothing ran", out)
    check(not violations(out) and "holdnet " not in out.stdout, "no command output, no violation", out)


def case_cli_exec_auto_noptrace_connect():
    out = gate(["exec", "--", *holdnet("connect", V4, 443, 1000)])
    check(out.rc == 3, "a violation under the fallback detector exits 3", out)
    check_fallback_warning(out)
    probe = one(holdnet_stdout(out.stdout, "connect"), "holdnet connect (the command ran)", out)
    check(probe.get("errno") == "EINPROGRESS", "the connect is in progress (SYN-SENT, nothing answers)", out)
    v = one([d for d in violations(out) if d.get("addr") == f"{V4}:443"], f"violation line for {V4}:443", out)
    check(v.get("syscall") == "connect" and v.get("proto") == "tcp" and v.get("decision") == "audited",
          "a TCP connect, audited", out)
    check(v.get("pid") == probe["pid"], "attributed to the process that made it", out)
    check(len(violations(out)) == 1, "nothing else is a violation", out)


def case_cli_exec_auto_noptrace_listen():
    out = gate(["exec", "--", *holdnet("listen", 0, 1000)])
    check(out.rc == 3, "a listener under the fallback detector exits 3", out)
    check_fallback_warning(out)
    probe = one(holdnet_stdout(out.stdout, "listen"), "holdnet listen (the command ran)", out)
    v = one(violations(out), "violation line", out)
    check(v.get("syscall") == "listen" and v.get("proto") == "tcp" and v.get("decision") == "audited",
          "a TCP listen, audited", out)
    check(v.get("addr") == "0.0.0.0:0", f"the listener's address {probe['local']}, its kernel-chosen port shown as 0", out)
    check(v.get("pid") == probe["pid"], "attributed to the process that made it", out)


def case_cli_exec_strict_noptrace():
    with tempfile.TemporaryDirectory(prefix="hg-pp-") as tmp:
        marker = os.path.join(tmp, "ran")
        out = gate(["exec", "--strict", "--", *holdnet("touch", marker)], cwd=tmp)
        check_refused_noptrace(out, "strict mode: the ptrace detector cannot run: ")
        check(not os.path.exists(marker), "the command did not run (no marker file)", out)


def case_cli_exec_ptrace_noptrace():
    with tempfile.TemporaryDirectory(prefix="hg-pp-") as tmp:
        marker = os.path.join(tmp, "ran")
        out = gate(["exec", "--detector", "ptrace", "--", *holdnet("touch", marker)], cwd=tmp)
        check_refused_noptrace(out, "the ptrace detector cannot run: ")
        check(not os.path.exists(marker), "the command did not run (no marker file)", out)


def write_policy(tmp, steps, strict=None):
    text = "version: 1\nmode: audit\n"
    if strict is not None:
        text += f"strict: {'true' if strict else 'false'}\n"
    text += "hermetic_steps:\n"
    for sid, argv in steps:
        text += f"  - id: {sid}\n    run: {json.dumps([str(a) for a in argv])}\n"
    path = os.path.join(tmp, "policy.yml")
    with open(path, "w") as f:
        f.write(text)
    return path


def check_nothing_ran(out, outdir, marker):
    check(not os.path.exists(marker), f"a step ran (it created {marker})", out)
    logs = os.path.join(outdir, "logs")
    check(not os.path.isdir(logs) or not os.listdir(logs),
          f"step logs were written: {os.listdir(logs) if os.path.isdir(logs) else []}", out)


def run_refused(gate_args, strict_policy, wrap, start, rc):
    with tempfile.TemporaryDirectory(prefix="hg-pp-") as tmp:
        marker = os.path.join(tmp, "ran")
        policy = write_policy(tmp, [("touch", holdnet("touch", marker)), ("connect", holdnet("connect", V4, 443, 200))],
                              strict=strict_policy)
        outdir = os.path.join(tmp, "out")
        out = gate(["run", "--policy", policy, "--sha", "pp", "--out", outdir] + gate_args, wrap=wrap, cwd=tmp)
        line = check_one_error(out, start, rc)
        check_nothing_ran(out, outdir, marker)
        return out, line


def case_cli_run_strict_policy_noptrace():
    out, line = run_refused([], True, True, "strict mode: the ptrace detector cannot run: ", 4)
    check(EPERM_REASON in line and line.endswith("; nothing ran"), "the line names EPERM and the seccomp filter", out)
    out, line = run_refused(["--strict"], None, True, "strict mode: the ptrace detector cannot run: ", 4)
    check(EPERM_REASON in line and line.endswith("; nothing ran"), "--strict on the command line: the same", out)


def ss_rows(text):
    """Rows of an ss-style table, each split into columns (header dropped)."""
    rows = [l.split() for l in text.splitlines() if l.strip()]
    return rows[1:] if rows and rows[0][:1] == ["Netid"] else rows


def validate(schema, files):
    proc = subprocess.run([tool("HG_VALIDATE_JSON"), os.path.join(tool("HG_SCHEMA_DIR"), schema)] + list(files),
                          capture_output=True, text=True, timeout=30)
    return proc.returncode, proc.stdout + proc.stderr


def run_proc_poll_evidence(gate_args, wrap, note_start):
    """run with a connect step and a listen step under the proc-poll detector: exit 3 and the
    evidence folder says proc-poll and lists both sockets."""
    validator = tool("HG_VALIDATE_JSON")
    if not os.access(validator, os.X_OK):
        raise Failed(f"the validator {validator} is not built (ninja -C BUILD tests/integration/validate_json)")
    with tempfile.TemporaryDirectory(prefix="hg-pp-") as tmp:
        policy = write_policy(tmp, [("connect", holdnet("connect", V4, 443, 1000)), ("listen", holdnet("listen", 0, 1000))],
                              strict=False)
        outdir = os.path.join(tmp, "out")
        out = gate(["run", "--policy", policy, "--sha", "pp", "--out", outdir] + gate_args, wrap=wrap, cwd=tmp)
        out.text += "\n--- evidence:\n"
        for root, _, files in os.walk(outdir):
            for n in sorted(files):
                p = os.path.join(root, n)
                if n.endswith(".txt") or n == "report.json":
                    with open(p, errors="replace") as f:
                        out.text += f"=== {os.path.relpath(p, outdir)}\n{f.read()}\n"
        check(out.rc == 3, "violations under the proc-poll detector exit 3", out)
        warn = stderr_lines(out, "hermetic-gate: warning: ")
        check(len(warn) == 1 and warn[0].startswith("hermetic-gate: warning: " + note_start),
              f"one warning line starting '{note_start}'", out)

        report_path = os.path.join(outdir, "report.json")
        check(os.path.isfile(report_path), "report.json is written", out)
        with open(report_path) as f:
            rep = json.load(f)
        check(rep.get("detector") == "proc-poll", f"report.json detector is proc-poll (got {rep.get('detector')!r})", out)
        note = rep.get("detector_note")
        check(isinstance(note, str) and note.startswith(note_start), f"detector_note says why (got {note!r})", out)
        limits = rep.get("detector_limits")
        check(isinstance(limits, list) and limits and all(isinstance(s, str) and s for s in limits),
              f"detector_limits is a non-empty list of strings (got {limits!r})", out)
        rc, text = validate("report.schema.json", [report_path])
        check(rc == 0, f"report.json is valid against report.schema.json (validate_json exit {rc}):\n{text}", out)
        trees = [os.path.join(outdir, "logs", s, "process_tree.json") for s in ("connect", "listen")]
        rc, text = validate("process_tree.schema.json", trees)
        check(rc == 0, f"process_tree.json valid against process_tree.schema.json (exit {rc}):\n{text}", out)
        steps = {s.get("id"): s for s in rep.get("steps", [])}
        check(steps.get("connect", {}).get("result") == "violation" and steps.get("listen", {}).get("result") == "violation",
              "both steps are violations in report.json", out)

        logs = os.path.join(outdir, "logs")
        with open(os.path.join(logs, "connect", "stdout.txt")) as f:
            probe = one(holdnet_stdout(f.read(), "connect"), "holdnet connect in logs/connect/stdout.txt", out)
        est_path = os.path.join(logs, "connect", "ss_established.txt")
        check(os.path.isfile(est_path), "logs/connect/ss_established.txt is written", out)
        with open(est_path) as f:
            est = ss_rows(f.read())
        check(any(len(r) >= 4 and r[0] == "tcp" and r[1] == "SYN-SENT" and r[3] == f"{V4}:443" and r[2] == probe["local"]
                  for r in est), f"ss_established.txt lists the connection to {V4}:443 in SYN-SENT", out)

        with open(os.path.join(logs, "listen", "stdout.txt")) as f:
            lprobe = one(holdnet_stdout(f.read(), "listen"), "holdnet listen in logs/listen/stdout.txt", out)
        with open(os.path.join(logs, "listen", "ss_listen.txt")) as f:
            lst = ss_rows(f.read())
        rows = [r for r in lst if len(r) >= 3 and r[0] == "tcp" and r[1] == "LISTEN" and r[2] == lprobe["local"]]
        check(rows, f"ss_listen.txt lists the listener {lprobe['local']}", out)
        check(len(rows) == 1, f"ss_listen.txt lists the one listening socket {lprobe['local']} once, not {len(rows)} times", out)
        return out, rep


def case_cli_run_auto_noptrace_evidence():
    out, rep = run_proc_poll_evidence([], True, "ptrace is unavailable (" + EPERM_REASON)
    check("falling back to the proc-poll detector" in rep["detector_note"], "the note says it fell back", out)


def case_cli_run_ptrace_noptrace():
    out, line = run_refused(["--detector", "ptrace"], None, True, "the ptrace detector cannot run: ", 4)
    check(EPERM_REASON in line and line.endswith("; nothing ran"), "the line names EPERM and the seccomp filter", out)


def case_cli_proc_with_ptrace():
    out = run([tool("PP_PROBE")])
    p = one(out.get("probe"), "probe line", out)
    if p["ok"] != "1":
        why = ptrace_missing(p)
        if not why:
            raise Failed("the probe says ptrace is unavailable where nothing forbids it", out)
        print(f"SKIP: {why}, so --detector proc cannot be shown to override a working tracer", file=sys.stderr)
        sys.exit(SKIP)
    ex = gate(["exec", "--detector", "proc", "--", *holdnet("connect", V4, 443, 1000)], wrap=False)
    check(ex.rc == 3, "exec --detector proc: the connect is a violation", ex)
    warn = stderr_lines(ex, "hermetic-gate: warning: ")
    check(len(warn) == 1 and warn[0].startswith("hermetic-gate: warning: using the proc-poll detector as asked"),
          "exec --detector proc warns that the weaker detector is used", ex)
    one([d for d in violations(ex) if d.get("addr") == f"{V4}:443"], f"violation line for {V4}:443", ex)
    run_proc_poll_evidence(["--detector", "proc"], False, "using the proc-poll detector as asked (--detector proc)")


def case_cli_proc_strict_conflict():
    want = "--strict refuses the weaker proc-poll detector, but --detector proc asks for it"
    with tempfile.TemporaryDirectory(prefix="hg-pp-") as tmp:
        marker = os.path.join(tmp, "ran")
        out = gate(["exec", "--detector", "proc", "--strict", "--", *holdnet("touch", marker)], wrap=False, cwd=tmp)
        check_one_error(out, want, 2)
        check(not os.path.exists(marker), "exec: the command did not run", out)
    run_refused(["--detector", "proc", "--strict"], None, False, want, 2)
    run_refused(["--detector", "proc"], True, False, want, 2)  # strict: true in the policy


CASES = {name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")}


def run_one(name):
    try:
        CASES[name]()
    except Failed as e:
        print(f"FAIL: {name}: {e}", file=sys.stderr)
        return 1
    print(f"PASS: {name}")
    return 0


def main():
    return netns.table_main(sys.argv[1:], "cases.py", CASES, run_one)

if __name__ == "__main__":
    sys.exit(main())
