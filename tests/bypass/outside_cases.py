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
import os
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


class Victim:
    """outside.c victim, connected to a listener of this script on 127.0.0.1."""

    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        port = self.listener.getsockname()[1]
        self.proc = subprocess.Popen([helper(), "victim", "127.0.0.1", str(port)], stdin=subprocess.PIPE,
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


def attack(enforce):
    def case(res):
        abi = landlock_abi()
        v = Victim()
        try:
            r = netns.run_gate(["--enforce"] if enforce else [],
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


class _Shown:
    """What run_sub prints for a failed case."""

    def __init__(self, run):
        self.run = run


CASES = {
    "outside-audit": attack(False),
    "outside-enforce": attack(True),
    "inside-tree": inside,
    "foreign-sendmsg": foreign("sendmsg", False),
    "foreign-write-audit": foreign("write", False),
    "foreign-write-enforce": foreign("write", True),
    "pass-inside": pass_inside,
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
