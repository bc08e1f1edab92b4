"""The harness shared by the `hermetic-gate run` cases (run_cases.py, self_cases.py,
dns_cases.py): run the real gate, read its evidence folder, collect failures, and report one
case's verdict.

gate() runs the binary of HG_BIN, bounded by a timeout; Result is what it left (exit code,
output, the evidence folder); Checker collects failures instead of stopping at the first.
Nothing here addresses the network: the cases run inside netns.py's private namespaces.
"""

import glob
import json
import os
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

STEP_FILES = ("stdout.txt", "stderr.txt", "strace.txt", "ss_listen.txt", "process_tree.json")
GATE_TIMEOUT = 60  # seconds: every gate run is bounded; the meson timeout is above it


class Result:
    def __init__(self, argv, rc, stdout, stderr, elapsed, out):
        self.argv, self.rc, self.stdout, self.stderr, self.elapsed, self.out = argv, rc, stdout, stderr, elapsed, out

    def diagnostics(self):
        return (f"--- command: {' '.join(self.argv)}\n--- exit code: {self.rc} after {self.elapsed:.1f}s\n"
                f"--- stdout:\n{self.stdout}--- stderr:\n{self.stderr}---")

    def report(self):
        with open(os.path.join(self.out, "report.json")) as f:
            return json.load(f)

    def log(self, step, name):
        with open(os.path.join(self.out, "logs", step, name), errors="replace") as f:
            return f.read()

    def tree(self, step):
        return json.loads(self.log(step, "process_tree.json"))


def gate(args, cwd, out=None, env=None, timeout=GATE_TIMEOUT):
    """Runs hermetic-gate ARGS [--out OUT] in cwd; the gate is killed if it outlives timeout.
    Without env, the test's environment minus GITHUB_ACTIONS: tests run in a GitHub job must
    not write to the job's summary and outputs (github_cases.py fakes a job of its own)."""
    argv = [netns.gate_bin()] + list(args)
    if env is None:
        env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    if out is not None:
        argv += ["--out", out]
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, cwd=cwd, env=env)
        rc, so, se = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:
        rc = "TIMEOUT"
        so = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        se = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
    return Result(argv, rc, so, se, time.monotonic() - start, out)


def write_policy(tmp, text, name="policy.yml"):
    text = text.replace("@NETPROBE@", os.path.realpath(netns.netprobe_bin())).replace("@TMP@", tmp)
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def validate(schema, files):
    """(exit code, output) of validate_json on files against evidence-schema/SCHEMA."""
    proc = subprocess.run([netns.env_path("HG_VALIDATE_JSON"), os.path.join(netns.env_path("HG_SCHEMA_DIR"), schema)]
                          + list(files), capture_output=True, text=True, timeout=30)
    return proc.returncode, proc.stdout + proc.stderr


class Checker:
    def __init__(self):
        self.failures = []

    def expect(self, cond, msg):
        if not cond:
            self.failures.append(msg)
        return bool(cond)

    def rc(self, res, want):
        ok = res.rc in want if isinstance(want, (set, tuple)) else res.rc == want
        return self.expect(ok, f"exit code {res.rc}, expected {want}")

    def step(self, report, step_id):
        for s in report.get("steps", []):
            if s.get("id") == step_id:
                return s
        self.failures.append(f"report.json has no step '{step_id}' (steps: {[s.get('id') for s in report.get('steps', [])]})")
        return {}

    def step_files(self, out, step_id):
        d = os.path.join(out, "logs", step_id)
        for name in STEP_FILES:
            self.expect(os.path.isfile(os.path.join(d, name)), f"logs/{step_id}/{name} is missing")

    def no_hidden(self, out):
        """No partial or temporary files (names starting with '.') anywhere in the folder."""
        for root, dirs, files in os.walk(out):
            for n in dirs + files:
                self.expect(not n.startswith("."), f"leftover partial/temp file {os.path.relpath(os.path.join(root, n), out)}")

    def schema_valid(self, out, step_ids=None):
        rc, text = validate("report.schema.json", [os.path.join(out, "report.json")])
        self.expect(rc == 0, f"report.json is not valid against report.schema.json (validate_json exit {rc}):\n{text}")
        trees = sorted(glob.glob(os.path.join(out, "logs", "*", "process_tree.json")))
        if step_ids is not None:
            trees = [os.path.join(out, "logs", s, "process_tree.json") for s in step_ids]
        if trees:
            rc, text = validate("process_tree.schema.json", trees)
            self.expect(rc == 0, f"process_tree.json not valid against process_tree.schema.json (exit {rc}):\n{text}")


def run_policy(tmp, pol, sha, out_name="out"):
    """hermetic-gate run --policy POL --sha SHA --out TMP/OUT_NAME, in tmp."""
    return gate(["run", "--policy", pol, "--sha", sha], tmp, os.path.join(tmp, out_name))


def have_report(c, res):
    """Whether the run left report.json and report.md (a failure when not)."""
    if os.path.isfile(os.path.join(res.out, "report.json")) and os.path.isfile(os.path.join(res.out, "report.md")):
        return True
    c.failures.append("report.json or report.md is missing")
    return False


def run_expecting(c, tmp, pol, rc, sha):
    """run_policy, expecting exit code rc and both reports: (res, True), or (res, False) when a
    report is missing and the case cannot go on (both are failures)."""
    res = run_policy(tmp, pol, sha)
    c.rc(res, rc)
    return res, have_report(c, res)


def violations(c, rep, step):
    return c.step(rep, step).get("violations", [])


def pick(vs, **want):
    """The entries of vs with every key of want at its value."""
    return [v for v in vs if all(v.get(k) == w for k, w in want.items())]


def expect_step(c, rep, step, result):
    got = c.step(rep, step).get("result")
    return c.expect(got == result, f"step {step}: result {got!r}, expected {result}")


def guarded(c, case, *args):
    """case(*args), or None when it raised: the exception and its traceback are a failure."""
    try:
        return case(*args)
    except Exception as e:  # a crash of the test is a failure with its traceback
        c.failures.append(f"test raised {type(e).__name__}: {e}\n{traceback.format_exc()}")
        return None


def verdict(name, c, res, extra=None):
    """Prints PASS NAME and returns 0; or, when c has failures, FAIL NAME with each of them,
    the gate's command and output, report.json when there is one, and extra; returns 1.
    Call it before the case's temp dir is removed."""
    if not c.failures:
        print(f"PASS {name}")
        return 0
    print(f"FAIL {name}:")
    for f in c.failures:
        print(f"  - {f}")
    if res is not None:
        print(res.diagnostics())
        if res.out and os.path.isfile(os.path.join(res.out, "report.json")):
            with open(os.path.join(res.out, "report.json")) as f:
                print("--- report.json:\n" + f.read())
    if extra is not None:
        print(extra)
    return 1
