#!/usr/bin/env python3
"""Integration cases of `hermetic-gate suggest` (issue 13): a policy from an audit run.

An audit run of a policy without exceptions records its violations; `suggest --write` adds
the allow: entries for them to the policy file in place (its comments kept), the policy
still validates, and a second run passes. A listener on a kernel-chosen port becomes an
inbound entry on its address alone, never on that port.

`suggest_cases.py NAME` runs one case inside netns.py's private network namespace (only
loopback and documentation addresses are used); `--check-table NAME...` checks meson
registers every case. Environment (set by meson): HG_BIN, HG_NETPROBE, HG_SELFSERVE.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
from gate_cases import gate, write_policy  # noqa: E402
from run_cases import run_checked  # noqa: E402

POLICY = """# yaml-language-server: $schema=../hermetic-ci-policy.schema.json
# The team's policy: these comments must survive `suggest --write`.
version: 1
mode: audit   # first an audit run

# The steps.
hermetic_steps:
  - id: fetch            # talks to two documentation addresses
    run: "@NETPROBE@ tcp4 203.0.113.1 443; @NETPROBE@ tcp6 2001:db8::1 8443"
  - id: server
    run: ["@SELFSERVE@", "--repeat", "2", "tcp", "127.0.0.1"]   # its own test server
    timeout_seconds: 30
"""


def policy(tmp):
    text = POLICY.replace("@SELFSERVE@", os.path.realpath(netns.env_path("HG_SELFSERVE")))
    return write_policy(tmp, text)


def audit(c, tmp, pol, out, want):
    res = gate(["run", "--policy", pol, "--sha", "suggest"], tmp, os.path.join(tmp, out))
    c.expect(res.rc == want, f"run --out {out}: exit code {res.rc}, expected {want}\n{res.diagnostics()}")
    return res


def one_line_error(c, res, want_rc, *fragments):
    lines = res.stderr.strip().splitlines()
    c.expect(res.rc == want_rc, f"{' '.join(res.argv[1:])}: exit code {res.rc}, expected {want_rc}\n{res.diagnostics()}")
    c.expect(len(lines) == 1, f"{' '.join(res.argv[1:])}: expected one line on stderr, got {lines}")
    for f in fragments:
        c.expect(f in res.stderr, f"{' '.join(res.argv[1:])}: stderr lacks {f!r}: {res.stderr!r}")


def kernel_ports(res):
    """The ports selfserve's listener really had (from its stdout)."""
    text = res.log("server", "stdout.txt")
    return sorted({int(m) for m in re.findall(r"op=listen proto=tcp addr=\S+ port=(\d+)", text)})


def write_then_pass(tmp, c, per_step):
    pol = policy(tmp)
    first = audit(c, tmp, pol, "audit", 3)
    report = os.path.join(first.out, "report.json")
    ports = kernel_ports(first)
    c.expect(ports and all(p != 0 for p in ports), f"selfserve printed no listener port: {ports}")
    before = open(pol).read()
    args = ["suggest", report, "--write", pol] + (["--per-step"] if per_step else [])
    res = gate(args, tmp)
    c.expect(res.rc == 0, f"suggest --write: exit code {res.rc}\n{res.diagnostics()}")
    after = open(pol).read()
    for line in before.splitlines():
        c.expect(line in after.splitlines(), f"suggest --write lost the line {line!r}:\n{after}")
    added = "\n".join(l for l in after.splitlines() if l not in before.splitlines())
    for want in ('"203.0.113.1:443"', '"[2001:db8::1]:8443"', 'inbound:', '- host: "127.0.0.1"', "FILL IN"):
        c.expect(want in added, f"the added lines lack {want}:\n{added}")
    for p in ports:
        c.expect(str(p) not in added, f"the added lines name the kernel-chosen port {p}:\n{added}")
    c.expect(":0\"" not in added, f"the added lines name port 0:\n{added}")
    if per_step:
        c.expect(after.index("- id: fetch") < after.index("203.0.113.1:443") < after.index("- id: server")
                 < after.index('- host: "127.0.0.1"'), f"the entries are not under their steps:\n{after}")
    else:
        c.expect(after.index("\nallow:") < after.index("# The steps."), f"no top-level allow: above the steps:\n{after}")
    val = gate(["validate", "--policy", pol], tmp)
    c.expect(val.rc == 0, f"validate after suggest --write: {val.diagnostics()}")
    second = audit(c, tmp, pol, "second", 0)
    if os.path.isfile(os.path.join(second.out, "report.json")):
        c.expect(second.report().get("result") == "pass", f"second run: result {second.report().get('result')}")
    again = gate(["suggest", os.path.join(second.out, "report.json"), "--write", pol], tmp)
    c.expect(again.rc == 0 and open(pol).read() == after,
             f"suggest on a clean run changed the policy or failed:\n{again.diagnostics()}")
    return res


