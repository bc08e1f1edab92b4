#!/usr/bin/env python3
"""The process-tree diagrams of report.md (issue 14, item 5), drawn by the real mermaid
library in headless Chromium.

A real `hermetic-gate run` (in netns.py's private network namespace) of steps whose
violations come from inside small process trees, one with a hostile argv, writes report.md;
each ```mermaid block of it is rendered by tests/integration/mermaid/render.html, loaded from
file:// by Chromium with --dump-dom. A parse error, a drawing with another number of nodes
than report.json's process_tree says, or a label that does not read back as the argv fails
the case. Chromium missing or `npm install` of tests/integration/mermaid/package.json (its
package-lock.json pins mermaid) failing is a failure (exit 99), never a skip.

`mermaid_cases.py NAME` runs one case; `--check-table NAME...` checks meson registers every
case. Environment (set by meson): HG_BIN, HG_NETPROBE, HG_VALIDATE_JSON, HG_SCHEMA_DIR,
HG_MERMAID_SOURCE (the folder of package.json), HG_MERMAID_DIR (where node_modules goes),
HG_CHROMIUM (optional: the browser, else chromium on PATH).
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
from netns import V4  # noqa: E402
from gate_cases import gate, have_report, write_policy  # noqa: E402
from run_cases import run_checked  # noqa: E402

NPM_TIMEOUT = 240     # seconds: a cold install of mermaid takes about 40 s on 2 busy cores
CHROMIUM_TIMEOUT = 150
PACKAGE_FILES = ("package.json", "package-lock.json", "render.html")

# Quotes, brackets, a Mermaid directive and comment, a code fence, HTML, an entity code,
# non-ASCII and a newline: the name of a link to netprobe, so the argv[0] of a process that
# makes a violation. None may break the diagram; the label must show them as they are.
HOSTILE = 'x"];%%{init:{}}%%\n```<b>#quot;&amp; é😀`'  # no '/': it is a file name


def fatal(why):
    print(f"FATAL: {why}", file=sys.stderr)
    sys.exit(99)


def pinned_version(folder):
    with open(os.path.join(folder, "package-lock.json")) as f:
        return json.load(f)["packages"]["node_modules/mermaid"]["version"]


def install_mermaid():
    """Copies package.json, its lock and render.html to HG_MERMAID_DIR and installs the pinned
    mermaid there, unless that version is installed already. Returns the folder."""
    source, folder = netns.env_path("HG_MERMAID_SOURCE"), netns.env_path("HG_MERMAID_DIR")
    os.makedirs(folder, exist_ok=True)
    for name in PACKAGE_FILES:
        shutil.copyfile(os.path.join(source, name), os.path.join(folder, name))
    want = pinned_version(source)
    installed = os.path.join(folder, "node_modules", "mermaid", "package.json")
    if os.path.isfile(installed) and json.load(open(installed)).get("version") == want:
        return folder
    npm = shutil.which("npm")
    if npm is None:
        fatal("npm is not installed (.ci/install-deps installs nodejs and npm)")
    try:
        r = subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=folder, capture_output=True, text=True,
                           timeout=NPM_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        fatal(f"npm install of mermaid {want} in {folder} took more than {NPM_TIMEOUT} s")
    if r.returncode != 0 or not os.path.isfile(installed):
        fatal(f"npm install of mermaid {want} in {folder} failed (exit {r.returncode}):\n{r.stdout}{r.stderr}")
    return folder


def chromium():
    path = os.environ.get("HG_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path or not os.access(path, os.X_OK):
        fatal("chromium is not installed (.ci/install-deps installs Debian's chromium)")
    return path


def render(folder, diagrams, browser):
    """The results render.html gives for diagrams: one dict per diagram."""
    with open(os.path.join(folder, "diagrams.js"), "w") as f:
        f.write("window.HG_DIAGRAMS = " + json.dumps(diagrams) + ";\n")
    with tempfile.TemporaryDirectory(prefix="hg-chromium-") as profile:
        argv = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", "--virtual-time-budget=60000", "--dump-dom",
                "file://" + os.path.join(os.path.realpath(folder), "render.html")]
        env = dict(os.environ, HOME=profile)
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT,
                               stdin=subprocess.DEVNULL, env=env)
        except subprocess.TimeoutExpired:
            fatal(f"chromium did not finish within {CHROMIUM_TIMEOUT} s: {' '.join(argv)}")
    found = re.search(r"HG-RESULT (\[.*?\]) HG-END", r.stdout, re.S)
    if found is None:
        tail = r.stderr[-3000:]
        return [{"error": f"no result in the page (chromium exit {r.returncode}):\n{r.stdout[-2000:]}\n{tail}"}]
    return json.loads(html.unescape(found.group(1)))


def diagrams_of(md):
    return re.findall(r"^```mermaid\n(.*?)^```$", md, re.S | re.M)


def drawn_nodes(tree):
    """The nodes a diagram of tree shows: one per process, one per count."""
    return len(tree["nodes"]) + sum(1 for n in tree["nodes"] if n["other_processes"] > 0)


def visible(text):
    """text as a label shows it (mermaidLabelText() in src/evidence/mermaid.h): control
    characters as their control pictures, a word joiner after each backslash."""
    def shown(ch):
        if ord(ch) < 0x20 or ord(ch) == 0x7f:
            return chr(0x2421 if ord(ch) == 0x7f else 0x2400 + ord(ch))
        return ch + "\u2060" if ch == "\\" else ch
    return "".join(shown(ch) for ch in text)


def check_drawings(c, report, diagrams, results):
    trees = [s["process_tree"] for s in report["steps"] if s.get("process_tree")]
    c.expect(len(diagrams) == len(trees) == 2, f"{len(diagrams)} diagrams, {len(trees)} process trees, expected 2")
    for i, (tree, result) in enumerate(zip(trees, results)):
        if not c.expect("error" not in result, f"diagram {i} does not render: {result.get('error')}\n{diagrams[i]}"):
            continue
        c.expect(result["nodes"] == drawn_nodes(tree) > 0,
                 f"diagram {i} draws {result['nodes']} nodes, expected {drawn_nodes(tree)}\n{diagrams[i]}")
        c.expect(result["width"] > 0 and result["height"] > 0, f"diagram {i} is an empty drawing: {result}")
        for node in tree["nodes"]:
            shown = node["executable"] + visible(node["command"])
            c.expect(any(label.startswith(shown) for label in result["labels"]),
                     f"diagram {i}: no label reads {shown!r}; labels: {result['labels']}")
    labels = " ".join(" ".join(r.get("labels", [])) for r in results)
    for text in ("./" + visible(HOSTILE), f"outbound {V4}:443", "+ 2 other processes"):
        c.expect(text in labels, f"no label reads {text!r}; labels: {labels}")


def case_report_diagrams(tmp, c):
    folder, browser = install_mermaid(), chromium()
    os.symlink(os.path.realpath(netns.netprobe_bin()), os.path.join(tmp, HOSTILE))
    policy = write_policy(tmp, f"""version: 1
