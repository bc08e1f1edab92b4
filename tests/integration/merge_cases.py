#!/usr/bin/env python3
"""Integration cases of `hermetic-gate merge` (issue 13, item 5): the evidence folders of
shards, made by real `hermetic-gate run` invocations over different steps of one policy,
joined into one folder.

The steps are `true`, `false` and `echo`: nothing touches the network, so the cases run
outside any namespace. `merge_cases.py NAME` runs one case; `--check-table NAME...` checks
meson registers every case. Environment (set by meson): HG_BIN, HG_VALIDATE_JSON,
HG_SCHEMA_DIR.
"""

import filecmp
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
from gate_cases import STEP_FILES, gate, validate, write_policy  # noqa: E402
from run_cases import run_checked  # noqa: E402
from suggest_cases import one_line_error  # noqa: E402

POLICY = """version: 1
mode: audit
allow:
  outbound_hosts:
    - host: 198.51.100.7
      reason: "never used: stale in every shard"
      owner: "@qa"
hermetic_steps:
  - id: zeta
    run: "echo zeta says hi"
  - id: alpha
    run: "true"
  - id: mid
    run: "false"
"""

SHA = "0123456789abcdef0123456789abcdef01234567"


def shard(c, tmp, pol, name, steps, sha=SHA, want=0):
    """hermetic-gate run --policy POL --step S... --sha SHA --out TMP/NAME."""
    args = ["run", "--policy", pol, "--sha", sha, "--quiet"]
    for s in steps:
        args += ["--step", s]
    out = os.path.join(tmp, name)
    res = gate(args, tmp, out)
    c.expect(res.rc == want, f"run {name}: exit code {res.rc}, expected {want}\n{res.diagnostics()}")
    return out


def two_shards(c, tmp):
    pol = write_policy(tmp, POLICY)
    return pol, shard(c, tmp, pol, "shard-1", ["zeta", "alpha"]), shard(c, tmp, pol, "shard-2", ["mid"], want=1)


def merge(tmp, dirs, out):
    return gate(["merge"] + list(dirs), tmp, os.path.join(tmp, out))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def case_byte_identical(tmp, c):
    """Two shards merged twice, the second time with the folders reversed: byte-identical
    reports, valid against the schema, steps sorted by id, every shard's logs copied."""
    _, one, two = two_shards(c, tmp)
    first = merge(tmp, [one, two], "merged-a")
    second = merge(tmp, [two, one], "merged-b")
    for res in (first, second):
        c.expect(res.rc == 1, f"merge: exit code {res.rc}, expected 1 (step mid failed)\n{res.diagnostics()}")
    for name in ("report.json", "report.md"):
        a, b = os.path.join(first.out, name), os.path.join(second.out, name)
        c.expect(os.path.isfile(a) and read(a) == read(b), f"{name} differs between the two merges")
    rep = first.report()
    c.expect([s["id"] for s in rep["steps"]] == ["alpha", "mid", "zeta"], f"steps not sorted by id: {rep['steps']}")
    c.expect(rep["result"] == "failed" and rep["complete"] and rep["sha"] == SHA, f"merged header: {rep}")
    c.expect([e["spec"] for e in rep["stale_exceptions"]] == ["198.51.100.7"], f"stale: {rep['stale_exceptions']}")
    rc, text = validate("report.schema.json", [os.path.join(first.out, "report.json")])
    c.expect(rc == 0, f"merged report.json does not match the schema:\n{text}")
    for src, steps in ((one, ["zeta", "alpha"]), (two, ["mid"])):
        for step in steps:
            for f in STEP_FILES:
                got = os.path.join(first.out, "logs", step, f)
                c.expect(os.path.isfile(got) and filecmp.cmp(got, os.path.join(src, "logs", step, f), shallow=False),
                         f"logs/{step}/{f} not copied from {src}")
    c.expect("zeta says hi" in first.log("zeta", "stdout.txt"), "zeta's stdout lost")
    leftovers = [n for n in os.listdir(tmp) if n.startswith(".")]
    c.expect(not leftovers, f"temporary folders left behind: {leftovers}")
    return first


def case_refusals(tmp, c):
    """Shards that do not belong together (exit 6), a folder without report.json (exit 5),
    an --out that is not empty (exit 2): one line on stderr, and no --out folder."""
    pol, one, two = two_shards(c, tmp)
    other_sha = shard(c, tmp, pol, "other-sha", ["mid"], sha="fedcba9876543210", want=1)
    same_step = shard(c, tmp, pol, "same-step", ["alpha"])
    write_policy(tmp, POLICY + "# edited: same path, another sha256\n")
    other_policy = shard(c, tmp, pol, "other-policy", ["mid"], want=1)
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    cases = [
        ([one, other_sha], 6, "different commits", "merge only the evidence folders of one commit"),
        ([one, other_policy], 6, "different policies", "same policy file"),
        ([one, two, same_step], 6, "both have step 'alpha'", "one shard only"),
        ([one, empty], 5, os.path.join(empty, "report.json"), "cannot read report"),
    ]
    for i, (dirs, rc, *words) in enumerate(cases):
        out = f"refused-{i}"
        res = merge(tmp, dirs, out)
        one_line_error(c, res, rc, *words)
        c.expect(not os.path.exists(res.out), f"merge {dirs} refused but left {out}")
    taken = os.path.join(tmp, "taken")
    os.mkdir(taken)
    open(os.path.join(taken, "x"), "w").close()
    one_line_error(c, merge(tmp, [one, two], "taken"), 2, taken, "not an empty folder")
    c.expect(os.listdir(taken) == ["x"], "a refused merge changed the non-empty --out folder")
    return None


CASES = {
    "byte-identical": case_byte_identical,
    "refusals": case_refusals,
}


def run_case(name):
    return run_checked(name, CASES[name], prefix="hg-merge-")


def main(argv):
    return netns.table_main(argv, "merge_cases.py", CASES, run_case, needs_netns=lambda name: False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
