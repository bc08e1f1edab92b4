// fault_driver: the real Supervisor (or the ptrace probe) on the kernel's ptrace, with
// chosen requests made to fail, so tracer_cases.py can show what the gate does when ptrace
// lets it down: the trapped call refused and recorded, the tracee killed, the probe saying
// the tracer is unavailable. The faults are injected through PtraceOps (FaultyPtraceOps
// below wraps KernelPtraceOps): the tracee and the kernel are real.
//
// Usage: fault_driver [--enforce] [--fail FAULT]... -- COMMAND [ARGS...]
//        fault_driver --probe [--fail FAULT]...
// FAULT:
//   info-seccomp=ERRNO    PTRACE_GET_SYSCALL_INFO fails with ERRNO at every seccomp stop
//   info-seccomp=op       ... reports PTRACE_SYSCALL_INFO_NONE there instead
//   info-exit=ERRNO       ... fails at every syscall-exit stop
//   restart-syscall=ERRNO the first PTRACE_SYSCALL restart fails (the tracee stays stopped)
//   restart-cont=ERRNO    the first PTRACE_CONT restart fails
//   skip=ERRNO            every skip of a call fails
//   info-socket=ERRNO     PTRACE_GET_SYSCALL_INFO fails at the exit stop of every socket()
// ERRNO is a name (EIO, ENOSYS, ...). No fault is injected into the stops of a socket()
// (kTagInetSocket: the gate notes the new socket), which come before the call under test.
// Output lines (stdout):
//   record seq= pid= tid= call= decision= result_known= result= why=...
//   process pid= ppid= exited= code= signal= killed=
//   result root= exit= signal= calls= violations=
//   probe ok= errnum= call= reason=...
//   decision choice= strict= action= message=...
// Exit: 0 when the supervisor (or the probe) ran, 1 when the command could not start,
// 2 on usage errors.

#include <sys/ptrace.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "base/proc.h"
#include "base/stop_request.h"
#include "cli/detector_choice.h"
#include "record/record.h"
#include "tracer/ptrace_ops.h"
#include "tracer/ptrace_probe.h"
#include "tracer/supervisor.h"

using namespace hg;

namespace {

struct Faults {
	int infoSeccomp = 0; // errno; -1: report op NONE
	int infoExit = 0;
	int restartSyscall = 0;
	int restartCont = 0;
	int skip = 0;
	int infoSocket = 0;
};

class FaultyPtraceOps final : public PtraceOps {
public:
	explicit FaultyPtraceOps(Faults f) : f_(f) {}

	Expected<void> restart(pid_t tid, int request, int sig) override
	{
		int &fault = request == PTRACE_SYSCALL ? f_.restartSyscall : request == PTRACE_CONT ? f_.restartCont : none_;
		if (fault != 0 && !inSocketCall_[tid]) {
			int err = fault;
			fault = 0; // the first one only
			return fail(err, "ptrace(" + ptraceRequestName(request) + ", tid=" + std::to_string(tid) + ")");
		}
		return real_.restart(tid, request, sig);
	}

	Expected<__ptrace_syscall_info> syscallInfo(pid_t tid) override
	{
		auto info = real_.syscallInfo(tid);
		if (!info)
			return info;
		if (info->op == PTRACE_SYSCALL_INFO_SECCOMP)
			inSocketCall_[tid] = info->seccomp.ret_data == kTagInetSocket;
		if (inSocketCall_[tid]) {
			if (info->op == PTRACE_SYSCALL_INFO_EXIT && f_.infoSocket != 0)
				return fail(f_.infoSocket, "ptrace(PTRACE_GET_SYSCALL_INFO, tid=" + std::to_string(tid) + ")");
			return info;
		}
		int fault = info->op == PTRACE_SYSCALL_INFO_SECCOMP ? f_.infoSeccomp
			    : info->op == PTRACE_SYSCALL_INFO_EXIT  ? f_.infoExit
								    : 0;
		if (fault == -1) {
			info->op = PTRACE_SYSCALL_INFO_NONE;
			return info;
		}
		if (fault != 0)
			return fail(fault, "ptrace(PTRACE_GET_SYSCALL_INFO, tid=" + std::to_string(tid) + ")");
		return info;
	}

	Expected<unsigned long> eventMsg(pid_t tid) override { return real_.eventMsg(tid); }

	Expected<void> skipSyscall(pid_t tid, long ret) override
	{
		if (f_.skip != 0)
			return fail(f_.skip, "ptrace(PTRACE_SETREGS, tid=" + std::to_string(tid) + ")");
		return real_.skipSyscall(tid, ret);
	}

