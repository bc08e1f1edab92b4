#!/usr/bin/env python3
"""The portable binary and the release archive (issue 13): `meson dist` of the source tree's
HEAD makes an archive; the archive, unpacked, configures with -Dportable=true and builds
hermetic-gate; the binary's NEEDED entries are glibc's libraries and nothing else; the newest
glibc symbol version it needs is the one the README names; and it runs.

Usage: portable_test.py BUILD_DIR SOURCE_DIR
Exit: 0 pass, 1 fail."""

import glob
import os
import re
import subprocess
import sys
import tarfile
import tempfile

GLIBC_LIBS = {"libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2", "libpthread.so.0", "libdl.so.2", "librt.so.1"}


def run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        print(f"FAIL: $ {' '.join(argv)} exited {r.returncode}\n{r.stdout}{r.stderr}")
        sys.exit(1)
    return r.stdout


def main(build, source):
    failures = []
    with tempfile.TemporaryDirectory(prefix="hg-portable-") as tmp:
        run(["meson", "dist", "-C", build, "--no-tests", "--allow-dirty", "--formats", "gztar"])
        archives = sorted(glob.glob(os.path.join(build, "meson-dist", "hermetic-gate-*.tar.gz")))
        if not archives:
            print("FAIL: meson dist made no archive in meson-dist/")
            return 1
        with tarfile.open(archives[-1]) as t:
            t.extractall(tmp)
        src = [d for d in glob.glob(os.path.join(tmp, "hermetic-gate-*")) if os.path.isdir(d)][0]
        b = os.path.join(tmp, "build")
        run(["meson", "setup", b, src, "--buildtype=release", "-Dportable=true", "-Dtests=false", "-Dman=disabled",
             "-Dfuzzers=disabled"])
        run(["nice", "meson", "compile", "-C", b, "hermetic-gate"])
        binary = os.path.join(b, "src", "cli", "hermetic-gate")
        needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run(["readelf", "-d", binary])))
        extra = needed - GLIBC_LIBS
        if extra:
            failures.append(f"the portable binary needs more than glibc: {sorted(extra)} (all: {sorted(needed)})")
        versions = set(re.findall(r"GLIBC_(\d+(?:\.\d+)+)", run(["objdump", "-T", binary])))
        newest = max(versions, key=lambda v: tuple(int(x) for x in v.split(".")))
        with open(os.path.join(source, "README.md")) as f:
            readme = f.read()
        if f"glibc {newest} or later" not in readme:
            failures.append(f"the portable binary needs glibc {newest}: the README must say 'glibc {newest} or later'")
        version = run([binary, "--version"]).strip()
        if not version.startswith("hermetic-gate "):
            failures.append(f"--version printed {version!r}")
        out = subprocess.run([binary, "exec", "--quiet", "--", "true"], capture_output=True, text=True)
        if out.returncode != 0:
            failures.append(f"the portable binary cannot trace `true`: exit {out.returncode} {out.stderr}")
        print(f"NEEDED: {sorted(needed)}; newest glibc symbol: {newest}; {version}")
    for f in failures:
        print(f"FAIL: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
