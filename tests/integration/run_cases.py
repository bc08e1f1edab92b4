#!/usr/bin/env python3
"""Integration cases of `hermetic-gate run` (issue #3), one meson test() per case.

`run_cases.py NAME` runs one case; `run_cases.py --check-table NAME...` verifies that meson
registers every case. Each case writes its policy into a temp dir (helper paths substituted
for @NETPROBE@ / @TMP@), runs the real gate and checks exit code and evidence folder.

Network cases run inside the private namespace of netns.py (only 203.0.113.0/24, 2001:db8::/32
and loopback are ever addressed); the demo case runs outside it because its policy enforces.
Environment (set by meson): HG_BIN, HG_NETPROBE, HG_VALIDATE_JSON, HG_SCHEMA_DIR, HG_SOURCE_ROOT,
HG_RUN_FIXTURES.
"""

import difflib
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
from netns import V4  # noqa: E402
from gate_cases import STEP_FILES, Checker, Result, gate, guarded, validate, verdict, write_policy  # noqa: E402


class Failed(Exception):
    pass



env_path = netns.env_path
wait_dead = netns.wait_dead


def nothing_ran(c, marker):
    c.expect(not os.path.exists(marker), f"a step ran (it created {marker}) although the gate refused to run")


# --- cases ---------------------------------------------------------------------------------

def case_evidence_layout_schema(tmp, c):
    policy = write_policy(tmp, f"""version: 1
mode: audit
hermetic_steps:
  - id: clean
    run: ["@NETPROBE@", "clean"]
  - id: outbound
    run: ["@NETPROBE@", "tcp4", "{V4}", "443"]
  - id: listen
    run: ["@NETPROBE@", "listen4", "18080"]
""")
    out = os.path.join(tmp, "out")
    res = gate(["run", "--policy", policy, "--sha", "layout"], tmp, out)
    c.rc(res, 3)
    c.expect(os.path.isfile(os.path.join(out, "report.json")), "report.json is missing")
    c.expect(os.path.isfile(os.path.join(out, "report.md")), "report.md is missing")
    for sid in ("clean", "outbound", "listen"):
        c.step_files(out, sid)
    want = {"report.json", "report.md", "logs"}
    got = set(os.listdir(out)) if os.path.isdir(out) else set()
    c.expect(got == want, f"evidence folder holds {sorted(got)}, expected {sorted(want)}")
    logs = os.path.join(out, "logs")
    if os.path.isdir(logs):
        c.expect(sorted(os.listdir(logs)) == ["clean", "listen", "outbound"], f"logs/ holds {sorted(os.listdir(logs))}")
        for sid in os.listdir(logs):
            extra = set(os.listdir(os.path.join(logs, sid))) - set(STEP_FILES)
            c.expect(not extra, f"logs/{sid}/ holds unexpected files {sorted(extra)}")
    c.no_hidden(out)
    if c.failures:
        return res
    c.schema_valid(out, ["clean", "outbound", "listen"])

    rep = res.report()
    c.expect(rep.get("sha") == "layout", f"report sha {rep.get('sha')!r}")
    c.expect(rep.get("complete") is True, "report complete is not true")
    c.expect(rep.get("result") == "violation", f"report result {rep.get('result')!r}")
    c.expect([s.get("id") for s in rep.get("steps", [])] == ["clean", "outbound", "listen"],
             f"steps not in file order: {[s.get('id') for s in rep.get('steps', [])]}")
    for sid, want_res in (("clean", "pass"), ("outbound", "violation"), ("listen", "violation")):
        c.expect(c.step(rep, sid).get("result") == want_res, f"step {sid} result {c.step(rep, sid).get('result')!r}, expected {want_res}")
    ov = c.step(rep, "outbound").get("violations", [])
    c.expect(any(v.get("kind") == "outbound" and v.get("address") == V4 and v.get("port") == 443
                 and v.get("decision") == "audited" for v in ov), f"outbound violation not in report: {ov}")
    lv = c.step(rep, "listen").get("violations", [])
    c.expect(any(v.get("kind") == "inbound" and v.get("syscall") == "listen" for v in lv), f"listen violation not in report: {lv}")
    c.expect(f"{V4}:443" in res.log("outbound", "strace.txt") or f'inet_addr("{V4}")' in res.log("outbound", "strace.txt"),
             "outbound strace.txt does not show the connect")
    c.expect("18080" in res.log("listen", "ss_listen.txt"), "listen ss_listen.txt does not list port 18080")

    # Negative checks: the validator can fail.
    bad = dict(rep)
    bad["mode"] = "sometimes"
    bad_path = os.path.join(tmp, "corrupt-report.json")
    with open(bad_path, "w") as f:
        json.dump(bad, f)
    rc, text = validate("report.schema.json", [bad_path])
    c.expect(rc == 1 and "/mode" in text, f"validate_json accepted a report with mode 'sometimes' (exit {rc}): {text}")
    bad = dict(rep)
    del bad["steps"]
    with open(bad_path, "w") as f:
        json.dump(bad, f)
    rc, text = validate("report.schema.json", [bad_path])
    c.expect(rc == 1 and "required" in text, f"validate_json accepted a report without steps (exit {rc}): {text}")
    with open(bad_path, "w") as f:
        f.write(open(os.path.join(out, "report.json")).read()[:-20])
    rc, text = validate("report.schema.json", [bad_path])
    c.expect(rc == 1 and "not JSON" in text, f"validate_json accepted a truncated report (exit {rc}): {text}")
    return res


GITHUB_VALUE = "ghp_hgIntegSecretValue0123456789"
NPM_VALUE = "npm_hgIntegSecretValue9876543210"


