#!/usr/bin/env python3
"""Bypass tests (issue #4): the real hermetic-gate binary against tests/bypass/bypass.c, one
meson test() per class of attempt to get a network call past the gate. Every attempt must end
"recorded as a violation" or "prevented and the prevention recorded", never in silence.

`test_bypass.py CLASS` runs every sub-case of CLASS inside its own private network namespace
(tests/integration/netns.py: lo + a veth with 203.0.113.2/24, no default route) and prints one
PASS/FAIL/SKIP line per sub-case, with the gate's full output for each failure. A sub-case skips
only when a probe shows the kernel lacks what it needs (the SKIP line names it); one that cannot
run for any other reason fails.
Exit: 0 all ran sub-cases passed, 1 a sub-case failed, 77 every sub-case was skipped.
`test_bypass.py --check-table NAME...` verifies that meson registers every class.
"""

import json
import os
import re
import shutil
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import netns  # noqa: E402
import inherited_fds  # noqa: E402
from netns import V4  # noqa: E402

V4_443 = f"{V4}:443"
_KV = re.compile(r"(\w+)=(\S*)")


def helper():
    return netns.env_path("HG_BYPASS")


class Skip(Exception):
    """A sub-case that cannot run because a probe showed the kernel lacks what it needs; the
    message names the feature. Nothing else may skip."""


class CaseFailed(Exception):
    """A sub-case that cannot run for any other reason: it fails."""


class RaceMissed(Exception):
    """A race sub-case whose racing thread never won during the run, so the gate's handling
    of the race was not exercised: it proves nothing either way. The sub-case runs again,
    up to RACE_ATTEMPTS times in all; a race that never happens then fails."""


RACE_ATTEMPTS = 3


# What socket() answers when the kernel lacks a family, type or protocol.
NO_KERNEL_SUPPORT = ("EAFNOSUPPORT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT")


def socket_unavailable(rec, what):
    """The helper's socket() failed (rec is its report): a skip when the kernel lacks the
    socket, a failure otherwise (the test namespace gives root, and so CAP_NET_RAW)."""
    err = rec.get("errno")
    if err in NO_KERNEL_SUPPORT:
        raise Skip(f"the kernel lacks {what}: socket() failed with {err}")
    raise CaseFailed(f"socket() for {what} failed with {err}, which is not a missing kernel feature "
                     "(the test namespace gives the helper root, and so CAP_NET_RAW)")


class Result:
    """Outcome of one sub-case: failures (strings) and the runs to show when it failed."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.notes = []
        self.runs = []
        self.skipped = None

    def fail(self, msg):
        self.failures.append(msg)

    def expect(self, cond, msg):
        if not cond:
            self.failures.append(msg)
        return cond


class BRun:
    """A gate run on the helper: netns.Run plus the helper's report lines."""

    def __init__(self, run):
        self.run = run
        self.rc = run.rc
        self.violations = run.violations
        self.ops = [dict(_KV.findall(l)) for l in run.stdout.splitlines() if l.startswith("bypass ")]

    def op(self, name):
        return [o for o in self.ops if o.get("op") == name]

    def first(self, name):
        ops = self.op(name)
        return ops[0] if ops else None

    def viol(self, **want):
        return [v for v in self.violations if all(v.get(k) == val for k, val in want.items())]


def gate(res, gate_args, scenario, timeout=30):
    r = BRun(netns.run_gate(gate_args, [helper()] + list(scenario), timeout=timeout))
    res.runs.append(r)
    return r