	int kill(pid_t pid, int sig) override { return real_.kill(pid, sig); }
	bool isThreadOf(pid_t tgid, pid_t tid) override { return real_.isThreadOf(tgid, tid); }

private:
	static Error fail(int err, const std::string &what)
	{
		return Error{err, what + ": " + std::strerror(err) + " (injected)"};
	}

	KernelPtraceOps real_;
	Faults f_;
	int none_ = 0;
	std::map<pid_t, bool> inSocketCall_; // the tid's last seccomp stop was a socket()
};

class PrintSink final : public RecordSink {
public:
	void onViolation(const NetRecord &) override { violations++; }
	void onRecord(const NetRecord &r) override
	{
		printf("record seq=%llu pid=%d tid=%d call=%s decision=%s result_known=%d result=%ld why=%s\n",
		       static_cast<unsigned long long>(r.seq), r.pid, r.tid, r.callName.c_str(), decisionName(r.decision),
		       r.resultKnown ? 1 : 0, r.result, r.cls.why.c_str());
		fflush(stdout);
	}
	int violations = 0;
};

int usage(const std::string &msg)
{
	fprintf(stderr, "fault_driver: %s\n", msg.c_str());
	return 2;
}

int errnoByName(const std::string &name)
{
	for (int e = 1; e < 134; e++) {
		if (errnoName(e) == name)
			return e;
	}
	return 0;
}

bool parseFault(const std::string &spec, Faults &f)
{
	auto eq = spec.find('=');
	if (eq == std::string::npos)
		return false;
	std::string what = spec.substr(0, eq), value = spec.substr(eq + 1);
	int err = value == "op" && what == "info-seccomp" ? -1 : errnoByName(value);
	if (err == 0)
		return false;
	int *slot = what == "info-seccomp"      ? &f.infoSeccomp
		    : what == "info-exit"       ? &f.infoExit
		    : what == "restart-syscall" ? &f.restartSyscall
		    : what == "restart-cont"    ? &f.restartCont
		    : what == "skip"            ? &f.skip
		    : what == "info-socket"     ? &f.infoSocket
						: nullptr;
	if (!slot)
		return false;
	*slot = err;
	return true;
}

int runProbe(PtraceOps &ops)
{
	PtraceAvailability a = probePtrace(ops);
	printf("probe ok=%d errnum=%s call=%s reason=%s\n", a.ok ? 1 : 0, a.ok ? "0" : errnoName(a.errnum).c_str(),
	       a.call.empty() ? "-" : a.call.c_str(), a.reason.c_str());
	static const char *const actions[] = {"ptrace", "proc", "refuse", "conflict"};
	for (DetectorChoice c : {DetectorChoice::Auto, DetectorChoice::Ptrace}) {
		for (bool strict : {false, true}) {
			DetectorDecision d = decideDetector(c, strict, a);
			printf("decision choice=%s strict=%d action=%s message=%s\n", detectorChoiceName(c), strict ? 1 : 0,
			       actions[static_cast<int>(d.action)], d.message.c_str());
		}
	}
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	Faults faults;
	SupervisorOptions opts;
	bool probe = false;
	int i = 1;
	for (; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--") {
			i++;
			break;
		}
		if (a == "--enforce")
			opts.enforce = true;
		else if (a == "--probe")
			probe = true;
		else if (a == "--fail" && i + 1 < argc) {
			if (!parseFault(argv[++i], faults))
				return usage(std::string("bad fault ") + argv[i]);
		} else
			return usage("unknown option " + a);
	}
	FaultyPtraceOps ops(faults);
	if (probe)
		return runProbe(ops);

	SpawnSpec spec;
	for (; i < argc; i++)
		spec.argv.push_back(argv[i]);
	if (spec.argv.empty())
		return usage("no command after --");
	installStopHandlers();
	PrintSink sink;
	WaitpidWaiter waiter;
	Supervisor sup(opts, sink, ops, waiter);
	auto result = sup.run(spec);
	if (!result) {
		printf("error errnum=%d message=%s\n", result.error().errnum, result.error().message.c_str());
		return 1;
	}
	for (const ProcessRecord &p : result->processes)
		printf("process pid=%d ppid=%d exited=%d code=%d signal=%d killed=%d\n", p.pid, p.ppid, p.exited ? 1 : 0,
		       p.exitCode, p.termSignal, p.killedByGate ? 1 : 0);
	printf("result root=%d exit=%d signal=%d calls=%llu violations=%d\n", result->rootPid, result->exitCode,
	       result->termSignal, static_cast<unsigned long long>(result->calls), sink.violations);
	return 0;
}