def case_env_sanitized(tmp, c):
    policy = write_policy(tmp, """version: 1
env:
  keep: ["TOKENIZERS_PARALLELISM"]
  remove: ["HG_INTEG_DROP_*"]
  set:
    HG_ORDER_A: from-set
    HG_ORDER_B: from-set
    HG_FROM_GATE: from-set
hermetic_steps:
  - id: printenv
    run: ["/usr/bin/env"]
    env:
      HG_ORDER_B: from-step
""")
    env = dict(os.environ)
    env.update(GITHUB_TOKEN=GITHUB_VALUE, NPM_TOKEN=NPM_VALUE, TOKENIZERS_PARALLELISM="kept-by-policy",
               HG_INTEG_DROP_ME="dropped-by-policy", HG_FROM_GATE="from-gate", HG_PLAIN="plain-gate-value")
    out = os.path.join(tmp, "out")
    res = gate(["run", "--policy", policy, "--sha", "env"], tmp, out, env=env)
    c.rc(res, 0)
    if not os.path.isfile(os.path.join(out, "report.json")):
        c.failures.append("report.json is missing")
        return res
    printed = res.log("printenv", "stdout.txt")
    for secret in ("GITHUB_TOKEN", "NPM_TOKEN", GITHUB_VALUE, NPM_VALUE, "HG_INTEG_DROP_ME", "dropped-by-policy"):
        c.expect(secret not in printed, f"the step's environment contains {secret!r}")
    lines = [l for l in printed.splitlines() if "=" in l]
    envd = dict(l.split("=", 1) for l in lines)
    c.expect(envd.get("TOKENIZERS_PARALLELISM") == "kept-by-policy", "env.keep did not keep TOKENIZERS_PARALLELISM")
    c.expect(envd.get("HG_PLAIN") == "plain-gate-value", "a harmless gate variable was not passed on")
    c.expect(envd.get("HG_FROM_GATE") == "from-set", f"env.set did not override the gate's value: {envd.get('HG_FROM_GATE')!r}")
    c.expect(envd.get("HG_ORDER_A") == "from-set", f"env.set value missing: {envd.get('HG_ORDER_A')!r}")
    c.expect(envd.get("HG_ORDER_B") == "from-step", f"step env did not override env.set: {envd.get('HG_ORDER_B')!r}")
    names = [l.split("=", 1)[0] for l in lines]
    c.expect(names == sorted(names), "the step's environment is not sorted by name (env.h: sorted, names unique)")
    c.expect(len(names) == len(set(names)), "the step's environment repeats a name")

    removed = c.step(res.report(), "printenv").get("env_removed", [])
    for name in ("GITHUB_TOKEN", "NPM_TOKEN", "HG_INTEG_DROP_ME"):
        c.expect(name in removed, f"env_removed lacks {name}: {removed}")
    c.expect("TOKENIZERS_PARALLELISM" not in removed, "env_removed lists the kept TOKENIZERS_PARALLELISM")
    for root, _, files in os.walk(out):
        for n in files:
            with open(os.path.join(root, n), "rb") as f:
                data = f.read()
            for v in (GITHUB_VALUE, NPM_VALUE):
                c.expect(v.encode() not in data, f"secret value found in {os.path.relpath(os.path.join(root, n), out)}")
    for v in (GITHUB_VALUE, NPM_VALUE):
        c.expect(v not in res.stdout + res.stderr, "secret value printed by the gate")
    c.no_hidden(out)
    c.schema_valid(out)
    return res


def case_reports_byte_identical(tmp, c):
    policy = write_policy(tmp, f"""version: 1
hermetic_steps:
  - id: clean
    run: ["@NETPROBE@", "clean"]
  - id: outbound
    run: ["@NETPROBE@", "double-fork", "tcp4", "{V4}", "443"]
  - id: udp
    run: ["@NETPROBE@", "udp4-sendto", "{V4}", "53"]
  - id: listen
    run: ["@NETPROBE@", "listen4", "18082"]
  - id: failing
    run: ["@NETPROBE@", "fail"]
""")
    runs = []
    for i in (1, 2):
        out = os.path.join(tmp, f"out{i}")
        res = gate(["run", "--policy", policy, "--sha", "same"], tmp, out)
        c.rc(res, 3)
        runs.append(res)
        if not os.path.isfile(os.path.join(out, "report.json")):
            c.failures.append(f"run {i}: report.json is missing")
            return res
    for name in ("report.json", "report.md"):
        a = open(os.path.join(runs[0].out, name), "rb").read()
        b = open(os.path.join(runs[1].out, name), "rb").read()
        if a != b:
            diff = "".join(difflib.unified_diff(a.decode(errors="replace").splitlines(True),
                                                b.decode(errors="replace").splitlines(True), "run1/" + name, "run2/" + name))
            c.failures.append(f"{name} differs between two runs of the same policy:\n{diff}")
    rep = runs[0].report()
    c.expect(c.step(rep, "listen").get("result") == "violation", "listen step is not a violation")
    c.expect(c.step(rep, "outbound").get("result") == "violation", "outbound step is not a violation")
    c.expect(c.step(rep, "failing").get("result") == "failed", "failing step is not failed")
    return runs[-1]


def run_sleepy_step(tmp, c):
    """Runs a policy whose one step, sleepy, sleeps 30 s with a 1 s timeout; expects exit 1.
    (result, evidence folder)"""
    policy = write_policy(tmp, """version: 1
hermetic_steps:
  - id: sleepy
    run: ["@NETPROBE@", "sleep", "30"]
    timeout_seconds: 1
""")
    out = os.path.join(tmp, "out")
    res = gate(["run", "--policy", policy, "--sha", "timeout"], tmp, out, timeout=45)
    c.rc(res, 1)
    return res, out


def case_timeout_step(tmp, c):
    res, out = run_sleepy_step(tmp, c)
    c.expect(res.elapsed < 12, f"the gate took {res.elapsed:.1f}s for a step with a 1 s timeout")
    if not os.path.isfile(os.path.join(out, "report.json")):
        c.failures.append("report.json is missing")
        return res
    s = c.step(res.report(), "sleepy")
    c.expect(s.get("result") == "failed", f"result {s.get('result')!r}, expected failed")
    c.expect(s.get("timed_out") is True, f"timed_out {s.get('timed_out')!r}, expected true")
    pids = [p["pid"] for p in res.tree("sleepy").get("processes", [])]
    c.expect(pids, "process_tree.json lists no process")
    left = wait_dead(pids)
    c.expect(not left, f"processes of the timed-out step still running after the gate exited: {left}")
    c.step_files(out, "sleepy")
    c.no_hidden(out)
    c.schema_valid(out)
    return res


