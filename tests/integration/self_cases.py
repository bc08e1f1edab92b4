#!/usr/bin/env python3
"""Integration cases of issue 10: inbound exceptions and self connections under `hermetic-gate run`.

A step that listens on loopback and connects to its own listener (a test server, a language
server, a build daemon) is recorded with kind `self`; an `allow: {inbound: [...]}` entry that
covers the listener allows both the listen and those connections. A port the kernel chose is
shown as 0 with `port_chosen_by_kernel: true`, so report.json and report.md stay
byte-identical between runs; the real ports are only in logs/<step>/strace.txt.

`self_cases.py NAME` runs one case inside netns.py's private network namespace (only loopback
and documentation addresses are ever used); `self_cases.py --check-table NAME...` verifies
that meson registers every case. The tracee is tests/helpers/selfserve.c, which prints the
real ports it used. Environment (set by meson): HG_BIN, HG_SELFSERVE, HG_VALIDATE_JSON,
HG_SCHEMA_DIR.
"""

import difflib
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
from gate_cases import (Checker, expect_step, gate, guarded, have_report, pick, run_expecting,  # noqa: E402
                        run_policy, verdict, violations, write_policy)

STRAY_PORT = 18099  # nothing listens on it inside the test namespace
V6_SPECS = ("::1", "[::1]")  # how the gate may spell the IPv6 loopback entry


def selfserve_bin():
    return os.path.realpath(netns.env_path("HG_SELFSERVE"))


def policy(tmp, text, name="policy.yml"):
    return write_policy(tmp, text.replace("@SELFSERVE@", selfserve_bin()), name)


def run(tmp, pol, sha="self", out_name="out"):
    return run_policy(tmp, pol, sha, out_name)


def run_checked(tmp, c, text, rc):
    """Runs the policy text, expecting exit code rc and both reports: (res, True), or
    (res, False) when the case cannot go on."""
    return run_expecting(c, tmp, policy(tmp, text), rc, "self")


def served(c, res, step):
    """selfserve's lines of step (key=value dicts); expects its final result=ok and the step's
    exit code 0 (a step of several selfserve runs stops at the first that fails)."""
    code = c.step(res.report(), step).get("exit_code")
    c.expect(code == 0, f"step {step}: exit code {code!r}, expected 0 (selfserve failed?)")
    try:
        text = res.log(step, "stdout.txt")
    except OSError as e:
        c.failures.append(f"logs/{step}/stdout.txt: {e}")
        return []
    lines = [netns.parse_kv(l[len("selfserve "):]) for l in text.splitlines() if l.startswith("selfserve ")]
    c.expect(any(l.get("result") == "ok" and "op" not in l for l in lines),
             f"step {step}: selfserve did not finish with result=ok:\n{text}--- stderr.txt:\n"
             f"{res.log(step, 'stderr.txt')}")
    return lines


def ports_used(lines):
    """Every kernel-chosen port selfserve printed: listener ports and the clients' ones."""
    ports = set()
    for l in lines:
        for key in ("port", "local_port", "peer_port"):
            if l.get(key, "").isdigit() and int(l[key]) not in (0, STRAY_PORT):
                ports.add(int(l[key]))
    return ports


def listener_ports(lines):
    return sorted({int(l["port"]) for l in lines if l.get("op") in ("listen", "bind") and l.get("port", "").isdigit()})


