#!/usr/bin/env python3
"""The strace drop-in (issue 13) against real strace: the same helper program
(tests/helpers/stracecmp.c) run under `strace OPTIONS` and `hermetic-gate strace OPTIONS`, the
outputs compared line by line after pids, socket inodes, times and signal CPU times are
numbered in order of appearance, and the exit statuses compared.

Two deliberate differences: the drop-in's default -s is 0 (no payload kept unless asked), where
strace's is 32, so a case that gives no -s runs real strace with -s 0; and without -e the drop-in
traces %network (it traces nothing else), so real strace gets -e trace=%network then.

Both run inside netns.py's private network namespace: the helper only uses loopback ports
and one documentation address that routes into a veth pair with nothing behind it.

`compare_cases.py NAME` runs one case; `--check-table NAME...` checks meson registers every
case. Environment (set by meson): HG_BIN, HG_STRACECMP, HG_STRACE (the real strace).
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import netns  # noqa: E402
from run_cases import run_checked  # noqa: E402

TIMEOUT = 60


def real_strace():
    path = os.environ.get("HG_STRACE", "")
    if not path or not os.access(path, os.X_OK):
        print("FATAL: real strace is needed to compare with (.ci/install-deps installs it); HG_STRACE="
              f"{path!r}", file=sys.stderr)
        sys.exit(99)
    return path


def helper():
    return os.path.realpath(netns.env_path("HG_STRACECMP"))


class Numbering:
    """Numbers the pids, inodes and times of one run's output in order of appearance."""

    def __init__(self):
        self.pids = {}
        self.inodes = {}

    def pid(self, m):
        return "P%d" % self.pids.setdefault(m.group(0), len(self.pids) + 1)

    def text(self, s):
        s = re.sub(r"\b\d\d:\d\d:\d\d\.\d{6} ", "TIME ", s)
        # strace's own messages start with the name it was run by (here /usr/bin/strace).
        s = re.sub(r"^\S*strace: ", "strace: ", s, flags=re.M)
        # Stack and heap addresses move with ASLR.
        s = re.sub(r"\b0x[0-9a-f]{6,16}\b", "PTR", s)
        s = re.sub(r"(?<=socket:\[)\d+(?=\])", lambda m: "I%d" % self.inodes.setdefault(
            m.group(0), len(self.inodes) + 1), s)
        s = re.sub(r"si_utime=\d+, si_stime=\d+", "si_utime=T, si_stime=T", s)
        # Pids: a line's prefix, [pid N], si_pid=N, "Process N attached".
        s = re.sub(r"(?:(?<=^)|(?<=\[pid)\s*|(?<=si_pid=)|(?<=Process ))\d+", self.pid, s, flags=re.M)
        s = re.sub(r"^(P\d+)\s+", r"\1 ", s, flags=re.M)
        s = re.sub(r"\[pid\s*(P\d+)\]", r"[pid \1]", s)
        # The column of " = " moves with the width of the pids: compared without it (unit-strace
        # checks the alignment itself).
        return re.sub(r"\)\s+= ", ") = ", s)


def run(argv, cwd):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "TIMEOUT", "", ""


