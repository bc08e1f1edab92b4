#include <signal.h>

#include <cerrno>

#include <catch2/catch.hpp>

#include "tracer/ptrace_probe.h"

using namespace hg;

namespace {

PtraceProbeFacts seizeFailure(int errnum)
{
	PtraceProbeFacts f;
	f.call = "ptrace(PTRACE_SEIZE)";
	f.errnum = errnum;
	f.filteredErrno = ESRCH;
	return f;
}

} // namespace

TEST_CASE("explains why PTRACE_SEIZE failed", "[tracer][probe]")
{
	SECTION("a seccomp filter on the gate: the syscall itself is intercepted")
	{
		auto f = seizeFailure(EPERM);
		f.seccompMode = 2;
		f.ptraceFiltered = true;
		f.filteredErrno = EPERM;
		CHECK(explainPtraceFailure(f) ==
		      "ptrace(PTRACE_SEIZE) failed with EPERM: denied by a seccomp filter on the gate (Seccomp: 2 in /proc/self/status): likely the container's seccomp profile");
		f.seccompMode = 0;
		CHECK(explainPtraceFailure(f) ==
		      "ptrace(PTRACE_SEIZE) failed with EPERM: the ptrace syscall itself is intercepted (ptrace on a pid that cannot exist failed with EPERM, not ESRCH)");
	}
	SECTION("Yama")
	{
		auto f = seizeFailure(EPERM);
		f.yamaScope = 3;
		CHECK(explainPtraceFailure(f) == "ptrace(PTRACE_SEIZE) failed with EPERM: kernel.yama.ptrace_scope=3 forbids ptrace");
		f.yamaScope = 2;
		CHECK(explainPtraceFailure(f) ==
		      "ptrace(PTRACE_SEIZE) failed with EPERM: kernel.yama.ptrace_scope=2 allows ptrace only with CAP_SYS_PTRACE, which the gate does not have");
		f.hasCapSysPtrace = true; // scope 2 with the capability does not explain it
		CHECK(explainPtraceFailure(f).find("yama") == std::string::npos);
	}
	SECTION("the child already has a tracer: a seccomp filter is not blamed")
	{
		auto f = seizeFailure(EPERM);
		f.seccompMode = 2;
		f.childTracerPid = 4242;
		f.childTracerComm = "strace";
		f.gateTracerPid = 4242;
		std::string line = explainPtraceFailure(f);
		CHECK(line.rfind("ptrace(PTRACE_SEIZE) failed with EPERM: the gate's child already has a tracer, pid 4242 (strace)", 0) == 0);
		CHECK(line.find("seccomp") == std::string::npos);
	}
	SECTION("security modules and sandboxes")
	{
		CHECK(explainPtraceFailure(seizeFailure(EACCES)).find("AppArmor or SELinux") != std::string::npos);
		CHECK(explainPtraceFailure(seizeFailure(EPERM)).find("no seccomp filter or Yama setting explains it") != std::string::npos);
		CHECK(explainPtraceFailure(seizeFailure(ENOSYS)).find("gVisor") != std::string::npos);
	}
	SECTION("killed by a filter")
	{
		PtraceProbeFacts f;
		f.call = "ptrace(PTRACE_SEIZE)";
		f.killedBySignal = SIGSYS;
		f.seccompMode = 2;
		CHECK(explainPtraceFailure(f) ==
		      "ptrace(PTRACE_SEIZE) killed the probe with SIGSYS: a seccomp filter on the gate (Seccomp: 2 in /proc/self/status) kills on that call");
	}
}

TEST_CASE("explains seccomp failures and a trap that never arrived", "[tracer][probe]")
{
	PtraceProbeFacts f;
	f.call = "seccomp(SECCOMP_SET_MODE_FILTER)";
	f.errnum = EINVAL;
	CHECK(explainPtraceFailure(f).find("CONFIG_SECCOMP_FILTER") != std::string::npos);
	f.errnum = EACCES;
	CHECK(explainPtraceFailure(f).find("no_new_privs") != std::string::npos);
	f.errnum = EPERM;
	f.seccompMode = 2;
	CHECK(explainPtraceFailure(f).find("forbids loading another one") != std::string::npos);

	PtraceProbeFacts t;
	t.call = "connect() under SECCOMP_RET_TRACE";
	t.errnum = EPERM;
	t.trapNotDelivered = true;
	t.seccompMode = 2;
	CHECK(explainPtraceFailure(t) ==
	      "connect() under SECCOMP_RET_TRACE returned EPERM without stopping at the tracer: a seccomp filter on the gate (Seccomp: 2 in /proc/self/status) answers network calls before the gate's filter can trap them");
}

TEST_CASE("explains a kernel without PTRACE_GET_SYSCALL_INFO", "[tracer][probe]")
{
	PtraceProbeFacts f;
	f.call = "ptrace(PTRACE_GET_SYSCALL_INFO)";
	f.errnum = EIO; // what kernels before 5.3 answer an unknown request with
	f.syscallInfoUnusable = true;
	f.kernelRelease = "5.2.21";
	f.seccompMode = 2; // not blamed: the request reached the kernel and the kernel lacks it
	CHECK(explainPtraceFailure(f) ==
	      "ptrace(PTRACE_GET_SYSCALL_INFO) failed with EIO at a seccomp stop: the gate reads every trapped call "
	      "with PTRACE_GET_SYSCALL_INFO, which needs Linux >= 5.3 (this kernel: 5.2.21)");

	f.errnum = 0;
	f.syscallInfoOp = 0; // PTRACE_SYSCALL_INFO_NONE
	f.kernelRelease.clear();
	CHECK(explainPtraceFailure(f) ==
	      "ptrace(PTRACE_GET_SYSCALL_INFO) reported op 0 instead of PTRACE_SYSCALL_INFO_SECCOMP at a seccomp stop: "
	      "the gate reads every trapped call with PTRACE_GET_SYSCALL_INFO, which needs Linux >= 5.3 (this kernel: unknown)");
}
