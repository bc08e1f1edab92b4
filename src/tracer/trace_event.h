#pragma once
// classifyStatus(): what a waitpid() status of a tracee means, as one named event
// (strace's trace_event.h). Pure: unit-tested on synthetic statuses.

#include <sys/types.h>

namespace hg {

enum class TraceEventKind {
	Exited,         // WIFEXITED: code in value
	Signaled,       // WIFSIGNALED: signal in value
	SeccompStop,    // PTRACE_EVENT_SECCOMP: a trapped syscall, before it runs
	SyscallExit,    // SIGTRAP|0x80: syscall-exit-stop after PTRACE_SYSCALL
	NewChild,       // PTRACE_EVENT_FORK / VFORK / CLONE in the parent: child pid via GETEVENTMSG
	Exec,           // PTRACE_EVENT_EXEC: former tid via GETEVENTMSG
	VforkDone,      // PTRACE_EVENT_VFORK_DONE
	ExitEvent,      // PTRACE_EVENT_EXIT
	GroupStop,      // PTRACE_EVENT_STOP with a stopping signal: must be PTRACE_LISTENed
	PtraceStop,     // PTRACE_EVENT_STOP otherwise (a new tracee's first stop, PTRACE_INTERRUPT)
	SignalDelivery, // a signal about to be delivered: re-inject it (value)
	Tick,           // no tracee event: the waiter's tick period passed (PidWaiter::setTick)
	Unknown,
};

struct TraceEvent {
	TraceEventKind kind = TraceEventKind::Unknown;
	pid_t pid = 0;
	int value = 0;     // exit code, signal number, or the PTRACE_EVENT_* for NewChild
	bool coreDumped = false; // Signaled: the process dumped core
};

TraceEvent classifyStatus(pid_t pid, int status);

const char *traceEventName(TraceEventKind kind);

} // namespace hg