DAEMON = r"""
import os, select, socket, sys, time
r, w = os.pipe()
if os.fork() == 0:
    if os.fork() == 0:
        os.setsid()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 18083))
        s.listen(4)
        open(sys.argv[1], "w").write(str(os.getpid()))
        print("daemon", os.getpid(), flush=True)
        os.write(w, b"x")
        time.sleep(60)
        os._exit(0)
    os._exit(0)
os.wait()
ready, _, _ = select.select([r], [], [], 10)
print("parent exiting", bool(ready), flush=True)
"""


def case_leftover_daemon_killed(tmp, c):
    with open(os.path.join(tmp, "daemon.py"), "w") as f:
        f.write(DAEMON)
    pidfile = os.path.join(tmp, "daemon.pid")
    policy = write_policy(tmp, """version: 1
hermetic_steps:
  - id: daemon
    run: ["python3", "@TMP@/daemon.py", "@TMP@/daemon.pid"]
    timeout_seconds: 40
""")
    out = os.path.join(tmp, "out")
    res = gate(["run", "--policy", policy, "--sha", "daemon"], tmp, out, timeout=50)
    dpid = None
    if os.path.exists(pidfile):
        dpid = int(open(pidfile).read().strip() or 0) or None
    c.expect(dpid, "the daemon never started (no pid file)")
    if dpid:
        left = wait_dead([dpid])
        c.expect(not left, f"the leftover daemon {dpid} is still running after the gate exited")
    c.rc(res, 3)
    c.expect(res.elapsed < 20, f"the gate took {res.elapsed:.1f}s: it waited for the leftover daemon")
    if not os.path.isfile(os.path.join(out, "report.json")) or not dpid:
        c.failures.append("report.json is missing" if dpid else "no daemon pid to look for")
        return res
    procs = res.tree("daemon").get("processes", [])
    mine = [p for p in procs if p.get("pid") == dpid]
    c.expect(mine, f"process_tree.json does not list the daemon {dpid}: {[p.get('pid') for p in procs]}")
    if mine:
        c.expect(mine[0].get("killed_by_gate") is True, f"daemon not marked killed_by_gate: {mine[0]}")
        c.expect(mine[0].get("signal") == "SIGKILL" or mine[0].get("killed_by_gate") is True,
                 f"daemon record: {mine[0]}")
    ss = res.log("daemon", "ss_listen.txt")
    c.expect(any("18083" in l and f"pid={dpid}" in l and "LISTEN" in l for l in ss.splitlines()),
             f"ss_listen.txt does not list the daemon's socket 0.0.0.0:18083 with pid={dpid}:\n{ss}")
    s = c.step(res.report(), "daemon")
    c.expect(s.get("result") == "violation", f"daemon step result {s.get('result')!r}")
    c.no_hidden(out)
    c.schema_valid(out)
    return res


