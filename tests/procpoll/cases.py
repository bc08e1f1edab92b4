#!/usr/bin/env python3
"""Integration cases of the /proc fallback detector (issue #5): the engine through
procpoll_driver on holdnet scenarios, and the ptrace probe under noptrace (a real seccomp
filter that denies ptrace). `cases.py NAME` runs one case in its own network namespace
(tests/integration/netns.py: only 203.0.113.0/24 and loopback are used, nothing answers);
`cases.py --check-table NAME...` checks that meson registers every case. Exit 0 pass,
1 fail, 77 skip.
"""

import os
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
            self.lines.setdefault(kind, []).append(parse_kv(rest))

    def get(self, kind, **match):
        return [d for d in self.lines.get(kind, []) if all(d.get(k) == v for k, v in match.items())]


def parse_kv(rest):
    """key=value pairs; why= and message= and reason= take the rest of the line."""
    out = {}
    for tail in ("why=", "message=", "reason="):
        at = rest.find(" " + tail) if not rest.startswith(tail) else 0
        if at >= 0:
            start = at + (0 if at == 0 and rest.startswith(tail) else 1)
            out[tail[:-1]] = rest[start + len(tail):]
            rest = rest[:at]
            break
    for part in rest.split():
        k, sep, v = part.partition("=")
        if sep:
            out[k] = v
    return out


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

def case_probe_ok():
    out = run([tool("PP_PROBE")])
    p = one(out.get("probe"), "probe line", out)
    if p["ok"] != "1":
        status = open("/proc/self/status").read()
        yama_path = "/proc/sys/kernel/yama/ptrace_scope"
        yama = open(yama_path).read().strip() if os.path.exists(yama_path) else ""
        blocked = "Seccomp:\t2" in status or "\nTracerPid:\t0\n" not in status or yama == "3"
        if blocked:
            print(f"SKIP: ptrace is not available to the tests themselves: {p.get('reason')}", file=sys.stderr)
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
    check(l["addr"] == port_addr and l["direction"] == "inbound" and l["decision"] == "audited", "the listener", out)
    check(len(out.get("record")) == 2, "nothing else is reported", out)
    e = one(out.get("established"), "established entry", out)
    check(e["state"] == "ESTAB" and e["peer"] == port_addr, "ESTAB in ss_established", out)


def case_listen():
    out = driver([], holdnet("listen", 0, 1000))
    result_of(out)
    h = one(holdnet_ops(out, "listen"), "holdnet listen", out)
    r = one(out.get("record", call="listen"), "listen record", out)
    check(r["addr"] == h["local"] and r["decision"] == "audited" and r["direction"] == "inbound" and r["proto"] == "tcp",
          "an inbound listen on the kernel-picked port", out)
    l = one(out.get("listening"), "listening entry", out)
    check(l["role"] == "listen" and l["state"] == "LISTEN" and l["local"] == h["local"], "ss_listen entry", out)


def case_udp_bind():
    out = driver([], holdnet("udp-bind", 0, 1000))
    result_of(out)
    h = one(holdnet_ops(out, "bind"), "holdnet bind", out)
    r = one(out.get("record", call="bind"), "bind record", out)
    check(r["proto"] == "udp" and r["addr"] == h["local"] and r["decision"] == "audited" and r["direction"] == "inbound",
          "an inbound UDP bind", out)
    check(one(out.get("listening"), "listening entry", out)["state"] == "UNCONN", "UNCONN in ss_listen", out)


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


CASES = {name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--check-table":
        registered = set(sys.argv[2:])
        missing = sorted(set(CASES) - registered)
        unknown = sorted(registered - set(CASES))
        if missing or unknown:
            print(f"meson.build and cases.py disagree: missing {missing}, unknown {unknown}", file=sys.stderr)
            return 1
        return 0
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(f"usage: cases.py NAME | --check-table NAME...; cases: {', '.join(sorted(CASES))}", file=sys.stderr)
        return 2
    netns.enter()
    try:
        CASES[sys.argv[1]]()
    except Failed as e:
        print(f"FAIL: {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    print(f"PASS: {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
