#pragma once
// What the supervisor shows an observer besides its records: the calls of chosen syscalls
// from entry to exit, signals, stops and the end of every task, in the order the tracees
// made them. The strace drop-in (strace/tap.h) is one. The observer only looks: the
// supervisor judges, refuses and records every call as it does without one.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "tracer/syscall_decoder.h"

namespace hg {

class CallObserver {
public:
	virtual ~CallObserver() = default;

	// The syscalls (x86_64 names) to see: the supervisor traps those the network filter lets
	// run with an extra filter (seccomp/filter.h's buildObserveFilter).
	virtual const std::vector<std::string> &syscalls() const = 0;

	// A task stopped at a seccomp trap of sc: whether to follow this call to its exit.
	// sc.nr is in sc.auditArch's numbering (an i386 socketcall() too).
	virtual bool wants(const RawSyscall &sc) const = 0;

	// A wanted call before it runs (or before the gate refuses it), and its result once
	// the task is back from it: the kernel's, or the one the gate answered with.
	// ret nullopt: the task vanished inside the call.
	virtual void onEntry(pid_t tid, const RawSyscall &sc) = 0;
	virtual void onExit(pid_t tid, std::optional<long> ret) = 0;

	// A new task of the tree (its creator's fork/clone event), parent the creator's tid.
	virtual void onNewTask(pid_t tid, pid_t parent) = 0;
	// Task tid completed an execve (the root's first one starts the command itself: what
	// came before it is the gate's own setup of the child).
	virtual void onExec(pid_t tid) = 0;
	// A signal about to be delivered to tid (a signal-delivery stop), and a group stop.
	virtual void onSignal(pid_t tid, int sig) = 0;
	virtual void onGroupStop(pid_t tid, int sig) = 0;
	// The task ended: its exit code, or the signal that killed it.
	virtual void onTaskExit(pid_t tid, int exitCode, int termSignal, bool coreDumped) = 0;
};

} // namespace hg
