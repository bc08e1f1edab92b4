"""Shared harness of the integration tests: a private network namespace per test, and a
runner for `hermetic-gate exec ... -- netprobe ...` that parses the gate's evidence.

Safety: tests only ever address 203.0.113.0/24 and 2001:db8::/32 (documentation ranges), which
inside the namespace route to a veth pair with nothing behind it, or loopback. The namespace
has no default route, and enter() refuses to run a test if it finds one.

The DNS cases (issue 11) also get private mount and UTS namespaces (enter(private_dns=True)),
so that use_test_resolver() can bind-mount a resolv.conf naming a loopback test server over
/etc/resolv.conf without touching the host's.
"""

import ctypes
import ipaddress
import os
import re
import shutil
import socket
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77  # meson: test skipped
_MARK = "HG_TEST_NETNS_OUTER"  # inode of the namespace we left, set by the re-exec

V4 = "203.0.113.1"  # routes into the veth, nothing answers
V6 = "2001:db8::1"


def parse_kv(rest):
    """key=value pairs of a helper's or driver's line; the first of why=, reason= and
    message= (at the start or after a blank) takes the rest of the line."""
    out = {}
    starts = []
    for tail in ("why=", "reason=", "message="):
        if rest.startswith(tail):
            starts.append(0)
        elif (at := rest.find(" " + tail)) >= 0:
            starts.append(at + 1)
    if starts:
        at = min(starts)
        key, _, value = rest[at:].partition("=")
        out[key] = value
        rest = rest[:at]
    for part in rest.split():
        k, sep, v = part.partition("=")
        if sep:
            out[k] = v
    return out


def _skip(why):
    """Only for a kernel feature a probe showed to be missing; why names it."""
    print(f"SKIP: {why}", file=sys.stderr)
    sys.exit(SKIP)


def _fatal(why):
    """The harness cannot run the test for a reason that is not a missing kernel feature."""
    print(f"FATAL: {why}", file=sys.stderr)
    sys.exit(99)


def _netns_inode():
    return str(os.stat("/proc/self/ns/net").st_ino)


_MARK_PRIVATE = "HG_TEST_MNT_UTS_OUTER"  # mount:UTS namespace inodes we left, for private_dns


def _ns_inode(kind):
    return str(os.stat(f"/proc/self/ns/{kind}").st_ino)


def _ip_tool():
    for cand in (shutil.which("ip"), "/usr/sbin/ip", "/sbin/ip", "/bin/ip"):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def enter(private_dns=False):
    """Re-exec the calling script in a fresh network namespace unless already in one made for
    it; then set up lo and the veth pair. private_dns: in fresh mount and UTS namespaces too
    (unshare -m -u), for use_test_resolver(). Exits 77 when the kernel has no network (or
    mount, UTS) namespaces or veth devices, 99 when anything else stops it."""
    outer = os.environ.get(_MARK)
    if outer is None or outer == _netns_inode():
        unshare = shutil.which("unshare") or "/usr/bin/unshare"
        flags = "-n" if os.geteuid() == 0 else "-rn"
        probe = subprocess.run([unshare, flags, "true"], capture_output=True, text=True)
        if probe.returncode != 0:
            _skip(f"private network namespaces are unavailable here ({unshare} {flags} true: "
                  f"{probe.stderr.strip()})")
        if private_dns:
            flags += "mu"  # unshare(1) makes the new mount namespace's propagation private
            os.environ[_MARK_PRIVATE] = f"{_ns_inode('mnt')}:{_ns_inode('uts')}"
            probe = subprocess.run([unshare, flags, "true"], capture_output=True, text=True)
            if probe.returncode != 0:
                _skip(f"private mount or UTS namespaces are unavailable here ({unshare} {flags} true: "
                      f"{probe.stderr.strip()})")
        os.environ[_MARK] = _netns_inode()
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(unshare, [unshare, flags, "--", sys.executable] + sys.argv)
    ip = _ip_tool()
    if ip is None:
        _fatal("the `ip` tool (iproute2) is not installed (.ci/install-deps installs it)")
    steps = [
        ["link", "set", "lo", "up"],
        ["link", "add", "hgv0", "type", "veth", "peer", "name", "hgv1"],
        ["addr", "add", "203.0.113.2/24", "dev", "hgv0"],
        ["-6", "addr", "add", "2001:db8::2/64", "dev", "hgv0", "nodad"],
        ["link", "set", "hgv0", "up"],
        ["link", "set", "hgv1", "up"],
    ]
    for step in steps:
        r = subprocess.run([ip] + step, capture_output=True, text=True)
        if r.returncode != 0 and "veth" in step and any(
                m in r.stderr for m in ("Unknown device type", "Operation not supported")):
            _skip(f"the kernel has no veth devices (CONFIG_VETH): ip {' '.join(step)}: {r.stderr.strip()}")
        if r.returncode != 0:
            _fatal(f"namespace setup failed: ip {' '.join(step)}: {r.stderr.strip()}")
    for fam in ("-4", "-6"):
        r = subprocess.run([ip, fam, "route", "show", "default"], capture_output=True, text=True)
        if r.returncode != 0 or r.stdout.strip():
            print(f"FATAL: the test namespace has a default route ({r.stdout.strip()}); refusing to run",
                  file=sys.stderr)
            sys.exit(99)


