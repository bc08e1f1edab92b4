#!/usr/bin/env python3
"""Bypass tests of the second ring (issue 12), "outside processes": the real hermetic-gate
binary runs tests/bypass/outside.c, which acts on a process OUTSIDE the traced tree (a victim
this script starts) by every call that takes a pid or a pidfd. Each call must be refused and
recorded as an evasion, and the ground truth is read from the victim and from the kernel: it
received no signal, its marker word is unchanged, it has no tracer, and the peer of the socket
pidfd_getfd could have taken received nothing. The same calls on the step's own child must
run untouched.

`outside_cases.py NAME` runs one case inside a private network namespace (netns.py); exit 0
pass, 1 fail, 77 skip (only when a probe shows the kernel lacks what the case needs)."""

import ctypes
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import netns  # noqa: E402
from test_bypass import Result, Skip, CaseFailed, expect_rc, expect_no_viol  # noqa: E402

OPS_OUTSIDE = ["kill", "tgkill", "rt_sigqueueinfo", "pidfd_open", "process_vm_writev", "process_vm_readv",
               "ptrace-seize"]
# The syscall each op's violation line names.
SYSCALL_OF = {"kill": "kill", "tgkill": "tgkill", "rt_sigqueueinfo": "rt_sigqueueinfo",
              "pidfd_open": "pidfd_open", "process_vm_writev": "process_vm_writev",
              "process_vm_readv": "process_vm_readv", "ptrace-seize": "ptrace"}


def helper():
    return netns.env_path("HG_OUTSIDE")


def landlock_abi():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return max(0, libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1)))  # LANDLOCK_CREATE_RULESET_VERSION


def ops_of(stdout):
    return [netns.parse_kv(l[len("outside "):]) for l in stdout.splitlines() if l.startswith("outside ")]


UNPRIVILEGED = 65534  # nobody


def as_user(uid):
    """The argv prefix that runs a command as uid (setpriv), [] for the current user."""
    if uid is None:
        return []
    return [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]


