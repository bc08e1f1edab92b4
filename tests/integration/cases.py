#!/usr/bin/env python3
"""Integration cases: the real hermetic-gate binary on netprobe scenarios, one case per
meson test(). `cases.py NAME` runs one case inside its own network namespace;
`cases.py --check-table NAME...` verifies that meson registers every case of the table.

A case is a dict:
  gate        options before `--` (--out DIR is always added unless out=False)
  probe       netprobe arguments (the command is HG_NETPROBE + probe), or
  command     a literal command list (or a function of a scratch dir returning one), or argv (the whole `exec` argument list, no `--` added)
  rc          expected exit code, or a set of acceptable ones
  violations  the live violation lines, exactly (each a dict of key=value fields that must
              match; `pid` is checked against the pid netprobe reported for that call, `exe`
              against netprobe's real path)
  strace      lines that must be in strace.txt: {call, has: [substrings], and either
              result: 'text after "= "' or the result netprobe reported for (call, addr)}
  probe_out   substrings netprobe must have printed on stdout
  quiet_live  True: no violation line may appear on stderr (--quiet)
  env         environment variables for the gate (HG_LOG_LEVEL)
  check       an extra function(run, failures) for one-off assertions
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
from netns import V4, V6  # noqa: E402

NET_CALLS = ("connect", "bind", "listen", "sendto", "sendmsg", "sendmmsg")


def viol(syscall, family, proto, addr=None, decision="audited", **extra):
    v = dict(syscall=syscall, family=family, decision=decision, **extra)
    if proto is not None:
        v["proto"] = proto
    if addr is not None:
        v["addr"] = addr
    return v


def tcp4_connect_line(addr=V4, port=443, result=None):
    s = {"call": "connect", "addr": f"{addr}:{port}",
         "has": ["sa_family=AF_INET", f"sin_port=htons({port})", f'sin_addr=inet_addr("{addr}")']}
    if result:
        s["result"] = result
    return s


def tcp6_connect_line(addr=V6, port=443):
    return {"call": "connect", "addr": f"[{addr}]:{port}",
            "has": ["sa_family=AF_INET6", f"sin6_port=htons({port})", f'"{addr}"']}


V4_443 = f"{V4}:443"
V6_443 = f"[{V6}]:443"
TCP4 = ["tcp4", V4, "443"]


# --- one-off checks -------------------------------------------------------------------------

def check_grandchild(run, failures):
    """The violation belongs to the orphaned grandchild, not to the root process."""
    grand = [p["pid"] for p in run.probe if p.get("op") == "grandchild"]
    root = [p["pid"] for p in run.probe if p.get("op") == "double-fork"]
    if not grand or not root:
        failures.append("netprobe did not report both the grandchild and the root process")
        return
    if any(v.get("pid") != grand[0] for v in run.violations):
        failures.append(f"violation pid is not the grandchild's ({grand[0]}; root is {root[0]})")


def check_thread(run, failures):
    """pid= is the thread-group id even though a second thread made the call."""
    rec = [p for p in run.probe if p.get("op") == "connect"]
    if not rec or rec[0]["pid"] == rec[0]["tid"]:
        failures.append("netprobe did not make the connect from a second thread")
        return
    for v in run.violations:
        if v.get("pid") != rec[0]["pid"]:
            failures.append(f"violation pid={v.get('pid')} is not the thread-group id {rec[0]['pid']}"
                            f" (tid {rec[0]['tid']})")


def check_exec_child(op):
    def check(run, failures):
        parent = [p for p in run.probe if p.get("op") == op]
        if not parent:
            failures.append(f"netprobe did not report its {op} child")
            return
        for v in run.violations:
            if v.get("pid") != parent[0]["child"]:
                failures.append(f"violation pid={v.get('pid')} is not the exec'd child {parent[0]['child']}")
    return check


def check_one_error_line(name):
    def check(run, failures):
        lines = [l for l in run.stderr.splitlines() if l.strip()]
        if len(lines) != 1:
            failures.append(f"expected exactly one error line on stderr, got {len(lines)}")
        elif name not in lines[0]:
            failures.append(f"the error line does not name the command {name!r}")
    return check


def check_fast(seconds):
    def check(run, failures):
        if run.elapsed > seconds:
            failures.append(f"the gate took {run.elapsed:.1f}s (limit {seconds}s)")
    return check



def check_orphan(run, failures):
    """The call of the leftover grandchild is recorded; the gate neither waits for the
    leftover (it would live 60 s) nor leaves it running."""
    check_fast(10)(run, failures)
    pids = [int(p["pid"]) for p in run.probe if p.get("op") == "orphan"]
    if not pids:
        failures.append("netprobe did not report the orphan")
        return
    if netns.wait_dead(pids[:1], 2):
        failures.append(f"the leftover grandchild {pids[0]} is still running after the gate exited")


def check_usage_error(*words):
    """Exactly one stderr line, a 'hermetic-gate: error:' naming every word."""
    def check(run, failures):
        lines = [l for l in run.stderr.splitlines() if l.strip()]
        if len(lines) != 1:
            failures.append(f"expected exactly one error line on stderr, got {len(lines)}")
        elif not lines[0].startswith("hermetic-gate: error: "):
            failures.append("the error line does not start with 'hermetic-gate: error: '")
        else:
            failures.extend(f"the error line does not name {w!r}" for w in words if w not in lines[0])
    return check


DEBUG = "hermetic-gate: debug: "


def debug_lines(run):
    return [l for l in run.stderr.splitlines() if l.startswith(DEBUG)]


def check_debug_shown(run, failures):
    """The debug diagnostics are on: the line naming the step's command (cli logger) is there,
    and the user-facing lines are as without them."""
    want = f"{DEBUG}cli: step exec: running {netns.netprobe_bin()} clean under the ptrace detector"
    if want not in debug_lines(run):
        failures.append(f"no debug line {want!r}; debug lines: {debug_lines(run)}")
    check_user_lines(run, failures)


def check_no_debug(run, failures):
    if debug_lines(run):
        failures.append(f"debug lines at the default level: {debug_lines(run)}")
    check_user_lines(run, failures)


def check_user_lines(run, failures):
    """Apart from diagnostics, a clean command leaves the one summary line, exactly."""
    rest = [l for l in run.stderr.splitlines() if not l.startswith(DEBUG)]
    want = ["hermetic-gate: 0 network call(s) traced, 0 violation(s) (0 audited, 0 denied), 0 allowed by exception; "
            f"command exited 0; evidence in {run.argv[run.argv.index('--out') + 1]}"]
    if rest != want:
        failures.append(f"stderr besides the debug lines is {rest}, expected {want}")


def make_file(directory, name, mode):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(path, mode)
    return path


def touched_nothing(run, failures, marker):
    if os.path.exists(marker):
        failures.append("the command ran although the invocation was a usage error")


def check_unix_paths(run, failures):
    """The AF_UNIX path and abstract name in strace.txt are those netprobe used."""
    addrs = [p["addr"] for p in run.probe if p.get("family") == "AF_UNIX"]
    text = "\n".join(run.strace)
    for a in addrs:
        needle = f'"{a}"' if a.startswith("/") else a[1:]
        if needle not in text:
            failures.append(f"strace.txt lacks the AF_UNIX address {a}")


CASES = {
    # --- outbound, audit mode -----------------------------------------------------------------
    "tcp4-audit": dict(
        probe=TCP4, rc=3,
        violations=[viol("connect", "AF_INET", "tcp", V4_443)],
        strace=[tcp4_connect_line()], probe_out=["errno=EINPROGRESS"]),
    "tcp6-audit": dict(
        probe=["tcp6", V6, "443"], rc=3,
        violations=[viol("connect", "AF_INET6", "tcp", V6_443)],
        strace=[tcp6_connect_line()], probe_out=["errno=EINPROGRESS"]),
    "tcp4-loopback-audit": dict(  # loopback is outbound too unless allowlisted
        probe=["tcp4", "127.0.0.1", "9"], rc=3,
        violations=[viol("connect", "AF_INET", "tcp", "127.0.0.1:9")],
        strace=[tcp4_connect_line("127.0.0.1", 9)]),
    "tcp-fastopen-audit": dict(  # sendto with an address on a stream socket is a connect
        probe=["tfo4", V4, "443"], rc=3,
        violations=[viol("sendto", "AF_INET", "tcp", V4_443)],
        strace=[{"call": "sendto", "addr": V4_443, "has": ["sa_family=AF_INET", f'inet_addr("{V4}")']}]),
    "udp4-sendto-audit": dict(
        probe=["udp4-sendto", V4, "53"], rc=3,
        violations=[viol("sendto", "AF_INET", "udp", f"{V4}:53")],
        strace=[{"call": "sendto", "addr": f"{V4}:53",
                 "has": ["sa_family=AF_INET", "sin_port=htons(53)", f'inet_addr("{V4}")']}]),
    "udp6-sendto-audit": dict(
        probe=["udp6-sendto", V6, "53"], rc=3,
        violations=[viol("sendto", "AF_INET6", "udp", f"[{V6}]:53")],
        strace=[{"call": "sendto", "addr": f"[{V6}]:53", "has": ["sa_family=AF_INET6", f'"{V6}"']}]),
    "udp-connect-remote": dict(
        probe=["udp-connect", V4, "53"], rc=3,
        violations=[viol("connect", "AF_INET", "udp", f"{V4}:53")],
        strace=[{"call": "connect", "addr": f"{V4}:53", "has": ["sa_family=AF_INET", f'inet_addr("{V4}")']}]),
    "sendmsg4-audit": dict(
        probe=["sendmsg4", V4, "53"], rc=3,
        violations=[viol("sendmsg", "AF_INET", "udp", f"{V4}:53")],
        strace=[{"call": "sendmsg", "addr": f"{V4}:53", "has": ["sa_family=AF_INET", f'inet_addr("{V4}")']}]),
    "sendmmsg4-audit": dict(  # two messages to one address: one record per call
        probe=["sendmmsg4", V4, "53"], rc=3,
        violations=[viol("sendmmsg", "AF_INET", "udp", f"{V4}:53")],
        strace=[{"call": "sendmmsg", "addr": f"{V4}:53", "has": [f'inet_addr("{V4}")']}]),

    # --- calls that fail harmlessly in the kernel: judged all the same ---------------------------
    "bad-fd-connect": dict(  # no socket behind fd 999: the inet address decides
        probe=["bad-fd", V4, "443"], rc=3,
        violations=[viol("connect", "AF_INET", None, V4_443)],
        strace=[{"call": "connect", "has": ["999", f'inet_addr("{V4}")'], "result": "-1 EBADF"}]),
    "bad-pointer-connect": dict(  # undecodable address: a violation, never silent
        probe=["bad-pointer"], rc=3,
        violations=[viol("connect", "AF_INET", "tcp", "undecodable")],
        strace=[{"call": "connect", "has": ["0x1"], "result": "-1 EFAULT"}]),
    "short-addrlen-connect": dict(
        probe=["short-addrlen", V4, "443"], rc=3,
        violations=[viol("connect", "AF_INET", "tcp")],
        strace=[{"call": "connect", "has": [", 4"], "result": "-1 EINVAL"}]),
    "enforce-bad-pointer": dict(
        gate=["--enforce"], probe=["bad-pointer"], rc=3,
        violations=[viol("connect", "AF_INET", "tcp", "undecodable", decision="denied")],
        strace=[{"call": "connect", "has": ["0x1"], "result": "-1 EPERM"}], probe_out=["errno=EPERM"]),

    # --- inbound ------------------------------------------------------------------------------
    "listen4-audit": dict(
        probe=["listen4", "0"], rc=3,
        violations=[viol("listen", "AF_INET", "tcp")],
        strace=[{"call": "listen", "has": [", 16"], "result": "0"}]),
    "listen6-audit": dict(
        probe=["listen6", "0"], rc=3,
        violations=[viol("listen", "AF_INET6", "tcp")],
        strace=[{"call": "listen", "has": [", 16"], "result": "0"}]),
    "bind-udp4-audit": dict(
        probe=["bind-udp4", "0"], rc=3,
        violations=[viol("bind", "AF_INET", "udp")],
        strace=[{"call": "bind", "has": ["sa_family=AF_INET", 'inet_addr("127.0.0.1")'], "result": "0"}]),

    # --- process tree -------------------------------------------------------------------------
    "double-fork-grandchild": dict(
        probe=["double-fork"] + TCP4, rc=3,
        violations=[viol("connect", "AF_INET", "tcp", V4_443)],
        strace=[tcp4_connect_line()], check=check_grandchild),
    "thread-connect": dict(
        probe=["thread"] + TCP4, rc=3,
        violations=[viol("connect", "AF_INET", "tcp", V4_443)],
        strace=[tcp4_connect_line()], check=check_thread),
    "fork-exec-chain": dict(
        probe=["fork-exec"] + TCP4, rc=3,
        violations=[viol("connect", "AF_INET", "tcp", V4_443)],
        strace=[tcp4_connect_line()], check=check_exec_child("fork-exec")),
    "vfork-exec-chain": dict(
        probe=["vfork-exec", "tcp6", V6, "443"], rc=3,
        violations=[viol("connect", "AF_INET6", "tcp", V6_443)],
        strace=[tcp6_connect_line()], check=check_exec_child("vfork-exec")),

    # --- not violations -----------------------------------------------------------------------
    "unix-connect-logged": dict(
        probe=["unix-connect"], rc=0, violations=[],
        strace=[{"call": "connect", "has": ["sa_family=AF_UNIX", 'sun_path="/tmp/netprobe-'], "result": "0"},
                {"call": "connect", "has": ["sa_family=AF_UNIX", "sun_path=@", "hg-netprobe-"], "result": "0"}],
        check=check_unix_paths),
    "udp-connect-loopback-logged": dict(  # what glibc's getaddrinfo does
        probe=["udp-connect", "127.0.0.1", "53"], rc=0, violations=[],
        strace=[{"call": "connect", "addr": "127.0.0.1:53",
                 "has": ["sa_family=AF_INET", 'inet_addr("127.0.0.1")']}]),
    # The send on the connected socket has no address: not judged again. (Not port 53: what is
    # sent to a resolver is judged as DNS, see tests/integration/dns_cases.py.)
    "udp-connect-send-loopback": dict(
        probe=["udp-connect-send", "127.0.0.1", "9"], rc=0, violations=[], probe_out=["op=send", "ret=5"]),
    "clean-command": dict(probe=["clean"], rc=0, violations=[], no_net_calls=True,
                          probe_out=["op=clean result=ok"]),
    "failing-command": dict(probe=["fail"], rc=1, violations=[], probe_out=["op=fail"]),
    "violation-wins-over-failure": dict(
        probe=["--exit", "7"] + TCP4, rc=3,
        violations=[viol("connect", "AF_INET", "tcp", V4_443)]),

    # --- allowlist ----------------------------------------------------------------------------
    "allow-host-exact": dict(
        gate=["--allow-host", V4], probe=TCP4, rc=0, violations=[],
        strace=[tcp4_connect_line()], probe_out=["errno=EINPROGRESS"]),
    "allow-host-cidr": dict(
        gate=["--allow-host", "203.0.113.0/24"], probe=TCP4, rc=0, violations=[],
        strace=[tcp4_connect_line()]),
    "allow-host-cidr-other-net": dict(
        gate=["--allow-host", "198.51.100.0/24"], probe=TCP4, rc=3,
        violations=[viol("connect", "AF_INET", "tcp", V4_443)]),
    "allow-host-v6": dict(
        gate=["--allow-host", V6], probe=["tcp6", V6, "443"], rc=0, violations=[],
        strace=[tcp6_connect_line()]),
    "allow-host-v6-port": dict(
        gate=["--allow-host", f"[{V6}]:443"], probe=["tcp6", V6, "443"], rc=0, violations=[]),
    "allow-host-port-match": dict(
        gate=["--allow-host", f"{V4}:443"], probe=TCP4, rc=0, violations=[]),
    "allow-host-port-mismatch": dict(
        gate=["--allow-host", f"{V4}:80"], probe=TCP4, rc=3,
        violations=[viol("connect", "AF_INET", "tcp", V4_443)]),
    "allow-port": dict(
        gate=["--allow-port", "443"], probe=TCP4, rc=0, violations=[]),
    "allow-port-mismatch": dict(
        gate=["--allow-port", "80"], probe=TCP4, rc=3,
        violations=[viol("connect", "AF_INET", "tcp", V4_443)]),
    "allow-loopback": dict(
        gate=["--allow-host", "127.0.0.1"], probe=["tcp4", "127.0.0.1", "9"], rc=0, violations=[]),
    "allow-listen": dict(
        gate=["--allow-listen", "0.0.0.0"], probe=["listen4", "0"], rc=0, violations=[]),

    # --- enforce ------------------------------------------------------------------------------
    "enforce-tcp4": dict(
        gate=["--enforce"], probe=TCP4, rc=3,
        violations=[viol("connect", "AF_INET", "tcp", V4_443, decision="denied")],
        strace=[tcp4_connect_line(result="-1 EPERM")], probe_out=["errno=EPERM"]),
    "enforce-udp6-sendto": dict(
        gate=["--enforce"], probe=["udp6-sendto", V6, "53"], rc=3,
        violations=[viol("sendto", "AF_INET6", "udp", f"[{V6}]:53", decision="denied")],
        strace=[{"call": "sendto", "has": ["AF_INET6"], "result": "-1 EPERM"}], probe_out=["errno=EPERM"]),
    "enforce-listen": dict(
        gate=["--enforce"], probe=["listen4", "0"], rc=3,
        violations=[viol("listen", "AF_INET", "tcp", decision="denied")],
        strace=[{"call": "listen", "has": [", 16"], "result": "-1 EPERM"}], probe_out=["errno=EPERM"]),
    "enforce-allowed-proceeds": dict(
        gate=["--enforce", "--allow-host", V4], probe=TCP4, rc=0, violations=[],
        probe_out=["errno=EINPROGRESS"]),
    "enforce-unix-proceeds": dict(
        gate=["--enforce"], probe=["unix-connect"], rc=0, violations=[], probe_out=["ret=0"]),

    # --- output options -----------------------------------------------------------------------
    "quiet-still-records": dict(
        gate=["--quiet"], probe=TCP4, rc=3, violations=[], quiet_live=True,
        strace=[tcp4_connect_line()]),

    # --- usage and startup errors -------------------------------------------------------------
    "usage-missing-dashdash": dict(argv_touch=lambda m: [netns.netprobe_bin(), "touch", m], rc=2),
    "usage-no-command": dict(argv=["--"], rc=2),
    "usage-nothing": dict(argv=[], rc=2),
    "usage-unknown-option": dict(argv_touch=lambda m: ["--no-such-option", "--", netns.netprobe_bin(), "touch", m],
                                 rc=2),
    "usage-bad-port": dict(argv_touch=lambda m: ["--allow-port", "notaport", "--", netns.netprobe_bin(), "touch", m],
                           rc=2),
    "usage-allow-delegated-relative": dict(
        argv_touch=lambda m: ["--allow-delegated", "docker.sock", "--", netns.netprobe_bin(), "touch", m],
        rc=2, check=check_usage_error("--allow-delegated", "'docker.sock' is a relative path")),
    # Option values CLI11 checks (IsMember, Range): exit 2, one line naming the option.
    "usage-bad-detector": dict(argv_touch=lambda m: ["--detector", "strace", "--", netns.netprobe_bin(), "touch", m],
                               rc=2, check=check_usage_error("--detector", "strace")),
    "usage-poll-interval-zero": dict(
        argv_touch=lambda m: ["--poll-interval", "0", "--", netns.netprobe_bin(), "touch", m],
        rc=2, check=check_usage_error("--poll-interval")),
    "usage-poll-interval-too-long": dict(
        argv_touch=lambda m: ["--poll-interval", "10001", "--", netns.netprobe_bin(), "touch", m],
        rc=2, check=check_usage_error("--poll-interval")),
    "usage-bad-log-level": dict(argv_touch=lambda m: ["--log-level", "loud", "--", netns.netprobe_bin(), "touch", m],
                                rc=2, check=check_usage_error("--log-level", "loud")),
    "usage-bad-env-log-level": dict(argv_touch=lambda m: ["--", netns.netprobe_bin(), "touch", m],
                                    env={"HG_LOG_LEVEL": "loud"}, rc=2,
                                    check=check_usage_error("HG_LOG_LEVEL", "loud")),
    "usage-verbose-and-log-level": dict(
        argv_touch=lambda m: ["-v", "--log-level", "info", "--", netns.netprobe_bin(), "touch", m],
        rc=2, check=check_usage_error("--log-level")),
    # A command that cannot be executed is refused before anything runs: exit 2 (verdict.h:
    # "usage, policy or command error: nothing ran"), not 1 (it never ran, so it did not fail)
    # and not 4 (the gate itself is fine).
    "missing-command": dict(command=["/nonexistent/hg-no-such-cmd"], rc=2, violations=[],
                            check=check_one_error_line("/nonexistent/hg-no-such-cmd")),
    "non-executable-command": dict(command=lambda tmp: [make_file(tmp, "not-executable", 0o644)], rc=2,
                                   violations=[], check=check_one_error_line("not-executable")),
    "command-not-in-path": dict(command=["hg-no-such-cmd-in-path"], rc=2, violations=[],
                                check=check_one_error_line("hg-no-such-cmd-in-path")),
    "command-from-path": dict(command=["true"], rc=0, violations=[]),

    # --- diagnostics: --log-level, -v, HG_LOG_LEVEL --------------------------------------------
    "log-default-no-debug": dict(probe=["clean"], rc=0, violations=[], check=check_no_debug),
    "log-verbose-debug": dict(gate=["-v"], probe=["clean"], rc=0, violations=[], check=check_debug_shown),
    "log-level-debug": dict(gate=["--log-level", "debug"], probe=["clean"], rc=0, violations=[],
                            check=check_debug_shown),
    "log-env-debug": dict(env={"HG_LOG_LEVEL": "debug"}, probe=["clean"], rc=0, violations=[],
                          check=check_debug_shown),
    "log-flag-wins-over-env": dict(gate=["--log-level", "warn"], env={"HG_LOG_LEVEL": "debug"}, probe=["clean"],
                                   rc=0, violations=[], check=check_no_debug),
    "log-flag-wins-over-bad-env": dict(gate=["--log-level", "debug"], env={"HG_LOG_LEVEL": "loud"}, probe=["clean"],
                                       rc=0, violations=[], check=check_debug_shown),
    "log-off-keeps-violations": dict(  # the log level never silences what the gate reports
        gate=["--log-level", "off"], probe=TCP4, rc=3,
        violations=[viol("connect", "AF_INET", "tcp", V4_443)], strace=[tcp4_connect_line()]),

    # --- lifetime -------------------------------------------------------------------------------
    "timeout-kills-tree": dict(gate=["--timeout", "1"], probe=["sleep", "60"], rc=1, violations=[],
                               check=check_fast(10)),
    "orphan-recorded-then-killed": dict(
        probe=["orphan", "60"] + TCP4, rc=3,
        violations=[viol("connect", "AF_INET", "tcp", V4_443)],
        strace=[tcp4_connect_line()], check=check_orphan),
}


def check_run(case, run, failures):
    exe = os.path.realpath(netns.netprobe_bin())
    want_rc = case["rc"]
    if (run.rc not in want_rc) if isinstance(want_rc, set) else (run.rc != want_rc):
        failures.append(f"exit code {run.rc}, expected {want_rc}")

    for o in case.get("probe_out", []):
        if o not in run.stdout:
            failures.append(f"netprobe output lacks {o!r}")

    if case.get("quiet_live") and "hermetic-gate: violation" in run.stderr:
        failures.append("a violation line was printed despite --quiet")

    # Live lines: exactly the expected violations, each field as expected.
    if "violations" in case:
        left = list(run.violations)
        for want in case["violations"]:
            match = next((v for v in left if all(v.get(k) == val for k, val in want.items())), None)
            if match is None:
                failures.append(f"no live violation line with {want}")
                continue
            left.remove(match)
            if not match.get("pid", "").isdigit():
                failures.append(f"violation line without a numeric pid: {match}")
            if match.get("step") != "exec":
                failures.append(f"violation line step={match.get('step')}, expected exec")
            if match.get("exe") != exe:
                failures.append(f"violation line exe={match.get('exe')}, expected {exe}")
            recs = [p for p in run.probe if p.get("op") == want["syscall"]
                    and ("addr" not in want or p.get("addr") == want["addr"])]
            if recs and match.get("pid") not in {p["pid"] for p in recs}:
                failures.append(f"violation pid={match.get('pid')} but netprobe made that call as "
                                f"pid {sorted({p['pid'] for p in recs})}")
        for v in left:
            failures.append(f"unexpected live violation line: {v}")

    # strace.txt
    wants_strace = case.get("strace") or case.get("no_net_calls")
    if wants_strace and run.strace_text is None:
        failures.append("--out DIR/strace.txt was not written")
    calls = run.strace_calls()
    for line in run.strace:
        if not (line[:1].isdigit() and line.split(" ", 1)[0].isdigit()):
            failures.append(f"strace.txt line without a numeric pid prefix: {line!r}")
    for want in case.get("strace", []):
        result = want.get("result")
        ids = None
        if result is None:
            recs = [p for p in run.probe if p.get("op") == want["call"] and p.get("addr") == want.get("addr")]
            if not recs:
                failures.append(f"netprobe reported no {want['call']} to {want.get('addr')}")
                continue
            r = recs[0]
            result = f"-1 {r['errno']}" if r.get("ret") == "-1" else r.get("ret")
            ids = {int(r["pid"]), int(r.get("tid", r["pid"]))}
        hits = [c for c in calls if c[1] == want["call"] and all(h in c[2] for h in want["has"])]
        if not hits:
            failures.append(f"strace.txt has no {want['call']}(...) line containing {want['has']}")
            continue
        if not any(c[3] == result or c[3].startswith(result + " ") for c in hits):
            failures.append(f"strace.txt {want['call']} line result is {[c[3] for c in hits]}, expected "
                            f"'= {result}' (what the call returned in the tracee)")
        if ids and not any(c[0] in ids for c in hits):
            failures.append(f"strace.txt {want['call']} line pid {[c[0] for c in hits]} is not the "
                            f"caller's {sorted(ids)}")
    if case.get("no_net_calls"):
        for c in calls:
            if c[1] in NET_CALLS:
                failures.append(f"strace.txt has a network call for a command that made none: {c}")

    if "check" in case:
        case["check"](run, failures)


def run_case(name):
    case = CASES[name]
    failures = []
    with tempfile.TemporaryDirectory(prefix="hg-marker-") as tmp:
        marker = os.path.join(tmp, "ran")
        env = case.get("env")
        if "argv_touch" in case:
            run = netns.run_gate(case["argv_touch"](marker), None, out=False, env=env)
        elif "argv" in case:
            run = netns.run_gate(case["argv"], None, out=False, env=env)
        else:
            command = case.get("command") or [netns.netprobe_bin()] + case["probe"]
            if callable(command):
                command = command(tmp)
            run = netns.run_gate(case.get("gate", []), command, env=env)
        check_run(case, run, failures)
        if "argv_touch" in case:
            touched_nothing(run, failures, marker)
    if failures:
        print(f"FAIL {name}:")
        for f in failures:
            print(f"  - {f}")
        print(run.diagnostics())
        return 1
    print(f"PASS {name} (exit {run.rc})")
    return 0


def main(argv):
    return netns.table_main(argv, "cases.py", CASES, run_case)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