def untraced(*args, timeout=20):
    return subprocess.run([helper()] + list(args), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def expect_rc(res, r, want):
    ok = r.rc in want if isinstance(want, (set, tuple)) else r.rc == want
    return res.expect(ok, f"gate exit code {r.rc}, expected {want}")


def expect_op(res, r, op, ret=None, errno=None):
    """The helper reported OP with that result."""
    rec = r.first(op)
    if rec is None:
        res.fail(f"the helper did not report op={op} (it was killed or never got there)")
        return None
    if ret is not None and rec.get("ret") != str(ret):
        res.fail(f"op={op} returned {rec.get('ret')} errno={rec.get('errno')}, expected ret={ret}"
                 + (f" errno={errno}" if errno else ""))
    elif errno is not None and rec.get("errno") != errno:
        res.fail(f"op={op} returned {rec.get('ret')} errno={rec.get('errno')}, expected errno={errno}")
    return rec


def expect_viol(res, r, pid=None, **want):
    """A live violation line with these fields (and pid, exe of the helper)."""
    hits = r.viol(**want)
    if pid is not None:
        hits = [v for v in hits if v.get("pid") == str(pid)]
    if not hits:
        res.fail(f"no live violation line with {want}" + (f" pid={pid}" if pid else "")
                 + f"; got {len(r.violations)} line(s): {r.violations}")
        return None
    v = hits[0]
    res.expect(v.get("step") == "exec", f"violation line step={v.get('step')}, expected exec")
    exe = os.path.realpath(helper())
    res.expect(v.get("exe") == exe, f"violation line exe={v.get('exe')}, expected {exe}")
    return v


def expect_no_viol(res, r):
    res.expect(not r.violations, f"unexpected live violation line(s): {r.violations}")


def strace_has(res, r, call, result_prefix):
    calls = r.run.strace_calls()
    if r.run.strace_text is None:
        res.fail("--out DIR/strace.txt was not written")
        return
    hits = [c for c in calls if c[1] == call]
    if not hits:
        res.fail(f"strace.txt has no {call}(...) line; it has: {[c[1] for c in calls]}")
    elif not any(c[3].startswith(result_prefix) for c in hits):
        res.fail(f"strace.txt {call} line result is {[c[3] for c in hits]}, expected '= {result_prefix}...'")


def expect_dead(res, pids, within, what):
    left = netns.wait_dead(pids, within)
    if left:
        res.fail(f"{what}: pid(s) {left} still running {within}s later")


# --- 1. other ABIs ----------------------------------------------------------------------------

def abi_probe(kind):
    """True when the ABI runs untraced. An i386 ABI that faults even untraced is skipped: there
    is no call to trap. An x32 ABI the kernel lacks is still tested: the kernel's seccomp hook
    sees the x32 number before it finds no handler, so the gate must trap and record it, and
    the call then fails with ENOSYS (audit) or EPERM (enforce)."""
    p = untraced(f"{kind}-probe")
    if p.returncode == 77:
        if kind == "i386":
            raise Skip("i386 system calls are unavailable even untraced: `int $0x80` in a 64-bit process "
                       f"faults on this kernel (ia32 emulation disabled at run time): {p.stdout.strip()}")
        return False
    if p.returncode != 0:
        raise CaseFailed(f"the {kind} probe failed unexpectedly (it did not show the ABI missing): "
                         f"rc={p.returncode} {p.stdout.strip()} {p.stderr.strip()}")
    return True


def abi_case(kind, scenario, op, enforce):
    def case(res):
        available = abi_probe(kind)
        if not available:
            res.notes.append(f"{kind} is not built into this kernel: the trapped call is expected to end in ENOSYS")
        r = gate(res, ["--enforce"] if enforce else [], [scenario, V4, "443"])
        expect_rc(res, r, 3)
        errno = "EPERM" if enforce else ("EINPROGRESS" if available else "ENOSYS")
        rec = expect_op(res, r, op, errno=errno)
        abi = "i386" if kind == "i386" else "x32"
        expect_viol(res, r, pid=rec and rec["pid"], syscall="connect", abi=abi, addr=V4_443, family="AF_INET",
                    decision="denied" if enforce else "audited")
        strace_has(res, r, "connect", f"-1 {errno}")
    return case


# --- 2. clone flags -----------------------------------------------------------------------------

def clone_untraced(enforce):
    def case(res):
        r = gate(res, ["--enforce"] if enforce else [], ["clone-untraced", V4, "443"])
        expect_rc(res, r, 3)
        rec = expect_op(res, r, "clone-untraced", ret=-1, errno="EPERM")
        expect_viol(res, r, pid=rec and rec["pid"], syscall="clone", decision="denied")
        child = r.first("child-connect")
        if child is not None:
            recorded = r.viol(syscall="connect", pid=child["pid"])
            res.fail(f"an untraced child {child['pid']} was created; its connect to {V4_443} returned "
                     f"{child['ret']} errno={child['errno']} and was "
                     f"{'recorded' if recorded else 'NOT recorded'} by the gate")
    return case


def clone3(res):
    r = gate(res, [], ["clone3"])
    expect_op(res, r, "clone3", ret=-1, errno="ENOSYS")
    expect_no_viol(res, r)
    expect_rc(res, r, 0)


# --- 3. io_uring --------------------------------------------------------------------------------

def io_uring(res):
    r = gate(res, [], ["io-uring-setup"])
    expect_op(res, r, "io_uring_setup", ret=-1, errno="ENOSYS")
    strace_has(res, r, "io_uring_setup", "-1 ENOSYS")
    expect_no_viol(res, r)
    expect_rc(res, r, 0)


# --- 4. the step's own seccomp filters ---------------------------------------------------------

def seccomp_listener(enforce):
    def case(res):
        r = gate(res, ["--enforce"] if enforce else [], ["seccomp-listener", V4, "443"])
        expect_rc(res, r, 3)
        rec = expect_op(res, r, "seccomp-new-listener", ret=-1, errno="EPERM")
        pid = rec and rec["pid"]
        expect_viol(res, r, pid=pid, syscall="seccomp", decision="denied")
        expect_op(res, r, "connect", errno="EPERM" if enforce else "EINPROGRESS")
        expect_viol(res, r, pid=pid, syscall="connect", addr=V4_443, decision="denied" if enforce else "audited")
        for n in r.op("notif-continue"):
            res.fail(f"the step's own listener received connect (nr {n.get('notified_nr')}) and let it continue")
    return case


def seccomp_plain(res):
    r = gate(res, [], ["seccomp-plain", V4, "443"])
    expect_rc(res, r, 3)
    expect_op(res, r, "seccomp-plain", ret=0)
    expect_op(res, r, "getpriority-filtered", ret=-1, errno="EACCES")
    rec = expect_op(res, r, "connect", errno="EINPROGRESS")
    expect_viol(res, r, pid=rec and rec["pid"], syscall="connect", addr=V4_443, decision="audited")
    res.expect(not r.viol(syscall="seccomp"), f"a plain filter was judged a violation: {r.viol(syscall='seccomp')}")
    res.expect(len(r.violations) == 1, f"expected exactly the connect violation, got {r.violations}")


# --- 5. races on tracee memory -----------------------------------------------------------------

RACE_N = 300
RACE_BASE = 20000


def race(gate_args, loopback_allowed, enforce=False):
    """Per iteration i (port RACE_BASE+i names it): the destination the kernel really used
    (getpeername, else /proc/net/tcp) must be among the gate's records for that port, unless it
    is loopback and loopback is allowed; and every record must name a destination the helper
    really used in that iteration, or come with the real one (the post-call check)."""
    def case(res):
        r = gate(res, gate_args, ["race", str(RACE_N), str(RACE_BASE)], timeout=90)
        conns = r.op("connect")
        killed_after = None
        if not r.op("race-done"):
            # --enforce may kill a process whose connect raced to a forbidden destination
            # (prevented, and the prevention recorded): the next iteration's real destination
            # must then be recorded as denied.
            nxt = RACE_BASE + len(conns)
            denied = r.viol(syscall="connect", addr=f"{V4}:{nxt}", decision="denied")
            if enforce and denied and "killed by signal 9" in r.run.stderr:
                killed_after = len(conns)
                res.notes.append(f"the gate killed the helper after its raced connect i={killed_after} "
                                 f"to {V4}:{nxt} (recorded as denied)")
            else:
                res.fail(f"the helper did not finish its iterations (stopped after {len(conns)})")
        started = r.first("race-listeners")
        pid = started["pid"] if started else (conns[0]["pid"] if conns else None)
        by_port = {}
        for v in r.viol(syscall="connect"):
            if v.get("pid") != pid:
                res.fail(f"connect violation for pid {v.get('pid')}, the helper is {pid}: {v}")
                continue
            m = re.match(r"^([\d.]+):(\d+)$", v.get("addr", ""))
            if not m:
                res.fail(f"connect violation with an address that is neither candidate: {v.get('addr')}")
                continue
            by_port.setdefault(int(m.group(2)), []).append(m.group(1))
        real_remote = unrecorded = false_claims = mismatched = 0
        examples = []
        for c in conns:
            port = int(c["port"])
            peer = c.get("peer", "none")
            recs = by_port.get(port, [])
            for a in recs:
                if a not in ("127.0.0.1", V4):
                    res.fail(f"iteration {c['i']}: record names {a}:{port}, neither candidate (torn read?)")
            if peer == "none":
                continue
            real = peer.rsplit(":", 1)[0]
            if real == V4:
                real_remote += 1
            must_record = not (loopback_allowed and real == "127.0.0.1")
            if must_record and real not in recs:
                unrecorded += 1
                if len(examples) < 5:
                    examples.append(f"i={c['i']} real={peer} ret={c['ret']} errno={c['errno']} records={recs}")
            wrong = [a for a in recs if a != real]
            if wrong:
                mismatched += 1
                if real not in recs and must_record:
                    false_claims += 1
        res.notes.append(f"{len(conns)} connects, {real_remote} really went to {V4}, {mismatched} with a record "
                         f"naming the other address, {unrecorded} real destination(s) unrecorded")
        if killed_after is None:
            res.expect(len(conns) == RACE_N, f"the helper reported {len(conns)} connects, expected {RACE_N}")
        if unrecorded:
            in_strace = sum(1 for e in examples if f'inet_addr("{e.split("real=")[1].split(":")[0]}")' in
                            "".join(l for l in r.run.strace if f"htons({e.split('real=')[1].split(':')[1].split()[0]})" in l))
            res.fail(f"{unrecorded} connect(s) whose real destination (from getpeername / /proc/net/tcp) is "
                     f"not in the gate's live violation lines for that iteration (of the {len(examples)} "
                     f"examples, strace.txt names the real destination for {in_strace}), e.g. {examples}")
        if false_claims:
            res.fail(f"{false_claims} iteration(s) recorded only a destination the kernel did not use")
        if real_remote:
            expect_rc(res, r, 3)
        if not loopback_allowed:
            missing = [c["i"] for c in conns if int(c["port"]) not in by_port]
            if missing:
                res.fail(f"{len(missing)} connect(s) with no record at all, e.g. iterations {missing[:10]}")
    return case


RACE_UDP_N = 300
RACE_UDP_PORT = 21000
_STRACE_INET = re.compile(r'sin_port=htons\((\d+)\), sin_addr=inet_addr\("([\d.]+)"\)')


class RemoteCapture:
    """Counts the UDP datagrams that really reach V4:port. A permanent neighbour entry makes the
    kernel transmit them on hgv0 (instead of dropping them when ARP goes unanswered) to the
    namespace's own hgv1, which has no address and drops them; a packet socket on hgv1 sees them
    first. Nothing leaves the test's namespace."""

    def __init__(self, port):
        self.port = port
        self.count = 0
        self.error = None

    def __enter__(self):
        import socket
        import threading
        ip = netns._ip_tool()
        link = subprocess.run([ip, "-o", "link", "show", "hgv1"], check=True, capture_output=True, text=True).stdout
        mac = re.search(r"link/ether ([0-9a-f:]{17})", link).group(1)
        subprocess.run([ip, "neigh", "replace", V4, "lladdr", mac, "dev", "hgv0", "nud", "permanent"], check=True,
                       capture_output=True)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
        self.sock.bind(("hgv1", 0x0800))
        try:  # room for every datagram of a run even if this thread falls behind
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # SO_RCVBUFFORCE
        except OSError:
            pass
        self.sock.settimeout(0.1)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        return self

    def _read(self):
        want = bytes(int(x) for x in V4.split("."))
        while True:
            try:
                pkt = self.sock.recv(2048)
            except TimeoutError:
                if self.stop.is_set():
                    return
                continue
            except OSError as e:
                self.error = str(e)
                return
            ihl = (pkt[0] & 0x0f) * 4
            if len(pkt) >= ihl + 4 and pkt[9] == 17 and pkt[16:20] == want and \
                    int.from_bytes(pkt[ihl + 2:ihl + 4], "big") == self.port:
                self.count += 1

    def __exit__(self, *exc):
        time.sleep(0.2)  # the last datagrams cross the veth
        self.stop.set()
        self.thread.join(5)
        self.sock.close()
        subprocess.run([netns._ip_tool(), "neigh", "del", V4, "dev", "hgv0"], capture_output=True)
        return False


def race_udp(call, enforce):
    """A datagram's destination leaves no trace to check after the call, so the records must be
    right by construction (the gate sends on its own copy of what it judged). Per call: a record
    naming 127.0.0.1 with a successful result is a datagram that reached the loopback receiver,
    and one naming V4 is a violation (audited, or denied with EPERM) whose datagram reached V4
    only in audit mode. Both counts are measured, not inferred: the receiver counts loopback, a
    packet socket on the veth counts what reached V4."""
    def case(res):
        args = (["--enforce"] if enforce else []) + ["--allow-host", "127.0.0.1", "--allow-listen", "127.0.0.1"]
        with RemoteCapture(RACE_UDP_PORT) as cap:
            r = gate(res, args, ["race-udp", call, str(RACE_UDP_N), str(RACE_UDP_PORT)], timeout=90)
        res.expect(cap.error is None, f"the capture on hgv1 failed: {cap.error}")
        done = expect_op(res, r, "race-udp-done")
        calls = r.op(call)
        res.expect(len(calls) == RACE_UDP_N, f"the helper reported {len(calls)} {call} calls, expected {RACE_UDP_N}")
        loop = remote = remote_sent = fixed = 0
        for _, name, cargs, result in r.run.strace_calls():
            if name != call:
                continue
            m = _STRACE_INET.search(cargs)
            if not m or int(m.group(1)) != RACE_UDP_PORT or m.group(2) not in ("127.0.0.1", V4):
                res.fail(f"a {call} record names neither candidate: {cargs}")
                continue
            ok = re.match(r"^\d+", result)
            sent = int(ok.group(0)) if ok else 0
            fixed += 1 if sent == 2 else 0
            if m.group(2) == V4:
                remote += 1
                remote_sent += 1 if sent else 0
                if enforce:
                    res.expect(result.startswith("-1 EPERM"), f"--enforce: a {call} to {V4} returned {result}")
            elif sent:
                loop += 1
        res.notes.append(f"{remote} of the {call} records name {V4}; {cap.count} datagram(s) reached it")
        res.expect(loop + remote == RACE_UDP_N, f"{loop + remote} {call} records, expected {RACE_UDP_N}")
        if not (loop > 0 and remote > 0):
            raise RaceMissed(f"the race did not happen ({loop} records to 127.0.0.1, {remote} to {V4}): "
                             "nothing was tested")
        if done:
            got = int(done["received"])
            res.expect(got == loop, f"the loopback receiver got {got} datagram(s), the records say {loop} "
                       "went to 127.0.0.1: the kernel used destinations the gate did not record")
            if call == "sendmmsg":
                res.expect(int(done["received_fixed"]) == fixed,
                           f"the second receiver got {done['received_fixed']} datagram(s), the records say {fixed}")
                res.expect(done["bad_msg_len"] == "0", f"{done['bad_msg_len']} msg_len value(s) not written back")
        res.expect(cap.count == remote_sent,
                   f"{cap.count} datagram(s) reached {V4}, the records say {remote_sent} were sent there")
        decision = "denied" if enforce else "audited"
        viols = r.viol(syscall=call, addr=f"{V4}:{RACE_UDP_PORT}")
        res.expect(all(v.get("decision") == decision for v in viols),
                   f"violation lines for {V4} with another decision than {decision}: "
                   f"{[v for v in viols if v.get('decision') != decision][:3]}")
        res.expect(len(viols) >= remote, f"{remote} records name {V4} but only {len(viols)} violation line(s)")
        if enforce:
            res.expect(remote_sent == 0 and cap.count == 0, f"--enforce: {cap.count} datagram(s) reached {V4}")
        expect_rc(res, r, 3)
    return case


RACE_FAMILY_N = 300
RACE_FAMILY_PORT = 22000


def race_family(who, enforce):
    """The address another thread or process flips between an AF_UNIX name and V4:PORT while the helper
    connects an inet socket from it. A connect that succeeded (0 or EINPROGRESS) used V4: its
    record must name V4 with that result (audit) or it must not exist (enforce, where every
    record naming V4 is a refusal). The gate may read the AF_UNIX name: then it refuses the
    call (EAFNOSUPPORT, as the kernel would) before the kernel can copy the inet address. With
    who="process" the flipper is a forked child writing a MAP_SHARED page: the connecting
    process has a single thread, so no "multi-threaded only" shortcut may skip the checks."""
    def case(res):
        r = gate(res, ["--enforce"] if enforce else [], ["race-family", str(RACE_FAMILY_N), str(RACE_FAMILY_PORT), who],
                 timeout=90)
        expect_op(res, r, "race-family-done")
        conns = r.op("connect")
        res.expect(len(conns) == RACE_FAMILY_N, f"the helper reported {len(conns)} connects, expected {RACE_FAMILY_N}")
        used_v4 = [c for c in conns if c["ret"] == "0" or c["errno"] == "EINPROGRESS"]
        refused_unix = sum(1 for c in conns if c["errno"] == "EAFNOSUPPORT")
        recorded_v4 = recorded_v4_ok = 0
        for _, name, cargs, result in r.run.strace_calls():
            if name != "connect":
                continue
            if f'inet_addr("{V4}")' in cargs:
                recorded_v4 += 1
                if result.startswith("0") or result.startswith("-1 EINPROGRESS"):
                    recorded_v4_ok += 1
                if enforce:
                    res.expect(result.startswith("-1 EPERM"), f"--enforce: a connect to {V4} returned {result}")
            elif "AF_UNIX" not in cargs:
                res.fail(f"a connect record names neither candidate: {cargs}")
        res.notes.append(f"{len(used_v4)} connects used {V4}, {refused_unix} were refused as AF_UNIX on an "
                         f"inet socket; {recorded_v4} records name {V4}")
        if not (recorded_v4 > 0 and refused_unix > 0):
            raise RaceMissed(f"the race did not happen ({recorded_v4} records name {V4}, {refused_unix} "
                             "refusals of the AF_UNIX name): nothing was tested")
        if enforce:
            res.expect(not used_v4, f"--enforce: {len(used_v4)} connect(s) reached {V4}, e.g. {used_v4[:3]}")
        else:
            res.expect(recorded_v4_ok == len(used_v4),
                       f"{len(used_v4)} connect(s) really used {V4} but {recorded_v4_ok} record(s) say so: the "
                       "kernel used a destination the gate did not record")
            viols = r.viol(syscall="connect", addr=f"{V4}:{RACE_FAMILY_PORT}")
            res.expect(len(viols) >= len(used_v4), f"{len(used_v4)} connects used {V4}, {len(viols)} violation lines")
        expect_rc(res, r, 3)
    return case


# --- 6. processes that outlive the step --------------------------------------------------------

def outlive_daemon(res):
    r = gate(res, [], ["daemon", V4, "443"])
    expect_rc(res, r, 3)
    root = expect_op(res, r, "root-exits", ret=1)
    rep = expect_op(res, r, "reparented")
    ggc = expect_op(res, r, "great-grandchild")
    conn = expect_op(res, r, "connect", errno="EINPROGRESS")
    if conn:
        expect_viol(res, r, pid=conn["pid"], syscall="connect", addr=V4_443)
    if root and rep:
        res.expect(rep["ppid"] == root["ppid"],
                   f"the orphaned grandchild was re-parented to {rep['ppid']}, not to the gate ({root['ppid']}): "
                   "the gate is not a child subreaper")
        res.expect(rep["sid"] != root["sid"], "the grandchild did not get a new session")
    if ggc:
        res.expect(ggc["pgid"] == ggc["pid"], "the great-grandchild did not get its own process group")
    res.expect(r.run.elapsed < 10, f"the gate took {r.run.elapsed:.1f}s: it waited for the daemons (60 s)")
    pids = [int(x["pid"]) for x in (rep, ggc) if x]
    expect_dead(res, pids, 2, "daemons (SIGTERM/SIGHUP ignored, own session and group) after the gate exited")


def outlive_late_connect(res):
    r = gate(res, [], ["late-connect", V4, "443"])
    grand = expect_op(res, r, "late-grandchild")
    conn = r.first("connect")
    if conn is not None:
        res.notes.append(f"the grandchild connected after the root exited: ret={conn['ret']} errno={conn['errno']}")
        expect_viol(res, r, pid=conn["pid"], syscall="connect", addr=V4_443)
        expect_rc(res, r, 3)
    else:
        res.notes.append("the grandchild was killed before its late connect")
        expect_rc(res, r, (0, 3))
    res.expect(r.run.elapsed < 10, f"the gate took {r.run.elapsed:.1f}s")
    if grand:
        expect_dead(res, [int(grand["pid"])], 2, "late grandchild after the gate exited")


# --- 7. tampering with the supervisor -----------------------------------------------------------

def gate_own_session(res, gate_args, scenario, timeout=30):
    """Like gate(), but the gate starts in a new session: a signal to its process group then
    reaches only the gate and its tree, never this script or the test runner."""
    with tempfile.TemporaryDirectory(prefix="hg-bypass-") as tmp:
        out = os.path.join(tmp, "out")
        argv = [netns.gate_bin(), "exec"] + list(gate_args) + ["--out", out, "--", helper()] + list(scenario)
        start = time.monotonic()
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                           cwd=tmp, start_new_session=True)
        strace = None
        if os.path.exists(os.path.join(out, "strace.txt")):
            with open(os.path.join(out, "strace.txt")) as f:
                strace = f.read()
        r = BRun(netns.Run(argv, p, strace, time.monotonic() - start))
    res.runs.append(r)
    return r