def unprivileged_uid():
    """The uid the unprivileged cases run as: nobody when this script is root, else the
    current user, who is unprivileged already (in `unshare -rn` the namespace's root maps to
    it, and setpriv could not switch)."""
    if os.geteuid() != 0:
        return None
    with open("/proc/self/uid_map") as f:
        if f.read().split() != ["0", "0", "4294967295"]:
            return None  # root of a user namespace (unshare -rn): really the unprivileged user who made it
    probe = subprocess.run(as_user(UNPRIVILEGED) + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise CaseFailed(f"setpriv cannot switch to uid {UNPRIVILEGED}: {probe.stderr.strip()}")
    return UNPRIVILEGED


class Victim:
    """outside.c victim, connected to a listener of this script on 127.0.0.1."""

    def __init__(self, uid=None):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        port = self.listener.getsockname()[1]
        self.proc = subprocess.Popen(as_user(uid) + [helper(), "victim", "127.0.0.1", str(port)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        first = netns.parse_kv(self.proc.stdout.readline()[len("outside "):])
        if first.get("op") != "victim":
            raise CaseFailed(f"the victim did not start: {first}")
        self.pid, self.marker, self.sockfd = int(first["pid"]), first["marker"], first["sockfd"]
        self.listener.settimeout(5)
        self.peer, _ = self.listener.accept()

    def state(self):
        self.proc.stdin.write("state\n")
        self.proc.stdin.flush()
        return netns.parse_kv(self.proc.stdout.readline()[len("outside "):])

    def received(self):
        self.peer.setblocking(False)
        try:
            return self.peer.recv(64)
        except BlockingIOError:
            return b""

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        finally:
            self.peer.close()
            self.listener.close()


def run_gate_as(uid, gate_args, command):
    """netns.run_gate, with the gate (and so the step) running as uid when it is set."""
    if uid is None:
        return netns.run_gate(gate_args, command)
    with tempfile.TemporaryDirectory(prefix="hg-unpriv-") as tmp:
        os.chown(tmp, uid, uid)
        argv = as_user(uid) + [netns.gate_bin(), "exec"] + list(gate_args) + ["--", *command]
        start = time.monotonic()
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, cwd=tmp)
        return netns.Run(argv, p, None, time.monotonic() - start)


def attack(enforce, unprivileged=False):
    """The step acts on a victim outside the tree; unprivileged: both run as the same
    unprivileged user (the case the kernel's own rules would otherwise allow)."""
    def case(res):
        abi = landlock_abi()
        uid = unprivileged_uid() if unprivileged else None
        if unprivileged and uid is None:
            res.notes.append("this script is not root: the gate and the victim run as the current, unprivileged user")
        v = Victim(uid)
        try:
            r = run_gate_as(uid, ["--enforce"] if enforce else [],
                            [helper(), "attack", str(v.pid), v.marker, v.sockfd])
            res.runs.append(_Shown(r))
            ops = {o["op"]: o for o in ops_of(r.stdout)}
            expect_rc(res, r, 3)
            for op in OPS_OUTSIDE:
                o = ops.get(op)
                if o is None:
                    res.fail(f"the step did not report op={op}")
                    continue
                res.expect(o.get("errno") == "EPERM", f"{op} on the outside victim returned {o.get('ret')} "
                           f"errno={o.get('errno')}, expected EPERM")
                hits = [line for line in r.stderr.splitlines() if line.startswith("hermetic-gate: violation ")
                        and f" syscall={SYSCALL_OF[op]} " in line and " decision=denied " in line
                        and f'reason="{SYSCALL_OF[op]}() aimed at pid {v.pid} (' in line
                        and "outside the traced tree" in line]
                res.expect(bool(hits), f"no denied violation line for {SYSCALL_OF[op]}() naming pid {v.pid} outside the tree")
            mem = ops.get("open-mem")
            if abi == 0:
                res.notes.append("the kernel has no Landlock (probe: landlock_create_ruleset version 0): "
                                 "an open of /proc/PID/mem is not refused here")
            elif mem is None or mem.get("errno") not in ("EACCES", "EPERM"):
                res.fail(f"open(/proc/{v.pid}/mem, O_RDWR) of the outside victim was not refused: {mem}")
            st = v.state()
            res.expect(st.get("signals") == "0", f"the outside victim received {st.get('signals')} signal(s)")
            res.expect(st.get("marker") == "0x1111", f"the outside victim's memory was written: marker {st.get('marker')}")
            res.expect(st.get("tracer") == "0", f"the outside victim got a tracer: {st.get('tracer')}")
            got = v.received()
            res.expect(got == b"", f"the peer of the victim's socket received {got!r} from the step")
        finally:
            v.close()
    return case


def inside(res):
    r = netns.run_gate([], [helper(), "inside"])
    res.runs.append(_Shown(r))
    ops = {o["op"]: o for o in ops_of(r.stdout)}
    expect_no_viol(res, r)
    expect_rc(res, r, 0)
    for op in ("kill", "tgkill", "rt_sigqueueinfo", "pidfd_open", "pidfd_send_signal", "pidfd_getfd",
               "process_vm_writev", "process_vm_readv", "open-mem", "pwrite-mem", "child-marker-written",
               "kill-zombie", "tgkill-self"):
        o = ops.get(op)
        res.expect(o is not None and o.get("errno") == "-", f"{op} on the step's own child failed: {o}")
    gone = ops.get("kill-gone")
    res.expect(gone is not None and gone.get("errno") == "ESRCH", f"kill() of a reaped child: {gone}")


def gate_argv(gate_args, out, command):
    return [netns.gate_bin(), "exec"] + list(gate_args) + ["--out", out, "--"] + list(command)


def foreign(mode, enforce):
    """A process outside the tree (this script) hands the step a connected TCP socket over a
    unix socket. The step's trapped sendmsg on it is refused; its untrapped write() is found
    by the sweep (recorded, and in enforce mode the socket is shut down). Ground truth: what
    the socket's peer received."""
    def case(res):
        with tempfile.TemporaryDirectory(prefix="hg-foreign-") as tmp:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            client = socket.create_connection(listener.getsockname(), timeout=5)
            peer, _ = listener.accept()
            path = os.path.join(tmp, "hand-over.sock")
            unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            unix.bind(path)
            unix.listen(1)
            unix.settimeout(10)
            out = os.path.join(tmp, "out")
            argv = gate_argv(["--enforce"] if enforce else [], out, [helper(), "receive", path, mode])
            start = time.monotonic()
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    stdin=subprocess.DEVNULL, cwd=tmp)
            try:
                conn, _ = unix.accept()
                socket.send_fds(conn, [b"F"], [client.fileno()])
                client.close()  # the step's copy is the only one left outside this peer
                stdout, stderr = proc.communicate(timeout=30)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
            strace = None
            if os.path.exists(os.path.join(out, "strace.txt")):
                with open(os.path.join(out, "strace.txt")) as f:
                    strace = f.read()

            class P:
                returncode = proc.returncode
            P.stdout, P.stderr = stdout, stderr
            r = netns.Run(argv, P, strace, time.monotonic() - start)
            res.runs.append(_Shown(r))
            peer.settimeout(1)
            got = b""
            try:
                while True:
                    chunk = peer.recv(64)
                    if not chunk:
                        break
                    got += chunk
            except (socket.timeout, ConnectionResetError):
                pass
            for s_ in (peer, listener, unix):
                s_.close()
        ops = {o["op"]: o for o in ops_of(r.stdout)}
        lines = [l for l in r.stderr.splitlines() if l.startswith("hermetic-gate: violation ")]
        expect_rc(res, r, 3)
        if mode == "sendmsg":
            o = ops.get("sendmsg-S")
            res.expect(o is not None and o.get("errno") == "EPERM", f"sendmsg on the foreign socket: {o}")
            res.expect(any(" syscall=sendmsg " in l and " decision=denied " in l and "came from outside the traced tree"
                           in l for l in lines), f"no denied sendmsg violation naming the foreign socket: {lines}")
            res.expect(got == b"", f"the peer received {got!r}")
            return
        res.expect(any(" syscall=foreign_socket " in l and "came from outside the traced tree" in l
                       and (" decision=denied " if enforce else " decision=audited ") in l for l in lines),
                   f"no foreign_socket violation from the sweep: {lines}")
        a, b = ops.get("write-A"), ops.get("write-B")
        res.expect(a is not None and a.get("ret") == "1", f"the first write (before any sweep) failed: {a}")
        if enforce:
            res.expect(b is not None and b.get("errno") == "EPIPE",
                       f"the write after the sweep was not stopped by the shutdown: {b}")
            res.expect(got == b"A", f"the peer received {got!r}, expected only b'A' (before the sweep)")
        else:
            res.expect(got == b"AB", f"the peer received {got!r}, expected b'AB' in audit mode")
    return case


def pass_inside(res):
    """Sockets the tree made, accepted and passed between its own processes stay clean."""
    r = netns.run_gate(["--allow-listen", "127.0.0.1"], [helper(), "pass-inside"])
    res.runs.append(_Shown(r))
    ops = {o["op"]: o for o in ops_of(r.stdout)}
    expect_no_viol(res, r)
    expect_rc(res, r, 0)
    for op in ("connect", "accept", "send-fd", "receive-fd", "child-write", "child-sendmsg", "child-write-late",
               "accepted-sendmsg", "accepted-write-late", "accepted-read"):
        o = ops.get(op)
        res.expect(o is not None and o.get("errno") == "-", f"{op} failed: {o}")
    res.expect(ops.get("child-exit", {}).get("ret") == "0", f"the child: {ops.get('child-exit')}")


def run_with_report(enforce, command, tmp):
    """`hermetic-gate run` on a policy whose one step is command, with its evidence in tmp/out;
    returns (Run, report.json or None)."""
    out = os.path.join(tmp, "out")
    policy = os.path.join(tmp, "policy.yml")
    with open(policy, "w") as f:
        f.write(f"version: 1\nmode: {'enforce' if enforce else 'audit'}\nhermetic_steps:\n"
                f"  - id: step\n    run: {json.dumps(list(command))}\n")
    argv = [netns.gate_bin(), "run", "--policy", policy, "--sha", "outside", "--out", out]
    start = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, cwd=tmp)
    report = strace = None
    if os.path.exists(os.path.join(out, "report.json")):
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
    if os.path.exists(os.path.join(out, "logs", "step", "strace.txt")):
        with open(os.path.join(out, "logs", "step", "strace.txt")) as f:
            strace = f.read()
    return netns.Run(argv, p, strace, time.monotonic() - start), report