def outputs(tmp, tag):
    """The names of the trace files a run wrote (one, or one per task), in pid order."""
    return sorted((f for f in os.listdir(tmp) if f.startswith(tag)),
                  key=lambda f: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", f)])


def compare_run(c, tmp, options, mode, *, out="file", real_extra=()):
    """Runs strace and the drop-in with options; out: "file" (-o), "per-task" (-ff -o) or
    "stderr". Returns (real rc, drop-in rc)."""
    results = {}
    for who in ("strace", "gate"):
        prefix = os.path.join(tmp, who + ".trace")
        argv = [netns.gate_bin(), "strace"]
        if who == "strace":
            argv = [real_strace()] + list(real_extra) + ([] if "-e" in options else ["-e", "trace=%network"])
        argv += list(options)
        if out != "stderr":
            argv += ["-o", prefix]
        argv += [helper(), mode]
        rc, so, se = run(argv, tmp)
        n = Numbering()
        if out == "stderr":
            texts = {"stderr": n.text(se)}
        else:
            names = outputs(tmp, who + ".trace")
            texts = {}
            for i, name in enumerate(names):
                with open(os.path.join(tmp, name)) as f:
                    key = "trace" if name == who + ".trace" else f"trace.T{i + 1}"
                    texts[key] = n.text(f.read())
            c.expect(se == "" or who == "strace", f"drop-in wrote to stderr with -o: {se!r}")
        results[who] = (rc, texts, argv)
    (rc_s, t_s, argv_s), (rc_g, t_g, argv_g) = results["strace"], results["gate"]
    c.expect(rc_s == rc_g, f"exit status: strace {rc_s}, drop-in {rc_g}")
    c.expect(sorted(t_s) == sorted(t_g), f"output files: strace {sorted(t_s)}, drop-in {sorted(t_g)}")
    for key in sorted(set(t_s) & set(t_g)):
        a, b = t_s[key].splitlines(), t_g[key].splitlines()
        c.expect(len(a) > 0, f"{key}: strace wrote nothing ({' '.join(argv_s)})")
        for i in range(max(len(a), len(b))):
            la = a[i] if i < len(a) else "<none>"
            lb = b[i] if i < len(b) else "<none>"
            if not c.expect(la == lb, f"{key} line {i + 1}:\n  strace:  {la}\n  drop-in: {lb}"):
                break
    return rc_s, rc_g


def case_follow(tmp, c):
    compare_run(c, tmp, ["-f"], "tree", real_extra=["-s", "0"])


def case_per_task_files(tmp, c):
    compare_run(c, tmp, ["-ff"], "tree", out="per-task", real_extra=["-s", "0"])


def case_trace_list(tmp, c):
    compare_run(c, tmp, ["-f", "-e", "trace=connect,sendto"], "calls", real_extra=["-s", "0"])


def case_payloads_s32(tmp, c):
    compare_run(c, tmp, ["-f", "-s", "32"], "calls")


def case_network_class(tmp, c):
    compare_run(c, tmp, ["-e", "trace=%network", "-s", "64"], "calls")


def case_fd_paths_quiet_times(tmp, c):
    compare_run(c, tmp, ["-f", "-y", "-qq", "-tt", "-s", "8", "-e", "trace=network"], "calls")


def case_no_follow(tmp, c):
    compare_run(c, tmp, [], "tree", real_extra=["-s", "0"])


def case_stderr(tmp, c):
    compare_run(c, tmp, ["-f", "-s", "0", "--seccomp-bpf"], "tree", out="stderr")


def case_killed(tmp, c):
    rc_s, _ = compare_run(c, tmp, ["-f"], "killed", real_extra=["-s", "0"])
    c.expect(rc_s == -15, f"strace's status for a command killed by SIGTERM: {rc_s}, expected the signal")


def case_unfinished(tmp, c):
    """A call blocked while another task's lines are written: <unfinished ...> and resumed."""
    compare_run(c, tmp, ["-f"], "overlap", real_extra=["-s", "0"])
    text = open(os.path.join(tmp, "gate.trace")).read() if os.path.exists(os.path.join(tmp, "gate.trace")) else ""
    c.expect("recvfrom(3,  <unfinished ...>" in text and "<... recvfrom resumed>" in text,
             f"the drop-in did not split the blocked recvfrom: {text!r}")


def case_link_named_strace(tmp, c):
    link = os.path.join(tmp, "bin", "strace")
    os.makedirs(os.path.dirname(link))
    os.symlink(netns.gate_bin(), link)
    trace = os.path.join(tmp, "trace")
    rc, so, se = run([link, "-f", "-o", trace, helper(), "tree"], tmp)
    c.expect(rc == 3, f"through a link named strace: exit {rc}, expected the command's 3; stderr {se!r}")
    text = open(trace).read() if os.path.exists(trace) else ""
    c.expect("listen(3, 2)" in text and "+++ exited with 3 +++" in text,
             f"through a link named strace: the trace lacks the calls: {text!r}")


def case_usage_errors(tmp, c):
    for args, needle in ((["-p", "1"], "option -p"), (["-e", "trace=openat", "true"], "'openat' is not a network syscall"),
                         (["-c", "true"], "option -c"), (["-o"], "option -o needs a value"),
                         (["-s", "x", "true"], "option -s x"), ([], "must have CMD"),
                         (["--summary", "true"], "option --summary")):
        rc, so, se = run([netns.gate_bin(), "strace"] + args, tmp)
        lines = se.strip().splitlines()
        c.expect(rc == 2, f"strace {args}: exit {rc}, expected 2")
        c.expect(len(lines) == 1 and needle in se, f"strace {args}: expected one line naming {needle!r}, got {se!r}")
    missing = os.path.join(tmp, "no-such-dir", "trace")
    rc, so, se = run([netns.gate_bin(), "strace", "-o", missing, "true"], tmp)
    c.expect(rc == 2 and missing in se and len(se.strip().splitlines()) == 1,
             f"unwritable -o: exit {rc}, stderr {se!r}")


CASES = {
    "follow": case_follow,
    "per-task-files": case_per_task_files,
    "trace-list": case_trace_list,
    "payloads-s32": case_payloads_s32,
    "network-class": case_network_class,
    "fd-paths-quiet-times": case_fd_paths_quiet_times,
    "no-follow": case_no_follow,
    "stderr": case_stderr,
    "killed": case_killed,
    "unfinished": case_unfinished,
    "link-named-strace": case_link_named_strace,
    "usage-errors": case_usage_errors,
}


def run_case(name):
    return run_checked(name, lambda tmp, c: CASES[name](tmp, c), prefix="hg-strace-")


def main(argv):
    return netns.table_main(argv, "compare_cases.py", CASES, run_case)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