def tamper_killpg(res):
    """kill(-pgid of the gate): the gate must survive; if the call is refused, it is recorded."""
    r = gate_own_session(res, [], ["killpg-parent"])
    rec = expect_op(res, r, "killpg")
    res.expect(bool(r.op("survived")), "the helper did not report after the attempt")
    res.expect(r.rc not in (143, -15, "TIMEOUT"), f"the gate did not survive (exit {r.rc})")
    if rec and rec.get("errno") == "EPERM":
        expect_viol(res, r, pid=rec["pid"], syscall="kill", decision="denied")
        expect_rc(res, r, 3)
    elif rec:
        res.notes.append(f"killpg returned {rec['ret']} errno={rec['errno']} ({rec.get('target')}, own "
                         f"pgid {rec.get('own_pgid')}); gate exit {r.rc}")


def tamper(scenario, ops_syscalls):
    """ops_syscalls: [(helper op, syscall name in the violation line)]; the first refused one
    must be refused with EPERM and recorded as denied."""
    def case(res):
        r = gate(res, [], [scenario])
        expect_rc(res, r, 3)
        refused = None
        for op, sc in ops_syscalls:
            rec = r.first(op)
            if rec is None:
                continue
            if rec.get("errno") == "EPERM":
                refused = (rec, sc)
                break
        if refused is None:
            got = [(o["op"], o["ret"], o["errno"]) for o in r.ops if o["op"] != "survived"]
            res.fail(f"none of {[o for o, _ in ops_syscalls]} was refused with EPERM; the helper got {got}")
        else:
            rec, sc = refused
            expect_viol(res, r, pid=rec["pid"], syscall=sc, decision="denied")
        res.expect(bool(r.op("survived")), "the helper did not report after the attempt")
        res.expect(r.rc not in (143, -15, "TIMEOUT"), f"the gate did not survive (exit {r.rc})")
    return case


