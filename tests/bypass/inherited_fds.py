"""Bypass class inherited-fds (issue 12, part 1): descriptors the gate itself inherited (from
a CI runner or a shell) and the step would otherwise inherit in turn. Inside the private
network namespace the test opens a TCP socket connected to its own loopback listener, one
whose connect to 203.0.113.1:443 is in progress (non-blocking; nothing answers on the veth),
a listening socket, an eventfd and, where the kernel has it, an io_uring ring; it runs the gate
with them inherited (subprocess pass_fds) on tests/bypass/fduse.c, which tries write / accept /
io_uring_enter on each and reports what it could do.

Without pass_fds / --pass-fd every use fails with EBADF and the evidence lists every inherited
descriptor; with --pass-fd each socket is a network record judged like a connect or listen
(audit: a recorded violation, the socket passed; enforce: denied and not passed), an io_uring
ring is never passed. Ground truth from the kernel side: the test's listener reads what the
step wrote, or that nothing came.
"""

import ctypes
import json
import os
import socket
import subprocess
import tempfile
import time
import types

import netns
from netns import V4

_IO_URING_SETUP = 425  # same number on every architecture


class Fds:
    """The descriptors one case makes; close() ends them all (the test side too)."""

    def __init__(self, skip, case_failed):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.server_port = self.server.getsockname()[1]
        self.conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.conn.connect(("127.0.0.1", self.server_port))
        self.conn.setblocking(False)
        self.accepted, _ = self.server.accept()
        self.accepted.setblocking(False)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.listener.setblocking(False)  # the step's accept() returns at once (EAGAIN)
        self.listen_port = self.listener.getsockname()[1]
        self.connecting = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.connecting.setblocking(False)
        err = self.connecting.connect_ex((V4, 443))
        if err != 115:  # EINPROGRESS: the SYN is out, nothing will answer it
            raise case_failed(f"non-blocking connect to {V4}:443 gave errno {err}, not EINPROGRESS")
        self.eventfd = os.eventfd(0)
        self.ring, self.ring_note = _io_uring_ring(case_failed)
        self.skip = skip

    def inherited(self):
        """fd -> the fduse op that uses it."""
        fds = {self.conn.fileno(): "write", self.connecting.fileno(): "write",
               self.listener.fileno(): "accept", self.eventfd: "eventfd"}
        if self.ring is not None:
            fds[self.ring] = "uring"
        return fds

    def received(self):
        """What the step wrote to the connected socket, as the test's end of it reads it."""
        try:
            return self.accepted.recv(64)
        except BlockingIOError:
            return b""

    def close(self):
        for s in (self.server, self.conn, self.accepted, self.listener, self.connecting):
            s.close()
        os.close(self.eventfd)
        if self.ring is not None:
            os.close(self.ring)


