#include "tracer/process_target.h"

#include <signal.h>
#include <sys/ptrace.h>

#include "base/proc.h"

namespace hg {

namespace {

long intArg(uint64_t raw)
{
	return static_cast<int32_t>(static_cast<uint32_t>(raw));
}

std::string signalText(long sig)
{
	if (sig == 0)
		return "signal 0 (existence check)";
	std::string text = "signal ";
	text += signalName(static_cast<int>(sig));
	return text;
}

std::string ptraceRequestText(long request)
{
	switch (request) {
	case PTRACE_ATTACH:
		return "PTRACE_ATTACH";
	case PTRACE_SEIZE:
		return "PTRACE_SEIZE";
	case PTRACE_POKEDATA:
	case PTRACE_POKETEXT:
		return "PTRACE_POKEDATA";
	case PTRACE_PEEKDATA:
	case PTRACE_PEEKTEXT:
		return "PTRACE_PEEKDATA";
	default:
		return "ptrace request " + std::to_string(request);
	}
}

ProcessTarget pid(long id, std::string what)
{
	return ProcessTarget{ProcessTarget::Kind::Pid, id, std::move(what)};
}

} // namespace

ProcessTarget processTargetOf(const std::string &name, const uint64_t args[6])
{
	using Kind = ProcessTarget::Kind;
	if (name == "kill") {
		long target = intArg(args[0]);
		std::string what = signalText(intArg(args[1]));
		if (target > 0)
			return pid(target, std::move(what));
		if (target == 0)
			return ProcessTarget{Kind::None, 0, std::move(what)};
		if (target == -1)
			return ProcessTarget{Kind::AllProcesses, -1, std::move(what)};
		return ProcessTarget{Kind::Group, -target, std::move(what)};
	}
	if (name == "tkill")
		return pid(intArg(args[0]), signalText(intArg(args[1])));
	if (name == "tgkill")
		return pid(intArg(args[1]), signalText(intArg(args[2])));
	if (name == "rt_sigqueueinfo")
		return pid(intArg(args[0]), signalText(intArg(args[1])));
	if (name == "rt_tgsigqueueinfo")
		return pid(intArg(args[1]), signalText(intArg(args[2])));
	if (name == "pidfd_open")
		return pid(intArg(args[0]), "pidfd_open");
	if (name == "process_vm_readv")
		return pid(intArg(args[0]), "memory read");
	if (name == "process_vm_writev")
		return pid(intArg(args[0]), "memory write");
	if (name == "ptrace") {
		long request = static_cast<long>(args[0]);
		if (request == PTRACE_TRACEME)
			return ProcessTarget{Kind::None, 0, "PTRACE_TRACEME"};
		return pid(intArg(args[1]), ptraceRequestText(request));
	}
	if (name == "pidfd_getfd")
		return ProcessTarget{Kind::Pidfd, intArg(args[0]), "socket or file taken with pidfd_getfd"};
	if (name == "pidfd_send_signal")
		return ProcessTarget{Kind::Pidfd, intArg(args[0]), signalText(intArg(args[1]))};
	return ProcessTarget{Kind::Unknown, 0, name};
}

std::string describeTarget(const ProcessTarget &t)
{
	using Kind = ProcessTarget::Kind;
	switch (t.kind) {
	case Kind::None:
		return "the caller itself";
	case Kind::Pid:
		return "pid " + std::to_string(t.id);
	case Kind::Group:
		return "process group " + std::to_string(t.id);
	case Kind::AllProcesses:
		return "every process (pid -1)";
	case Kind::Pidfd:
		return "the process of pidfd " + std::to_string(t.id);
	case Kind::Unknown:
		break;
	}
	return "an unknown target";
}

} // namespace hg