KILL_ALL_WRAPPER = ("import subprocess, sys\n"
                    "r = subprocess.run(sys.argv[1:])\n"
                    "sys.exit(r.returncode if r.returncode >= 0 else 128 - r.returncode)\n")


def tamper_kill_all(res):
    """kill(-1, SIGTERM) only runs when the gate refuses kill(getppid(), 0), and then only in a
    private pid namespace (python as its init, the gate as pid 2), so it can never reach a
    process outside the test."""
    probe = gate(res, [], ["tamper-probe"])
    rec = probe.first("kill0")
    if rec is None or rec.get("errno") != "EPERM":
        got = f"ret={rec.get('ret')} errno={rec.get('errno')}" if rec else "no report"
        res.fail(f"NOT RUN: the gate does not refuse kill(getppid(), 0) ({got}, exit {probe.rc}), so "
                 "kill(-1, SIGTERM) was not attempted")
        return
    unshare = shutil.which("unshare") or "/usr/bin/unshare"
    ok = subprocess.run([unshare, "-pf", "--mount-proc", "true"], capture_output=True, text=True)
    if ok.returncode != 0:
        raise Skip(f"private pid namespaces are unavailable here, and kill(-1) runs only in one "
                   f"({unshare} -pf --mount-proc true: {ok.stderr.strip()})")
    with tempfile.TemporaryDirectory(prefix="hg-bypass-") as tmp:
        out = os.path.join(tmp, "out")
        argv = [unshare, "-pf", "--mount-proc", "--", sys.executable, "-c", KILL_ALL_WRAPPER,
                netns.gate_bin(), "exec", "--out", out, "--", helper(), "kill-all"]
        start = time.monotonic()
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, cwd=tmp)
        strace = None
        if os.path.exists(os.path.join(out, "strace.txt")):
            with open(os.path.join(out, "strace.txt")) as f:
                strace = f.read()
        r = BRun(netns.Run(argv, p, strace, time.monotonic() - start))
    res.runs.append(r)
    expect_rc(res, r, 3)
    rec = expect_op(res, r, "kill-all", ret=-1, errno="EPERM")
    res.notes.append(f"kill(getppid(), 0) refused; kill(-1, SIGTERM) in a private pid namespace: "
                     f"{rec and (rec['ret'], rec['errno'])}, gate exit {r.rc}")
    expect_viol(res, r, pid=rec and rec["pid"], syscall="kill", decision="denied")
    res.expect(bool(r.op("survived")), "the helper did not report after kill(-1)")


