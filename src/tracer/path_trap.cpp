#include "tracer/path_trap.h"

#include <linux/audit.h>

#include "base/proc.h"
#include "net/packet_path.h"
#include "seccomp/filter.h"
#include "tracer/ptrace_ops.h"
#include "tracer/send_path.h"

namespace hg {

std::optional<std::string> judgePathTrap(pid_t tid, const RawSyscall &sc, MemoryReader &mem)
{
	CallArgs args = readCallArgs(sc, mem);
	if (!args.problem.empty())
		return "the gate cannot read the arguments of a call that may change where packets go: " + args.problem;
	const uint64_t *a = args.a;
	switch (sc.tag) {
	case kTagPathSockopt:
		return judgeSockopt(a[1], a[2], a[4]);
	case kTagPathIoctl:
		return judgeIoctl(a[1]);
	case kTagPathBpf:
		return judgeBpf(a[0]);
	case kTagPathModule:
		return std::string("loading a kernel module: it runs with the kernel's privileges and can change or "
				   "bypass every part of the network stack");
	case kTagPathSetns:
		return judgeSetns(a[1], readLink(procPath(tid, "/fd/" + std::to_string(static_cast<int>(a[0])))));
	default:
		return "unexpected trap tag " + std::to_string(sc.tag);
	}
}

bool isPathTag(uint32_t tag)
{
	return tag >= kTagPathSockopt && tag <= kTagPathSetns;
}

std::optional<Classification> pathTrapClassification(pid_t tid, const RawSyscall &sc)
{
	TraceeMemory mem(tid);
	auto why = judgePathTrap(tid, sc, mem);
	if (!why)
		return std::nullopt;
	return Classification{ Direction::Evasion, true, std::move(*why) };
}

bool refusePathSend(NetRecord &r, const DecodedCall &d, MemoryReader &mem)
{
	if (!isSend(r.call) || !d.problem.empty())
		return false;
	auto why = judgeSendPath(d, r.sock, mem);
	if (!why)
		return false;
	r.cls = Classification{ Direction::Evasion, true, *why };
	r.decision = Decision::Denied;
	r.exception = -1;
	return true;
}

std::string trapArch(const RawSyscall &sc)
{
	if (sc.auditArch == AUDIT_ARCH_I386)
		return "i386";
	return (sc.nr & 0x40000000) ? "x32" : "x86_64";
}

} // namespace hg