hermetic_steps:
  - id: nested
    run: "/bin/true; /bin/true; sh -c '@NETPROBE@ tcp4 {V4} 443'"
  - id: hostile
    run: ["sh", "-c", "\\"$0\\" tcp4 {V4} 443; true", {json.dumps("./" + HOSTILE, ensure_ascii=False)}]
  - id: clean
    run: ["/bin/true"]
""")
    res = gate(["run", "--policy", policy, "--sha", "diagrams"], tmp, os.path.join(tmp, "out"))
    c.rc(res, 3)
    if not have_report(c, res):
        return res
    c.schema_valid(res.out)
    md = open(os.path.join(res.out, "report.md"), encoding="utf-8").read()
    diagrams = diagrams_of(md)
    results = render(folder, diagrams, browser)
    c.expect(len(results) == len(diagrams), f"{len(results)} results for {len(diagrams)} diagrams: {results}")
    check_drawings(c, res.report(), diagrams, results)
    again = gate(["run", "--policy", policy, "--sha", "diagrams"], tmp, os.path.join(tmp, "again"))
    c.expect(open(os.path.join(again.out, "report.md"), encoding="utf-8").read() == md,
             "report.md differs between two runs of the same policy")
    return res


CASES = {
    "report-diagrams": case_report_diagrams,
}


def main(argv):
    if len(argv) == 1 and argv[0] in CASES:
        install_mermaid()  # before netns.enter(): the namespace has no route to the registry
    return netns.table_main(argv, "mermaid_cases.py", CASES, lambda name: run_checked(name, CASES[name], "hg-mermaid-"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