# --- 8. the supervisor dying -------------------------------------------------------------------

def wait_file(path, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read().split()
            if len(text) == 2:
                return [int(x) for x in text]
        time.sleep(0.05)
    return None


def gate_killed(mode):
    def case(res):
        with tempfile.TemporaryDirectory(prefix="hg-bypass-") as tmp:
            pidfile = os.path.join(tmp, "pids")
            out = os.path.join(tmp, "out")
            cmd = [helper(), "spawn-sleep", "30", pidfile]
            if mode == "exec":
                argv = [netns.gate_bin(), "exec", "--out", out, "--"] + cmd
            else:
                policy = os.path.join(tmp, "policy.yml")
                with open(policy, "w") as f:
                    f.write("version: 1\nhermetic_steps:\n  - id: sleeper\n    run: " + json.dumps(cmd)
                            + "\n    timeout_seconds: 120\n")
                argv = [netns.gate_bin(), "run", "--policy", policy, "--out", out, "--sha", "bypass-test"]
            logf = open(os.path.join(tmp, "gate.log"), "w+")
            g = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp)
            pids = wait_file(pidfile, 15)
            if pids is None:
                g.kill()
                g.wait()
                logf.seek(0)
                res.fail(f"the step never started its processes (gate exit {g.returncode}): {logf.read()}")
                return
            g.send_signal(signal.SIGKILL)
            g.wait()
            expect_dead(res, pids, 3, f"traced processes {pids} after SIGKILL of the gate ({mode})")
            if mode == "run":
                report = os.path.join(out, "report.json")
                if not os.path.exists(report):
                    res.fail(f"{report} does not exist after SIGKILL of the gate; out has "
                             f"{sorted(os.listdir(out)) if os.path.isdir(out) else 'nothing'}")
                else:
                    try:
                        with open(report) as f:
                            doc = json.load(f)
                        res.expect(doc.get("complete") is False,
                                   f"report.json says complete={doc.get('complete')!r}, expected false")
                    except ValueError as e:
                        res.fail(f"report.json is not valid JSON: {e}")
            logf.seek(0)
            res.notes.append(f"gate output: {logf.read().strip()[:300]}")
            logf.close()
    return case


# --- 9. calls the supervisor cannot decode -----------------------------------------------------

def undecodable(scenario, op, syscall, family=None, addr_prefix=None, enforce=False, needs=None):
    def case(res):
        if needs == "ping":
            path = "/proc/sys/net/ipv4/ping_group_range"
            if not os.path.exists(path):
                raise Skip(f"the kernel has no ICMP ping sockets (no {path})")
            try:
                with open(path, "w") as f:
                    f.write("0 2147483647")
            except OSError as e:
                raise CaseFailed(f"cannot allow ping sockets in the test namespace: {e}")
        r = gate(res, ["--enforce"] if enforce else [], scenario)
        s = r.first("socket")
        if s and s.get("ret") == "-1" and refused_raw_socket(res, r, s, enforce):
            return
        if s and s.get("ret") == "-1":
            socket_unavailable(s, f"{s.get('kind', 'this')} sockets")
        expect_rc(res, r, 3)
        rec = expect_op(res, r, op, errno="EPERM" if enforce else None)
        want = dict(syscall=syscall, decision="denied" if enforce else "audited")
        if family:
            want["family"] = family
        v = expect_viol(res, r, pid=rec and rec["pid"], **want)
        if v and addr_prefix:
            res.expect(v.get("addr", "").startswith(addr_prefix),
                       f"violation addr={v.get('addr')}, expected it to start with {addr_prefix}")
    return case


def refused_raw_socket(res, r, s, enforce):
    """With --enforce a raw or packet socket with a protocol is refused at socket() (issue 12):
    then nothing later can send on it. True when that is what happened, checked."""
    if not enforce or s.get("errno") != "EPERM":
        return False
    expect_rc(res, r, 3)
    expect_viol(res, r, pid=s.get("pid"), syscall="socket", kind="raw", decision="denied")
    return True


def packet_bind_send(enforce):
    def case(res):
        _packet_bind_send(res, enforce)
    return case


def _packet_bind_send(res, enforce):
    """bind(AF_PACKET SOCK_RAW, ifindex) then send() of a whole frame without an address: the
    frame leaves through an untrapped send, so the bind (or the send) must be the violation;
    with --enforce the frame must not leave."""
    r = gate(res, ["--enforce"] if enforce else [], ["packet-bind-send", "hgv0"])
    s = r.first("socket")
    if s and s.get("ret") == "-1" and refused_raw_socket(res, r, s, enforce):
        return
    if s and s.get("ret") == "-1":
        socket_unavailable(s, "AF_PACKET sockets")
    expect_rc(res, r, 3)
    send = expect_op(res, r, "send")
    if send:
        res.notes.append(f"send() without an address returned {send['ret']} errno={send['errno']}")
    hits = [v for v in r.violations if v.get("family") == "AF_PACKET"
            and v.get("decision") == ("denied" if enforce else "audited")]
    res.expect(bool(hits), f"no {'denied' if enforce else 'audited'} violation with family=AF_PACKET for the "
               f"bound packet socket; got {r.violations}")
    if enforce and send and send.get("ret") != "-1":
        res.fail(f"--enforce: the frame left anyway: send() returned {send['ret']}")


# --- 10. the packet path (issue 12, part 3) ------------------------------------------------------