def case_per_step_write_passes(tmp, c):
    """audit run -> suggest --per-step --write -> validate -> a second run passes."""
    return write_then_pass(tmp, c, True)


def case_global_write_passes(tmp, c):
    """The same with one top-level allow:, created above hermetic_steps and its comment."""
    return write_then_pass(tmp, c, False)


def case_server_inbound_no_port(tmp, c):
    """Printed suggestion for a suite with a local test server: the inbound entry on the
    listener's address, never the ephemeral port; the self connections need no more."""
    pol = policy(tmp)
    first = audit(c, tmp, pol, "audit", 3)
    res = gate(["suggest", os.path.join(first.out, "report.json"), "--per-step"], tmp)
    c.expect(res.rc == 0, f"suggest: {res.diagnostics()}")
    server = res.stdout[res.stdout.find("- id: server"):]
    c.expect("  inbound:\n" in server and '- host: "127.0.0.1"\n' in server,
             f"no inbound 127.0.0.1 entry for the server step:\n{res.stdout}")
    c.expect("outbound_hosts" not in server, f"the server step got outbound entries:\n{res.stdout}")
    for p in kernel_ports(first):
        c.expect(str(p) not in res.stdout, f"suggest printed the kernel-chosen port {p}:\n{res.stdout}")
    return res


def case_errors(tmp, c):
    """Each error is one line naming the file (and line), with its own exit code."""
    pol = policy(tmp)
    first = audit(c, tmp, pol, "audit", 3)
    report = os.path.join(first.out, "report.json")
    missing = os.path.join(tmp, "nope.json")
    one_line_error(c, gate(["suggest", missing], tmp), 5, missing, "cannot read report")
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as f:
        f.write('{"sha": "x"}\n')
    one_line_error(c, gate(["suggest", bad], tmp), 5, bad, "does not match the report schema")
    with open(bad, "w") as f:
        f.write('{"sha": ')
    one_line_error(c, gate(["suggest", bad], tmp), 5, bad, "not JSON")
    broken = write_policy(tmp, "version: 1\nhermetic_steps:\n  - id: fetch\n    run: [a\n", "broken.yml")
    one_line_error(c, gate(["suggest", report, "--write", broken], tmp), 2, broken + ":")
    other = write_policy(tmp, "version: 1\nhermetic_steps:\n  - id: other\n    run: make\n", "other.yml")
    text = open(other).read()
    one_line_error(c, gate(["suggest", report, "--per-step", "--write", other], tmp), 5, other, "no step 'fetch'")
    one_line_error(c, gate(["suggest", report, "--write", other], tmp), 5, other, "no step 'fetch'")
    c.expect(open(other).read() == text, "a refused --write changed the policy")
    return None


CASES = {
    "per-step-write-passes": case_per_step_write_passes,
    "global-write-passes": case_global_write_passes,
    "server-inbound-no-port": case_server_inbound_no_port,
    "errors": case_errors,
}


def run_case(name):
    return run_checked(name, CASES[name], prefix="hg-suggest-")


def main(argv):
    return netns.table_main(argv, "suggest_cases.py", CASES, run_case)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