def _numbers_in(value):
    """Every integer and every digit run inside the strings of a parsed JSON value."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, str):
        for m in re.finditer(r"(?<![0-9A-Za-z])[0-9]+(?![0-9A-Za-z])", value):
            yield int(m.group(0))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _numbers_in(k)
            yield from _numbers_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers_in(v)


def no_ephemeral(c, res, lines, step=None):
    """None of the kernel-chosen ports in selfserve's lines (different in every run) is in
    report.json or report.md; with step, each listener port is in that step's strace.txt (as
    the destination of the self connections) and each TCP listener in its ss_listen.txt: where
    the real ports belong. Digit runs inside hex strings (the policy's sha256) do not count."""
    ports = ports_used(lines)
    leaked = sorted(ports & set(_numbers_in(res.report())))
    c.expect(not leaked, f"kernel-chosen port(s) {leaked} appear in report.json")
    md = open(os.path.join(res.out, "report.md"), errors="replace").read()
    leaked = sorted(p for p in ports if re.search(rf"(?<![0-9A-Za-z]){p}(?![0-9A-Za-z])", md))
    c.expect(not leaked, f"kernel-chosen port(s) {leaked} appear in report.md")
    if step is not None:
        strace = res.log(step, "strace.txt")
        for p in listener_ports(lines):
            c.expect(f"htons({p})" in strace, f"port {p} is not in logs/{step}/strace.txt:\n{strace}")
        ss = res.log(step, "ss_listen.txt")
        for l in lines:
            if l.get("op") == "listen":
                c.expect(re.search(rf":{l['port']}\s.*\bLISTEN\b|\bLISTEN\b.*:{l['port']}\s", ss),
                         f"the TCP listener on port {l['port']} is not in logs/{step}/ss_listen.txt:\n{ss}")


def expect_exception(c, entries, specs, what, hits=None):
    """The entry of entries whose spec is one of specs; checks direction inbound and hits >= hits."""
    specs = (specs,) if isinstance(specs, str) else specs
    hit = [e for e in entries if e.get("spec") in specs]
    if not c.expect(len(hit) == 1, f"{what}: expected one exception {' or '.join(specs)}, got {entries}"):
        return None
    e = hit[0]
    c.expect(e.get("direction") == "inbound", f"{what}: exception {e.get('spec')} direction {e.get('direction')!r}")
    if hits is not None:
        c.expect(isinstance(e.get("hits"), int) and e["hits"] >= hits,
                 f"{what}: exception {e.get('spec')} hits {e.get('hits')!r}, expected >= {hits}")
    return e


def expect_kernel_port(c, v, what):
    c.expect(v.get("port") == 0, f"{what}: port {v.get('port')!r}, expected 0 (chosen by the kernel)")
    c.expect(v.get("port_chosen_by_kernel") is True,
             f"{what}: port_chosen_by_kernel {v.get('port_chosen_by_kernel')!r}, expected true")


def every_violation_has_flag(c, rep):
    for s in rep.get("steps", []):
        for v in s.get("violations", []):
            c.expect(isinstance(v.get("port_chosen_by_kernel"), bool),
                     f"step {s.get('id')}: violation without a boolean port_chosen_by_kernel: {v}")


def listener_violations(c, res, step, syscall, proto, family, addr, self_syscall, self_count):
    """The violations of one kernel-port listener with no exception: exactly one inbound
    (listen or bind) and one `self`, both naming the listener's address and port 0."""
    vs = violations(c, res.report(), step)
    c.expect(len(vs) == 2, f"step {step}: {len(vs)} violation entries, expected 2 (inbound + self):\n"
                           f"{json.dumps(vs, indent=1)}")
    inb = pick(vs, kind="inbound")
    if c.expect(len(inb) == 1, f"step {step}: expected one inbound violation, got {inb}"):
        v = inb[0]
        for k, w in (("syscall", syscall), ("protocol", proto), ("family", family), ("address", addr),
                     ("decision", "audited"), ("count", 1)):
            c.expect(v.get(k) == w, f"step {step}: inbound violation {k} {v.get(k)!r}, expected {w!r}")
        expect_kernel_port(c, v, f"step {step}: inbound violation")
    slf = pick(vs, kind="self")
    if c.expect(len(slf) == 1, f"step {step}: expected one self violation (one per listener), got {slf}"):
        v = slf[0]
        for k, w in (("syscall", self_syscall), ("protocol", proto), ("family", family), ("address", addr),
                     ("decision", "audited"), ("count", self_count)):
            c.expect(v.get(k) == w, f"step {step}: self violation {k} {v.get(k)!r}, expected {w!r}")
        expect_kernel_port(c, v, f"step {step}: self violation")
    c.expect(not pick(vs, kind="outbound"), f"step {step}: a self connection was reported as outbound: {vs}")


def allowed_step(c, res, step, specs, hits, where="exceptions_used"):
    rep = res.report()
    s = c.step(rep, step)
    expect_step(c, rep, step, "pass")
    c.expect(not s.get("violations"), f"step {step}: violations listed: {s.get('violations')}")
    expect_exception(c, s.get(where, []), specs, f"step {step} {where}", hits=hits)
    c.expect(not any(e.get("spec") in ((specs,) if isinstance(specs, str) else specs)
                     for e in s.get("exceptions_unused", [])),
             f"step {step}: the exception that allowed the listener is also listed as unused")


def served_case(tmp, c, text, rc, step, check):
    """The shape of the one-step cases: run the policy text (exit rc, both reports), read
    selfserve's lines of step (it must have succeeded), check(res, lines), then no
    kernel-chosen port in the reports but each in step's logs, and report.json valid."""
    res, ok = run_checked(tmp, c, text, rc)
    if not ok:
        return res
    lines = served(c, res, step)
    check(res, lines)
    no_ephemeral(c, res, lines, step=step)
    c.schema_valid(res.out)
    return res


def allowed_case(tmp, c, text, step, specs, hits, more=lambda res, lines: None):
    """served_case of a step whose listener an inbound exception (specs) covers: exit 0, the
    step passes with that exception used at least hits times; then more(res, lines)."""
    def check(res, lines):
        allowed_step(c, res, step, specs, hits)
        more(res, lines)
    return served_case(tmp, c, text, 0, step, check)


def violation_case(tmp, c, text, step, listener, more=lambda res, lines: None):
    """served_case of a step whose one kernel-port listener no exception covers: exit 3, and
    listener_violations(step, *listener); then more(res, lines)."""
    def check(res, lines):
        listener_violations(c, res, step, *listener)
        more(res, lines)
    return served_case(tmp, c, text, 3, step, check)


# --- cases ---------------------------------------------------------------------------------

def case_tcp4_allowed(tmp, c):
    """Same-process TCP over 127.0.0.1, covered by a global short-form inbound exception."""
    def report_passes(res, lines):
        c.expect(res.report().get("result") == "pass", f"report result {res.report().get('result')!r}")
    return allowed_case(tmp, c, """version: 1
mode: audit
allow:
  inbound: ["127.0.0.1"]
hermetic_steps:
  - id: tcp4
    run: ["@SELFSERVE@", "tcp", "127.0.0.1"]
""", "tcp4", "127.0.0.1", hits=2, more=report_passes)


def case_tcp6_allowed(tmp, c):
    """Same-process TCP over ::1, covered by a per-step long-form inbound exception."""
    def source_names_step(res, lines):
        e = [e for e in c.step(res.report(), "tcp6").get("exceptions_used", []) if e.get("spec") in V6_SPECS]
        if e:
            c.expect("tcp6" in e[0].get("source", ""), f"source does not name the step: {e[0].get('source')!r}")
    return allowed_case(tmp, c, """version: 1
mode: audit
hermetic_steps:
  - id: tcp6
    run: ["@SELFSERVE@", "--repeat", "2", "tcp", "::1"]
    allow:
      inbound:
        - host: "[::1]"
          reason: "the step's own test server"
          owner: "@tests"
          expires: 2099-12-31
""", "tcp6", V6_SPECS, hits=3, more=source_names_step)


def case_tcp4_cidr_localhost(tmp, c):
    """A CIDR and `localhost` cover a 127.0.0.1 listener on a kernel-chosen port too."""
    res, ok = run_checked(tmp, c, """version: 1
mode: audit
hermetic_steps:
  - id: cidr
    run: ["@SELFSERVE@", "tcp", "127.0.0.1"]
    allow:
      inbound: [127.0.0.0/8]
  - id: name
    run: ["@SELFSERVE@", "tcp", "127.0.0.1"]
    allow:
      inbound:
        - host: localhost
          reason: "a dev server on localhost"
""", 0)
    if not ok:
        return res
    served(c, res, "cidr")
    served(c, res, "name")
    allowed_step(c, res, "cidr", "127.0.0.0/8", hits=2)
    allowed_step(c, res, "name", "localhost", hits=2)
    c.schema_valid(res.out)
    return res


def case_tcp4_violation(tmp, c):
    """No exception: one inbound listen violation and ONE self violation for the listener
    (three connections: count 3), both on 127.0.0.1 port 0; the real ports only in strace.txt."""
    def more(res, lines):
        rep = res.report()
        expect_step(c, rep, "tcp4", "violation")
        c.expect(rep.get("result") == "violation", f"report result {rep.get('result')!r}")
        c.expect(len(listener_ports(lines)) == 1, f"selfserve printed no single listener port: {lines}")
        every_violation_has_flag(c, rep)
    return violation_case(tmp, c, """version: 1
mode: audit
hermetic_steps:
  - id: tcp4
    run: ["@SELFSERVE@", "--repeat", "3", "tcp", "127.0.0.1"]
""", "tcp4", ("listen", "tcp", "AF_INET", "127.0.0.1", "connect", 3), more)


def case_tcp6_violation(tmp, c):
    return violation_case(tmp, c, """version: 1
mode: audit
hermetic_steps:
  - id: tcp6
    run: ["@SELFSERVE@", "tcp", "::1"]
""", "tcp6", ("listen", "tcp", "AF_INET6", "::1", "connect", 1),
                          more=lambda res, lines: expect_step(c, res.report(), "tcp6", "violation"))


def case_tcp_fork_allowed(tmp, c):
    """The listener in the parent, the client in a forked child: still the same step."""
    def two_processes(res, lines):
        pids = {l.get("pid") for l in lines if l.get("op") in ("listen", "connect")}
        c.expect(len(pids) == 2, f"listen and connect did not run in two processes: {lines}")
    return allowed_case(tmp, c, """version: 1
mode: audit
allow:
  inbound:
    - host: "127.0.0.1"
      reason: "the step's own server"
      owner: "@tests"
hermetic_steps:
  - id: fork
    run: ["@SELFSERVE@", "--repeat", "2", "tcp-fork", "127.0.0.1"]
""", "fork", "127.0.0.1", hits=3, more=two_processes)


def case_tcp_fork_violation(tmp, c):
    return violation_case(tmp, c, """version: 1
mode: audit
hermetic_steps:
  - id: fork
    run: ["@SELFSERVE@", "--repeat", "2", "tcp-fork", "127.0.0.1"]
""", "fork", ("listen", "tcp", "AF_INET", "127.0.0.1", "connect", 2))


def case_tcp_handoff_allowed(tmp, c):
    """The listening socket handed to a child server, the parent's copy closed, the parent
    connecting: the child still listens, so the connections are self connections."""
    return allowed_case(tmp, c, """version: 1
mode: audit
allow:
  inbound: ["127.0.0.1"]
hermetic_steps:
  - id: handoff
    run: ["@SELFSERVE@", "--repeat", "2", "tcp-handoff", "127.0.0.1"]
""", "handoff", "127.0.0.1", hits=3)


def case_tcp_handoff_violation(tmp, c):
    return violation_case(tmp, c, """version: 1
mode: audit
hermetic_steps:
  - id: handoff
    run: ["@SELFSERVE@", "--repeat", "2", "tcp-handoff", "127.0.0.1"]
""", "handoff", ("listen", "tcp", "AF_INET", "127.0.0.1", "connect", 2))


def case_udp4_allowed(tmp, c):
    return allowed_case(tmp, c, """version: 1
mode: audit
allow:
  inbound: ["127.0.0.1"]
hermetic_steps:
  - id: udp4
    run: ["@SELFSERVE@", "--repeat", "2", "udp", "127.0.0.1"]
""", "udp4", "127.0.0.1", hits=3)


def case_udp6_allowed(tmp, c):
    return allowed_case(tmp, c, """version: 1
mode: audit
hermetic_steps:
  - id: udp6
    run: ["@SELFSERVE@", "udp", "::1"]
    allow:
      inbound: ["::1"]
""", "udp6", V6_SPECS, hits=2)


def case_udp4_violation(tmp, c):
    return violation_case(tmp, c, """version: 1
mode: audit
hermetic_steps:
  - id: udp4
    run: ["@SELFSERVE@", "--repeat", "2", "udp", "127.0.0.1"]
""", "udp4", ("bind", "udp", "AF_INET", "127.0.0.1", "sendto", 2))


def case_udp_echo_allowed(tmp, c):
    """The server's reply to its own client's kernel-chosen port is part of the same exchange:
    covered by the server's inbound exception."""
    def two_replies(res, lines):
        c.expect(len([l for l in lines if l.get("reply") == "1" and l.get("op") == "recv"]) == 2,
                 f"selfserve did not receive two replies: {lines}")
    return allowed_case(tmp, c, """version: 1
mode: audit
allow:
  inbound: ["127.0.0.1"]
hermetic_steps:
  - id: echo
    run: ["@SELFSERVE@", "--repeat", "2", "udp-echo", "127.0.0.1"]
""", "echo", "127.0.0.1", hits=5, more=two_replies)


def case_udp_echo_violation(tmp, c):
    """Without an exception, the requests and the replies are self sendto calls reported
    under the one server (127.0.0.1, port 0): one entry, four calls."""
    return violation_case(tmp, c, """version: 1
mode: audit
hermetic_steps:
  - id: echo
    run: ["@SELFSERVE@", "--repeat", "2", "udp-echo", "127.0.0.1"]
""", "echo", ("bind", "udp", "AF_INET", "127.0.0.1", "sendto", 4))


def case_stray_outbound(tmp, c):
    """A connect to a loopback port nobody in the step listens on stays outbound (real port),
    the inbound exception notwithstanding; that exception is then unused and stale."""
    res, ok = run_checked(tmp, c, f"""version: 1
mode: audit
allow:
  inbound: ["127.0.0.1"]
hermetic_steps:
  - id: stray
    run: ["@SELFSERVE@", "stray", "{STRAY_PORT}"]
""", 3)
    if not ok:
        return res
    served(c, res, "stray")
    rep = res.report()
    expect_step(c, rep, "stray", "violation")
    vs = violations(c, rep, "stray")
    out = pick(vs, kind="outbound", syscall="connect", address="127.0.0.1", port=STRAY_PORT)
    c.expect(len(out) == 1 and len(vs) == 1, f"expected one outbound violation to 127.0.0.1:{STRAY_PORT}, got {vs}")
    if out:
        c.expect(out[0].get("port_chosen_by_kernel") is False,
                 f"port_chosen_by_kernel {out[0].get('port_chosen_by_kernel')!r}, expected false")
    c.expect(not pick(vs, kind="self"), f"a connect to a port nobody listens on is reported as self: {vs}")
    expect_exception(c, c.step(rep, "stray").get("exceptions_unused", []), "127.0.0.1", "exceptions_unused")
    expect_exception(c, rep.get("stale_exceptions", []), "127.0.0.1", "stale_exceptions")
    c.expect(not c.step(rep, "stray").get("exceptions_used"),
             f"an inbound exception was used by an outbound call: {c.step(rep, 'stray').get('exceptions_used')}")
    c.schema_valid(res.out)
    return res


def case_tcp_any_not_covered(tmp, c):
    """127.0.0.1 does not cover a listener on 0.0.0.0; the self connect to that listener is
    reported against the listener (0.0.0.0, port 0), not as outbound with the real port."""
    def more(res, lines):
        rep = res.report()
        expect_step(c, rep, "any", "violation")
        expect_exception(c, c.step(rep, "any").get("exceptions_unused", []), "127.0.0.1", "exceptions_unused")
    return violation_case(tmp, c, """version: 1
mode: audit
allow:
  inbound: ["127.0.0.1"]
hermetic_steps:
  - id: any
    run: ["@SELFSERVE@", "tcp-any"]
""", "any", ("listen", "tcp", "AF_INET", "0.0.0.0", "connect", 1), more)


def case_tcp_any6_dual_stack(tmp, c):
    """A dual-stack listener on :: takes a connect to 127.0.0.1: a self connection reported
    under the listener (::, port 0); "::1" does not cover ::."""
    return violation_case(tmp, c, """version: 1
mode: audit
allow:
  inbound: ["::1", "127.0.0.1"]
hermetic_steps:
  - id: any6
    run: ["@SELFSERVE@", "--repeat", "2", "tcp-any6"]
""", "any6", ("listen", "tcp", "AF_INET6", "::", "connect", 2))


def case_kernel_port_needs_portless_entry(tmp, c):
    """Entries with a port (8080, "127.0.0.1:8080") do not cover a kernel-chosen port, whether
    the step bound to port 0 or listened on a socket never bound (autobind)."""
    res, ok = run_checked(tmp, c, """version: 1
mode: audit
allow:
  inbound:
    - 8080
    - "127.0.0.1:8080"
    - port: 8081
      reason: "a fixed-port server"
hermetic_steps:
  - id: bound
    run: ["@SELFSERVE@", "tcp", "127.0.0.1"]
  - id: autobind
    run: ["@SELFSERVE@", "tcp-autobind"]
""", 3)
    if not ok:
        return res
    rep = res.report()
    seen = []
    for step in ("bound", "autobind"):
        seen += served(c, res, step)
        expect_step(c, rep, step, "violation")
        vs = violations(c, rep, step)
        inb = pick(vs, kind="inbound", syscall="listen")
        if c.expect(len(inb) == 1, f"step {step}: expected one inbound listen violation, got {vs}"):
            expect_kernel_port(c, inb[0], f"step {step}: listen violation")
        for v in pick(vs, kind="self"):
            expect_kernel_port(c, v, f"step {step}: self violation")
        c.expect(not c.step(rep, step).get("exceptions_used"),
                 f"step {step}: a port entry covered a kernel-chosen port: {c.step(rep, step).get('exceptions_used')}")
    lst = pick(violations(c, rep, "bound"), kind="inbound")
    if lst:
        c.expect(lst[0].get("address") == "127.0.0.1", f"bound listener address {lst[0].get('address')!r}")
    no_ephemeral(c, res, seen)
    c.schema_valid(res.out)
    return res


DETERMINISM_POLICY = """version: 1
mode: audit
allow:
  inbound:
    - host: "[::1]"
      reason: "covers the v6 steps"
      owner: "@tests"
    - 127.0.0.2
hermetic_steps:
  - id: several
    run: "@SELFSERVE@ --repeat 3 tcp 127.0.0.1 && @SELFSERVE@ tcp 127.0.0.1 && @SELFSERVE@ udp 127.0.0.1 && @SELFSERVE@ tcp-any && @SELFSERVE@ --repeat 2 tcp-fork 127.0.0.1 && @SELFSERVE@ --repeat 2 udp-echo 127.0.0.1"
  - id: allowed
    run: "@SELFSERVE@ --repeat 2 tcp ::1 && @SELFSERVE@ udp-echo ::1"
  - id: stray
    run: ["@SELFSERVE@", "stray", "@STRAY@"]
  - id: allowed-step
    run: ["@SELFSERVE@", "--repeat", "4", "tcp-fork", "127.0.0.1"]
    allow:
      inbound: ["127.0.0.1"]
"""


def case_reports_byte_identical(tmp, c):
    """Two runs of the same policy (with and without exceptions, several listeners, repeats)
    give byte-identical report.json and report.md, although every listener port differs."""
    pol = policy(tmp, DETERMINISM_POLICY.replace("@STRAY@", str(STRAY_PORT)))
    runs = []
    for i in (1, 2):
        res = run(tmp, pol, sha="same", out_name=f"out{i}")
        c.rc(res, 3)
        if not have_report(c, res):
            return res
        runs.append(res)
    for name in ("report.json", "report.md"):
        a = open(os.path.join(runs[0].out, name), "rb").read()
        b = open(os.path.join(runs[1].out, name), "rb").read()
        if a != b:
            diff = "".join(difflib.unified_diff(a.decode(errors="replace").splitlines(True),
                                                b.decode(errors="replace").splitlines(True),
                                                "run1/" + name, "run2/" + name))
            c.failures.append(f"{name} differs between two runs of the same policy:\n{diff}")
    seen = []  # the ports of both runs: neither report may show any of them
    for r in runs:
        for step in ("several", "allowed", "stray", "allowed-step"):
            seen += served(c, r, step)
    for r in runs:
        no_ephemeral(c, r, seen)
    rep = runs[0].report()
    for step, want in (("several", "violation"), ("allowed", "pass"), ("stray", "violation"),
                       ("allowed-step", "pass")):
        expect_step(c, rep, step, want)
    vs = violations(c, rep, "several")
    # Listeners: 127.0.0.1 (tcp, twice: two processes), 127.0.0.1 (udp), 0.0.0.0, 127.0.0.1 (fork).
    c.expect(all(v.get("port") == 0 for v in vs), f"a violation of step several shows a real port: {vs}")
    c.expect(pick(vs, kind="self", protocol="udp", syscall="sendto"), f"no udp self violation in step several: {vs}")
    c.expect(pick(vs, kind="self", address="0.0.0.0"), f"no self violation for the 0.0.0.0 listener: {vs}")
    every_violation_has_flag(c, rep)
    stale = rep.get("stale_exceptions", [])
    expect_exception(c, stale, "127.0.0.2", "stale_exceptions")
    c.schema_valid(runs[0].out)
    return runs[-1]


def case_md_inbound_snippet(tmp, c):
    """report.md offers the paste-ready inbound exception for the listener, with no port."""
    res, ok = run_checked(tmp, c, """version: 1
mode: audit
hermetic_steps:
  - id: tcp4
    run: ["@SELFSERVE@", "tcp", "127.0.0.1"]
  - id: tcp6
    run: ["@SELFSERVE@", "tcp", "::1"]
""", 3)
    if not ok:
        return res
    seen = served(c, res, "tcp4") + served(c, res, "tcp6")
    md = open(os.path.join(res.out, "report.md"), errors="replace").read()
    blocks = re.findall(r"```ya?ml\n(.*?)```", md, re.S)
    v4 = [b for b in blocks if re.search(r'^allow:\n  inbound:\n    - host: "127\.0\.0\.1"\n', b, re.M)]
    v6 = [b for b in blocks if re.search(r'^allow:\n  inbound:\n    - host: "(::1|\[::1\])"\n', b, re.M)]
    c.expect(v4, f"report.md has no yaml block 'allow:\\n  inbound:\\n    - host: \"127.0.0.1\"':\n{md}")
    c.expect(v6, f"report.md has no yaml block with an inbound host ::1:\n{md}")
    for b in v4 + v6:
        c.expect(not re.search(r"^\s*-?\s*port:", b, re.M) and "127.0.0.1:" not in b and "]:" not in b,
                 f"the inbound snippet names a port:\n{b}")
    c.expect(not any("outbound_hosts" in b for b in blocks),
             f"report.md suggests an outbound exception for a self connection:\n{md}")
    no_ephemeral(c, res, seen)
    # The snippet loads as a policy: pasted into one, it validates and makes the run pass.
    if v4:
        step = "hermetic_steps:\n  - id: tcp4\n    run: [\"@SELFSERVE@\", \"tcp\", \"127.0.0.1\"]\n"
        fixed = policy(tmp, "version: 1\nmode: audit\n" + v4[0] + step, name="fixed.yml")
        val = gate(["validate", "--policy", fixed], tmp)
        c.expect(val.rc == 0, f"the report.md snippet does not validate (exit {val.rc}):\n{val.diagnostics()}")
        again = run(tmp, fixed, out_name="out-fixed")
        c.expect(again.rc == 0, f"the run with the report.md snippet pasted in: exit {again.rc}, expected 0\n"
                                f"{again.diagnostics()}")
    return res


VALID_FORMS = """version: 1
mode: audit
allow:
  outbound_hosts: [203.0.113.7]
  inbound:
    - "127.0.0.1"
    - 10.0.0.0/8
    - "127.0.0.1:8080"
    - "[::1]"
    - "[::1]:8080"
    - localhost
    - 8080
    - "8081"
    - host: "127.0.0.1"
      reason: "the step's own server"
      owner: "@team"
      expires: 2099-06-30
    - port: 8082
      reason: "a fixed port"
    - host: "::1"
hermetic_steps:
  - id: one
    run: ["@SELFSERVE@", "tcp", "127.0.0.1"]
    allow:
      outbound_ports: [53]
      inbound: ["127.0.0.1", 9090, {host: "[::1]:9091", reason: "x", owner: "@o"}]
"""

# (what is wrong, the value written after `inbound: `, a word the error must contain)
BAD_FORMS = (
    ("CIDR /33", '[{host: "127.0.0.1/33"}]', "/33"),
    ("port 70000", "[70000]", "70000"),
    ("not a list", '"127.0.0.1"', "list"),
    ("unknown key", '[{host: "127.0.0.1", colour: blue}]', "colour"),
    ("port out of range in host:port", '["127.0.0.1:99999"]', "99999"),
    ("port 0 entry", "[0]", "1-65535"),
    ("bad IPv4 address", '["127.0.0.300"]', "127.0.0.300"),
    ("expired", '[{host: "127.0.0.1", reason: "x", owner: "@o", expires: 2001-01-01}]', "2001-01-01"),
)


def case_validate_inbound_forms(tmp, c):
    """validate accepts every inbound form of issue 10 (global and per step)."""
    pol = policy(tmp, VALID_FORMS)
    res = gate(["validate", "--policy", pol], tmp)
    c.expect(res.rc == 0, f"validate of the inbound forms: exit {res.rc}, expected 0\n{res.diagnostics()}")
    c.expect(not res.stderr.strip(), f"validate printed on stderr: {res.stderr!r}")
    return res


def case_validate_inbound_errors(tmp, c):
    """validate refuses bad inbound entries with exit 2 and FILE:LINE:COL on the entry's line,
    globally and in a step."""
    res = None
    for i, (what, value, word) in enumerate(BAD_FORMS):
        for where in ("global", "step"):
            if where == "global":
                text = f"version: 1\nallow:\n  inbound: {value}\nhermetic_steps:\n  - id: one\n    run: [\"true\"]\n"
                line, indent = 3, 2
            else:
                text = (f"version: 1\nhermetic_steps:\n  - id: one\n    run: [\"true\"]\n    allow:\n"
                        f"      inbound: {value}\n")
                line, indent = 6, 6
            first, last = indent + 1, indent + len("inbound: ") + len(value)  # columns of `inbound: VALUE`
            pol = policy(tmp, text, name=f"bad-{i}-{where}.yml")
            res = gate(["validate", "--policy", pol], tmp)
            label = f"validate {what} ({where}: inbound: {value})"
            c.expect(res.rc == 2, f"{label}: exit {res.rc}, expected 2\n{res.diagnostics()}")
            m = re.search(re.escape(pol) + r":(\d+):(\d+): ", res.stderr)
            if c.expect(m, f"{label}: no {pol}:LINE:COL: in {res.stderr!r}"):
                c.expect(int(m.group(1)) == line, f"{label}: error on line {m.group(1)}, expected {line}: {res.stderr!r}")
                c.expect(first <= int(m.group(2)) <= last,
                         f"{label}: error column {m.group(2)} is outside `inbound: {value}`: {res.stderr!r}")
            c.expect(word in res.stderr, f"{label}: the error does not name {word!r}: {res.stderr!r}")
            c.expect("unknown key 'inbound'" not in res.stderr,
                     f"{label}: refused only because 'inbound' is not a known key: {res.stderr!r}")
            c.expect(not res.stdout.strip(), f"{label}: printed on stdout: {res.stdout!r}")
    return res


def case_inbound_exception_enforce(tmp, c):
    """In enforce mode the covered listener and its self connections proceed (the exchange
    works), while an uncovered listener is refused with EPERM."""
    res, ok = run_checked(tmp, c, """version: 1
mode: enforce
hermetic_steps:
  - id: allowed
    run: ["@SELFSERVE@", "--repeat", "2", "tcp", "127.0.0.1"]
    allow:
      inbound: ["127.0.0.1"]
  - id: refused
    run: ["@SELFSERVE@", "tcp", "127.0.0.1"]
""", 3)
    if not ok:
        return res
    lines = served(c, res, "allowed")
    rep = res.report()
    allowed_step(c, res, "allowed", "127.0.0.1", hits=3)
    expect_step(c, rep, "refused", "violation")
    err = res.log("refused", "stderr.txt")
    c.expect("EPERM" in err, f"the uncovered listener was not refused with EPERM: {err!r}")
    vs = violations(c, rep, "refused")
    c.expect(vs and all(v.get("decision") == "denied" for v in vs), f"refused step: violations {vs}")
    no_ephemeral(c, res, lines, step="allowed")
    c.schema_valid(res.out)
    return res


CASES = {
    "tcp4-allowed": case_tcp4_allowed,
    "tcp6-allowed": case_tcp6_allowed,
    "tcp4-cidr-localhost": case_tcp4_cidr_localhost,
    "tcp4-violation": case_tcp4_violation,
    "tcp6-violation": case_tcp6_violation,
    "tcp-fork-allowed": case_tcp_fork_allowed,
    "tcp-fork-violation": case_tcp_fork_violation,
    "tcp-handoff-allowed": case_tcp_handoff_allowed,
    "tcp-handoff-violation": case_tcp_handoff_violation,
    "udp4-allowed": case_udp4_allowed,
    "udp6-allowed": case_udp6_allowed,
    "udp4-violation": case_udp4_violation,
    "udp-echo-allowed": case_udp_echo_allowed,
    "udp-echo-violation": case_udp_echo_violation,
    "stray-outbound": case_stray_outbound,
    "tcp-any-not-covered": case_tcp_any_not_covered,
    "tcp-any6-dual-stack": case_tcp_any6_dual_stack,
    "kernel-port-needs-portless-entry": case_kernel_port_needs_portless_entry,
    "reports-byte-identical": case_reports_byte_identical,
    "md-inbound-snippet": case_md_inbound_snippet,
    "validate-inbound-forms": case_validate_inbound_forms,
    "validate-inbound-errors": case_validate_inbound_errors,
    "enforce": case_inbound_exception_enforce,
}


def run_case(name):
    c = Checker()
    with tempfile.TemporaryDirectory(prefix="hg-self-") as tmp:
        tmp = os.path.realpath(tmp)
        return verdict(name, c, guarded(c, CASES[name], tmp, c))


def main(argv):
    return netns.table_main(argv, "self_cases.py", CASES, run_case)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
