#include "tracer/trace_event.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

namespace hg {

TraceEvent classifyStatus(pid_t pid, int status)
{
	TraceEvent ev;
	ev.pid = pid;
	if (WIFEXITED(status)) {
		ev.kind = TraceEventKind::Exited;
		ev.value = WEXITSTATUS(status);
		return ev;
	}
	if (WIFSIGNALED(status)) {
		ev.kind = TraceEventKind::Signaled;
		ev.value = WTERMSIG(status);
		ev.coreDumped = WCOREDUMP(status);
		return ev;
	}
	if (!WIFSTOPPED(status))
		return ev;

	int sig = WSTOPSIG(status);
	int event = (status >> 16) & 0xff;
	if (sig == (SIGTRAP | 0x80)) {
		ev.kind = TraceEventKind::SyscallExit;
		return ev;
	}
	switch (event) {
	case 0:
		ev.kind = TraceEventKind::SignalDelivery;
		ev.value = sig;
		return ev;
	case PTRACE_EVENT_SECCOMP:
		ev.kind = TraceEventKind::SeccompStop;
		return ev;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		ev.kind = TraceEventKind::NewChild;
		ev.value = event;
		return ev;
	case PTRACE_EVENT_EXEC:
		ev.kind = TraceEventKind::Exec;
		return ev;
	case PTRACE_EVENT_VFORK_DONE:
		ev.kind = TraceEventKind::VforkDone;
		return ev;
	case PTRACE_EVENT_EXIT:
		ev.kind = TraceEventKind::ExitEvent;
		return ev;
	case PTRACE_EVENT_STOP:
		// With PTRACE_SEIZE a group-stop is reported as PTRACE_EVENT_STOP carrying
		// the stopping signal; other PTRACE_EVENT_STOPs carry SIGTRAP.
		if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
			ev.kind = TraceEventKind::GroupStop;
			ev.value = sig;
		} else {
			ev.kind = TraceEventKind::PtraceStop;
		}
		return ev;
	default:
		return ev;
	}
}

const char *traceEventName(TraceEventKind kind)
{
	switch (kind) {
	case TraceEventKind::Exited:
		return "exited";
	case TraceEventKind::Signaled:
		return "signaled";
	case TraceEventKind::SeccompStop:
		return "seccomp-stop";
	case TraceEventKind::SyscallExit:
		return "syscall-exit";
	case TraceEventKind::NewChild:
		return "new-child";
	case TraceEventKind::Exec:
		return "exec";
	case TraceEventKind::VforkDone:
		return "vfork-done";
	case TraceEventKind::ExitEvent:
		return "exit-event";
	case TraceEventKind::GroupStop:
		return "group-stop";
	case TraceEventKind::PtraceStop:
		return "ptrace-stop";
	case TraceEventKind::SignalDelivery:
		return "signal-delivery";
	case TraceEventKind::Tick:
		return "tick";
	case TraceEventKind::Unknown:
		return "unknown";
	}
	return "unknown";
}

} // namespace hg