def _io_uring_ring(case_failed):
    """(fd, None) of a fresh io_uring ring, or (None, why) when the kernel has none."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
    fd = libc.syscall(ctypes.c_long(_IO_URING_SETUP), ctypes.c_uint(1), params)
    if fd >= 0:
        return int(fd), None
    err = ctypes.get_errno()
    disabled = ""
    try:
        with open("/proc/sys/kernel/io_uring_disabled") as f:
            disabled = f.read().strip()
    except OSError:
        pass
    if err == 38:  # ENOSYS: CONFIG_IO_URING off
        return None, "the kernel has no io_uring (io_uring_setup: ENOSYS): the ring part is not exercised"
    if err == 1 and disabled in ("1", "2"):
        return None, f"io_uring is disabled here (kernel.io_uring_disabled={disabled}): the ring part is not exercised"
    raise case_failed(f"io_uring_setup failed with errno {err} (kernel.io_uring_disabled={disabled or '?'})")


def _uses(run):
    return {int(kv["fd"]): kv for kv in (netns.parse_kv(l[len("fduse "):]) for l in run.stdout.splitlines()
                                         if l.startswith("fduse "))}


def _gate(res, argv, fds, out=None, timeout=30):
    """Runs the gate with fds inherited; the netns.Run of it (strace.txt from out, if any)."""
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          pass_fds=sorted(fds))
    strace = None
    if out:
        for cand in (os.path.join(out, "strace.txt"), os.path.join(out, "logs", "fds", "strace.txt")):
            if os.path.exists(cand):
                with open(cand, errors="replace") as f:
                    strace = f.read()
    run = netns.Run(argv, proc, strace, time.monotonic() - start)
    res.runs.append(types.SimpleNamespace(run=run))
    return run


def _fduse_args(fds):
    return [netns.env_path("HG_FDUSE")] + [f"{fd}:{op}" for fd, op in sorted(fds.items())]


def _check_uses(res, run, fds, want_errno, which):
    """Every use of the fds in which got want_errno (EBADF: not there), or succeeded (None:
    anything but EBADF, the descriptor was there)."""
    uses = _uses(run)
    for fd in which:
        u = uses.get(fd)
        if not res.expect(u is not None, f"fduse reported nothing for fd {fd}"):
            continue
        if want_errno == "EBADF":
            res.expect(u.get("errno") == "EBADF", f"fd {fd} ({fds[fd]}) was usable in the step: {u}")
        else:
            res.expect(u.get("errno") != "EBADF", f"fd {fd} ({fds[fd]}) was not passed: {u}")


def _inherited_entry(res, step, fd):
    for e in step.get("inherited_fds", []):
        if e.get("fd") == fd:
            return e
    res.fail(f"report.json lists no inherited fd {fd}: {step.get('inherited_fds')}")
    return {}


def _strace_inherited(run):
    return [c for c in run.strace_calls() if c[1] == "inherited"]


def _with_fds(skip, case_failed, body):
    """A case that runs body(res, fds, tmp) with a fresh set of descriptors and a temporary
    folder, and closes them all afterwards."""
    def case(res):
        fds = Fds(skip, case_failed)
        try:
            if fds.ring_note:
                res.notes.append(fds.ring_note)
            with tempfile.TemporaryDirectory(prefix="hg-fds-") as tmp:
                body(res, fds, tmp)
        finally:
            fds.close()
    return case


def _closed_run_body(res, fds, tmp):
    inherited = fds.inherited()
    policy = os.path.join(tmp, "policy.yml")
    with open(policy, "w") as f:
        f.write("version: 1\nmode: audit\nhermetic_steps:\n  - id: fds\n    run: " +
                json.dumps(_fduse_args(inherited)) + "\n")
    out = os.path.join(tmp, "out")
    run = _gate(res, [netns.gate_bin(), "run", "--policy", policy, "--sha", "fds", "--out", out],
                inherited, out)
    res.expect(run.rc == 0, f"exit code {run.rc}, expected 0 (nothing passed, nothing to judge)")
    with open(os.path.join(out, "logs", "fds", "stdout.txt")) as f:
        _check_uses(res, types.SimpleNamespace(stdout=f.read()), inherited, "EBADF", inherited)
    res.expect(fds.received() == b"", "the test's listener received bytes from the step")
    report = json.load(open(os.path.join(out, "report.json")))
    step = next((s for s in report.get("steps", []) if s.get("id") == "fds"), {})
    conn = _inherited_entry(res, step, fds.conn.fileno())
    sock = conn.get("socket") or {}
    res.expect(conn.get("type") == "socket" and conn.get("action") == "closed", f"connected socket: {conn}")
    res.expect(sock.get("family") == "AF_INET" and sock.get("type") == "SOCK_STREAM"
               and sock.get("protocol") == "tcp", f"connected socket kind: {sock}")
    res.expect(sock.get("peer") == f"127.0.0.1:{fds.server_port}",
               f"connected socket peer {sock.get('peer')}, expected 127.0.0.1:{fds.server_port}")
    res.expect(sock.get("local") == f"127.0.0.1:{fds.conn.getsockname()[1]}", f"local address: {sock}")
    syn = (_inherited_entry(res, step, fds.connecting.fileno()).get("socket") or {})
    res.expect(syn.get("connecting") is True and syn.get("peer") == f"{V4}:443",
               f"connecting socket: {syn}")
    lst = (_inherited_entry(res, step, fds.listener.fileno()).get("socket") or {})
    res.expect(lst.get("listening") is True and lst.get("local") == f"127.0.0.1:{fds.listen_port}",
               f"listening socket: {lst}")
    ev = _inherited_entry(res, step, fds.eventfd)
    res.expect(ev.get("type") == "anon_inode" and ev.get("detail") == "eventfd", f"eventfd: {ev}")
    if fds.ring is not None:
        ring = _inherited_entry(res, step, fds.ring)
        res.expect(ring.get("type") == "anon_inode" and ring.get("detail") == "io_uring", f"ring: {ring}")
    listed = sorted(e.get("fd") for e in step.get("inherited_fds", []))
    res.expect(listed == sorted(inherited), f"inherited_fds lists {listed}, the gate inherited {sorted(inherited)}")
    res.expect(not _strace_inherited(run), "strace.txt has inherited records although nothing was passed")
    with open(os.path.join(out, "report.md")) as f:
        md = f.read()
    res.expect("## Inherited descriptors" in md and f"127.0.0.1:{fds.server_port}" in md,
               "report.md does not list the inherited descriptors")
    proc = subprocess.run([netns.env_path("HG_VALIDATE_JSON"),
                           os.path.join(netns.env_path("HG_SCHEMA_DIR"), "report.schema.json"),
                           os.path.join(out, "report.json")], capture_output=True, text=True, timeout=30)
    res.expect(proc.returncode == 0, f"report.json is not valid against its schema: {proc.stdout}{proc.stderr}")


def closed_run(skip, case_failed):
    return _with_fds(skip, case_failed, _closed_run_body)


def _passed_body(res, fds, tmp, enforce):
    inherited = fds.inherited()
    socks = {fds.conn.fileno(): ("outbound", "127.0.0.1"), fds.connecting.fileno(): ("outbound", V4),
             fds.listener.fileno(): ("inbound", "127.0.0.1")}
    out = os.path.join(tmp, "out")
    argv = [netns.gate_bin(), "exec", "--out", out] + (["--enforce"] if enforce else [])
    for fd in sorted(inherited):
        argv += ["--pass-fd", str(fd)]
    run = _gate(res, argv + ["--"] + _fduse_args(inherited), inherited, out)
    res.expect(run.rc == 3, f"exit code {run.rc}, expected 3 (violations)")
    decision = "denied" if enforce else "audited"
    for fd, (kind, addr) in socks.items():
        v = [x for x in run.violations if x.get("syscall") == "inherited" and x.get("addr", "").startswith(addr)]
        res.expect(any(x.get("decision") == decision for x in v),
                   f"no {decision} live violation syscall=inherited for fd {fd} ({kind} {addr}): {run.violations}")
    lines = {c[2].split(",")[0]: c[3] for c in _strace_inherited(run)}
    for fd in socks:
        want = "-1 EPERM (Operation not permitted)" if enforce else "0"
        res.expect(lines.get(str(fd)) == want, f"strace.txt: inherited({fd}, ...) = {lines.get(str(fd))}, expected {want}")
    res.expect(str(fds.eventfd) not in lines, "an eventfd is no network record")
    _check_uses(res, run, inherited, "EBADF" if enforce else None, socks)
    _check_uses(res, run, inherited, None, [fds.eventfd])
    if fds.ring is not None:
        _check_uses(res, run, inherited, "EBADF", [fds.ring])
        res.expect(f"inherited fd {fds.ring} (anon_inode [io_uring]) not passed" in run.stderr,
                   "no line says the io_uring ring was not passed")
    got = fds.received()
    if enforce:
        res.expect(got == b"", f"the listener received {got!r} from a socket enforce mode refused to pass")
    else:
        res.expect(got == b"hg-leak", f"the listener received {got!r}, expected the step's b'hg-leak'")


def passed(enforce, skip, case_failed):
    return _with_fds(skip, case_failed, lambda res, fds, tmp: _passed_body(res, fds, tmp, enforce))


def _allowed_body(res, fds, tmp):
    """An exception for the peer lets the socket through in enforce mode, recorded as allowed;
    a trapped sendto() on it then goes through too (a passed socket counts as the tree's own,
    not as one that reached it from outside)."""
    fd = fds.conn.fileno()
    inherited = {fd: "send"}
    out = os.path.join(tmp, "out")
    argv = [netns.gate_bin(), "exec", "--out", out, "--enforce", "--pass-fd", str(fd),
            "--allow-host", f"127.0.0.1:{fds.server_port}", "--"] + _fduse_args(inherited)
    run = _gate(res, argv, inherited, out)
    res.expect(run.rc == 0, f"exit code {run.rc}, expected 0")
    res.expect(not run.violations, f"violations: {run.violations}")
    _check_uses(res, run, inherited, None, [fd])
    res.expect(fds.received() == b"hg-leak", "the listener did not receive the step's bytes")
    res.expect([c[3] for c in _strace_inherited(run)] == ["0"], f"strace.txt: {run.strace_text}")


def allowed(skip, case_failed):
    return _with_fds(skip, case_failed, _allowed_body)


def _policy_body(res, fds, tmp):
    """run: the policy's pass_fds (top level and per step), enforce mode: the connected socket
    is refused and recorded as a denied violation; the eventfd is passed; a descriptor that is
    not open stops the gate with FILE:LINE:COL before anything runs."""
    inherited = fds.inherited()
    conn = fds.conn.fileno()
    policy = os.path.join(tmp, "policy.yml")
    with open(policy, "w") as f:
        f.write(f"version: 1\nmode: enforce\npass_fds: [{fds.eventfd}]\nhermetic_steps:\n  - id: fds\n"
                f"    pass_fds: [{conn}]\n    run: " + json.dumps(_fduse_args(inherited)) + "\n")
    out = os.path.join(tmp, "out")
    run = _gate(res, [netns.gate_bin(), "run", "--policy", policy, "--sha", "fds", "--out", out], inherited, out)
    res.expect(run.rc == 3, f"exit code {run.rc}, expected 3 (a denied violation)")
    with open(os.path.join(out, "logs", "fds", "stdout.txt")) as f:
        uses = types.SimpleNamespace(stdout=f.read())
    _check_uses(res, uses, inherited, "EBADF", [conn, fds.connecting.fileno(), fds.listener.fileno()])
    _check_uses(res, uses, inherited, None, [fds.eventfd])
    res.expect(fds.received() == b"", "the listener received bytes from a socket enforce mode refused to pass")
    report = json.load(open(os.path.join(out, "report.json")))
    step = next((s for s in report.get("steps", []) if s.get("id") == "fds"), {})
    v = [x for x in step.get("violations", []) if x.get("syscall") == "inherited"]
    res.expect(len(v) == 1 and v[0].get("kind") == "outbound" and v[0].get("decision") == "denied"
               and v[0].get("address") == "127.0.0.1" and v[0].get("port") == fds.server_port,
               f"report.json violations: {step.get('violations')}")
    actions = {e.get("fd"): e.get("action") for e in step.get("inherited_fds", [])}
    res.expect(actions.get(conn) == "refused" and actions.get(fds.eventfd) == "passed"
               and actions.get(fds.listener.fileno()) == "closed", f"inherited_fds actions: {actions}")

    with open(policy, "w") as f:
        f.write("version: 1\nhermetic_steps:\n  - id: fds\n    pass_fds: [57]\n    run: [/bin/true]\n")
    bad = _gate(res, [netns.gate_bin(), "run", "--policy", policy, "--sha", "fds", "--out",
                      os.path.join(tmp, "out2")], inherited)
    res.expect(bad.rc == 2, f"exit code {bad.rc} for a pass_fds descriptor that is not open, expected 2")
    want = (f"hermetic-gate: error: {policy}:4:5: pass_fds of step 'fds': descriptor 57 is not open "
            f"(the gate inherited {', '.join(str(fd) for fd in sorted(inherited))})")
    res.expect(want in bad.stderr.splitlines(), f"stderr: {bad.stderr}")


def policy_pass_fds(skip, case_failed):
    return _with_fds(skip, case_failed, _policy_body)


def not_open(skip, case_failed):
    """--pass-fd of a descriptor the gate did not inherit: one line, exit 2, nothing runs."""
    def case(res):
        with tempfile.TemporaryDirectory(prefix="hg-fds-") as tmp:
            marker = os.path.join(tmp, "ran")
            run = _gate(res, [netns.gate_bin(), "exec", "--pass-fd", "57", "--", "/bin/sh", "-c", f"touch {marker}"], {})
            res.expect(run.rc == 2, f"exit code {run.rc}, expected 2")
            err = [l for l in run.stderr.splitlines() if l.strip()]
            res.expect(err == ["hermetic-gate: error: --pass-fd: descriptor 57 is not open (the gate inherited none above 2)"],
                       f"stderr: {err}")
            res.expect(not os.path.exists(marker), "the command ran")
    return case


def cases(skip, case_failed):
    return [
        ("closed-listed", closed_run(skip, case_failed)),
        ("passed-audit", passed(False, skip, case_failed)),
        ("passed-enforce", passed(True, skip, case_failed)),
        ("passed-allowed", allowed(skip, case_failed)),
        ("policy-pass-fds-enforce", policy_pass_fds(skip, case_failed)),
        ("pass-fd-not-open", not_open(skip, case_failed)),
    ]
