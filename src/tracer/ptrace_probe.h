#pragma once
// Can the native tracer run here? probePtrace() really tries, in a throw-away process,
// what spawnTraced() and the Supervisor will do: fork a child that stops itself,
// PTRACE_SEIZE it, let it load the gate's seccomp network filter and make one trapped
// call that must reach the tracer as a seccomp stop, where PTRACE_GET_SYSCALL_INFO must
// read it (Linux >= 5.3: without it the gate could judge no call). When a step fails it names the call,
// the errno and the likely cause in one line, from facts read in /proc:
//   "ptrace(PTRACE_SEIZE) failed with EPERM: denied by a seccomp filter on the gate
//    (Seccomp: 2 in /proc/self/status): likely the container's seccomp profile"
// The probe runs in a forked helper so that a filter that kills on ptrace
// (SECCOMP_RET_KILL) takes the helper, not the gate.

#include <sys/types.h>

#include <string>

namespace hg {

class PtraceOps;

struct PtraceAvailability {
	bool ok = false;
	int errnum = 0;     // errno of the call that failed (0 when ok, or when the probe was killed)
	std::string call;   // the call that failed: "ptrace(PTRACE_SEIZE)", "seccomp(SECCOMP_SET_MODE_FILTER)", ...
	std::string reason; // one line: call, errno name and likely cause; empty when ok
};

// Forks a helper that runs the probe; waits for it at most a few seconds. Not thread-safe
// with other waitpid(-1) callers: it waits only for its own helper pid.
PtraceAvailability probePtrace();
// The same, reading the seccomp stop through ops (tests make PTRACE_GET_SYSCALL_INFO fail).
PtraceAvailability probePtrace(PtraceOps &ops);

// What the probe found out, for explainPtraceFailure(). Filled by probePtrace() from the
// helper's report and from /proc; pure data so the explanation is unit-tested.
struct PtraceProbeFacts {
	std::string call;           // the call that failed (as PtraceAvailability::call)
	int errnum = 0;             // its errno, 0 when the helper was killed at that call
	int killedBySignal = 0;     // the helper died of this signal while making `call`
	bool trapNotDelivered = false; // the filter loaded but the trapped call never stopped at the tracer
	int yamaScope = -1;         // /proc/sys/kernel/yama/ptrace_scope, -1 without Yama
	int seccompMode = 0;        // "Seccomp:" of /proc/self/status (0 none, 1 strict, 2 filter)
	bool hasCapSysPtrace = false; // CAP_SYS_PTRACE in the gate's effective set
	bool ptraceFiltered = false;  // ptrace() on a pid that cannot exist did not fail with ESRCH:
	                              // the syscall itself is intercepted (a seccomp filter), not the attach
	int filteredErrno = 0;        // the errno it failed with instead
	pid_t childTracerPid = 0;     // the probe child already had this tracer when the seize failed
	std::string childTracerComm;  // its /proc/PID/comm
	pid_t gateTracerPid = 0;      // "TracerPid:" of the gate itself
	// PTRACE_GET_SYSCALL_INFO at the probe's seccomp stop failed (errnum, 0 with
	// syscallInfoOp >= 0 when it reported another op than PTRACE_SYSCALL_INFO_SECCOMP).
	bool syscallInfoUnusable = false;
	int syscallInfoOp = -1;
	std::string kernelRelease;    // uname -r
};

// One line, no trailing newline: "<call> failed with <ERRNO>: <likely cause>".
std::string explainPtraceFailure(const PtraceProbeFacts &facts);

} // namespace hg