_MS_BIND = 4096  # <sys/mount.h>


def _bind_mount(source, target):
    """mount --bind SOURCE TARGET through libc (no dependency on the mount tool); the errno
    text when it fails, None when it worked."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    if libc.mount(os.fsencode(source), os.fsencode(target), None, _MS_BIND, None) != 0:
        err = ctypes.get_errno()
        return f"{os.strerror(err)} (errno {err})"
    return None


TEST_HOSTNAME = "hg-dns-test"  # no dot: glibc then has no default search domain to append


def use_test_resolver(tmp, nameserver="127.0.0.1"):
    """Points glibc's resolver (of this process and its children) at a test DNS server on a
    loopback address: bind-mounts over /etc/resolv.conf a file naming only it (one attempt,
    1 s timeout), over /etc/nsswitch.conf a copy whose hosts line is `files dns` (no NSS
    module that would ask a daemon outside the namespace, such as nss-resolve), and an empty
    directory over nscd's socket directory. Sets a hostname without a dot, so no search
    domain is appended to a name that fails. Only after enter(private_dns=True). Exits 77
    when a mount cannot be made, 99 when the result is not what was mounted."""
    if not ipaddress.ip_address(nameserver).is_loopback:
        _fatal(f"use_test_resolver: {nameserver} is not a loopback address")
    outer = os.environ.get(_MARK_PRIVATE, "")
    if not outer or outer.split(":")[0] == _ns_inode("mnt") or outer.split(":")[1] == _ns_inode("uts"):
        _fatal("use_test_resolver: not in the private mount and UTS namespaces of enter(private_dns=True); "
               "refusing to touch this machine's /etc/resolv.conf or hostname")
    try:
        socket.sethostname(TEST_HOSTNAME)
    except OSError as e:
        _skip(f"cannot set the hostname in the private UTS namespace: {e}")
    resolv = os.path.join(tmp, "resolv.conf")
    text = f"nameserver {nameserver}\noptions attempts:1 timeout:1\n"
    with open(resolv, "w") as f:
        f.write(text)
    nss = os.path.join(tmp, "nsswitch.conf")
    try:
        with open("/etc/nsswitch.conf") as f:
            lines = [l for l in f.read().splitlines() if not re.match(r"\s*hosts\s*:", l)]
    except OSError:
        lines = []
    with open(nss, "w") as f:
        f.write("\n".join(lines + ["hosts: files dns"]) + "\n")
    mounts = [(resolv, "/etc/resolv.conf"), (nss, "/etc/nsswitch.conf")]
    for d in ("/run/nscd", "/var/run/nscd"):
        if os.path.isdir(d):
            empty = os.path.join(tmp, "empty-nscd")
            os.makedirs(empty, exist_ok=True)
            mounts.append((empty, d))
    for source, target in mounts:
        if not os.path.exists(target) and target != "/etc/nsswitch.conf":
            _skip(f"{target} does not exist, so no test resolv.conf can be bind-mounted over it")
        if not os.path.exists(target):
            continue  # glibc's defaults without nsswitch.conf: hosts from files, then dns
        why = _bind_mount(source, target)
        if why:
            _skip(f"cannot bind-mount {source} over {target} in the private mount namespace: {why}")
    with open("/etc/resolv.conf") as f:
        if f.read() != text:
            _fatal("/etc/resolv.conf does not read back as the test resolv.conf just mounted over it")


def env_path(name):
    """A path meson passes in the environment; exit 99 (a harness error) when it is missing."""
    value = os.environ.get(name)
    if not value:
        print(f"FATAL: {name} is not set (run through meson test)", file=sys.stderr)
        sys.exit(99)
    return value


def gate_bin():
    return env_path("HG_BIN")


def alive(pid):
    """True while pid runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_dead(pids, seconds=3.0):
    """The pids of pids still alive after seconds (each is then SIGKILLed: a test never
    leaves a process behind, even when the gate did)."""
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in pids if alive(p)]
    for p in left:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    return left