def case_sigterm_mid_step(tmp, c):
    pidfile = os.path.join(tmp, "b.pid")
    policy = write_policy(tmp, """version: 1
hermetic_steps:
  - id: A
    run: ["@NETPROBE@", "clean"]
  - id: B
    run: "echo $$ > @TMP@/b.pid.tmp && mv @TMP@/b.pid.tmp @TMP@/b.pid && exec @NETPROBE@ sleep 30"
    timeout_seconds: 60
  - id: C
    run: ["@NETPROBE@", "touch", "@TMP@/c-ran"]
""")
    out = os.path.join(tmp, "out")
    argv = [netns.gate_bin(), "run", "--policy", policy, "--sha", "term", "--out", out]
    start = time.monotonic()
    proc = subprocess.Popen(argv, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    bpid = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None and not os.path.exists(pidfile):
            time.sleep(0.05)
        if os.path.exists(pidfile):
            bpid = int(open(pidfile).read().strip())
            time.sleep(0.3)  # let the exec of netprobe sleep happen
        c.expect(bpid, "step B never started")
        proc.send_signal(signal.SIGTERM)
        so, se = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        so, se = proc.communicate(timeout=10)
        c.failures.append("the gate did not exit within 20 s of SIGTERM")
    res = Result(argv, proc.returncode, so, se, time.monotonic() - start, out)
    if bpid:
        left = wait_dead([bpid])
        c.expect(not left, f"step B's process {bpid} still running after the gate exited on SIGTERM")
    c.rc(res, 143)
    c.expect(not os.path.exists(os.path.join(tmp, "c-ran")), "step C ran after SIGTERM")
    if not os.path.isfile(os.path.join(out, "report.json")):
        c.failures.append("report.json is missing after SIGTERM")
        return res
    rep = res.report()
    c.expect(rep.get("complete") is False, f"report complete {rep.get('complete')!r}, expected false")
    c.expect("SIGTERM" in (rep.get("incomplete_reason") or ""), f"incomplete_reason {rep.get('incomplete_reason')!r}")
    c.expect(c.step(rep, "A").get("result") == "pass", "step A is not pass in report.json")
    c.expect(all(s.get("id") != "C" for s in rep.get("steps", [])), "report.json lists step C which never ran")
    c.expect(rep.get("result") != "pass", f"an interrupted run reports result {rep.get('result')!r}")
    c.step_files(out, "A")
    c.schema_valid(out, ["A"])
    if os.path.isfile(os.path.join(out, "logs", "B", "process_tree.json")):
        bp = [p["pid"] for p in res.tree("B").get("processes", [])]
        left = wait_dead(bp)
        c.expect(not left, f"processes of step B still running: {left}")
    c.no_hidden(out)
    return res


def case_unwritable_out(tmp, c):
    marker = os.path.join(tmp, "ran")
    policy = write_policy(tmp, """version: 1
hermetic_steps:
  - id: touch
    run: ["@NETPROBE@", "touch", "@TMP@/ran"]
""")
    with open(os.path.join(tmp, "file"), "w") as f:
        f.write("a regular file\n")
    out = os.path.join(tmp, "file", "sub")
    res = gate(["run", "--policy", policy, "--sha", "unwritable"], tmp, out)
    c.rc(res, 2)
    nothing_ran(c, marker)
    lines = res.stderr.strip().splitlines()
    c.expect(len(lines) == 1, f"expected a one-line error, got {len(lines)} lines")
    c.expect(any(out in l for l in lines), f"the error does not name the folder {out}")
    c.expect(res.stderr.startswith("hermetic-gate: error:"), "the error line does not start with 'hermetic-gate: error:'")
    return res


def case_policy_errors(tmp, c):
    fixtures = env_path("HG_RUN_FIXTURES")
    res = None
    # validate: broken fixtures give FILE:LINE:COL.
    for name, line, col, word in (("unknown-step-key.yml", 6, 5, "timeout"), ("bad-mode.yml", 3, 7, "enforcing"),
                                  ("bad-yaml.yml", None, None, None)):
        path = os.path.join(fixtures, name)
        res = gate(["validate", "--policy", path], tmp)
        c.expect(res.rc == 2, f"validate {name}: exit {res.rc}, expected 2\n{res.diagnostics()}")
        msg = res.stderr
        if line is None:
            import re
            c.expect(re.search(re.escape(path) + r":\d+:\d+: ", msg), f"validate {name}: no {path}:LINE:COL in {msg!r}")
        else:
            c.expect(f"{path}:{line}:{col}:" in msg, f"validate {name}: no {path}:{line}:{col}: in {msg!r}")
            c.expect(word in msg, f"validate {name}: message does not name {word!r}: {msg!r}")
        c.expect(not res.stdout.strip(), f"validate {name} printed on stdout: {res.stdout!r}")

    # run --step nosuch: exit 2, nothing ran.
    marker = os.path.join(tmp, "ran")
    policy = write_policy(tmp, """version: 1
hermetic_steps:
  - id: touch
    run: ["@NETPROBE@", "touch", "@TMP@/ran"]
""")
    out = os.path.join(tmp, "out")
    res = gate(["run", "--policy", policy, "--step", "nosuch", "--sha", "x"], tmp, out)
    c.expect(res.rc == 2, f"run --step nosuch: exit {res.rc}, expected 2\n{res.diagnostics()}")
    c.expect("nosuch" in res.stderr and "touch" in res.stderr,
             f"run --step nosuch: the error does not name the unknown step and the known ones: {res.stderr!r}")
    nothing_ran(c, marker)
    c.expect(not os.path.exists(os.path.join(out, "report.json")), "run --step nosuch wrote a report")
    res = gate(["run", "--policy", policy, "--step", "touch", "--step", "nosuch", "--sha", "x"], tmp, out)
    c.expect(res.rc == 2, f"run --step touch --step nosuch: exit {res.rc}, expected 2")
    nothing_ran(c, marker)

    # Missing policy file: exit 2 with a hint (explicit path, then the default path).
    missing = os.path.join(tmp, "nope.yml")
    for args in (["run", "--policy", missing, "--sha", "x"], ["validate", "--policy", missing]):
        res = gate(args, tmp, out if args[0] == "run" else None)
        c.expect(res.rc == 2, f"{' '.join(args)}: exit {res.rc}, expected 2\n{res.diagnostics()}")
        c.expect(missing in res.stderr and "--policy" in res.stderr,
                 f"{args[0]} with a missing policy: no path + '--policy' hint in {res.stderr!r}")
    res = gate(["run", "--sha", "x"], tmp, out)
    c.expect(res.rc == 2, f"run with no policy in cwd: exit {res.rc}, expected 2")
    c.expect("docs/ci/HERMETIC_CI_POLICY.yml" in res.stderr and "--policy" in res.stderr,
             f"run with no policy in cwd: no default path + hint in {res.stderr!r}")
    nothing_ran(c, marker)

    # A step whose command cannot be found: exit 2 before any step runs (also the earlier ones).
    policy = write_policy(tmp, """version: 1
hermetic_steps:
  - id: touch
    run: ["@NETPROBE@", "touch", "@TMP@/ran"]
  - id: missing
    run: ["hg-integ-no-such-command", "--version"]
""", name="missing-command.yml")
    res = gate(["run", "--policy", policy, "--sha", "x"], tmp, out)
    c.expect(res.rc == 2, f"run with a step command that cannot be found: exit {res.rc}, expected 2\n{res.diagnostics()}")
    c.expect("hg-integ-no-such-command" in res.stderr, f"the error does not name the missing command: {res.stderr!r}")
    nothing_ran(c, marker)

    # No sha: no --sha, no --out, no GITHUB_SHA / CI_COMMIT_SHA, not in a git checkout -> exit 2.
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_SHA", "CI_COMMIT_SHA") and not k.startswith("GIT_")}
    env["GIT_CEILING_DIRECTORIES"] = os.path.dirname(tmp)
    nosha = os.path.join(tmp, "nosha")
    os.mkdir(nosha)
    policy = write_policy(tmp, """version: 1
hermetic_steps:
  - id: touch
    run: ["@NETPROBE@", "touch", "@TMP@/ran"]
""", name="nosha.yml")
    res = gate(["run", "--policy", policy], nosha, None, env=env)
    c.expect(res.rc == 2, f"run with no sha anywhere: exit {res.rc}, expected 2\n{res.diagnostics()}")
    c.expect("--sha" in res.stderr, f"the no-sha error gives no hint: {res.stderr!r}")
    nothing_ran(c, marker)
    c.expect(not os.path.exists(os.path.join(nosha, "artifacts")), "run with no sha created artifacts/")

    # The shipped examples validate.
    examples = sorted(glob.glob(os.path.join(env_path("HG_SOURCE_ROOT"), "policy", "examples", "*.yml")))
    c.expect(examples, "no policy/examples/*.yml found")
    for ex in examples:
        res = gate(["validate", "--policy", ex], tmp)
        c.expect(res.rc == 0, f"validate {ex}: exit {res.rc}, expected 0\n{res.diagnostics()}")
    return res


def case_enforce_overrides_audit(tmp, c):
    policy = write_policy(tmp, f"""version: 1
mode: audit
hermetic_steps:
  - id: outbound
    run: ["@NETPROBE@", "tcp4", "{V4}", "443"]
""")
    out = os.path.join(tmp, "out")
    res = gate(["run", "--policy", policy, "--sha", "enf", "--enforce"], tmp, out)
    c.rc(res, 3)
    if not os.path.isfile(os.path.join(out, "report.json")):
        c.failures.append("report.json is missing")
        return res
    printed = res.log("outbound", "stdout.txt")
    c.expect(any("op=connect" in l and "errno=EPERM" in l for l in printed.splitlines()),
             f"netprobe's connect was not refused with EPERM:\n{printed}")
    rep = res.report()
    c.expect(rep.get("mode") == "enforce", f"report mode {rep.get('mode')!r}, expected enforce")
    vs = c.step(rep, "outbound").get("violations", [])
    c.expect(vs and all(v.get("decision") == "denied" for v in vs), f"violations not denied: {vs}")
    c.expect(c.step(rep, "outbound").get("result") == "violation", "step result is not violation")
    c.schema_valid(out)
    return res


def case_step_allow_used_unused(tmp, c):
    policy = write_policy(tmp, f"""version: 1
mode: audit
allow:
  outbound_hosts:
    - host: 203.0.113.99
      reason: "never used by this run"
      owner: "@tests"
hermetic_steps:
  - id: allowed
    run: "@NETPROBE@ tcp4 {V4} 443 && @NETPROBE@ tcp4 {V4} 443"
    allow:
      outbound_hosts: [{V4}]
""")
    out = os.path.join(tmp, "out")
    res = gate(["run", "--policy", policy, "--sha", "allow"], tmp, out)
    c.rc(res, 0)
    if not os.path.isfile(os.path.join(out, "report.json")):
        c.failures.append("report.json is missing")
        return res
    printed = res.log("allowed", "stdout.txt")
    c.expect(printed.count("op=connect ") == 2, f"netprobe did not connect twice:\n{printed}")
    rep = res.report()
    s = c.step(rep, "allowed")
    c.expect(s.get("result") == "pass", f"step result {s.get('result')!r}, expected pass")
    c.expect(not s.get("violations"), f"violations listed: {s.get('violations')}")
    used = s.get("exceptions_used", [])
    hit = [e for e in used if e.get("spec") == V4]
    c.expect(hit, f"exceptions_used lacks {V4}: {used}")
    if hit:
        c.expect(hit[0].get("hits") == 2, f"exception {V4} hits {hit[0].get('hits')}, expected 2")
        c.expect("allowed" in hit[0].get("source", ""), f"source does not name the step: {hit[0].get('source')!r}")
    unused = s.get("exceptions_unused", [])
    c.expect(any(e.get("spec") == "203.0.113.99" for e in unused), f"exceptions_unused lacks 203.0.113.99: {unused}")
    c.expect(not any(e.get("spec") == V4 for e in unused), f"{V4} is listed as unused: {unused}")
    stale = rep.get("stale_exceptions", [])
    c.expect(any(e.get("spec") == "203.0.113.99" for e in stale), f"stale_exceptions lacks 203.0.113.99: {stale}")
    c.schema_valid(out)
    return res


def case_demo_policy(tmp, c):
    demo = os.path.join(env_path("HG_SOURCE_ROOT"), "policy", "examples", "demo.yml")
    out = os.path.join(tmp, "out")
    res = gate(["run", "--policy", demo, "--sha", "demo"], tmp, out, timeout=100)
    c.rc(res, 3)
    if not os.path.isfile(os.path.join(out, "report.json")):
        c.failures.append("report.json is missing")
        return res
    rep = res.report()
    for sid, want in (("clean", "pass"), ("allowed", "pass"), ("outbound", "violation"), ("listen", "violation")):
        got = c.step(rep, sid).get("result")
        c.expect(got == want, f"demo step {sid}: result {got!r}, expected {want}")
    for sid in ("outbound", "listen"):
        vs = c.step(rep, sid).get("violations", [])
        c.expect(vs and all(v.get("decision") == "denied" for v in vs), f"demo step {sid} violations not denied: {vs}")
    c.no_hidden(out)
    c.schema_valid(out)
    return res


def readme_block(after):
    """The lines of the README code block that starts with the line `after`."""
    with open(os.path.join(env_path("HG_SOURCE_ROOT"), "README.md")) as f:
        lines = f.read().split("\n")
    start = lines.index(after) + 1
    end = lines.index("```", start)
    return lines[start:end]


def case_loopback_example(tmp, c):
    """The README's loopback-server example: passes with its one inbound exception (and prints
    what the README shows), fails without it with the listener and its self connections, and
    two runs give byte-identical reports."""
    root = env_path("HG_SOURCE_ROOT")
    example = os.path.join(root, "policy", "examples", "loopback-server.yml")
    command = "$ hermetic-gate run --policy policy/examples/loopback-server.yml --sha local --out evidence"
    outs = [os.path.join(tmp, f"out{i}") for i in (1, 2)]
    runs = [gate(["run", "--policy", "policy/examples/loopback-server.yml", "--sha", "local"], root, out, timeout=100)
            for out in outs]
    res = runs[0]
    for r in runs:
        c.rc(r, 0)
    if not all(os.path.isfile(os.path.join(o, "report.json")) for o in outs):
        c.failures.append("report.json is missing")
        return res
    shown = [line.replace(" evidence in evidence", f" evidence in {outs[0]}") for line in readme_block(command)]
    c.expect(res.stderr.splitlines() == shown,
             "the gate did not print what the README shows:\n" + "\n".join(difflib.unified_diff(shown, res.stderr.splitlines(), lineterm="")))
    s = c.step(res.report(), "unit")
    c.expect(s.get("result") == "pass", f"result {s.get('result')!r}, expected pass")
    used = s.get("exceptions_used", [])
    c.expect(len(used) == 1 and used[0].get("spec") == "127.0.0.1" and used[0].get("direction") == "inbound",
             f"exceptions_used: {used}")
    for name in ("report.json", "report.md"):
        with open(os.path.join(outs[0], name), "rb") as a, open(os.path.join(outs[1], name), "rb") as b:
            c.expect(a.read() == b.read(), f"{name} differs between two runs")
    c.schema_valid(outs[0])

    # Without the exception (and in audit mode, so the suite runs on): the listen and the
    # suite's connections to its server are violations, each shown once, at port 0.
    with open(example) as f:
        text = f.read()
    text = text.replace("mode: enforce", "mode: audit").split("    allow:\n")[0]
    bare = write_policy(tmp, text, "no-exception.yml")
    out3 = os.path.join(tmp, "out3")
    res3 = gate(["run", "--policy", bare, "--sha", "local"], root, out3, timeout=100)
    c.rc(res3, 3)
    if not os.path.isfile(os.path.join(out3, "report.json")):
        c.failures.append("report.json is missing without the exception")
        return res3
    vs = c.step(res3.report(), "unit").get("violations", [])
    kinds = sorted((v.get("kind"), v.get("syscall"), v.get("address"), v.get("port"), v.get("port_chosen_by_kernel")) for v in vs)
    c.expect(kinds == [("inbound", "listen", "127.0.0.1", 0, True), ("self", "connect", "127.0.0.1", 0, True)],
             f"violations without the exception: {kinds}")
    with open(os.path.join(out3, "report.md")) as f:
        md = f.read()
    c.expect(md.count('  inbound:\n    - host: "127.0.0.1"\n') == 1, f"report.md does not offer the inbound entry once:\n{md}")
    listen = res3.log("unit", "ss_listen.txt")
    real = [line.split()[2] for line in listen.splitlines()[1:]]
    c.expect(real and all(not p.endswith(":0") for p in real), f"ss_listen.txt lacks the real ports:\n{listen}")
    for addr in real:
        c.expect(addr.split(":")[-1] not in md, f"report.md names the kernel-chosen port {addr}")
    return res3


def unix_listener(path, kind=socket.SOCK_STREAM):
    """A stand-in for a daemon's socket: bound at path (or an abstract @name), listening."""
    s = socket.socket(socket.AF_UNIX, kind)
    s.bind("\0" + path[1:] if path.startswith("@") else path)
    if kind == socket.SOCK_STREAM:
        s.listen(16)
    return s


def case_delegated_sockets(tmp, c):
    """Delegated egress (issue 11): a step's connect or send to a daemon socket named in
    delegated_sockets is a `delegated` violation, however the step spells the path (the
    absolute path, a relative one from a symlinked directory); a plain unix socket stays
    logged; allow.delegated lets the step pass; enforce refuses the connect with EPERM."""
    daemon = os.path.join(tmp, "daemon")
    os.mkdir(daemon)
    os.symlink("daemon", os.path.join(tmp, "link"))
    stream, dgram = os.path.join(daemon, "d.sock"), os.path.join(daemon, "dg.sock")
    abstract = f"@hg-delegated-test-{os.getpid()}"
    listeners = [unix_listener(stream), unix_listener(dgram, socket.SOCK_DGRAM), unix_listener(abstract),
                 unix_listener(os.path.join(tmp, "plain.sock"))]
    step_allow = "\n    allow: {delegated: [\"" + abstract + "\"]}"  # per step, for run 2
    steps = f"""hermetic_steps:
  - id: absolute
    run: ["@NETPROBE@", unix-to, connect, "{stream}"]
  - id: relative
    cwd: "{tmp}/link"
    run: ["@NETPROBE@", unix-to, connect, d.sock]
  - id: dotdot
    run: ["@NETPROBE@", unix-to, connect, "{tmp}/link/..//daemon/./d.sock"]
  - id: datagram
    run: ["@NETPROBE@", unix-to, sendto, "{tmp}/link/dg.sock"]
  - id: abstract
    run: ["@NETPROBE@", unix-to, connect, "{abstract}"]@STEP_ALLOW@
  - id: plain
    run: ["@NETPROBE@", unix-to, connect, "{tmp}/plain.sock"]
"""
    listed = f"""version: 1
delegated_sockets: ["{stream}", "{dgram}", "{abstract}"]
"""
    delegated_steps = ("absolute", "relative", "dotdot", "datagram", "abstract")
    try:
        res = gate(["run", "--policy", write_policy(tmp, listed + "mode: audit\n" + steps.replace("@STEP_ALLOW@", "")),
                    "--sha", "deleg"],
                   tmp, os.path.join(tmp, "out"))
        c.rc(res, 3)
        if not os.path.isfile(os.path.join(res.out, "report.json")):
            c.failures.append("report.json is missing")
            return res
        rep = res.report()
        for sid in delegated_steps:
            s = c.step(rep, sid)
            vs = s.get("violations", [])
            want = abstract if sid == "abstract" else dgram if sid == "datagram" else stream
            got = [(v.get("kind"), v.get("address"), v.get("family"), v.get("decision")) for v in vs]
            c.expect(got == [("delegated", want, "AF_UNIX", "audited")], f"step {sid}: violations {got}")
            done = "ret=1" if sid == "datagram" else "ret=0"  # sendto returns the byte it sent
            c.expect(done in res.log(sid, "stdout.txt"), f"step {sid}: the audited call did not go through")
        c.expect(c.step(rep, "datagram").get("violations", [{}])[0].get("protocol") == "unix-dgram",
                 "the datagram step's protocol is not unix-dgram")
        plain = c.step(rep, "plain")
        c.expect(plain.get("result") == "pass" and not plain.get("violations"), f"a plain unix socket is a violation: {plain}")
        c.expect("ret=0" in res.log("plain", "stdout.txt"), "the plain connect failed")
        c.expect("kind=delegated" in res.stderr, "no live line says kind=delegated")
        with open(os.path.join(res.out, "report.md")) as f:
            md = f.read()
        c.expect(f'  delegated:\n    - socket: "{stream}"\n' in md, f"report.md offers no delegated entry:\n{md}")
        c.expect("outside the traced tree" in md, "report.md does not say the daemon's work is not traced")
        c.schema_valid(res.out)

        allowed = f"""allow:
  delegated: ["{stream}", "{dgram}"]
"""
        res2 = gate(["run", "--policy", write_policy(tmp, listed + allowed + steps.replace("@STEP_ALLOW@", step_allow),
                                                     "allowed.yml"), "--sha", "deleg"], tmp, os.path.join(tmp, "out2"))
        c.rc(res2, 0)
        if os.path.isfile(os.path.join(res2.out, "report.json")):
            rep2 = res2.report()
            for sid in delegated_steps:
                s = c.step(rep2, sid)
                c.expect(s.get("result") == "pass", f"allowed step {sid}: result {s.get('result')!r}")
                used = s.get("exceptions_used", [])
                c.expect(len(used) == 1 and used[0].get("direction") == "delegated", f"step {sid}: exceptions_used {used}")
            c.schema_valid(res2.out)

        res3 = gate(["run", "--policy", write_policy(tmp, listed + "mode: enforce\n" + steps.replace("@STEP_ALLOW@", ""),
                                                     "enforce.yml"),
                     "--sha", "deleg"], tmp, os.path.join(tmp, "out3"))
        c.rc(res3, 3)
        if os.path.isfile(os.path.join(res3.out, "report.json")):
            rep3 = res3.report()
            for sid in delegated_steps:
                vs = c.step(rep3, sid).get("violations", [])
                c.expect([v.get("decision") for v in vs] == ["denied"], f"enforce step {sid}: {vs}")
                printed = res3.log(sid, "stdout.txt")
                c.expect("errno=EPERM" in printed, f"enforce step {sid}: the call was not refused:\n{printed}")
            c.expect("ret=0" in res3.log("plain", "stdout.txt"), "enforce refused a plain unix connect")
        return res
    finally:
        for s in listeners:
            s.close()


def case_timeout_root_killed_by_gate(tmp, c):
    """process_tree.json: a root killed on timeout was killed by the gate (record/record.h:
    killedByGate = 'left alive when the step ended (or timed out) and killed by the gate')."""
    res, out = run_sleepy_step(tmp, c)
    if not os.path.isfile(os.path.join(out, "logs", "sleepy", "process_tree.json")):
        c.failures.append("process_tree.json is missing")
        return res
    tree = res.tree("sleepy")
    wait_dead([p["pid"] for p in tree.get("processes", [])])
    root = [p for p in tree.get("processes", []) if p.get("pid") == tree.get("root_pid")]
    c.expect(root, "process_tree.json does not list the root")
    if root:
        c.expect(root[0].get("signal") == "SIGKILL", f"timed-out root signal {root[0].get('signal')!r}, expected SIGKILL")
        c.expect(root[0].get("killed_by_gate") is True,
                 f"timed-out root killed by the gate's SIGKILL but killed_by_gate is {root[0].get('killed_by_gate')!r}: {root[0]}")
    return res


def case_step_selection_order(tmp, c):
    """--step picks steps, which run in file order whatever the order named; a failing step
    without violation gives exit 1."""
    policy = write_policy(tmp, """version: 1
hermetic_steps:
  - id: first
    run: ["@NETPROBE@", "fail"]
  - id: skipped
    run: ["@NETPROBE@", "touch", "@TMP@/skipped-ran"]
  - id: last
    run: ["@NETPROBE@", "clean"]
""")
    out = os.path.join(tmp, "out")
    res = gate(["run", "--policy", policy, "--sha", "sel", "--step", "last", "--step", "first"], tmp, out)
    c.rc(res, 1)
    c.expect(not os.path.exists(os.path.join(tmp, "skipped-ran")), "a step not named by --step ran")
    if not os.path.isfile(os.path.join(out, "report.json")):
        c.failures.append("report.json is missing")
        return res
    rep = res.report()
    ids = [s.get("id") for s in rep.get("steps", [])]
    c.expect(ids == ["first", "last"], f"steps {ids}, expected ['first', 'last'] (file order)")
    c.expect(c.step(rep, "first").get("exit_code") == 7, "netprobe fail's exit code 7 not in report")
    c.expect(c.step(rep, "first").get("result") == "failed", "failing step is not 'failed'")
    c.expect(rep.get("result") == "failed", f"overall result {rep.get('result')!r}, expected failed")
    c.expect(not os.path.exists(os.path.join(out, "logs", "skipped")), "logs/skipped/ exists")
    c.schema_valid(out)
    return res


def one_error_line(c, res, what, *words):
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    c.expect(res.rc == 2, f"{what}: exit {res.rc}, expected 2\n{res.diagnostics()}")
    c.expect(len(lines) == 1 and lines[0].startswith("hermetic-gate: error: "),
             f"{what}: expected one 'hermetic-gate: error:' line on stderr, got {lines}")
    for w in words:
        c.expect(w in res.stderr, f"{what}: the error does not name {w!r}: {res.stderr!r}")


def case_bad_option_values(tmp, c):
    """Values CLI11 checks (--detector, --poll-interval, --log-level) and HG_LOG_LEVEL, on
    every subcommand that takes them: exit 2 with one line, and nothing runs."""
    marker = os.path.join(tmp, "ran")
    policy = write_policy(tmp, """version: 1
hermetic_steps:
  - id: touch
    run: ["@NETPROBE@", "touch", "@TMP@/ran"]
""")
    out = os.path.join(tmp, "out")
    run = ["run", "--policy", policy, "--sha", "x"]
    bad_env = dict(os.environ, HG_LOG_LEVEL="loud")
    res = None
    for args, env, words in (
            (run + ["--detector", "strace"], None, ("--detector", "strace")),
            (run + ["--poll-interval", "0"], None, ("--poll-interval",)),
            (run + ["--poll-interval", "10001"], None, ("--poll-interval",)),
            (run + ["--log-level", "loud"], None, ("--log-level", "loud")),
            (run, bad_env, ("HG_LOG_LEVEL", "loud")),
            (["validate", "--policy", policy, "--log-level", "Debug"], None, ("--log-level", "Debug")),
            (["validate", "--policy", policy], bad_env, ("HG_LOG_LEVEL", "loud")),
            (["doctor", "--log-level", "verbose"], None, ("--log-level", "verbose")),
            (["doctor", "-v", "--log-level", "debug"], None, ("--log-level",))):
        res = gate(args, tmp, out if args[0] == "run" else None, env=env)
        one_error_line(c, res, " ".join(args[:1] + args[-2:]) + (" with HG_LOG_LEVEL=loud" if env else ""), *words)
    nothing_ran(c, marker)
    c.expect(not os.path.exists(os.path.join(out, "report.json")), "a refused run wrote a report")
    return res


def case_log_levels(tmp, c):
    """--log-level, -v and HG_LOG_LEVEL on run, validate and doctor: debug diagnostics appear
    only when asked for, and the user-facing lines stay byte for byte what they are without."""
    policy = write_policy(tmp, """version: 1
hermetic_steps:
  - id: clean
    run: ["@NETPROBE@", "clean"]
""")
    out = os.path.join(tmp, "out")
    debug = "hermetic-gate: debug: "
    run = ["run", "--policy", policy, "--sha", "logs"]
    plain = gate(run, tmp, out)
    c.rc(plain, 0)
    c.expect(debug not in plain.stderr, f"run: debug lines at the default level:\n{plain.stderr}")
    netprobe = os.path.realpath(netns.netprobe_bin())
    res = plain
    for args, env in ((["-v"], None), (["--log-level", "debug"], None), ([], dict(os.environ, HG_LOG_LEVEL="debug"))):
        res = gate(run + args, tmp, out, env=env)
        c.rc(res, 0)
        how = " ".join(args) or "HG_LOG_LEVEL=debug"
        lines = res.stderr.splitlines()
        for want in (f"{debug}cli: policy {policy}: version 1, mode audit, 1 step(s)",
                     f"{debug}cli: step clean: running {netprobe} clean under the ptrace detector"):
            c.expect(any(l.startswith(want) for l in lines), f"run {how}: no line starting {want!r}:\n{res.stderr}")
        user = "".join(l + "\n" for l in lines if not l.startswith(debug))
        c.expect(user == plain.stderr, f"run {how}: the user-facing lines changed:\n{user}--- without:\n{plain.stderr}")
    res = gate(run + ["--log-level", "warn"], tmp, out, env=dict(os.environ, HG_LOG_LEVEL="debug"))
    c.expect(res.rc == 0 and res.stderr == plain.stderr, f"run --log-level warn does not win over HG_LOG_LEVEL=debug:\n{res.stderr}")

    res = gate(["validate", "--policy", policy], tmp)
    c.expect(res.rc == 0 and res.stderr == "", f"validate: exit {res.rc}, stderr {res.stderr!r}")
    valid = res.stdout
    res = gate(["validate", "--policy", policy, "--log-level", "debug"], tmp)
    c.expect(res.rc == 0 and res.stdout == valid, f"validate --log-level debug: exit {res.rc}, stdout {res.stdout!r}")
    c.expect(res.stderr.startswith(f"{debug}cli: policy {policy}: "), f"validate --log-level debug: stderr {res.stderr!r}")

    doc = gate(["doctor"], tmp)
    for args in (["--log-level", "off"], ["-v"]):
        res = gate(["doctor"] + args, tmp)
        c.expect(res.rc == doc.rc and res.rc != 2, f"doctor {' '.join(args)}: exit {res.rc}, doctor alone {doc.rc}")
    return res


CASES = {
    "evidence-layout-schema": (case_evidence_layout_schema, True),
    "env-sanitized": (case_env_sanitized, True),
    "reports-byte-identical": (case_reports_byte_identical, True),
    "timeout-step": (case_timeout_step, True),
    "leftover-daemon-killed": (case_leftover_daemon_killed, True),
    "sigterm-mid-step": (case_sigterm_mid_step, True),
    "unwritable-out": (case_unwritable_out, True),
    "policy-errors": (case_policy_errors, True),
    "enforce-overrides-audit": (case_enforce_overrides_audit, True),
    "step-allow-used-unused": (case_step_allow_used_unused, True),
    "timeout-root-killed-by-gate": (case_timeout_root_killed_by_gate, True),
    "step-selection-order": (case_step_selection_order, True),
    "bad-option-values": (case_bad_option_values, True),
    "log-levels": (case_log_levels, True),
    "demo-policy": (case_demo_policy, False),  # enforce mode: safe outside the namespace
    "loopback-example": (case_loopback_example, True),
    "delegated-sockets": (case_delegated_sockets, False),  # AF_UNIX only: nothing leaves the machine
}


def run_checked(name, func, prefix="hg-run-"):
    """Runs case func(tmp, checker) in a fresh temp dir; prints PASS or FAIL with every
    failure and the last gate run's diagnostics; returns the exit status."""
    c = Checker()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        tmp = os.path.realpath(tmp)
        return verdict(name, c, guarded(c, func, tmp, c))


def run_case(name):
    return run_checked(name, CASES[name][0])


def main(argv):
    return netns.table_main(argv, "run_cases.py", CASES, run_case, needs_netns=lambda name: CASES[name][1])

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
