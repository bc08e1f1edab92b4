#!/usr/bin/env python3
"""Integration cases of issue 11, governed DNS, under `hermetic-gate run`.

Port 53 of a resolver (a nameserver of /etc/resolv.conf, or a loopback address that is not a
listener of the step) is a DNS channel: each query the step sends there is judged by the name
it asks for. A name covered by an `allow.outbound_hosts` name entry (exact, or `*.zone` for
the names strictly below zone) is allowed, and so are connects to the addresses its answer
gave, for the rest of the step; any other name is a violation of kind `dns` naming it, refused
with EPERM in enforce mode. A connect to an address the step never resolved is outbound with
`"name": null`; one to an address answered for a name not allowed carries that name. Bytes to
a resolver's port 53 that are not a query are an outbound violation.

`dns_cases.py NAME` runs one case inside private network, mount and UTS namespaces
(netns.enter(private_dns=True)): a private /etc/resolv.conf names only the test server of
dns_server.py on 127.0.0.1:53, which answers for documentation names (example.test) with
documentation addresses (203.0.113.0/24, 2001:db8::/32) that route into nothing.
`dns_cases.py --check-table NAME...` verifies that meson registers every case. The tracee
is tests/helpers/dnsprobe.c. Environment (set by meson): HG_BIN, HG_DNSPROBE,
HG_VALIDATE_JSON, HG_SCHEMA_DIR.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dns_server  # noqa: E402
import netns  # noqa: E402
from gate_cases import (Checker, expect_step, gate, guarded, have_report, pick, run_expecting,  # noqa: E402
                        run_policy, verdict, violations, write_policy)

RESOLVER = "127.0.0.1"
API, ROTATE, WWW, OTHER = "api.example.test", "rotate.example.test", "www.example.test", "other.example.test"
API_V4, API_V6, WWW_V4, OTHER_V4 = "203.0.113.10", "2001:db8::10", "203.0.113.30", "203.0.113.40"
ROTATE_V4 = {"203.0.113.21", "203.0.113.22", "203.0.113.23"}
LITERAL_V4 = "203.0.113.50"  # no name of the test server answers with it
REFUSED_FAST_MS = 800  # a refused query fails at once; an unanswered one takes resolv.conf's 1 s
# The call glibc's or dnsprobe's query leaves by, per transport (send() is sendto(2) on x86_64).
SEND_CALLS = {"udp": {"sendto"}, "udp-connected": {"sendto", "send"}, "tcp": {"write"}, "tcp-writev": {"writev"}}


def dnsprobe_bin():
    return os.path.realpath(netns.env_path("HG_DNSPROBE"))


def policy(tmp, text, name="policy.yml"):
    return write_policy(tmp, text.replace("@DNSPROBE@", dnsprobe_bin()), name)


class TestResolver:
    """dns_server.py on RESOLVER:53 with glibc pointed at it; stopped (and waited for) on exit.
    queries() are the log lines of what it received since the gate started (mark())."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.log_path = os.path.join(tmp, "dns.log")
        self.ready = os.path.join(tmp, "dns.ready")
        self.proc = None
        self.start_line = 0

    def __enter__(self):
        netns.use_test_resolver(self.tmp, RESOLVER)
        server = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dns_server.py")
        self.proc = subprocess.Popen([sys.executable, server, "--addr", RESOLVER, "--port", "53",
                                      "--ready-file", self.ready, "--log", self.log_path, "--lifetime", "150"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else "timed out"
                self.stop()
                print(f"FATAL: the test DNS server did not start on {RESOLVER}:53: {err}", file=sys.stderr)
                sys.exit(99)
            time.sleep(0.05)
        # The whole path the step will use: glibc, the private resolv.conf, the server.
        try:
            got = {ai[4][0] for ai in socket.getaddrinfo(API, 443, socket.AF_INET, socket.SOCK_STREAM)}
        except OSError as e:
            got = f"error {e}"
        if got != {API_V4}:
            self.stop()
            print(f"FATAL: glibc does not reach the test DNS server: {API} resolved to {got}", file=sys.stderr)
            sys.exit(99)
        self.mark()
        return self

    def mark(self):
        self.start_line = len(self._lines())

    def _lines(self):
        try:
            with open(self.log_path) as f:
                return f.read().splitlines()
        except OSError:
            return []

    def queries(self, **want):
        """Log entries (key=value dicts) since mark() matching want."""
        out = [netns.parse_kv(l) for l in self._lines()[self.start_line:]]
        return [q for q in out if all(q.get(k) == v for k, v in want.items())]

    def text(self):
        return "\n".join(self._lines()[self.start_line:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __exit__(self, *exc):
        self.stop()
        return False


def run(tmp, pol, sha="dns", out_name="out"):
    return run_policy(tmp, pol, sha, out_name)


def run_checked(tmp, c, text, rc):
    """Runs the policy text, expecting exit code rc and both reports: (res, True), or
    (res, False) when the case cannot go on."""
    return run_expecting(c, tmp, policy(tmp, text), rc, "dns")


def probed(c, res, step):
    """dnsprobe's lines of step as key=value dicts."""
    try:
        text = res.log(step, "stdout.txt")
    except OSError as e:
        c.failures.append(f"logs/{step}/stdout.txt: {e}")
        return []
    return [netns.parse_kv(l[len("dnsprobe "):]) for l in text.splitlines() if l.startswith("dnsprobe ")]


def probe_ok(c, res, step, want_exit=0):
    """dnsprobe's lines of step, checking its final result and the step's exit code."""
    lines = probed(c, res, step)
    code = c.step(res.report(), step).get("exit_code")
    want = "ok" if want_exit == 0 else "refused"
    ok = c.expect(code == want_exit, f"step {step}: exit code {code!r}, expected {want_exit}")
    ok = c.expect(any(l.get("result") == want for l in lines), f"step {step}: dnsprobe did not end with result={want}") and ok
    if not ok:
        try:
            c.failures.append(f"step {step} stdout:\n{res.log(step, 'stdout.txt')}--- stderr:\n{res.log(step, 'stderr.txt')}")
        except OSError:
            pass
    return lines


def ops(lines, op):
    return [l for l in lines if l.get("op") == op]


def probed_addrs(c, res, step, op, want):
    """dnsprobe's lines of step (probe_ok), whose `op` lines must give the addresses want, in
    that order."""
    lines = probe_ok(c, res, step)
    c.expect([l.get("addr") for l in ops(lines, op)] == want, f"step {step}: dnsprobe: {lines}")
    return lines


def rotated(c, res, step):
    """dnsprobe's lines of step (probe_ok), which must show the three rotated addresses of
    ROTATE resolved."""
    lines = probe_ok(c, res, step)
    addrs = [l.get("addr") for l in ops(lines, "resolve")]
    c.expect(len(addrs) == 3 and set(addrs) == ROTATE_V4, f"dnsprobe did not get the three rotated addresses: {addrs}")
    return lines


def expect_used(c, rep, step, spec, hits):
    s = c.step(rep, step)
    used = [e for e in s.get("exceptions_used", []) if e.get("spec") == spec]
    if c.expect(len(used) == 1, f"step {step}: exception {spec} not (once) in exceptions_used: {s.get('exceptions_used')}"):
        e = used[0]
        c.expect(e.get("direction") == "outbound", f"step {step}: exception {spec} direction {e.get('direction')!r}")
        c.expect(isinstance(e.get("hits"), int) and e["hits"] >= hits,
                 f"step {step}: exception {spec} hits {e.get('hits')!r}, expected >= {hits}")
    c.expect(not any(e.get("spec") == spec for e in s.get("exceptions_unused", [])),
             f"step {step}: exception {spec} is used and also listed as unused")


def allowed_step(c, res, step, spec, hits=1):
    rep = res.report()
    expect_step(c, rep, step, "pass")
    c.expect(not violations(c, rep, step), f"step {step}: violations listed: {violations(c, rep, step)}")
    expect_used(c, rep, step, spec, hits)


def expect_dns(c, rep, step, name, protocol, syscalls, decision="audited"):
    """The one dns violation of step naming name, sent to RESOLVER:53 by one of syscalls."""
    vs = pick(violations(c, rep, step), kind="dns")
    hit = pick(vs, name=name)
    if not c.expect(len(hit) == 1, f"step {step}: expected one dns violation naming {name}, got {vs}"):
        return None
    v = hit[0]
    for k, w in (("address", RESOLVER), ("port", 53), ("protocol", protocol), ("family", "AF_INET"),
                 ("decision", decision)):
        c.expect(v.get(k) == w, f"step {step}: dns violation {k} {v.get(k)!r}, expected {w!r}")
    c.expect(v.get("syscall") in syscalls, f"step {step}: dns violation syscall {v.get('syscall')!r}, expected one of {sorted(syscalls)}")
    c.expect(isinstance(v.get("count"), int) and v["count"] >= 1, f"step {step}: dns violation count {v.get('count')!r}")
    return v


def expect_outbound(c, rep, step, address, port, name, syscall="connect", protocol="tcp", decision="audited"):
    vs = pick(violations(c, rep, step), kind="outbound", address=address, port=port)
    if not c.expect(len(vs) == 1, f"step {step}: expected one outbound violation to {address}:{port}, got "
                                  f"{violations(c, rep, step)}"):
        return None
    v = vs[0]
    c.expect("name" in v, f"step {step}: outbound violation to {address}:{port} has no key 'name': {v}")
    for k, w in (("name", name), ("syscall", syscall), ("protocol", protocol), ("decision", decision)):
        c.expect(v.get(k) == w, f"step {step}: outbound violation to {address}:{port}: {k} {v.get(k)!r}, expected {w!r}")
    return v


def expect_no_eperm(c, lines, step):
    for l in ops(lines, "connect"):
        c.expect(l.get("errno") != "EPERM", f"step {step}: a connect to an allowed name's address was refused: {l}")


def md_text(res):
    with open(os.path.join(res.out, "report.md"), errors="replace") as f:
        return f.read()


# --- cases ---------------------------------------------------------------------------------

def case_server_selftest(tmp, c, dns):
    """The fixture itself, without the gate: the table over UDP and TCP, the rotation, the
    CNAME, AAAA, NXDOMAIN; dnsprobe's raw modes and glibc through the private resolv.conf."""
    for proto in ("udp", "tcp"):
        r = dns_server.query(RESOLVER, 53, API, dns_server.TYPE_A, proto, qid=0x5151)
        c.expect(r["id"] == 0x5151 and r["qr"] and r["rcode"] == 0 and r["flags"] & 0x0180 == 0x0180,
                 f"{proto} {API}: header {r}")
        c.expect(r["question"] == (API, 1, 1), f"{proto} {API}: question {r['question']}")
        c.expect([a[2] for a in r["answers"]] == [API_V4], f"{proto} {API} A: {r['answers']}")
        r = dns_server.query(RESOLVER, 53, API, dns_server.TYPE_AAAA, proto)
        c.expect([a[2] for a in r["answers"]] == [API_V6], f"{proto} {API} AAAA: {r['answers']}")
        r = dns_server.query(RESOLVER, 53, WWW, dns_server.TYPE_A, proto)
        c.expect([(a[1], a[2]) for a in r["answers"]] == [(5, "edge.cdn.example.test"), (1, WWW_V4)],
                 f"{proto} {WWW}: {r['answers']}")
        r = dns_server.query(RESOLVER, 53, "nothing.example.test", dns_server.TYPE_A, proto)
        c.expect(r["rcode"] == 3 and not r["answers"], f"{proto} nothing.example.test: rcode {r['rcode']}")
        r = dns_server.query(RESOLVER, 53, OTHER, dns_server.TYPE_AAAA, proto)
        c.expect(r["rcode"] == 0 and not r["answers"], f"{proto} {OTHER} AAAA: {r}")
    got = [dns_server.query(RESOLVER, 53, ROTATE)["answers"] for _ in range(3)]
    c.expect(all(len(a) == 1 for a in got) and {a[0][2] for a in got} == ROTATE_V4,
             f"{ROTATE}: three queries gave {got}")
    probe = dnsprobe_bin()
    for mode in SEND_CALLS:
        p = subprocess.run([probe, "raw", mode, RESOLVER, API], capture_output=True, text=True, timeout=10)
        raw = [netns.parse_kv(l[len("dnsprobe "):]) for l in p.stdout.splitlines() if "op=raw" in l]
        c.expect(p.returncode == 0 and raw and raw[0].get("addr") == API_V4 and raw[0].get("rcode") == "0",
                 f"dnsprobe raw {mode}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    p = subprocess.run([probe, "resolve", ROTATE, "443", "3"], capture_output=True, text=True, timeout=20)
    addrs = [netns.parse_kv(l).get("addr") for l in p.stdout.splitlines() if "op=resolve " in l]
    c.expect(p.returncode == 0 and len(addrs) == 3 and set(addrs) == ROTATE_V4,
             f"dnsprobe resolve {ROTATE} 443 3 (glibc): exit {p.returncode}\n{p.stdout}{p.stderr}")
    p = subprocess.run([probe, "resolve", "nothing.example.test", "443"], capture_output=True, text=True, timeout=20)
    c.expect(p.returncode == 1 and "op=resolve-failed" in p.stdout and "gai=EAI_NONAME" in p.stdout,
             f"dnsprobe resolve nothing.example.test: exit {p.returncode}\n{p.stdout}{p.stderr}")
    p = subprocess.run([probe, "junk", RESOLVER], capture_output=True, text=True, timeout=10)
    c.expect(p.returncode == 0 and "sent=40" in p.stdout, f"dnsprobe junk: exit {p.returncode}\n{p.stdout}{p.stderr}")
    deadline = time.monotonic() + 3
    while not dns.queries(event="junk") and time.monotonic() < deadline:
        time.sleep(0.05)
    c.expect(len(dns.queries(event="junk")) == 1, f"the server did not log the junk datagram:\n{dns.text()}")
    return None


def case_rotate_allowed(tmp, c, dns):
    """An allowed name whose address changes on every lookup: connects to three different
    answers are all allowed, as each was read from an allowed answer."""
    res, ok = run_checked(tmp, c, f"""version: 1
mode: audit
allow:
  outbound_hosts: [{ROTATE}]
hermetic_steps:
  - id: rotate
    run: ["@DNSPROBE@", "resolve", "{ROTATE}", "443", "3"]
""", 0)
    if not ok:
        return res
    lines = rotated(c, res, "rotate")
    c.expect(len(ops(lines, "connect")) == 3, f"dnsprobe did not connect three times: {lines}")
    allowed_step(c, res, "rotate", ROTATE, hits=3)
    c.expect(res.report().get("result") == "pass", f"report result {res.report().get('result')!r}")
    # >= 3: the gate may look the policy's names up itself at start
    c.expect(len(dns.queries(event="query", name=ROTATE, type="A")) >= 3,
             f"the server did not get three A queries for {ROTATE}:\n{dns.text()}")
    c.schema_valid(res.out)
    return res


def case_rotate_allowed_enforce(tmp, c, dns):
    """The same in enforce mode, with the long form of the exception: the queries and the
    connects to each rotated answer proceed (no EPERM)."""
    res, ok = run_checked(tmp, c, f"""version: 1
mode: enforce
allow:
  outbound_hosts:
    - host: {ROTATE}
      reason: "a name whose address rotates"
      owner: "@tests"
      expires: 2099-12-31
hermetic_steps:
  - id: rotate
    run: ["@DNSPROBE@", "resolve", "{ROTATE}", "443", "3"]
""", 0)
    if not ok:
        return res
    lines = rotated(c, res, "rotate")
    expect_no_eperm(c, lines, "rotate")
    allowed_step(c, res, "rotate", ROTATE, hits=3)
    c.schema_valid(res.out)
    return res


def case_cname_allowed(tmp, c, dns):
    """www.example.test is a CNAME of edge.cdn.example.test: the exception for the name asked
    for allows the query, and the address at the end of the chain."""
    res, ok = run_checked(tmp, c, f"""version: 1
mode: audit
hermetic_steps:
  - id: www
    run: ["@DNSPROBE@", "resolve", "{WWW}", "443"]
    allow:
      outbound_hosts: [{WWW}]
""", 0)
    if not ok:
        return res
    lines = probed_addrs(c, res, "www", "resolve", [WWW_V4])
    c.expect([l.get("addr") for l in ops(lines, "connect")] == [f"{WWW_V4}:443"], f"dnsprobe did not connect: {lines}")
    allowed_step(c, res, "www", WWW)
    c.schema_valid(res.out)
    return res


def case_cname_wildcard(tmp, c, dns):
    """'*.example.test' allows the queries for names below example.test (and the CNAME's
    address), but not example.test itself."""
    res, ok = run_checked(tmp, c, f"""version: 1
mode: audit
allow:
  outbound_hosts: ["*.example.test"]
hermetic_steps:
  - id: www
    run: ["@DNSPROBE@", "resolve", "{WWW}", "443"]
  - id: api
    run: ["@DNSPROBE@", "resolve", "{API}", "443"]
  - id: apex
    run: ["@DNSPROBE@", "raw", "udp", "{RESOLVER}", "example.test"]
""", 3)
    if not ok:
        return res
    rep = res.report()
    for step, addr in (("www", WWW_V4), ("api", API_V4)):
        probed_addrs(c, res, step, "resolve", [addr])
        allowed_step(c, res, step, "*.example.test")
    lines = probe_ok(c, res, "apex")
    c.expect(ops(lines, "raw") and ops(lines, "raw")[0].get("rcode") == "3", f"step apex: dnsprobe: {lines}")
    expect_step(c, rep, "apex", "violation")
    expect_dns(c, rep, "apex", "example.test", "udp", SEND_CALLS["udp"])
    c.schema_valid(res.out)
    return res


def case_name_not_allowed(tmp, c, dns):
    """A name no exception covers: a dns violation naming it, and the connect to its answer an
    outbound violation carrying the name; the connect to the resolver is neither."""
    res, ok = run_checked(tmp, c, f"""version: 1
mode: audit
allow:
  outbound_hosts: [{API}]
hermetic_steps:
  - id: other
    run: ["@DNSPROBE@", "resolve", "{OTHER}", "443"]
""", 3)
    if not ok:
        return res
    rep = res.report()
    probed_addrs(c, res, "other", "resolve", [OTHER_V4])
    expect_step(c, rep, "other", "violation")
    vs = violations(c, rep, "other")
    c.expect(len(vs) == 2, f"step other: expected 2 violations (dns + outbound), got {vs}")
    expect_dns(c, rep, "other", OTHER, "udp", {"sendto", "sendmmsg"})
    expect_outbound(c, rep, "other", OTHER_V4, 443, OTHER)
    c.expect(not pick(vs, kind="outbound", address=RESOLVER), f"the connect to the resolver is a violation: {vs}")
    unused = [e.get("spec") for e in c.step(rep, "other").get("exceptions_unused", [])]
    c.expect(API in unused, f"exception {API} is not listed as unused: {unused}")
    c.expect(OTHER in md_text(res), f"report.md does not name {OTHER}")
    c.schema_valid(res.out)
    return res


def _raw_case(tmp, c, dns, mode):
    """dnsprobe's own query over one transport: allowed for an allowed name, a dns violation
    naming the name otherwise (the answer still comes back in audit mode)."""
    proto = "tcp" if mode.startswith("tcp") else "udp"
    res, ok = run_checked(tmp, c, f"""version: 1
mode: audit
hermetic_steps:
  - id: allowed
    run: ["@DNSPROBE@", "raw", "{mode}", "{RESOLVER}", "{API}"]
    allow:
      outbound_hosts: [{API}]
  - id: other
    run: ["@DNSPROBE@", "raw", "{mode}", "{RESOLVER}", "{OTHER}"]
""", 3)
    if not ok:
        return res
    rep = res.report()
    for step, addr in (("allowed", API_V4), ("other", OTHER_V4)):
        probed_addrs(c, res, step, "raw", [addr])
    allowed_step(c, res, "allowed", API)
    expect_step(c, rep, "other", "violation")
    vs = violations(c, rep, "other")
    c.expect(len(vs) == 1, f"step other: expected one violation (dns), got {vs}")
    expect_dns(c, rep, "other", OTHER, proto, SEND_CALLS[mode])
    c.expect(dns.queries(event="query", proto=proto, name=OTHER), f"the server got no {proto} query for {OTHER}:\n{dns.text()}")
    c.schema_valid(res.out)
    return res


def case_raw_tcp(tmp, c, dns):
    return _raw_case(tmp, c, dns, "tcp")


def case_raw_tcp_writev(tmp, c, dns):
    return _raw_case(tmp, c, dns, "tcp-writev")


def case_raw_udp_connected(tmp, c, dns):
    return _raw_case(tmp, c, dns, "udp-connected")


def case_raw_udp_sendto(tmp, c, dns):
    return _raw_case(tmp, c, dns, "udp")


def case_unspec_sendmmsg(tmp, c, dns):
    """AF_UNSPEC: glibc sends the A and AAAA queries together with sendmmsg; an allowed name's
    AAAA answer is allowed too, a name not allowed gives dns violations from sendmmsg."""
    res, ok = run_checked(tmp, c, f"""version: 1
mode: audit
hermetic_steps:
  - id: allowed
    run: ["@DNSPROBE@", "resolve", "{API}", "443", "1", "any"]
    allow:
      outbound_hosts: [{API}]
  - id: other
    run: ["@DNSPROBE@", "resolve", "{OTHER}", "443", "1", "any"]
""", 3)
    if not ok:
        return res
    rep = res.report()
    lines = probe_ok(c, res, "allowed")
    got = ops(lines, "resolve")
    c.expect(got and set(got[0].get("all", "").split(",")) == {API_V4, API_V6}, f"step allowed: dnsprobe: {lines}")
    allowed_step(c, res, "allowed", API)
    probe_ok(c, res, "other")
    expect_step(c, rep, "other", "violation")
    vs = pick(violations(c, rep, "other"), kind="dns")
    c.expect(vs and all(v.get("name") == OTHER and v.get("syscall") == "sendmmsg" for v in vs),
             f"step other: expected dns violations naming {OTHER} from sendmmsg, got {vs}")
    expect_outbound(c, rep, "other", OTHER_V4, 443, OTHER)
    c.expect(dns.queries(event="query", name=OTHER, type="AAAA"), f"no AAAA query for {OTHER} was sent:\n{dns.text()}")
    c.schema_valid(res.out)
    return res


def case_enforce_refused(tmp, c, dns):
    """Enforce: a query for a name not allowed is refused before it leaves, so getaddrinfo
    fails at once (not after resolv.conf's 1 s timeout) and the step fails; an allowed name in
    the next step resolves and its connect proceeds."""
    res, ok = run_checked(tmp, c, f"""version: 1
mode: enforce
hermetic_steps:
  - id: refused
    run: ["@DNSPROBE@", "resolve", "{OTHER}", "443"]
  - id: allowed
    run: ["@DNSPROBE@", "resolve", "{API}", "443"]
    allow:
      outbound_hosts: [{API}]
""", 3)
    if not ok:
        return res
    rep = res.report()
    lines = probe_ok(c, res, "refused", want_exit=1)
    failed = ops(lines, "resolve-failed")
    if c.expect(len(failed) == 1, f"step refused: dnsprobe did not report resolve-failed: {lines}"):
        ms = failed[0].get("ms", "")
        c.expect(ms.isdigit() and int(ms) < REFUSED_FAST_MS,
                 f"step refused: getaddrinfo failed after {ms} ms, expected < {REFUSED_FAST_MS} (refused, not timed out)")
    c.expect(not ops(lines, "connect"), f"step refused: dnsprobe connected although the name did not resolve: {lines}")
    expect_step(c, rep, "refused", "violation")
    expect_dns(c, rep, "refused", OTHER, "udp", {"sendto", "sendmmsg"}, decision="denied")
    vs = violations(c, rep, "refused")
    c.expect(all(v.get("decision") == "denied" for v in vs), f"step refused: a violation not denied: {vs}")
    c.expect(not dns.queries(event="query", name=OTHER), f"the refused query reached the server:\n{dns.text()}")
    lines = probed_addrs(c, res, "allowed", "resolve", [API_V4])
    c.expect(len(ops(lines, "connect")) == 1, f"step allowed: dnsprobe did not connect: {lines}")
    expect_no_eperm(c, lines, "allowed")
    allowed_step(c, res, "allowed", API)
    c.schema_valid(res.out)
    return res


def case_literal_address(tmp, c, dns):
    """A connect to an address the step never resolved is outbound with name null and
    report.md calls it a literal address; an answer read in one step does not carry over to
    the next."""
    res, ok = run_checked(tmp, c, f"""version: 1
mode: audit
hermetic_steps:
  - id: literal
    run: ["@DNSPROBE@", "literal", "{LITERAL_V4}", "443"]
  - id: resolve-first
    run: ["@DNSPROBE@", "resolve", "{API}", "443"]
    allow:
      outbound_hosts: [{API}]
  - id: later
    run: ["@DNSPROBE@", "literal", "{API_V4}", "443"]
""", 3)
    if not ok:
        return res
    rep = res.report()
    for step in ("literal", "resolve-first", "later"):
        probe_ok(c, res, step)
    expect_step(c, rep, "literal", "violation")
    c.expect(len(violations(c, rep, "literal")) == 1, f"step literal: {violations(c, rep, 'literal')}")
    expect_outbound(c, rep, "literal", LITERAL_V4, 443, None)
    allowed_step(c, res, "resolve-first", API)
    expect_step(c, rep, "later", "violation")
    expect_outbound(c, rep, "later", API_V4, 443, None)
    c.expect("Literal address" in md_text(res), "report.md does not say 'Literal address'")
    c.schema_valid(res.out)
    return res


def case_junk_to_resolver(tmp, c, dns):
    """Bytes to a resolver's port 53 that are not a DNS query: an outbound violation (not dns)."""
    res, ok = run_checked(tmp, c, f"""version: 1
mode: audit
hermetic_steps:
  - id: junk
    run: ["@DNSPROBE@", "junk", "{RESOLVER}"]
""", 3)
    if not ok:
        return res
    rep = res.report()
    probe_ok(c, res, "junk")
    expect_step(c, rep, "junk", "violation")
    vs = violations(c, rep, "junk")
    c.expect(len(vs) == 1 and not pick(vs, kind="dns"), f"step junk: expected one outbound violation, got {vs}")
    expect_outbound(c, rep, "junk", RESOLVER, 53, None, syscall="sendto", protocol="udp")
    c.schema_valid(res.out)
    return res


def case_threads_and_children(tmp, c, dns):
    """Three threads resolving at once are each followed to their own answer; an answer read
    by one process of the step allows a connect from a later process of the same step."""
    res, ok = run_checked(tmp, c, f"""version: 1
mode: audit
hermetic_steps:
  - id: threads
    run: ["@DNSPROBE@", "threads", "{ROTATE}", "443", "3"]
    allow:
      outbound_hosts: [{ROTATE}]
  - id: threads-other
    run: ["@DNSPROBE@", "threads", "{OTHER}", "443", "3"]
  - id: shell
    run: "@DNSPROBE@ resolve {API} 443 && @DNSPROBE@ literal {API_V4} 443"
    allow:
      outbound_hosts: [{API}]
""", 3)
    if not ok:
        return res
    rep = res.report()
    lines = probe_ok(c, res, "threads")
    addrs = [l.get("addr") for l in ops(lines, "resolve")]
    c.expect(len(addrs) == 3 and set(addrs) == ROTATE_V4, f"step threads: not three rotated addresses: {lines}")
    c.expect(len(ops(lines, "connect")) == 3, f"step threads: not three connects: {lines}")
    allowed_step(c, res, "threads", ROTATE, hits=3)
    lines = probe_ok(c, res, "threads-other")
    c.expect(len(ops(lines, "connect")) == 3, f"step threads-other: not three connects: {lines}")
    expect_step(c, rep, "threads-other", "violation")
    vs = violations(c, rep, "threads-other")
    c.expect(len(vs) == 2, f"step threads-other: expected 2 violation entries (dns + outbound), got {vs}")
    v = expect_dns(c, rep, "threads-other", OTHER, "udp", {"sendto", "sendmmsg"})
    if v:
        c.expect(v.get("count") == 3, f"step threads-other: dns violation count {v.get('count')!r}, expected 3")
    v = expect_outbound(c, rep, "threads-other", OTHER_V4, 443, OTHER)
    if v:
        c.expect(v.get("count") == 3, f"step threads-other: outbound violation count {v.get('count')!r}, expected 3")
    probed_addrs(c, res, "shell", "connect", [f"{API_V4}:443"] * 2)
    allowed_step(c, res, "shell", API)
    c.schema_valid(res.out)
    return res


def case_step_own_server(tmp, c, dns):
    """A DNS server the step runs itself on loopback is the step's own listener, not a
    resolver: queries to it are self connections, allowed by the inbound exception for its
    address and judged by no name."""
    server = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dns_server.py")
    own = "127.0.0.2"
    script = (f"{sys.executable} {server} --addr {own} --port 53 --ready-file @TMP@/own.ready --lifetime 20 & "
              f"for i in $(seq 100); do [ -e @TMP@/own.ready ] && break; sleep 0.1; done; "
              f"@DNSPROBE@ raw udp {own} {OTHER} && @DNSPROBE@ raw tcp {own} {OTHER}; rc=$?; kill $!; wait; exit $rc")
    res, ok = run_checked(tmp, c, f"""version: 1
mode: audit
hermetic_steps:
  - id: own
    run: "{script}"
    allow:
      inbound: ["{own}"]
""", 0)
    if not ok:
        return res
    rep = res.report()
    probed_addrs(c, res, "own", "raw", [OTHER_V4] * 2)
    expect_step(c, rep, "own", "pass")
    vs = violations(c, rep, "own")
    c.expect(not vs, f"step own: violations listed (a query to the step's own server judged as DNS?): {vs}")
    used = [e for e in c.step(rep, "own").get("exceptions_used", []) if e.get("spec") == own]
    c.expect(used and used[0].get("direction") == "inbound", f"step own: inbound exception {own} not used: "
                                                              f"{c.step(rep, 'own').get('exceptions_used')}")
    c.expect(not dns.queries(event="query", name=OTHER), f"the test resolver got a query:\n{dns.text()}")
    c.schema_valid(res.out)
    return res


def case_md_snippet_passes(tmp, c, dns):
    """report.md offers, for a dns violation, the name entry to paste (not the resolver's
    address); pasted into the policy, it validates and makes the step pass, query and connect."""
    step = f"""hermetic_steps:
  - id: other
    run: ["@DNSPROBE@", "resolve", "{OTHER}", "443"]
"""
    res = run(tmp, policy(tmp, "version: 1\nmode: audit\n" + step))
    c.rc(res, 3)
    if not have_report(c, res):
        return res
    md = md_text(res)
    blocks = re.findall(r"```ya?ml\n(.*?)```", md, re.S)
    named = [b for b in blocks if re.search(rf'^allow:\n  outbound_hosts:\n    - host: "{re.escape(OTHER)}"\n', b, re.M)]
    if not c.expect(named, f"report.md has no yaml block 'allow:\\n  outbound_hosts:\\n    - host: \"{OTHER}\"':\n{md}"):
        return res
    c.expect(not any(RESOLVER in b for b in blocks), f"report.md suggests an exception for the resolver itself:\n{md}")
    fixed = policy(tmp, "version: 1\nmode: audit\n" + named[0] + step, name="fixed.yml")
    val = gate(["validate", "--policy", fixed], tmp)
    c.expect(val.rc == 0, f"the report.md snippet does not validate (exit {val.rc}):\n{val.diagnostics()}")
    again = run(tmp, fixed, out_name="out-fixed")
    c.expect(again.rc == 0, f"the run with the report.md snippet pasted in: exit {again.rc}, expected 0\n{again.diagnostics()}")
    if have_report(c, again):
        allowed_step(c, again, "other", OTHER)
        c.schema_valid(again.out)
    return res


CASES = {
    "server-selftest": case_server_selftest,
    "rotate-allowed": case_rotate_allowed,
    "rotate-allowed-enforce": case_rotate_allowed_enforce,
    "cname-allowed": case_cname_allowed,
    "cname-wildcard": case_cname_wildcard,
    "name-not-allowed": case_name_not_allowed,
    "raw-tcp": case_raw_tcp,
    "raw-tcp-writev": case_raw_tcp_writev,
    "raw-udp-connected": case_raw_udp_connected,
    "raw-udp-sendto": case_raw_udp_sendto,
    "unspec-sendmmsg": case_unspec_sendmmsg,
    "enforce-refused": case_enforce_refused,
    "literal-address": case_literal_address,
    "junk-to-resolver": case_junk_to_resolver,
    "md-snippet-passes": case_md_snippet_passes,
    "threads-and-children": case_threads_and_children,
    "step-own-server": case_step_own_server,
}


def run_case(name):
    c = Checker()
    with tempfile.TemporaryDirectory(prefix="hg-dns-") as tmp:
        tmp = os.path.realpath(tmp)
        with TestResolver(tmp) as dns:
            res = guarded(c, CASES[name], tmp, c, dns)
            log = dns.text()
        return verdict(name, c, res, "--- the test DNS server's log:\n" + log)


def main(argv):
    return netns.table_main(argv, "dns_cases.py", CASES, run_case, private_dns=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
