#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "tracer/trace_event.h"

using namespace hg;

namespace {

// waitpid() status words as the kernel builds them.
int exited(int code) { return (code & 0xff) << 8; }
int signaled(int sig) { return sig & 0x7f; }
int stopped(int sig, int event = 0) { return 0x7f | (sig << 8) | (event << 16); }

} // namespace

TEST_CASE("classifyStatus names every outcome", "[trace_event]")
{
	struct Case {
		int status;
		TraceEventKind kind;
		int value;
	};
	const Case cases[] = {
		{exited(0), TraceEventKind::Exited, 0},
		{exited(3), TraceEventKind::Exited, 3},
		{signaled(SIGKILL), TraceEventKind::Signaled, SIGKILL},
		{stopped(SIGTRAP, PTRACE_EVENT_SECCOMP), TraceEventKind::SeccompStop, 0},
		{stopped(SIGTRAP | 0x80), TraceEventKind::SyscallExit, 0},
		{stopped(SIGTRAP, PTRACE_EVENT_FORK), TraceEventKind::NewChild, PTRACE_EVENT_FORK},
		{stopped(SIGTRAP, PTRACE_EVENT_VFORK), TraceEventKind::NewChild, PTRACE_EVENT_VFORK},
		{stopped(SIGTRAP, PTRACE_EVENT_CLONE), TraceEventKind::NewChild, PTRACE_EVENT_CLONE},
		{stopped(SIGTRAP, PTRACE_EVENT_EXEC), TraceEventKind::Exec, 0},
		{stopped(SIGTRAP, PTRACE_EVENT_VFORK_DONE), TraceEventKind::VforkDone, 0},
		{stopped(SIGSTOP, PTRACE_EVENT_STOP), TraceEventKind::GroupStop, SIGSTOP},
		{stopped(SIGTSTP, PTRACE_EVENT_STOP), TraceEventKind::GroupStop, SIGTSTP},
		{stopped(SIGTRAP, PTRACE_EVENT_STOP), TraceEventKind::PtraceStop, 0},
		{stopped(SIGCHLD), TraceEventKind::SignalDelivery, SIGCHLD},
		{stopped(SIGSTOP), TraceEventKind::SignalDelivery, SIGSTOP},
		{stopped(SIGTRAP), TraceEventKind::SignalDelivery, SIGTRAP},
	};
	for (const Case &c : cases) {
		INFO("status 0x" << std::hex << c.status);
		TraceEvent ev = classifyStatus(42, c.status);
		CHECK(ev.pid == 42);
		CHECK(traceEventName(ev.kind) == std::string(traceEventName(c.kind)));
		CHECK(ev.value == c.value);
	}
}

TEST_CASE("the real wait macros agree with the synthetic statuses", "[trace_event]")
{
	CHECK(WIFEXITED(exited(3)));
	CHECK(WEXITSTATUS(exited(3)) == 3);
	CHECK(WIFSIGNALED(signaled(SIGKILL)));
	CHECK(WIFSTOPPED(stopped(SIGSTOP)));
	CHECK(WSTOPSIG(stopped(SIGSTOP)) == SIGSTOP);
}