class Wire:
    """Ground truth from the kernel for one run: a packet socket on hgv1 (the far end of the
    test veth) sees every frame that leaves hgv0, and a UDP socket on a loopback port sees
    what reached it. Both are the harness's own, outside the gate."""

    def __init__(self, family, port):
        self.cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL
        self.cap.bind(("hgv1", 0))
        self.cap.setblocking(False)
        self.rx = socket.socket(family, socket.SOCK_DGRAM)
        self.rx.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", port))
        self.rx.setblocking(False)

    def _drain(self, sock, size):
        out = []
        while True:
            try:
                out.append(sock.recv(size))
            except BlockingIOError:
                return out

    def settle(self):
        time.sleep(0.3)

    def frames_naming(self, raw_addr):
        """Frames that left hgv0 carrying raw_addr: the ARP request or neighbour solicitation
        for a first hop, or a packet to it."""
        return [f for f in self._drain(self.cap, 4096) if raw_addr in f]

    def received(self):
        return self._drain(self.rx, 2048)

    def close(self):
        self.cap.close()
        self.rx.close()


def full_violations(r):
    """The live violation lines with quoted values read whole (addr="netlink pid=0 groups=0",
    reason="..."), which the shared key=value parse cuts at the first blank."""
    out = []
    prefix = "hermetic-gate: violation "
    for line in r.run.stderr.splitlines():
        if line.startswith(prefix):
            out.append(dict(t.partition("=")[::2] for t in shlex.split(line[len(prefix):])))
    return out


def expect_path_viol(res, r, pid, word, **want):
    """A live violation line of the helper with these fields whose reason names `word`."""
    hits = [v for v in full_violations(r) if v.get("pid") == str(pid) and all(v.get(k) == x for k, x in want.items())]
    if not hits:
        res.fail(f"no live violation line with {want} pid={pid}; got {full_violations(r)}")
        return None
    v = hits[0]
    res.expect(v.get("exe") == os.path.realpath(helper()), f"violation line exe={v.get('exe')}")
    res.expect(word in v.get("reason", ""), f"the violation's reason does not name {word}: {v.get('reason')}")
    return v


_VIA_NEXT = [20]


def fresh_via(v6):
    """A first hop never used before in this namespace: a neighbour entry left by an earlier
    run would hold back the next ARP request or solicitation and hide a leak."""
    n = _VIA_NEXT[0]
    _VIA_NEXT[0] += 1
    return f"2001:db8::{n:x}" if v6 else f"203.0.113.{n}"


SRCROUTE_PORT = [47000]


def srcroute(how, v6, mode, nobody=False):
    """A UDP send to an allowed loopback address with a source route through a host on the
    veth (setsockopt or a control message). Untraced, the kernel sends it out of hgv0 towards
    the first hop (ARP/ND for it on the wire, nothing on loopback): the attack works. Under the
    gate, in every mode, the source route is refused (EPERM) and recorded as an evasion naming
    the call; nothing leaves for the first hop, and a send after a refused setsockopt arrives
    on loopback where it was judged to go."""
    def case(res):
        fam = socket.AF_INET6 if v6 else socket.AF_INET
        lo = "::1" if v6 else "127.0.0.1"
        prefix = ["--as-nobody"] if nobody else []
        port = SRCROUTE_PORT[0]
        SRCROUTE_PORT[0] += 1
        # The kernel itself refuses an IPv6 routing header as a control message (EINVAL), and
        # IPv4 source routing to a user without CAP_NET_RAW (EPERM); an IPv6 routing header by
        # setsockopt needs no privilege.
        baseline_leaks = not (how == "cmsg" and v6) and not (nobody and not v6)
        via = fresh_via(v6)
        wire = Wire(fam, port)
        try:
            p = untraced(*prefix, "srcroute", how, lo, str(port), via)
            wire.settle()
            leaked = wire.frames_naming(socket.inet_pton(fam, via))
            wire.received()
            if not baseline_leaks and leaked:
                raise CaseFailed(f"untraced, the source route through {via} was expected to be refused by the "
                                 f"kernel, but frames for it left hgv0: {p.stdout.strip()}")
            if baseline_leaks and not leaked:
                raise CaseFailed(f"untraced, the source route through {via} sent nothing out of hgv0, so this "
                                 f"kernel does not show the attack the case guards against: {p.stdout.strip()}")
            via = fresh_via(v6)
            args = (["--enforce"] if mode == "enforce" else []) + ["--allow-host", lo]
            r = gate(res, args, prefix + ["srcroute", how, lo, str(port), via])
            wire.settle()
            expect_rc(res, r, 3)
            op = "setsockopt" if how == "sockopt" else "sendmsg"
            rec = expect_op(res, r, op, ret=-1, errno="EPERM")
            name = ("IPV6_RTHDR" if v6 else ("IP_OPTIONS" if how == "sockopt" else "IP_RETOPTS"))
            expect_path_viol(res, r, rec and rec["pid"], name, syscall=op, decision="denied")
            leaked = wire.frames_naming(socket.inet_pton(fam, via))
            res.expect(not leaked, f"{len(leaked)} frame(s) for the first hop {via} left hgv0 under the gate: "
                                   f"{[f.hex()[:80] for f in leaked]}")
            if how == "sockopt":
                expect_op(res, r, "sendto", ret=len("hg-srcroute"))
                got = wire.received()
                res.expect(b"hg-srcroute" in got, f"the send after the refused setsockopt did not arrive on "
                                                  f"{lo}:{port} (received {got})")
        finally:
            wire.close()
    return case


RAW_PORT = [47100]


def raw_receive(kind, mode, nobody=False):
    """A raw or packet socket receives a UDP datagram to 127.0.0.1 with no bind() and no listen()
    (untraced ground truth: received=1). Under the gate it is a raw violation at socket(): in
    audit mode recorded (and it receives), with --enforce refused (EPERM). As an unprivileged
    user the kernel refuses it itself (no CAP_NET_RAW); the gate records the attempt all the same."""
    def case(res):
        port = RAW_PORT[0]
        RAW_PORT[0] += 1
        prefix = ["--as-nobody"] if nobody else []
        if not nobody:
            p = untraced("raw-receive", kind, str(port))
            if "received=1" not in p.stdout:
                sock = [l for l in p.stdout.splitlines() if "op=socket" in l]
                if sock and "ret=-1" in sock[0]:
                    socket_unavailable(dict(_KV.findall(sock[0])), f"{kind} sockets")
                raise CaseFailed(f"untraced, the {kind} socket did not receive the datagram: {p.stdout.strip()}")
            port = RAW_PORT[0]
            RAW_PORT[0] += 1
        args = (["--enforce"] if mode == "enforce" else []) + ["--allow-host", "127.0.0.1"]
        r = gate(res, args, prefix + ["raw-receive", kind, str(port)])
        expect_rc(res, r, 3)
        want_errno = "EPERM" if mode == "enforce" or nobody else None
        rec = expect_op(res, r, "socket", errno=want_errno)
        if mode == "audit" and not nobody:
            res.expect(rec is not None and rec.get("ret") != "-1", f"audit mode: socket() failed: {rec}")
            got = r.first("receive")
            res.expect(got is not None and got.get("received") == "1",
                       f"audit mode lets the socket be made, and it should receive as untraced: {got}")
        expect_path_viol(res, r, rec and rec["pid"], "no bind() and no listen()", syscall="socket", kind="raw",
                         decision="denied" if mode == "enforce" else "audited")
        res.expect(len(r.viol(syscall="socket")) == 1, f"expected one socket violation: {r.violations}")
        others = [x for x in r.violations if x.get("syscall") != "socket"]
        res.expect(not others, f"the allowed loopback send was reported: {others}")
    return case


