#include "cli/doctor.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "base/proc.h"
#include "base/unique_fd.h"
#include "cli/verdict.h"
#include "launch/landlock.h"
#include "seccomp/filter.h"
#include "tracer/ptrace_ops.h"

namespace hg {

namespace {

HealthCheck ok(const char *check, std::string detail)
{
	return {check, HealthStatus::Ok, std::move(detail)};
}

HealthCheck missing(const char *check, std::string detail)
{
	return {check, HealthStatus::Missing, std::move(detail)};
}

std::string errnoText(int e)
{
	return std::string(strerrorname_np(e) ? strerrorname_np(e) : "E?") + " (" + std::strerror(e) + ")";
}

// Runs fn in a child and returns its exit status (as waitpid gives it).
template<typename Fn>
int inChild(Fn fn)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn());
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	return st;
}

// The tracer's three checks, from probePtrace(): it really seizes a child, loads the
// gate's filter in it, waits for a trapped call's seccomp stop and reads it with
// PTRACE_GET_SYSCALL_INFO.
void tracerChecks(const PtraceAvailability &probe, std::vector<HealthCheck> &out)
{
	const HealthCheck ptraceOk = ok("ptrace", "PTRACE_SEIZE of a child works");
	const HealthCheck seccompOk = ok("seccomp_trace", "SECCOMP_RET_TRACE stops reach the tracer");
	if (probe.ok) {
		out.push_back(ptraceOk);
		out.push_back(seccompOk);
		out.push_back(ok("syscall_info", "PTRACE_GET_SYSCALL_INFO reads a trapped call (Linux >= 5.3)"));
		return;
	}
	if (probe.call.rfind("ptrace(PTRACE_GET_SYSCALL_INFO", 0) == 0) {
		out.push_back(ptraceOk);
		out.push_back(seccompOk);
		out.push_back(missing("syscall_info", probe.reason));
		return;
	}
	if (probe.call.rfind("ptrace", 0) == 0) {
		out.push_back(missing("ptrace", probe.reason));
		out.push_back({"seccomp_trace", HealthStatus::Unknown, "not probed: ptrace is unavailable"});
		out.push_back({"syscall_info", HealthStatus::Unknown, "not probed: ptrace is unavailable"});
		return;
	}
	out.push_back(ptraceOk);
	out.push_back(missing("seccomp_trace", probe.reason));
	out.push_back({"syscall_info", HealthStatus::Unknown, "not probed: no seccomp stop reached the tracer"});
}

} // namespace

std::vector<HealthCheck> probeHealth(const PtraceAvailability &probe)
{
	std::vector<HealthCheck> out;
	tracerChecks(probe, out);

	{
		UniqueFd self(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)));
		UniqueFd dup(self ? static_cast<int>(syscall(SYS_pidfd_getfd, self.get(), 0, 0)) : -1);
		if (dup)
			out.push_back(ok("pidfd_getfd", "the gate can inspect a tracee's sockets"));
		else
			out.push_back(missing("pidfd_getfd", errnoText(errno) + ": socket types and peers cannot be read"));
	}

	// int $0x80 from a 64-bit process: works only with IA32 emulation (else SIGSEGV/ENOSYS).
	int st = inChild([] {
		long ret;
		asm volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory"); // i386 getpid
		return ret == getpid() ? 0 : 1;
	});
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		out.push_back(ok("i386_emulation", "int $0x80 works: i386 calls are trapped and decoded (socketcall too)"));
	else
		out.push_back(missing("i386_emulation", "int $0x80 is not available on this kernel (nothing to trap)"));

	long x32 = syscall(0x40000000 | SYS_getpid);
	if (x32 == getpid())
		out.push_back(ok("x32", "x32 calls work: they are trapped and decoded"));
	else
		out.push_back(missing("x32", "x32 ABI disabled (" + errnoText(errno) + "): nothing to trap"));

	std::string uring = readFirstLine("/proc/sys/kernel/io_uring_disabled");
	out.push_back(ok("io_uring", (uring.empty() || uring == "0" ? std::string("enabled on this kernel")
							    : "kernel.io_uring_disabled=" + uring) +
					     "; the gate refuses io_uring_setup with ENOSYS"));

	int landlock = landlockAbi();
	if (landlock >= 6)
		out.push_back(ok("landlock", "ABI " + std::to_string(landlock) +
						     ": the kernel keeps the step from ptrace, /proc/PID/mem, process_vm_*, "
						     "pidfd_getfd and signals aimed at processes outside its tree"));
	else if (landlock > 0)
		out.push_back(ok("landlock", "ABI " + std::to_string(landlock) +
						     ": the kernel keeps the step from ptrace, /proc/PID/mem, process_vm_* and "
						     "pidfd_getfd aimed at processes outside its tree (signals: the gate's filter only, "
						     "ABI 6 scopes them)"));
	else
		out.push_back(missing("landlock", "no Landlock on this kernel: a write to /proc/PID/mem of a process "
						  "outside the tree is refused only where the kernel's ptrace rules refuse it"));

	st = inChild([] { return unshare(CLONE_NEWUSER) == 0 ? 0 : 1; });
	bool userns = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	out.push_back(userns ? ok("user_ns", "unshare(CLONE_NEWUSER) works")
			     : missing("user_ns", "unshare(CLONE_NEWUSER) fails"));
	st = inChild([] {
		if (unshare(CLONE_NEWNET) == 0)
			return 0;
		return unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 0 : 1;
	});
	bool netns = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	out.push_back(netns ? ok("net_ns", "private network namespaces can be made (the tests use them)")
			    : missing("net_ns", "unshare(CLONE_NEWNET) fails"));
	return out;
}

bool tracerUsable(const std::vector<HealthCheck> &checks)
{
	int needed = 0;
	for (const HealthCheck &c : checks) {
		if (c.check == "ptrace" || c.check == "seccomp_trace" || c.check == "syscall_info") {
			if (c.status != HealthStatus::Ok)
				return false;
			needed++;
		}
	}
	return needed == 3;
}

int runDoctor()
{
	auto checks = probeHealth(probePtrace());
	printf("%-16s %-8s %s\n", "CHECK", "STATUS", "DETAIL");
	for (const HealthCheck &c : checks)
		printf("%-16s %-8s %s\n", c.check.c_str(), healthStatusName(c.status), c.detail.c_str());
	bool usable = tracerUsable(checks);
	printf("\nnative tracer: %s\n", usable ? "usable" : "NOT usable on this machine");
	return usable ? kExitClean : kExitInternal;
}

} // namespace hg
