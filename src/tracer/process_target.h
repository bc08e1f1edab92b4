#pragma once
// Which process a trapped signal, ptrace, pidfd or process_vm_* call is aimed at (issue 12,
// "outside processes"). A pure function of the call's name and arguments: the supervisor,
// which knows the traced tree, decides whether the target is in it.

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace hg {

struct ProcessTarget {
	enum class Kind {
		None,         // aims at no other process (ptrace(PTRACE_TRACEME), kill(0, sig): the caller's own group)
		Pid,          // a process or thread id, in the caller's pid namespace
		Group,        // a process group (kill(-pgid, sig)), id in `id`
		AllProcesses, // kill(-1, sig): every process the caller may signal
		Pidfd,        // the process behind pidfd `id` of the caller (pidfd_getfd, pidfd_send_signal)
		Unknown,      // a call this table does not model: judged as aimed outside (fail closed)
	};
	Kind kind = Kind::Unknown;
	long id = 0;
	// What it does to the target, for the record: "signal 15", "PTRACE_ATTACH", "memory write".
	std::string what;
};

// name is the syscall's name (any ABI: the argument positions are the same on x86_64, i386
// and x32); args are its raw arguments. Int arguments are read from their low 32 bits.
ProcessTarget processTargetOf(const std::string &name, const uint64_t args[6]);

// "pid 1234", "process group 77", "every process (kill(-1))", "the process of pidfd 5".
std::string describeTarget(const ProcessTarget &t);

} // namespace hg
