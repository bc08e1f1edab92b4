#!/usr/bin/env python3
"""Integration cases of `hermetic-gate run --junit/--sarif/--codequality` (issue 14), one meson
test() per case.

`ci_cases.py NAME` runs one case; `ci_cases.py --check-table NAME...` verifies that meson
registers every case. The real gate runs netprobe in netns.py's private namespace (only
203.0.113.0/24 is addressed); the CI files are checked against their schemas (JUnit XML with
xmllint --schema and tests/schemas/junit-10.xsd; SARIF with validate_json and, when
installed, python3-jsonschema against tests/schemas/sarif-schema-2.1.0.json; Code Quality with
validate_json and evidence-schema/codequality.schema.json) and for determinism.
Environment (set by meson): HG_BIN, HG_NETPROBE, HG_VALIDATE_JSON, HG_SCHEMA_DIR,
HG_TEST_SCHEMA_DIR.
"""

import difflib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
from netns import V4  # noqa: E402
from gate_cases import gate, validate, write_policy  # noqa: E402
from run_cases import run_checked  # noqa: E402

CI_FILES = {"junit": "junit.xml", "sarif": "report.sarif", "codequality": "codequality.json"}

POLICY = f"""version: 1
mode: audit
hermetic_steps:
  - id: clean
    run: ["@NETPROBE@", "clean"]
  - id: outbound
    run: ["@NETPROBE@", "tcp4", "{V4}", "443"]
  - id: failing
    run: ["/bin/sh", "-c", "echo first >&2; echo oops >&2; exit 3"]
"""


def ci_args(folder):
    os.makedirs(folder, exist_ok=True)
    return [a for opt, name in CI_FILES.items() for a in (f"--{opt}", os.path.join(folder, name))]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def same_bytes(c, a, b, what):
    if not (os.path.isfile(a) and os.path.isfile(b)):
        c.failures.append(f"{what}: {a} or {b} is missing")
        return
    if read(a) != read(b):
        diff = "".join(difflib.unified_diff(read(a).decode(errors="replace").splitlines(True),
                                            read(b).decode(errors="replace").splitlines(True), a, b))
        c.failures.append(f"{what} differs:\n{diff}")


def schema_checks(c, folder):
    """The three files against their schemas."""
    junit = os.path.join(folder, CI_FILES["junit"])
    xsd = os.path.join(netns.env_path("HG_TEST_SCHEMA_DIR"), "junit-10.xsd")
    proc = subprocess.run(["xmllint", "--noout", "--schema", xsd, junit], capture_output=True, text=True, timeout=30)
    c.expect(proc.returncode == 0, f"junit.xml is not valid against junit-10.xsd:\n{proc.stderr}")
    sarif = os.path.join(folder, CI_FILES["sarif"])
    sarif_schema = os.path.join(netns.env_path("HG_TEST_SCHEMA_DIR"), "sarif-schema-2.1.0.json")
    rc, text = validate(sarif_schema, [sarif])
    c.expect(rc == 0, f"report.sarif is not valid against sarif-schema-2.1.0.json (validate_json):\n{text}")
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        with open(sarif_schema) as f:
            schema = json.load(f)
        errors = list(jsonschema.Draft4Validator(schema).iter_errors(json.loads(read(sarif))))
        c.expect(not errors, f"report.sarif is not valid for python3-jsonschema: {[e.message for e in errors][:3]}")
    rc, text = validate("codequality.schema.json", [os.path.join(folder, CI_FILES["codequality"])])
    c.expect(rc == 0, f"codequality.json is not valid against codequality.schema.json:\n{text}")


def line_of(policy, text):
    with open(policy) as f:
        return next(i for i, line in enumerate(f, 1) if text in line)


