#!/usr/bin/env python3
"""Integration cases of `hermetic-gate run` inside a GitHub Actions job (issue 14 item 1).

`github_cases.py NAME` runs one case; `github_cases.py --check-table NAME...` verifies that
meson registers every case. The job is faked: GITHUB_ACTIONS=true and GITHUB_STEP_SUMMARY /
GITHUB_OUTPUT naming files in the case's temp dir, each pre-filled with a line that must
survive (the gate appends). The cases check the summary, the outputs and every line the gate
printed on stdout (the annotations); that report.json and report.md are the same bytes with
and without GITHUB_ACTIONS; and that without it (or from `exec`) nothing is written.

Network cases run inside the private namespace of netns.py (only 203.0.113.0/24 and loopback
are addressed). Environment (set by meson): HG_BIN, HG_NETPROBE, HG_VALIDATE_JSON,
HG_SCHEMA_DIR, HG_SOURCE_ROOT.
"""

import os
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
from netns import V4  # noqa: E402
from gate_cases import gate, write_policy  # noqa: E402
from run_cases import run_checked  # noqa: E402

SUMMARY_BEFORE = "# An earlier step's summary\n"
OUTPUT_BEFORE = "earlier=kept\n"
SNIPPET = ('allow:\n  outbound_hosts:\n    - host: "203.0.113.1:443"\n'
           '      # reason: "why this step needs it"\n      # owner: "@team-or-person"\n'
           '      # expires: YYYY-MM-DD\n')

# A comma in the policy path, to see the file= property escaped.
POLICY_NAME = "gh,policy.yml"
POLICY = f"""version: 1
hermetic_steps:
  - id: clean
    run: ["@NETPROBE@", "clean"]
  - id: outbound
    timeout_seconds: 60
    run: ["@NETPROBE@", "tcp4", "{V4}", "443"]
"""
OUTBOUND_LINE, OUTBOUND_COL = 5, 5  # `id:` of `  - id: outbound`


def property_escaped(s):
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")


def data_escaped(s):
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def job_env(tmp, github_actions="true"):
    """The gate's environment in a fake job: (env, summary path, output path), both files
    pre-filled. github_actions None leaves GITHUB_ACTIONS unset."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    summary, output = os.path.join(tmp, "step_summary.md"), os.path.join(tmp, "github_output")
    with open(summary, "w") as f:
        f.write(SUMMARY_BEFORE)
    with open(output, "w") as f:
        f.write(OUTPUT_BEFORE)
    env.update(GITHUB_STEP_SUMMARY=summary, GITHUB_OUTPUT=output)
    if github_actions is not None:
        env["GITHUB_ACTIONS"] = github_actions
    return env, summary, output


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def run_in_job(tmp, policy, out_name, *flags, env=None):
    return gate(["run", "--policy", policy, "--sha", "ghsha", *flags], tmp, os.path.join(tmp, out_name), env=env)


def expect_outputs(c, output, result, violations, out):
    want = [OUTPUT_BEFORE.rstrip("\n"), f"result={result}", f"violations={violations}", f"evidence_dir={out}"]
    got = read(output).splitlines()
    c.expect(got == want, f"GITHUB_OUTPUT holds {got}, expected {want}")


def expect_summary_common(c, summary, result, out):
    text = read(summary)
    c.expect(text.startswith(SUMMARY_BEFORE), "the summary file lost what was in it before (not appended)")
    c.expect(f"\n## hermetic-gate: {result}\n" in text, f"summary has no verdict heading '{result}':\n{text}")
    c.expect(f"evidence in `{out}`" in text, f"summary does not name the evidence folder:\n{text}")
    c.expect("| Step | Command | Result | Exit | Violations |" in text, f"summary has no steps table:\n{text}")
    c.expect(len(text.encode()) < 1024 * 1024, "summary is 1 MiB or more")
    return text


def violation_run(tmp, c, flag):
    """A run of POLICY in a fake job with --audit or --enforce; checks everything but the
    annotation's level and decision, which it returns with the result: (res, annotations)."""
    policy = write_policy(tmp, POLICY, POLICY_NAME)
    env, summary, output = job_env(tmp)
    out = os.path.join(tmp, "out")
    res = run_in_job(tmp, policy, "out", flag, env=env)
    c.rc(res, 3)
    expect_outputs(c, output, "violation", 1, out)
    text = expect_summary_common(c, summary, "violation", out)
    netprobe = os.path.realpath(netns.netprobe_bin())
    for row in ("| `clean` | ", "| pass | 0 | 0 |", "| `outbound` | ", "| violation | 0 | 1 |"):
        c.expect(row in text, f"summary's table lacks {row!r}:\n{text}")
    for part in (f"### outbound: outbound connect to `{V4}:443`", f"- Executable: `{netprobe}`",
                 f"- Process: `{netprobe} tcp4 {V4} 443`", "```yaml\n" + SNIPPET + "```\n"):
        c.expect(part in text, f"summary lacks {part!r}:\n{text}")
    return res, policy, netprobe


