// socket() traps (kTagSocket, kTagInetSocket): first the sockets that receive with no bind()
// and no listen() (raw and packet sockets with a protocol) and the netlink protocols that
// rewrite packet filtering are judged; an inet socket that is made is then noted in the
// ledger (supervisor_sockets.cpp) at its exit stop.

#include <linux/audit.h>

#include <cerrno>

#include "net/packet_path.h"
#include "tracer/path_trap.h"
#include "tracer/supervisor.h"

namespace hg {

void Supervisor::onSocketTrap(pid_t tid, const RawSyscall &sc)
{
	Tracee &t = tracee(tid);
	TraceeMemory mem(tid);
	CallArgs args = readCallArgs(sc, mem);
	Classification cls =
		args.problem.empty()
			? classifySocket(args.a[0], args.a[1], args.a[2])
			: Classification{ Direction::Evasion, true, "the gate cannot read socket()'s arguments: " + args.problem };
	if (!cls.violation) {
		if (sc.tag == kTagInetSocket)
			onInetSocket(tid, t);
		else
			resume(tid, PTRACE_CONT);
		return;
	}
	NetRecord r = newRecord(tid, t);
	r.call = NetCall::Socket;
	r.callName = "socket";
	r.nr = static_cast<long>(sc.nr);
	r.arch = trapArch(sc);
	r.viaSocketcall = sc.auditArch == AUDIT_ARCH_I386 && sc.nr == 102;
	r.fd = -1;
	if (args.problem.empty())
		r.sock = SocketInfo{ true, static_cast<int>(args.a[0]), static_cast<int>(args.a[1] & 0xf),
				     static_cast<int>(args.a[2]) };
	r.cls = std::move(cls);
	// No exception form describes a raw socket (decide()); an evasion is refused in every mode.
	DecisionRules rules{ opts_.allow, opts_.enforce, true, &resolved_ };
	r.decision = r.cls.direction == Direction::Raw ? decide(r.call, r.cls, r.addr, rules).decision : Decision::Denied;
	sink_.onViolation(r);
	if (r.decision == Decision::Denied) {
		TraceeSocket none;
		completeWithoutCall(tid, r, -EPERM, none);
		return;
	}
	// Audited: the socket is made; its fd (or error) completes the record at the exit stop,
	// where an inet one is noted in the ledger too (onSyscallExit).
	t.inCall = true;
	t.pending = std::move(r);
	resume(tid, PTRACE_SYSCALL);
	exitStopDue_ = true;
}

} // namespace hg
