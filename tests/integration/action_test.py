#!/usr/bin/env python3
"""Checks action.yml, the composite GitHub action (issue 14 item 1), without GitHub:

- it parses, runs as a composite action, and has the inputs and outputs the README names,
  with outputs mapped from the run step's outputs;
- its steps are, in order: the source, actions/cache, the apt install and the build (both
  only on a cache miss), the run, and actions/upload-artifact under always();
- the run step passes --step per id, --audit / --enforce, --policy and --sha;
- every `run:` script passes `bash -n`, and none holds a ${{ }} expression naming an input
  (or any ${{ }} at all): inputs reach the shell only through env: variables;
- the packages it installs are those .ci/install-deps lists for the build.

    action_test.py SOURCE_ROOT
"""

import os
import re
import subprocess
import sys

try:
    import yaml
except ImportError:
    print("FAIL: python3-yaml is not installed (.ci/install-deps installs it)")
    sys.exit(1)

INPUTS = {"policy", "steps", "mode", "sha", "version", "artifact-name"}
OUTPUTS = {"result", "violations", "evidence_dir"}
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)


def check_interface(action, fail):
    fail(action.get("runs", {}).get("using") == "composite", "runs.using is not composite")
    inputs = action.get("inputs", {})
    fail(set(inputs) == INPUTS, f"inputs {sorted(inputs)}, expected {sorted(INPUTS)}")
    for name, spec in inputs.items():
        fail(spec.get("description") and spec.get("required") is False, f"input {name}: no description or required")
    fail(inputs.get("sha", {}).get("default") == "${{ github.sha }}", "input sha does not default to github.sha")
    fail(inputs.get("mode", {}).get("default") == "policy", "input mode does not default to policy")
    fail(inputs.get("steps", {}).get("default") == "", "input steps does not default to all (empty)")
    outputs = action.get("outputs", {})
    fail(set(outputs) == OUTPUTS, f"outputs {sorted(outputs)}, expected {sorted(OUTPUTS)}")
    for name, spec in outputs.items():
        fail(spec.get("value") == f"${{{{ steps.run.outputs.{name} }}}}", f"output {name} is not the run step's")


def check_steps(steps, fail):
    ids = [s.get("id") for s in steps]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    fail(len(steps) == 6, f"{len(steps)} steps, expected 6")
    if len(steps) != 6:
        return
    fail(ids[0] == "source" and ids[1] == "cache" and ids[4] == "run", f"step ids {ids}")
    fail(uses[1] == "actions/cache" and uses[5] == "actions/upload-artifact", f"uses {uses}")
    fail("steps.source.outputs.hash" in steps[1]["with"]["key"], "the cache key is not the source hash")
    fail(steps[1]["with"]["path"] == "${{ runner.temp }}/hermetic-gate-bin", "the cache holds something else")
    for i in (2, 3):
        fail(steps[i].get("if") == "steps.cache.outputs.cache-hit != 'true'", f"step {i} runs on a cache hit")
    fail("apt-get" in steps[2]["run"] and "install-deps\" --build" in steps[2]["run"], "step 2 is not the apt install")
    fail("meson setup" in steps[3]["run"] and "meson compile" in steps[3]["run"], "step 3 does not build with meson")
    fail(steps[5].get("if", "").startswith("always()"), "the upload does not run always()")
    fail(steps[5]["with"].get("path") == "${{ steps.run.outputs.evidence_dir }}", "the upload is not the evidence")
    run = steps[4]["run"]
    for part in ('--policy "$HG_POLICY"', '--sha "$HG_SHA"', '(--step "$id")', "(--audit)", "(--enforce)",
                 '"$HG_BIN/hermetic-gate" "${args[@]}"'):
        fail(part in run, f"the run step lacks {part!r}")
    env = steps[4].get("env", {})
    for name, value in (("HG_POLICY", "policy"), ("HG_STEPS", "steps"), ("HG_MODE", "mode"), ("HG_SHA", "sha")):
        fail(env.get(name) == f"${{{{ inputs.{value} }}}}", f"the run step's env {name} is not inputs.{value}")


def check_scripts(steps, fail):
    for i, step in enumerate(steps):
        script = step.get("run")
        if script is None:
            continue
        fail(step.get("shell") == "bash", f"step {i} ({step.get('name')}) does not run in bash")
        found = EXPRESSION.findall(script)
        fail(not found, f"step {i} ({step.get('name')}): ${{{{ }}}} inside the script: {found}")
        fail("inputs." not in script, f"step {i} ({step.get('name')}): an input named inside the script")
        proc = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        fail(proc.returncode == 0, f"step {i} ({step.get('name')}): bash -n fails:\n{proc.stderr}")


def build_packages(root):
    """The packages of .ci/install-deps --build (bash prints them in place of apt-get)."""
    script = open(os.path.join(root, ".ci", "install-deps")).read()
    script = script.replace('"${sudo[@]}" apt-get update', ":").replace(
        '"${sudo[@]}" apt-get install -y --no-install-recommends', "echo")
    proc = subprocess.run(["bash", "-s", "--", "--build"], input=script, capture_output=True, text=True)
    return proc.returncode, proc.stdout.split()


def main(argv):
    root = argv[0]
    failures = []

    def fail(ok, message):
        if not ok:
            failures.append(message)

    with open(os.path.join(root, "action.yml")) as f:
        action = yaml.safe_load(f)
    check_interface(action, fail)
    steps = action.get("runs", {}).get("steps", [])
    check_steps(steps, fail)
    check_scripts(steps, fail)
    rc, packages = build_packages(root)
    fail(rc == 0 and "meson" in packages and "libseccomp-dev" in packages and "catch2" not in packages,
         f".ci/install-deps --build installs {packages} (exit {rc})")
    # The check itself can fail: an input expanded inside a script is caught.
    bad = [{"name": "bad", "shell": "bash", "run": 'echo "${{ inputs.policy }}"'}]
    caught = []
    check_scripts(bad, lambda ok, message: caught.append(message) if not ok else None)
    fail(len(caught) == 2, f"an input inside a script is not caught: {caught}")
    if failures:
        print("FAIL action.yml:")
        for message in failures:
            print(f"  - {message}")
        return 1
    print("PASS action.yml")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