def netprobe_bin():
    path = os.environ.get("HG_NETPROBE")
    if not path and os.environ.get("HG_HELPERS_DIR"):
        path = os.path.join(os.environ["HG_HELPERS_DIR"], "netprobe")
    if not path:
        print("FATAL: HG_NETPROBE / HG_HELPERS_DIR is not set (run through meson test)", file=sys.stderr)
        sys.exit(99)
    return path


_KV = re.compile(r"(\w+)=(\S*)")
# strace syntax: "PID call(args) = result"; args may contain parentheses, the result does not
_STRACE_CALL = re.compile(r"^(\d+) +(\w+)\((.*)\) += (.*)$")


def _kv(line):
    return dict(_KV.findall(line))


class Run:
    """One gate run: exit code, output, parsed live violations, strace.txt, probe reports."""

    def __init__(self, argv, proc, strace_text, elapsed):
        self.argv = argv
        self.elapsed = elapsed
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.strace_text = strace_text
        self.violations = [_kv(l) for l in self.stderr.splitlines() if l.startswith("hermetic-gate: violation ")]
        self.probe = [_kv(l) for l in self.stdout.splitlines() if l.startswith("netprobe ")]
        self.strace = [] if strace_text is None else [l for l in strace_text.splitlines() if l.strip()]

    def strace_calls(self):
        """[(pid, call, args, result)] of the lines that are calls."""
        out = []
        for line in self.strace:
            m = _STRACE_CALL.match(line)
            if m:
                out.append((int(m.group(1)), m.group(2), m.group(3), m.group(4).strip()))
        return out

    def diagnostics(self):
        strace = "<no strace.txt>" if self.strace_text is None else self.strace_text
        return (f"--- command: {' '.join(self.argv)}\n--- exit code: {self.rc} after {self.elapsed:.1f}s\n"
                f"--- stdout:\n{self.stdout}--- stderr:\n{self.stderr}--- strace.txt:\n{strace}\n---")


def run_gate(gate_args, command, out=True, timeout=25, env=None):
    """Runs `hermetic-gate exec GATE_ARGS [--out DIR] -- COMMAND` (command None: no `--`;
    gate_args is then the whole exec argument list); env: variables set on top of ours."""
    with tempfile.TemporaryDirectory(prefix="hg-integ-") as tmp:
        argv = [gate_bin(), "exec"] + list(gate_args)
        outdir = os.path.join(tmp, "out")
        if out:
            argv += ["--out", outdir]
        if command is not None:
            argv += ["--"] + list(command)
        start = time.monotonic()
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, cwd=tmp, env=dict(os.environ, **(env or {})))
        except subprocess.TimeoutExpired as e:
            class P:  # keep what it said before it hung
                returncode = "TIMEOUT"
                stdout = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
                stderr = (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
            proc = P()
        elapsed = time.monotonic() - start
        strace_path = os.path.join(outdir, "strace.txt")
        strace_text = None
        if os.path.exists(strace_path):
            with open(strace_path, errors="replace") as f:
                strace_text = f.read()
        return Run(argv, proc, strace_text, elapsed)


def table_main(argv, script, names, run, needs_netns=lambda name: True, describe=None, private_dns=False):
    """The command line shared by the scripts that hold a table of test cases:
      SCRIPT NAME                   run one (inside a private network namespace when
                                    needs_netns(NAME), and private mount and UTS ones too
                                    with private_dns); returns run(NAME)'s exit status
      SCRIPT --list                 one line per name (describe(name) when given)
      SCRIPT --check-table NAME...  exit 1 unless meson.build registers exactly these names
    """
    names = list(names)
    if argv and argv[0] == "--check-table":
        registered = set(argv[1:])
        missing, unknown = sorted(set(names) - registered), sorted(registered - set(names))
        if missing or unknown:
            print(f"{script}: not registered in meson.build: {missing}; registered but unknown: {unknown}")
            return 1
        return 0
    if argv and argv[0] == "--list":
        print("\n".join(describe(n) if describe else n for n in names))
        return 0
    if len(argv) != 1 or argv[0] not in names:
        print(f"usage: {script} NAME | --list | --check-table NAME...; unknown {argv}; names: {', '.join(names)}",
              file=sys.stderr)
        return 2
    if needs_netns(argv[0]):
        enter(private_dns=private_dns)
    return run(argv[0])