def expect_annotation(c, res, level, decision, policy, netprobe):
    lines = res.stdout.splitlines()
    title = property_escaped(f"hermetic-gate: step outbound -> {V4}:443")
    message = data_escaped(f"{netprobe}: outbound connect to {V4}:443 ({decision}, 1 call)\n"
                           f"process: {shlex.join([netprobe, 'tcp4', V4, '443'])}\n"
                           "To allow it, add to the policy:\n\n" + SNIPPET)
    want = (f"::{level} file={property_escaped(policy)},line={OUTBOUND_LINE},col={OUTBOUND_COL},"
            f"title={title}::{message}")
    c.expect(lines == [want], f"stdout lines {lines}, expected exactly [{want!r}]")
    c.expect("gh%2Cpolicy.yml" in want and "hermetic-gate%3A step" in want, "escaping not exercised")


# --- cases ---------------------------------------------------------------------------------

def case_audit(tmp, c):
    res, policy, netprobe = violation_run(tmp, c, "--audit")
    expect_annotation(c, res, "warning", "audited", policy, netprobe)
    c.expect("warning" not in res.stderr, f"a warning on stderr:\n{res.stderr}")
    return res


def case_enforce(tmp, c):
    res, policy, netprobe = violation_run(tmp, c, "--enforce")
    expect_annotation(c, res, "error", "denied", policy, netprobe)
    return res


def case_clean(tmp, c):
    policy = write_policy(tmp, "version: 1\nhermetic_steps:\n  - id: clean\n    run: [\"@NETPROBE@\", \"clean\"]\n")
    env, summary, output = job_env(tmp)
    out = os.path.join(tmp, "out")
    res = run_in_job(tmp, policy, "out", env=env)
    c.rc(res, 0)
    c.expect(res.stdout == "", f"stdout of a clean run is not empty: {res.stdout!r}")
    expect_outputs(c, output, "pass", 0, out)
    text = expect_summary_common(c, summary, "pass", out)
    c.expect(text.endswith("\nNo violations.\n"), f"summary of a clean run does not end in 'No violations.':\n{text}")
    return res


def case_reports_identical(tmp, c):
    """report.json and report.md are the same bytes with and without GITHUB_ACTIONS, and
    nothing is written outside a job, with GITHUB_ACTIONS=false, or by `exec`."""
    policy = write_policy(tmp, POLICY, POLICY_NAME)
    env, summary, output = job_env(tmp)
    res = run_in_job(tmp, policy, "in-job", env=env)
    c.rc(res, 3)
    for github_actions in (None, "false", "1"):
        env, summary, output = job_env(tmp, github_actions)
        name = f"outside-{github_actions}"
        res = run_in_job(tmp, policy, name, env=env)
        c.rc(res, 3)
        for f in ("report.json", "report.md"):
            same = read(os.path.join(tmp, "in-job", f)) == read(os.path.join(tmp, name, f))
            c.expect(same, f"{f} differs with GITHUB_ACTIONS={github_actions!r} from the one in a job")
        nothing_written(c, res, summary, output, f"GITHUB_ACTIONS={github_actions!r}")
    env, summary, output = job_env(tmp)
    res = gate(["exec", "--", netns.netprobe_bin(), "tcp4", V4, "443"], tmp, env=env)
    c.rc(res, 3)
    nothing_written(c, res, summary, output, "exec")
    return res


