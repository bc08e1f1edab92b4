// Calls that act on another process (issue 12, "outside processes"): signals, ptrace,
// pidfd_open, pidfd_getfd, pidfd_send_signal and process_vm_readv/writev trap whatever their
// target (seccomp/filter.h, kTagProcessAccess). Aimed at a process of the traced tree they
// run; aimed at the gate, or at a live process outside the tree, they are refused and
// recorded as evasions. The step's Landlock domain (launch/landlock.h) makes the kernel
// refuse the same outside the tree, so a target that changes between this check and the
// call (a pid reused by a process outside the tree) is still refused.

#include <unistd.h>

#include "base/proc.h"
#include "tracer/process_target.h"
#include "tracer/supervisor.h"

namespace hg {

namespace {

// The state letter of /proc/PID/stat ('R', 'S', 'Z', ...) and the process group, or state 0
// when there is no such process.
char procState(pid_t pid, pid_t *pgrp)
{
	std::string stat = readFirstLine(procPath(pid, "/stat"));
	// "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses.
	size_t close = stat.rfind(')');
	if (close == std::string::npos || close + 2 >= stat.size())
		return 0;
	char state = stat[close + 2];
	if (pgrp) {
		size_t ppidEnd = stat.find(' ', close + 4);
		*pgrp = ppidEnd == std::string::npos
				? 0
				: static_cast<pid_t>(parseInteger(stat.substr(ppidEnd + 1, stat.find(' ', ppidEnd + 1) - ppidEnd - 1))
							     .value_or(0));
	}
	return state;
}

// A task in a pid namespace below the gate's names processes by pids of that namespace,
// all of them started inside it (by the tree): they are not matched against the gate's view.
bool inNestedPidNamespace(pid_t tid)
{
	static const std::string gateNs = readLink("/proc/self/ns/pid");
	std::string ns = readLink(procPath(tid, "/ns/pid"));
	return !ns.empty() && ns != gateNs;
}

// The pid a pidfd (or a /proc/PID directory fd) of the tracee refers to; 0 when fd is
// neither, -1 when its process has exited.
pid_t pidfdTarget(pid_t tid, int fd)
{
	std::string link = readLink(procPath(tid, "/fd/" + std::to_string(fd)));
	if (link.rfind("/proc/", 0) == 0)
		return static_cast<pid_t>(parseInteger(link.substr(6, link.find('/', 6) - 6)).value_or(0));
	return static_cast<pid_t>(
		parseInteger(procFileField(procPath(tid, "/fdinfo/" + std::to_string(fd)), "Pid")).value_or(0));
}

} // namespace

bool Supervisor::inTree(pid_t pid) const
{
	return tracees_.count(pid) != 0 || procIndex_.count(pid) != 0;
}

bool Supervisor::groupInTree(pid_t pgid) const
{
	for (const auto &[tgid, index] : procIndex_) {
		pid_t group = 0;
		if (procState(tgid, &group) != 0 && group == pgid)
			return true;
	}
	return false;
}

std::optional<Classification> Supervisor::judgeProcessAccess(pid_t tid, const RawSyscall &sc,
							     const std::string &name) const
{
	using Kind = ProcessTarget::Kind;
	ProcessTarget target = processTargetOf(name, sc.args);
	const pid_t gate = getpid();
	const std::string call = name + "() ";
	auto atGate = [&] {
		return Classification{Direction::Evasion, true,
				      call + "aimed at the gate (pid " + std::to_string(gate) + "): " + target.what};
	};
	auto outside = [&](const std::string &whom) {
		return Classification{Direction::Evasion, true,
				      call + "aimed at " + whom + ", outside the traced tree: " + target.what};
	};
	switch (target.kind) {
	case Kind::None:
		return std::nullopt;
	case Kind::AllProcesses:
		return Classification{Direction::Evasion, true,
				      call + "aimed at every process (pid -1), the gate included: " + target.what};
	case Kind::Unknown:
		return outside(describeTarget(target));
	case Kind::Group: {
		pid_t pgid = static_cast<pid_t>(target.id);
		if (pgid == getpgrp())
			return atGate();
		if (inNestedPidNamespace(tid) || groupInTree(pgid))
			return std::nullopt;
		pid_t leaderGroup = 0;
		if (procState(pgid, &leaderGroup) == 0)
			return std::nullopt; // no leader: the kernel answers (ESRCH, or a group the tree made)
		return outside(describeTarget(target));
	}
	case Kind::Pidfd:
	case Kind::Pid:
		break;
	}
	pid_t pid = static_cast<pid_t>(target.id);
	if (target.kind == Kind::Pidfd) {
		pid = pidfdTarget(tid, static_cast<int>(target.id));
		if (pid <= 0)
			return std::nullopt; // not a pidfd, or its process is gone: the call fails on its own
	}
	if (pid == gate)
		return atGate();
	if (pid <= 0 || inTree(pid))
		return std::nullopt;
	char state = procState(pid, nullptr);
	if (state == 0 || state == 'Z')
		return std::nullopt; // no such process (ESRCH), or a zombie: nothing to act on
	if (target.kind == Kind::Pid && inNestedPidNamespace(tid))
		return std::nullopt;
	std::string comm = readFirstLine(procPath(pid, "/comm"));
	return outside("pid " + std::to_string(pid) + (comm.empty() ? "" : " (" + comm + ")"));
}

} // namespace hg
