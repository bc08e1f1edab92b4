#!/usr/bin/env python3
"""`meson install --destdir` of the build the tests run from (issue 13, install): the binary,
hermetic-gate(1), the schemas and example policies under share/hermetic-gate/, and the bash and
zsh completions land where the prefix says; the installed binary prints its version and git
revision; `man -l` renders the page, which names every subcommand, every option each
subcommand's --help lists, every exit code and every evidence file; the bash completion
offers every subcommand and, after each, every option its --help lists; zsh parses its
completion.

Usage: install_test.py BUILD_DIR PREFIX
Exit: 0 pass, 1 fail."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

SUBCOMMANDS = ["exec", "run", "validate", "doctor", "suggest", "merge", "strace"]
EVIDENCE = ["report.json", "report.md", "stdout.txt", "stderr.txt", "strace.txt", "ss_listen.txt",
            "process_tree.json"]
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def options_of(binary, sub):
    """The long and short options a subcommand's --help lists."""
    out = subprocess.run([binary, sub, "--help"], capture_output=True, text=True, check=True).stdout
    opts = set()
    for line in out.splitlines():
        m = re.match(r"^\s+((?:-\w,)?--[\w-]+)", line)
        if m:
            opts.update(m.group(1).split(","))
    return opts


def bash_complete(script, words):
    """COMPREPLY of the bash completion for the command line `words` (the last one is the
    word being completed)."""
    quoted = " ".join("'" + w + "'" for w in words)
    prog = (f"source '{script}'; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
            "_hermetic_gate; printf '%s\\n' \"${COMPREPLY[@]}\"")
    return set(subprocess.run(["bash", "-c", prog], capture_output=True, text=True).stdout.split())


def main(build, prefix):
    with tempfile.TemporaryDirectory(prefix="hg-install-") as dest:
        r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", dest],
                           capture_output=True, text=True)
        if not check(r.returncode == 0, f"meson install failed: {r.stdout}{r.stderr}"):
            return
        root = dest + prefix
        binary = os.path.join(root, "bin", "hermetic-gate")
        check(os.access(binary, os.X_OK), f"{binary} is not installed")
        man = os.path.join(root, "share", "man", "man1", "hermetic-gate.1")
        share = os.path.join(root, "share", "hermetic-gate")
        for rel in ["schemas/hermetic-ci-policy.schema.json", "schemas/report.schema.json",
                    "schemas/process_tree.schema.json", "schemas/codequality.schema.json",
                    "examples/demo.yml", "examples/registry-by-name.yml", "THREAT_MODEL.md"]:
            check(os.path.isfile(os.path.join(share, rel)), f"share/hermetic-gate/{rel} is not installed")
        bash_comp = os.path.join(root, "share", "bash-completion", "completions", "hermetic-gate")
        zsh_comp = os.path.join(root, "share", "zsh", "site-functions", "_hermetic-gate")
        check(os.path.isfile(bash_comp), "the bash completion is not installed")
        check(os.path.isfile(zsh_comp), "the zsh completion is not installed")
        if not os.access(binary, os.X_OK):
            return

        version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
        check(re.fullmatch(r"hermetic-gate \d+\.\d+\.\d+ \(git [0-9a-f]{7,}(-dirty)?\)", version) is not None,
              f"--version printed {version!r}, expected 'hermetic-gate X.Y.Z (git REVISION)'")

        if check(os.path.isfile(man), "share/man/man1/hermetic-gate.1 is not installed"):
            r = subprocess.run(["man", "-l", man], capture_output=True, text=True,
                               env=dict(os.environ, MANWIDTH="100", MANPAGER="cat", PAGER="cat"))
            check(r.returncode == 0 and "hermetic-gate" in r.stdout, f"man -l failed: {r.stderr}")
            page = r.stdout.replace("\u2010", "-").replace("\u2212", "-")
            page = re.sub(r".\x08", "", page)  # overstrike bold and underline
            for sub in SUBCOMMANDS:
                check(re.search(rf"\b{sub}\b", page) is not None, f"the man page does not describe {sub}")
                for opt in sorted(options_of(binary, sub)):
                    check(opt in page, f"the man page does not name {sub}'s option {opt}")
            for code in range(7):
                check(re.search(rf"^\s+{code}\s*$", page, re.M) is not None, f"the man page lists no exit code {code}")
            for f in EVIDENCE:
                check(f in page, f"the man page does not name the evidence file {f}")

        check(bash_complete(bash_comp, ["hermetic-gate", ""]) >= set(SUBCOMMANDS),
              "the bash completion does not offer every subcommand")
        for sub in SUBCOMMANDS:
            offered = bash_complete(bash_comp, ["hermetic-gate", sub, "-"])
            missing = options_of(binary, sub) - offered
            check(not missing, f"the bash completion of {sub} lacks {sorted(missing)}")
        zsh = shutil.which("zsh")
        if check(zsh is not None, "zsh is not installed (.ci/install-deps installs it)"):
            r = subprocess.run([zsh, "-n", zsh_comp], capture_output=True, text=True)
            check(r.returncode == 0, f"zsh -n rejects the completion: {r.stderr}")
            text = open(zsh_comp).read()
            for sub in SUBCOMMANDS:
                for opt in options_of(binary, sub):
                    check(opt in text, f"the zsh completion lacks {sub}'s option {opt}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
    for f in failures:
        print(f"FAIL: {f}")
    print("PASS" if not failures else f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)