def nothing_written(c, res, summary, output, what):
    c.expect(read(summary) == SUMMARY_BEFORE, f"{what}: the summary file was written")
    c.expect(read(output) == OUTPUT_BEFORE, f"{what}: the output file was written")
    c.expect("::" not in res.stdout, f"{what}: workflow commands on stdout: {res.stdout!r}")


def case_unwritable(tmp, c):
    """An unset or unwritable GITHUB_STEP_SUMMARY / GITHUB_OUTPUT: one warning line each,
    the exit code and the annotations unchanged."""
    policy = write_policy(tmp, POLICY, POLICY_NAME)
    env, summary, output = job_env(tmp)
    del env["GITHUB_STEP_SUMMARY"]
    env["GITHUB_OUTPUT"] = os.path.join(tmp, "no-such-dir", "output")
    res = run_in_job(tmp, policy, "out", env=env)
    c.rc(res, 3)
    warnings = [line for line in res.stderr.splitlines() if "warning" in line]
    want = ["hermetic-gate: warning: GITHUB_STEP_SUMMARY is not set: no step summary written",
            f"hermetic-gate: warning: cannot append the step outputs to {env['GITHUB_OUTPUT']} (GITHUB_OUTPUT): "
            "open: No such file or directory"]
    c.expect(warnings == want, f"warnings {warnings}, expected {want}")
    c.expect(len(res.stdout.splitlines()) == 1 and res.stdout.startswith("::warning "),
             f"annotation missing: {res.stdout!r}")
    c.expect(read(summary) == SUMMARY_BEFORE, "the summary file named before was written")
    env["GITHUB_STEP_SUMMARY"] = tmp  # a directory
    res = run_in_job(tmp, policy, "out2", env=env)
    c.rc(res, 3)
    c.expect(f"cannot append the step summary to {tmp} (GITHUB_STEP_SUMMARY): open: Is a directory" in res.stderr,
             f"no warning for a directory as GITHUB_STEP_SUMMARY:\n{res.stderr}")
    return res


def case_long_lists_cut(tmp, c):
    """25 violation groups: 25 annotations, a summary with 20 sections and "and 5 more"."""
    ports = " ".join(str(p) for p in range(1001, 1026))
    policy = write_policy(tmp, f"""version: 1
hermetic_steps:
  - id: many
    run: "for p in {ports}; do @NETPROBE@ udp4-sendto {V4} $p; done"
""")
    env, summary, output = job_env(tmp)
    out = os.path.join(tmp, "out")
    res = run_in_job(tmp, policy, "out", env=env)
    c.rc(res, 3)
    lines = res.stdout.splitlines()
    c.expect(len(lines) == 25 and all(line.startswith("::warning ") for line in lines),
             f"{len(lines)} stdout lines, expected 25 warnings: {lines[:3]}")
    text = expect_summary_common(c, summary, "violation", out)
    sections = text.count("\n### many: outbound sendto to ")
    c.expect(sections == 20, f"summary shows {sections} violation sections, expected 20")
    c.expect(f"\nand 5 more violations: see report.md in the evidence folder `{out}`\n" in text,
             f"summary does not say 'and 5 more violations':\n{text[-600:]}")
    expect_outputs(c, output, "violation", 25, out)
    return res


CASES = {
    "audit": case_audit,
    "enforce": case_enforce,
    "clean": case_clean,
    "reports-identical": case_reports_identical,
    "unwritable": case_unwritable,
    "long-lists-cut": case_long_lists_cut,
}


def run_case(name):
    return run_checked(name, CASES[name], "hg-github-")


def main(argv):
    return netns.table_main(argv, "github_cases.py", CASES, run_case)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