def raw_clean(res):
    """A packet socket with protocol 0 receives nothing (untraced ground truth: received=0) and
    is no violation at creation."""
    for mode in ("audit", "enforce"):
        port = RAW_PORT[0]
        RAW_PORT[0] += 1
        p = untraced("raw-receive", "packet0", str(port))
        if "received=0" not in p.stdout:
            raise CaseFailed(f"untraced, a protocol-0 packet socket was expected to receive nothing: {p.stdout}")
        args = (["--enforce"] if mode == "enforce" else []) + ["--allow-host", "127.0.0.1"]
        r = gate(res, args, ["raw-receive", "packet0", str(port)])
        expect_op(res, r, "socket")
        expect_no_viol(res, r)
        expect_rc(res, r, 0)


ROUTE = "198.51.100.0/24"


def route_present():
    ip = shutil.which("ip") or "/usr/sbin/ip"
    out = subprocess.run([ip, "route", "show", ROUTE], capture_output=True, text=True).stdout
    return bool(out.strip())


def route_clear():
    ip = shutil.which("ip") or "/usr/sbin/ip"
    subprocess.run([ip, "route", "del", ROUTE], capture_output=True, text=True)


# kind -> (syscall in the violation, word in its reason, untraced ground truth: "route" (the
# route appears), "ok" (the call succeeds), or an errno the kernel itself gives)
PATH_KINDS = {
    "rtnl-sendmsg": ("sendmsg", "rtnetlink", "route"),
    "rtnl-sendto": ("sendto", "rtnetlink", "route"),
    "ioctl-addrt": ("ioctl", "SIOCADDRT", "route"),
    "nft": ("socket", "NETLINK_NETFILTER", "ok"),
    "iptables": ("setsockopt", "IPT_SO_SET_REPLACE", "EINVAL"),
    "tun": ("ioctl", "TUNSETIFF", "ok"),
    "bpf-attach": ("bpf", "BPF_PROG_ATTACH", "EBADF"),
    "setns": ("setns", "CLONE_NEWNET", "ok"),
    "module": ("finit_module", "kernel module", None),
    "transparent": ("setsockopt", "IP_TRANSPARENT", "ok"),
}


def no_tun(rec):
    """open(/dev/net/tun) failed: a skip only when the kernel has no tun driver."""
    if rec.get("errno") in ("ENOENT", "ENODEV", "ENXIO"):
        raise Skip(f"the kernel has no tun device (open /dev/net/tun: {rec.get('errno')})")
    raise CaseFailed(f"open /dev/net/tun failed with {rec.get('errno')}, which is not a missing kernel feature")


def path_change(kind, mode, nobody=False):
    """A call that changes where packets go: untraced (as root) it does (a route appears, the
    call succeeds); under the gate it is refused with EPERM in every mode and recorded as an
    evasion naming the call and argument, and the route never appears. As an unprivileged user
    the kernel would refuse it too; the gate still refuses and records it."""
    def case(res):
        syscall, word, truth = PATH_KINDS[kind]
        prefix = ["--as-nobody"] if nobody else []
        route_clear()
        if not nobody:
            p = untraced("path-change", kind)
            rec = dict(_KV.findall(next((l for l in p.stdout.splitlines() if "op=" in l), "")))
            if kind == "tun" and rec.get("op") == "open-tun":
                no_tun(rec)
            if truth == "route" and not route_present():
                raise CaseFailed(f"untraced, {kind} did not add {ROUTE}: {p.stdout.strip()}")
            if truth == "ok" and rec.get("ret") == "-1":
                raise CaseFailed(f"untraced, {kind} failed: {p.stdout.strip()}")
            if truth not in (None, "ok", "route") and rec.get("errno") != truth:
                raise CaseFailed(f"untraced, {kind} was expected to fail with {truth}: {p.stdout.strip()}")
            route_clear()
        r = gate(res, ["--enforce"] if mode == "enforce" else [], prefix + ["path-change", kind])
        if r.first("open-tun"):
            no_tun(r.first("open-tun"))
        rec = expect_op(res, r, kind, ret=-1, errno="EPERM")
        expect_path_viol(res, r, rec and rec["pid"], word, syscall=syscall, decision="denied")
        expect_rc(res, r, 3)
        if truth == "route":
            res.expect(not route_present(), f"{ROUTE} was added under the gate")
        route_clear()
    return case


def path_clean(mode):
    """What ordinary programs do stays untrapped and clean: sockets of every family made and
    closed, protocol-0 packet sockets, a UDP connect to loopback to learn the route, getaddrinfo
    with AI_ADDRCONFIG and getifaddrs (NETLINK_ROUTE dumps)."""
    def case(res):
        r = gate(res, ["--enforce"] if mode == "enforce" else [], ["clean-sockets"])
        expect_no_viol(res, r)
        expect_rc(res, r, 0)
        for op in ("getaddrinfo", "getifaddrs", "connect"):
            expect_op(res, r, op, ret=0)
        for s in r.op("socket"):
            if s.get("ret") == "-1" and s.get("errno") == "EPERM":
                res.fail(f"socket() refused under the gate: {s}")
        calls = {c[1] for c in r.run.strace_calls()}
        for trapped in ("socket", "setsockopt", "ioctl"):
            res.expect(trapped not in calls, f"strace.txt records {trapped}(): it should not trap: {calls}")
    return case


# --- the table ----------------------------------------------------------------------------------