def content_checks(c, folder, policy):
    junit = read(os.path.join(folder, CI_FILES["junit"])).decode()
    c.expect('tests="3" failures="2" errors="0"' in junit, "junit.xml does not count 3 tests, 2 failures")
    c.expect(f"outbound connect to {V4}:443" in junit and "netprobe" in junit,
             "junit.xml has no failure naming netprobe, connect and the destination")
    c.expect("<system-err>first\noops\n</system-err>" in junit, "junit.xml lacks the failing step's stderr tail")
    c.expect('<failure type="failed" message="exited 3"/>' in junit, "junit.xml lacks the failing step's failure")
    line = line_of(policy, "- id: outbound")
    sarif = json.loads(read(os.path.join(folder, CI_FILES["sarif"])))
    results = sarif["runs"][0]["results"]
    c.expect(len(results) == 1, f"report.sarif has {len(results)} results, expected 1")
    if results:
        loc = results[0]["locations"][0]["physicalLocation"]
        c.expect(loc["artifactLocation"]["uri"] == "policy.yml", f"SARIF uri {loc['artifactLocation']['uri']!r}")
        c.expect(loc["region"] == {"startLine": line, "startColumn": 5}, f"SARIF region {loc['region']}, expected line {line}")
        c.expect(f'- host: "{V4}:443"' in results[0]["message"]["markdown"], "SARIF markdown lacks the allow: snippet")
    quality = json.loads(read(os.path.join(folder, CI_FILES["codequality"])))
    c.expect(len(quality) == 1 and quality[0]["location"] == {"path": "policy.yml", "lines": {"begin": line}},
             f"codequality.json: {quality}")


def case_files_valid_deterministic(tmp, c):
    write_policy(tmp, POLICY)
    runs = []
    for i in (1, 2):
        res = gate(["run", "--policy", "policy.yml", "--sha", "same"] + ci_args(os.path.join(tmp, f"ci{i}")), tmp,
                   os.path.join(tmp, f"out{i}"))
        c.rc(res, 3)
        runs.append(res)
    plain = gate(["run", "--policy", "policy.yml", "--sha", "same"], tmp, os.path.join(tmp, "plain"))
    c.rc(plain, 3)
    for name in CI_FILES.values():
        same_bytes(c, os.path.join(tmp, "ci1", name), os.path.join(tmp, "ci2", name), f"{name} of two identical runs")
    for name in ("report.json", "report.md"):
        same_bytes(c, os.path.join(runs[0].out, name), os.path.join(plain.out, name), f"{name} with and without the CI flags")
    if c.failures:
        return runs[0]
    schema_checks(c, os.path.join(tmp, "ci1"))
    content_checks(c, os.path.join(tmp, "ci1"), os.path.join(tmp, "policy.yml"))
    return runs[0]


def case_unwritable_file(tmp, c):
    policy = write_policy(tmp, POLICY)
    bad = os.path.join(tmp, "missing-dir", "junit.xml")
    good = os.path.join(tmp, "report.sarif")
    res = gate(["run", "--policy", policy, "--sha", "unwritable", "--quiet", "--junit", bad, "--sarif", good], tmp,
               os.path.join(tmp, "out"))
    c.rc(res, 4)
    lines = res.stderr.strip().splitlines()
    c.expect(len(lines) == 1 and "--junit" in lines[0] and bad in lines[0] and lines[0].startswith("hermetic-gate: error:"),
             f"expected one error line naming --junit and {bad}, got: {lines}")
    c.expect(os.path.isfile(good), "the writable --sarif file was not written")
    c.expect(not os.path.exists(bad), f"{bad} exists")
    rep = res.report()
    c.expect(rep.get("complete") is True and rep.get("result") == "violation",
             f"report.json lost or changed: complete {rep.get('complete')}, result {rep.get('result')}")
    c.expect(os.path.isfile(os.path.join(res.out, "report.md")), "report.md is missing")
    return res


CASES = {
    "files-valid-deterministic": case_files_valid_deterministic,
    "unwritable-file": case_unwritable_file,
}


def run_case(name):
    return run_checked(name, CASES[name], prefix="hg-ci-")


def main(argv):
    return netns.table_main(argv, "ci_cases.py", CASES, run_case)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
