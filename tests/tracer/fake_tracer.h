#pragma once
// Test doubles of the supervisor's two seams, for unit tests of its handlers without
// ptrace: a PidWaiter that hands out a script of events, and PtraceOps that answer from
// tables, record every request and fail on demand. Scripts use pids above the kernel's
// PID_MAX_LIMIT (4,194,304), so the few calls the supervisor still makes for real (/proc
// reads, pidfd_open, process_vm_readv) find nothing, and no real process is touched.

#include <linux/audit.h>
#include <sys/ptrace.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tracer/pid_waiter.h"
#include "tracer/ptrace_ops.h"
#include "tracer/trace_event.h"

namespace hgtest {

constexpr pid_t kFakePid = 5000000; // above PID_MAX_LIMIT: no such process can exist

inline hg::TraceEvent event(hg::TraceEventKind kind, pid_t pid, int value = 0)
{
	hg::TraceEvent ev;
	ev.kind = kind;
	ev.pid = pid;
	ev.value = value;
	return ev;
}

class ScriptedWaiter final : public hg::PidWaiter {
public:
	explicit ScriptedWaiter(std::vector<hg::TraceEvent> script) : script_(script.begin(), script.end()) {}

	bool next(hg::TraceEvent &ev, std::chrono::nanoseconds spin) override
	{
		if (script_.empty())
			return false;
		spins.push_back(spin);
		ev = script_.front();
		script_.pop_front();
		return true;
	}

	std::vector<std::chrono::nanoseconds> spins; // the spin asked for before each event

private:
	std::deque<hg::TraceEvent> script_;
};

struct Restart {
	pid_t tid;
	int request;
	int sig;
	bool operator==(const Restart &o) const { return tid == o.tid && request == o.request && sig == o.sig; }
};

inline std::ostream &operator<<(std::ostream &os, const Restart &r)
{
	return os << "{tid " << r.tid << ", " << hg::ptraceRequestName(r.request) << ", sig " << r.sig << "}";
}

// What PTRACE_GET_SYSCALL_INFO answers once: an errno, or an info.
struct InfoAnswer {
	int err = 0;
	__ptrace_syscall_info info{};
};

inline InfoAnswer infoError(int err)
{
	return {err, {}};
}

// A seccomp stop of an x86_64 call: nr, the filter's tag, its arguments.
inline InfoAnswer seccompStop(uint64_t nr, uint32_t tag, std::vector<uint64_t> args)
{
	InfoAnswer a;
	a.info.op = PTRACE_SYSCALL_INFO_SECCOMP;
	a.info.arch = AUDIT_ARCH_X86_64;
	a.info.seccomp.nr = nr;
	for (size_t i = 0; i < args.size() && i < 6; i++)
		a.info.seccomp.args[i] = args[i];
	a.info.seccomp.ret_data = tag;
	return a;
}

inline InfoAnswer exitStop(long rval)
{
	InfoAnswer a;
	a.info.op = PTRACE_SYSCALL_INFO_EXIT;
	a.info.arch = AUDIT_ARCH_X86_64;
	a.info.exit.rval = rval;
	a.info.exit.is_error = rval < 0;
	return a;
}

class FakePtraceOps final : public hg::PtraceOps {
public:
	// Answers, consumed in order per tid; none left: EIO.
	std::map<pid_t, std::deque<InfoAnswer>> infos;
	std::map<pid_t, std::deque<unsigned long>> eventMsgs; // none left: ESRCH
	std::set<std::pair<pid_t, pid_t>> threads;            // (tgid, tid) of threads
	int restartErrno = 0;    // every restart fails with it (0: none)
	int restartFailures = 0; // ... this many times, then succeeds (-1: always)
	int skipErrno = 0;       // every skip fails with it

	std::vector<Restart> restarts;                  // those that succeeded
	std::vector<Restart> failedRestarts;
	std::vector<std::pair<pid_t, long>> skips;      // those that succeeded
	std::vector<std::pair<pid_t, int>> kills;

	hg::Expected<void> restart(pid_t tid, int request, int sig) override
	{
		if (restartErrno != 0 && restartFailures != 0) {
			if (restartFailures > 0)
				restartFailures--;
			failedRestarts.push_back({tid, request, sig});
			return hg::Error{restartErrno, "ptrace(" + hg::ptraceRequestName(request) + ", tid=" +
							       std::to_string(tid) + "): " + std::strerror(restartErrno)};
		}
		restarts.push_back({tid, request, sig});
		return {};
	}

	hg::Expected<__ptrace_syscall_info> syscallInfo(pid_t tid) override
	{
		auto &q = infos[tid];
		InfoAnswer a = q.empty() ? infoError(EIO) : q.front();
		if (!q.empty())
			q.pop_front();
		if (a.err != 0)
			return hg::Error{a.err, "ptrace(PTRACE_GET_SYSCALL_INFO, tid=" + std::to_string(tid) +
							 "): " + std::strerror(a.err)};
		return a.info;
	}

	hg::Expected<unsigned long> eventMsg(pid_t tid) override
	{
		auto &q = eventMsgs[tid];
		if (q.empty())
			return hg::Error{ESRCH, "ptrace(PTRACE_GETEVENTMSG): no message scripted"};
		unsigned long m = q.front();
		q.pop_front();
		return m;
	}

	hg::Expected<void> skipSyscall(pid_t tid, long ret) override
	{
		if (skipErrno != 0)
			return hg::Error{skipErrno, "ptrace(PTRACE_SETREGS, tid=" + std::to_string(tid) +
							    "): " + std::strerror(skipErrno)};
		skips.push_back({tid, ret});
		return {};
	}

	int kill(pid_t pid, int sig) override
	{
		kills.push_back({pid, sig});
		return 0;
	}

	bool isThreadOf(pid_t tgid, pid_t tid) override { return threads.count({tgid, tid}) != 0; }
};

} // namespace hgtest