CLASSES = {
    "abi": [
        ("i386-connect-audit", abi_case("i386", "i386-connect", "i386-connect", False)),
        ("i386-connect-enforce", abi_case("i386", "i386-connect", "i386-connect", True)),
        ("i386-socketcall-audit", abi_case("i386", "i386-socketcall", "i386-socketcall-connect", False)),
        ("i386-socketcall-enforce", abi_case("i386", "i386-socketcall", "i386-socketcall-connect", True)),
        ("x32-connect-audit", abi_case("x32", "x32-connect", "x32-connect", False)),
        ("x32-connect-enforce", abi_case("x32", "x32-connect", "x32-connect", True)),
    ],
    "clone": [
        ("clone-untraced-audit", clone_untraced(False)),
        ("clone-untraced-enforce", clone_untraced(True)),
        ("clone3-enosys", clone3),
    ],
    "io-uring": [
        ("io-uring-setup-enosys", io_uring),
    ],
    "seccomp": [
        ("seccomp-new-listener-audit", seccomp_listener(False)),
        ("seccomp-new-listener-enforce", seccomp_listener(True)),
        ("seccomp-plain-filter-allowed", seccomp_plain),
    ],
    "race": [
        ("race-audit", race([], False)),
        ("race-loopback-allowed", race(["--allow-host", "127.0.0.1", "--allow-listen", "127.0.0.1"], True)),
        ("race-enforce-loopback-allowed",
         race(["--enforce", "--allow-host", "127.0.0.1", "--allow-listen", "127.0.0.1"], True, enforce=True)),
        ("race-udp-sendto-audit", race_udp("sendto", False)),
        ("race-udp-sendto-enforce", race_udp("sendto", True)),
        ("race-udp-sendmsg-audit", race_udp("sendmsg", False)),
        ("race-udp-sendmsg-enforce", race_udp("sendmsg", True)),
        ("race-udp-sendmmsg-audit", race_udp("sendmmsg", False)),
        ("race-udp-sendmmsg-enforce", race_udp("sendmmsg", True)),
        ("race-family-audit", race_family("thread", False)),
        ("race-family-enforce", race_family("thread", True)),
        ("race-family-shared-page-audit", race_family("process", False)),
        ("race-family-shared-page-enforce", race_family("process", True)),
    ],
    "outlive": [
        ("daemon-setsid-pgrp-reparent", outlive_daemon),
        ("connect-after-root-exit", outlive_late_connect),
    ],
    "tamper": [
        ("kill-getppid", tamper("kill-parent", [("kill", "kill")])),
        ("tgkill-getppid", tamper("tgkill-parent", [("tgkill", "tgkill")])),
        ("pidfd-getppid", tamper("pidfd-parent", [("pidfd_open", "pidfd_open"),
                                                  ("pidfd_send_signal", "pidfd_send_signal")])),
        ("ptrace-seize-getppid", tamper("ptrace-parent", [("ptrace", "ptrace")])),
        ("process-vm-writev-getppid", tamper("vm-write-parent", [("process_vm_writev", "process_vm_writev")])),
        ("rt-sigqueueinfo-getppid", tamper("sigqueue-parent", [("rt_sigqueueinfo", "rt_sigqueueinfo")])),
        ("killpg-gate-group", tamper_killpg),
        ("kill-minus-one", tamper_kill_all),  # last: runs only when the gate refuses kill(getppid(), 0)
    ],
    "gate-killed": [
        ("sigkill-exec", gate_killed("exec")),
        ("sigkill-run-report-incomplete", gate_killed("run")),
    ],
    "undecodable": [
        ("unknown-family-77", undecodable(["unknown-family"], "connect", "connect", family="AF_77")),
        ("vsock-socket-connect", undecodable(["vsock-connect"], "connect", "connect", family="AF_VSOCK")),
        ("vsock-address-on-udp", undecodable(["vsock-addr-on-udp"], "connect", "connect", family="AF_VSOCK")),
        ("icmp-ping-socket-sendto", undecodable(["icmp-sendto", V4], "sendto", "sendto", family="AF_INET",
                                                addr_prefix=V4, needs="ping")),
        ("raw-icmp-sendto", undecodable(["raw-sendto", V4], "sendto", "sendto", family="AF_INET", addr_prefix=V4)),
        ("raw-icmp-sendto-enforce", undecodable(["raw-sendto", V4], "sendto", "sendto", family="AF_INET",
                                                addr_prefix=V4, enforce=True)),
        ("raw-icmp-connect-send", undecodable(["raw-connect-send", V4], "connect", "connect", family="AF_INET",
                                              addr_prefix=V4)),
        ("packet-sendto", undecodable(["packet-sendto", "hgv0"], "sendto", "sendto", family="AF_PACKET")),
        ("packet-bind-then-send", packet_bind_send(False)),
        ("packet-bind-then-send-enforce", packet_bind_send(True)),
    ],
    "source-route": [
        ("ip-options-lsrr-audit", srcroute("sockopt", False, "audit")),
        ("ip-options-lsrr-enforce", srcroute("sockopt", False, "enforce")),
        ("ip-options-lsrr-unprivileged", srcroute("sockopt", False, "audit", nobody=True)),
        ("ip-retopts-cmsg-audit", srcroute("cmsg", False, "audit")),
        ("ip-retopts-cmsg-enforce", srcroute("cmsg", False, "enforce")),
        ("ip-retopts-cmsg-unprivileged", srcroute("cmsg", False, "audit", nobody=True)),
        ("ipv6-rthdr-srh-audit", srcroute("sockopt", True, "audit")),
        ("ipv6-rthdr-srh-enforce", srcroute("sockopt", True, "enforce")),
        ("ipv6-rthdr-srh-unprivileged", srcroute("sockopt", True, "audit", nobody=True)),
        ("ipv6-rthdr-cmsg-audit", srcroute("cmsg", True, "audit")),
    ],
    "raw-socket": [
        ("raw-udp-audit", raw_receive("raw-udp", "audit")),
        ("raw-udp-enforce", raw_receive("raw-udp", "enforce")),
        ("raw-udp-unprivileged", raw_receive("raw-udp", "audit", nobody=True)),
        ("packet-all-audit", raw_receive("packet-all", "audit")),
        ("packet-all-enforce", raw_receive("packet-all", "enforce")),
        ("packet-protocol-0-clean", raw_clean),
    ],
    "path-change": [(f"{k}-{m}", path_change(k, m)) for k in PATH_KINDS for m in ("audit", "enforce")] + [
        ("rtnl-sendmsg-unprivileged", path_change("rtnl-sendmsg", "audit", nobody=True)),
        ("ioctl-addrt-unprivileged", path_change("ioctl-addrt", "audit", nobody=True)),
    ],
    "path-clean": [
        ("clean-audit", path_clean("audit")),
        ("clean-enforce", path_clean("enforce")),
    ],
    "inherited-fds": inherited_fds.cases(Skip, CaseFailed),
}


def run_sub(name, sub, fn):
    """One sub-case; a race that did not happen is tried again (RaceMissed)."""
    for attempt in range(1, RACE_ATTEMPTS + 1):
        res = Result(sub)
        try:
            fn(res)
        except Skip as e:
            res.skipped = str(e)
        except CaseFailed as e:
            res.fail(f"could not run: {e}")
        except subprocess.TimeoutExpired as e:
            res.fail(f"timed out: {e}")
        except RaceMissed as e:
            # Only a run with nothing else wrong is tried again: a failed check stands.
            again = attempt < RACE_ATTEMPTS and not res.failures
            res.fail(f"{e} (attempt {attempt} of {RACE_ATTEMPTS})")
            if again:
                print(f"RETRY {name}/{sub}: {e}")
                continue
        return res
    return res


def run_class(name):
    results = []
    for sub, fn in CLASSES[name]:
        res = run_sub(name, sub, fn)
        results.append(res)
        if res.skipped:
            print(f"SKIP {name}/{sub}: {res.skipped}")
        elif res.failures:
            print(f"FAIL {name}/{sub}:")
            for f in res.failures:
                print(f"  - {f}")
            for n in res.notes:
                print(f"  note: {n}")
            for r in res.runs:
                print(r.run.diagnostics())
        else:
            print(f"PASS {name}/{sub}" + "".join(f"\n  note: {n}" for n in res.notes))
        sys.stdout.flush()
    if any(r.failures for r in results):
        return 1
    if all(r.skipped for r in results):
        return netns.SKIP
    return 0


def main(argv):
    return netns.table_main(argv, "test_bypass.py", CLASSES, run_class,
                            describe=lambda c: c + ": " + " ".join(sub for sub, _ in CLASSES[c]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
