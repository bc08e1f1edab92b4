#!/usr/bin/env python3
"""Live progress of `hermetic-gate run` (issue 14): the status line of the running step,
captured through a pseudo-terminal (redrawn in place, erased at the end) and through a pipe
(a plain line every --progress-every seconds, none with --progress never or --quiet), and
report.json/report.md byte for byte the same whatever the progress mode.

`progress_cases.py NAME` runs one case inside netns.py's private network namespace (the step
connects to a documentation address); `--check-table NAME...` checks meson registers every
case. Environment (set by meson): HG_BIN, HG_NETPROBE.
"""

import os
import pty
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
from gate_cases import gate, write_policy  # noqa: E402
from run_cases import run_checked  # noqa: E402

# One step that makes a violation, then runs long enough for a few progress ticks.
POLICY = """version: 1
mode: audit
hermetic_steps:
  - id: slow
    run: "@NETPROBE@ tcp4 203.0.113.1 443; sleep 2.2"
"""

ERASE = "\r\x1b[K"
STATUS = re.compile(r"hermetic-gate: step slow: (\d+\.\d) s, (\d+) process(?:es)?, (\d+) network calls?, (\d+) violations?")


def run_args(tmp, *extra):
    return ["run", "--policy", write_policy(tmp, POLICY), "--sha", "progress"] + list(extra)


def run_in_pty(argv, cwd, timeout=60):
    """Runs argv with stdin, stdout and stderr on a new pseudo-terminal; returns (rc, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, cwd=cwd, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    try:
        rc = proc.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = "TIMEOUT"
    return rc, b"".join(chunks).decode(errors="replace")


def case_terminal(tmp, c):
    out = os.path.join(tmp, "out")
    rc, text = run_in_pty([netns.gate_bin()] + run_args(tmp, "--out", out), tmp)
    c.expect(rc == 3, f"exit {rc}, expected 3 (a violation)")
    draws = [m for m in STATUS.finditer(text)]
    c.expect(len(draws) >= 4, f"expected the status line redrawn several times in 2 s, got {len(draws)}:\n{text!r}")
    c.expect(text.count(ERASE) >= len(draws), "the status line is not redrawn in place (no erase before each draw)")
    if draws:
        times = [float(m.group(1)) for m in draws]
        c.expect(times == sorted(times) and times[-1] >= 1.5, f"elapsed times not rising to the step's 2 s: {times}")
        last = draws[-1]
        c.expect(int(last.group(2)) >= 1, f"no process counted: {last.group(0)!r}")
        c.expect(int(last.group(3)) >= 1 and int(last.group(4)) == 1,
                 f"the connect to 203.0.113.1 is not counted as one call and one violation: {last.group(0)!r}")
        # After the last draw the line is erased before the step's summary is printed.
        tail = text[last.end():]
        c.expect(tail.startswith(ERASE) and "step slow: exited 0" in tail,
                 f"the status line is not erased before the summary: {tail[:200]!r}")
    c.expect("audited" in text or "AUDIT" in text.upper(), f"the violation line is missing:\n{text!r}")


def case_log(tmp, c):
    out = os.path.join(tmp, "out")
    res = gate(run_args(tmp, "--progress-every", "1"), tmp, out)
    c.rc(res, 3)
    lines = [l for l in res.stderr.splitlines() if "(still running)" in l]
    # One a second while the step runs (at least 2.2 s; longer on a loaded machine).
    c.expect(len(lines) >= 2, f"expected a plain line at 1 s and 2 s of a 2.2 s step, got {lines}\n{res.stderr}")
    c.expect("\x1b[K" not in res.stderr, "terminal control characters in a log")
    times = []
    for l in lines:
        m = STATUS.match(l)
        if c.expect(m is not None, f"plain progress line {l!r} does not say step, time, processes, calls, violations"):
            times.append(m.group(1))
    c.expect(times == [f"{i + 1}.0" for i in range(len(times))], f"plain lines not one a second: {times}")


def case_never_and_quiet(tmp, c):
    for extra, what in ((["--progress", "never", "--progress-every", "1"], "--progress never"),
                        (["--quiet", "--progress-every", "1"], "--quiet")):
        out = os.path.join(tmp, "out-" + what.strip("-").replace(" ", "-"))
        res = gate(run_args(tmp, *extra), tmp, out)
        c.rc(res, 3)
        c.expect("still running" not in res.stderr and "\r" not in res.stderr,
                 f"{what}: progress printed:\n{res.stderr}")
    out = os.path.join(tmp, "out-pty-never")
    rc, text = run_in_pty([netns.gate_bin()] + run_args(tmp, "--out", out, "--progress", "never"), tmp)
    c.expect(STATUS.search(text) is None, f"--progress never on a terminal drew the status line:\n{text!r}")


def case_reports_unchanged(tmp, c):
    """report.json and report.md are the same bytes with and without the status line."""
    texts = {}
    for mode in ("always", "never"):
        out = os.path.join(tmp, "out-" + mode)
        res = gate(run_args(tmp, "--progress", mode), tmp, out)
        c.rc(res, 3)
        if mode == "always":
            # (captured as text, so the line's \r reads as a newline)
            c.expect(STATUS.search(res.stderr) is not None and "\x1b[Khermetic-gate: step slow: " in res.stderr,
                     f"--progress always did not draw in place on a pipe:\n{res.stderr!r}")
        texts[mode] = {f: open(os.path.join(out, f), "rb").read() for f in ("report.json", "report.md")}
    for f in ("report.json", "report.md"):
        c.expect(texts["always"][f] == texts["never"][f], f"{f} differs between --progress always and never")


CHURN = """version: 1
hermetic_steps:
  - id: churn
    run: "for i in 1 2 3 4 5 6 7 8 9 10; do sh -c 'x=$(true); true'; done"
    timeout_seconds: 20
"""


def case_churn_completes(tmp, c):
    """Processes that come and go while the progress thread runs: the tracer still sees every
    exit (the thread takes no signal, so SIGCHLD reaches the tracer's signalfd; a thread
    that took it left the step hanging until its timeout)."""
    for mode in ("always", "auto"):
        out = os.path.join(tmp, "out-" + mode)
        res = gate(["run", "--policy", write_policy(tmp, CHURN), "--sha", "churn", "--progress", mode], tmp, out)
        c.rc(res, 0)
        c.expect(res.elapsed < 15, f"--progress {mode}: a step of ten short shells took {res.elapsed:.1f} s")
        c.expect("timed out" not in res.stderr, f"--progress {mode}: the step timed out:\n{res.stderr}")


def case_bad_value(tmp, c):
    res = gate(["run", "--progress", "sometimes"], tmp)
    c.rc(res, 2)
    c.expect("--progress" in res.stderr and len(res.stderr.strip().splitlines()) == 1,
             f"one line naming --progress expected:\n{res.stderr}")


CASES = {
    "terminal": case_terminal,
    "log": case_log,
    "never-and-quiet": case_never_and_quiet,
    "reports-unchanged": case_reports_unchanged,
    "churn-completes": case_churn_completes,
    "bad-value": case_bad_value,
}


def run_case(name):
    return run_checked(name, CASES[name], prefix="hg-progress-")


def main(argv):
    return netns.table_main(argv, "progress_cases.py", CASES, run_case)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