def channel_outside(res):
    """A unix socket whose other end is a process outside the tree (this script) is listed in
    report.json with that process's executable, and is not a violation."""
    with tempfile.TemporaryDirectory(prefix="hg-channel-") as tmp:
        path = os.path.join(tmp, "helper.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        r, report = run_with_report(False, [helper(), "connect-unix", path], tmp)
        srv.close()
    res.runs.append(_Shown(r))
    expect_rc(res, r, 0)
    expect_no_viol(res, r)
    if report is None:
        res.fail("no report.json")
        return
    channels = report["steps"][0].get("outside_channels")
    want = {"socket": path, "peer_exe": os.path.realpath("/proc/self/exe"), "connects": 1}
    res.expect(channels == [want], f"outside_channels {channels}, expected [{want}]")


def daemon_by_exe(enforce):
    """A daemon of the built-in list, known only by its executable (its socket is at a path the
    list does not name): the connect is delegated egress; in enforce mode the gate shuts the
    connection down, and the daemon receives no request."""
    def case(res):
        with tempfile.TemporaryDirectory(prefix="hg-daemon-") as tmp:
            os.mkdir(os.path.join(tmp, "bin"))
            dockerd = os.path.join(tmp, "bin", "dockerd")
            shutil.copy(helper(), dockerd)
            path = os.path.join(tmp, "engine.sock")
            daemon = subprocess.Popen([dockerd, "serve", path], stdout=subprocess.PIPE, text=True)
            try:
                first = netns.parse_kv(daemon.stdout.readline()[len("outside "):])
                if first.get("op") != "listening":
                    raise CaseFailed(f"the fake daemon did not start: {first}")
                r, report = run_with_report(enforce, [helper(), "connect-unix", path], tmp)
                served = netns.parse_kv(daemon.stdout.readline()[len("outside "):])
            finally:
                daemon.kill()
                daemon.wait()
        res.runs.append(_Shown(r))
        expect_rc(res, r, 3)
        lines = [l for l in r.stderr.splitlines() if l.startswith("hermetic-gate: violation ")]
        res.expect(any(" syscall=connect " in l and " kind=delegated " in l and
                       (" decision=denied " if enforce else " decision=audited ") in l for l in lines),
                   f"no delegated violation line: {lines}")
        if enforce:
            res.expect(served.get("bytes") == "-", f"the daemon received a request through a shut connection: {served}")
        else:
            res.expect(served.get("bytes") == "REQUEST", f"the daemon did not get the request: {served}")
        if report is not None:
            kinds = [v["kind"] for v in report["steps"][0]["violations"]]
            res.expect(kinds == ["delegated"], f"report.json violation kinds {kinds}")
            addrs = [v["address"] for v in report["steps"][0]["violations"]]
            res.expect(addrs == [path], f"report.json violation addresses {addrs}, expected [{path}]")
            channels = report["steps"][0].get("outside_channels")
            res.expect(channels is not None and len(channels) == 1 and channels[0]["peer_exe"] == dockerd,
                       f"outside_channels {channels}")
        else:
            res.fail("no report.json")
    return case


class _Shown:
    """What run_sub prints for a failed case."""

    def __init__(self, run):
        self.run = run


CASES = {
    "outside-audit": attack(False),
    "outside-enforce": attack(True),
    "outside-unprivileged": attack(False, unprivileged=True),
    "inside-tree": inside,
    "foreign-sendmsg": foreign("sendmsg", False),
    "foreign-write-audit": foreign("write", False),
    "foreign-write-enforce": foreign("write", True),
    "pass-inside": pass_inside,
    "channel-outside": channel_outside,
    "daemon-by-exe-audit": daemon_by_exe(False),
    "daemon-by-exe-enforce": daemon_by_exe(True),
}


def run_case(name):
    res = Result(name)
    try:
        CASES[name](res)
    except Skip as e:
        print(f"SKIP {name}: {e}")
        return netns.SKIP
    except (CaseFailed, subprocess.TimeoutExpired, OSError) as e:
        res.fail(f"could not run: {e}")
    if res.failures:
        print(f"FAIL {name}:")
        for f in res.failures:
            print(f"  - {f}")
        for r in res.runs:
            print(r.run.diagnostics())
        return 1
    print(f"PASS {name}" + "".join(f"\n  note: {n}" for n in res.notes))
    return 0


if __name__ == "__main__":
    sys.exit(netns.table_main(sys.argv[1:], "outside_cases.py", CASES, run_case))
