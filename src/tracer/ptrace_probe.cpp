#include "tracer/ptrace_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <string>

#include "base/proc.h"
#include "base/unique_fd.h"
#include "seccomp/filter.h"
#include "tracer/ptrace_ops.h"

namespace hg {

namespace {

// Where the helper (P) and its child (G) were when they stopped; names the failing call.
enum Stage : int {
	kStageStart = 0,
	kStageFork,
	kStageWaitStop,
	kStageSeize,
	kStageResume,
	kStageNoNewPrivs,
	kStageSeccomp,
	kStageTrap,
	kStageDone,
};

// A MAP_SHARED page written by P and G, read by the gate after P is gone: it survives a
// helper killed in the middle of a call, which a pipe message would not.
struct Shared {
	volatile int stage;         // P's stage
	volatile int errnum;        // P's failing errno
	volatile int filteredErrno; // ptrace(PTRACE_CONT, kNoSuchPid) errno after a failed seize
	volatile int childTracer;   // TracerPid of G after a failed seize
	volatile int childStage;    // G's stage
	volatile int childErrnum;   // G's failing errno
	volatile int trapErrno;     // errno of G's trapped connect (EBADF when it reached us)
	volatile int trapSeen;      // P saw G's PTRACE_EVENT_SECCOMP stop
	volatile int childSignal;   // G died of this signal
	volatile int infoFailed;    // PTRACE_GET_SYSCALL_INFO at G's seccomp stop did not read it
	volatile int infoErrno;     // its errno, 0 when it reported another op
	volatile int infoOp;        // that op
	volatile int done;
};

// Above PID_MAX_LIMIT (4M): the kernel's pid lookup fails with ESRCH before any attach check.
constexpr pid_t kNoSuchPid = INT_MAX;
constexpr int kHelperTimeoutMs = 5000;
constexpr int kMaxChildEvents = 64;

// TracerPid of a process, with raw syscalls only (P may be the child of a threaded gate).
int rawTracerPid(pid_t pid)
{
	char path[40];
	char buf[4096];
	// snprintf is not async-signal-safe in general; format by hand.
	char digits[16];
	int n = 0;
	for (unsigned v = static_cast<unsigned>(pid); n == 0 || v > 0; v /= 10)
		digits[n++] = static_cast<char>('0' + v % 10);
	const char prefix[] = "/proc/";
	const char suffix[] = "/status";
	size_t len = 0;
	for (char c : prefix)
		if (c)
			path[len++] = c;
	while (n > 0)
		path[len++] = digits[--n];
	for (char c : suffix)
		path[len++] = c; // copies the NUL too
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return 0;
	buf[got] = '\0';
	const char key[] = "TracerPid:";
	char *p = strstr(buf, key);
	if (!p)
		return 0;
	p += sizeof(key) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	int v = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	return v;
}

// G: stops itself, is seized by P, loads the network filter and makes one trapped call.
[[noreturn]] void runChild(Shared *sh, pid_t helper, const BpfProgram &filter, bool needNoNewPrivs)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != helper)
		_exit(1);
	raise(SIGSTOP);
	if (needNoNewPrivs) {
		sh->childStage = kStageNoNewPrivs;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
			sh->childErrnum = errno;
			_exit(2);
		}
	}
	sh->childStage = kStageSeccomp;
	if (int err = installFilter(filter, false); err != 0) {
		sh->childErrnum = err;
		_exit(2);
	}
	sh->childStage = kStageTrap;
	// connect(-1, NULL, 0) traps with kTagConnect and then fails harmlessly with EBADF.
	int r = connect(-1, nullptr, 0);
	sh->trapErrno = r < 0 ? errno : 0;
	sh->childStage = kStageDone;
	_exit(0);
}

void waitChildGone(pid_t child)
{
	int st;
	while (waitpid(child, &st, __WALL) < 0 && errno == EINTR) {
	}
}

// Waits up to timeoutMs for a child to exit and reaps it. Sleeps on a pidfd, which wakes
// the moment the child exits (this runs before every traced run: no polling delay);
// kernels without pidfd_open fall back to 1 ms naps.
bool waitExitWithin(pid_t child, int timeoutMs, int &st)
{
	UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, child, 0)));
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
	for (;;) {
		pid_t w = waitpid(child, &st, WNOHANG | __WALL);
		if (w == child)
			return true;
		if (w < 0 && errno != EINTR)
			return false;
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
		if (left.count() < 0)
			return false;
		if (pidfd) {
			pollfd pfd{pidfd.get(), POLLIN, 0};
			poll(&pfd, 1, static_cast<int>(left.count()) + 1);
		} else {
			timespec ts{0, 1000000};
			nanosleep(&ts, nullptr);
		}
	}
}

// P reports what it found and exits.
[[noreturn]] void helperDone(Shared *sh)
{
	sh->done = 1;
	_exit(0);
}

// P: forks G, waits for it to stop itself, seizes it and lets it run on. Returns G's pid;
// on a failure it records the errno (sh->stage names the call) and exits.
pid_t seizeChild(Shared *sh, const BpfProgram &filter, bool needNoNewPrivs)
{
	pid_t self = getpid();
	sh->stage = kStageFork;
	pid_t child = fork();
	if (child < 0) {
		sh->errnum = errno;
		helperDone(sh);
	}
	if (child == 0)
		runChild(sh, self, filter, needNoNewPrivs);

	sh->stage = kStageWaitStop;
	int st = 0;
	pid_t w;
	while ((w = waitpid(child, &st, __WALL | WSTOPPED)) < 0 && errno == EINTR) {
	}
	if (w != child || !WIFSTOPPED(st)) {
		sh->errnum = w < 0 ? errno : ECHILD;
		if (w != child) {
			kill(child, SIGKILL);
			waitChildGone(child);
		}
		helperDone(sh);
	}

	sh->stage = kStageSeize;
	if (ptrace(PTRACE_SEIZE, child, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL) != 0) {
		sh->errnum = errno;
		sh->childTracer = rawTracerPid(child);
		// A seccomp filter answers before the kernel looks the pid up; the attach checks
		// (Yama, LSMs, capabilities) come after the lookup. ESRCH here means the syscall
		// itself reaches the kernel.
		long r = ptrace(PTRACE_CONT, kNoSuchPid, 0, 0);
		sh->filteredErrno = r < 0 ? errno : 0;
		kill(child, SIGKILL);
		waitChildGone(child);
		helperDone(sh);
	}
	sh->stage = kStageResume;
	if (kill(child, SIGCONT) != 0) {
		sh->errnum = errno;
		kill(child, SIGKILL);
		waitChildGone(child);
		helperDone(sh);
	}
	return child;
}

// P at G's seccomp stop: the supervisor reads every trapped call with
// PTRACE_GET_SYSCALL_INFO, which kernels before 5.3 do not have.
void checkSyscallInfo(Shared *sh, PtraceOps &ops, pid_t child)
{
	auto info = ops.syscallInfo(child);
	if (!info) {
		sh->infoFailed = 1;
		sh->infoErrno = info.error().errnum != 0 ? info.error().errnum : EIO;
	} else if (info->op != PTRACE_SYSCALL_INFO_SECCOMP) {
		sh->infoFailed = 1;
		sh->infoOp = info->op;
	}
}

// P: the tracer side. Never returns.
[[noreturn]] void runHelper(Shared *sh, pid_t gate, PtraceOps &ops, const BpfProgram &filter, bool needNoNewPrivs)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != gate)
		_exit(1);
	pid_t child = seizeChild(sh, filter, needNoNewPrivs);
	for (int i = 0; i < kMaxChildEvents; i++) {
		int st = 0;
		pid_t w;
		while ((w = waitpid(child, &st, __WALL)) < 0 && errno == EINTR) {
		}
		if (w != child)
			break;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (WIFSIGNALED(st))
				sh->childSignal = WTERMSIG(st);
			sh->stage = kStageDone;
			helperDone(sh);
		}
		if (!WIFSTOPPED(st))
			continue;
		int event = st >> 16;
		int sig = WSTOPSIG(st);
		if (event == PTRACE_EVENT_SECCOMP) {
			sh->trapSeen = 1;
			checkSyscallInfo(sh, ops, child);
			ptrace(PTRACE_CONT, child, 0, 0);
		} else if (event == PTRACE_EVENT_STOP) {
			bool groupStop = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
			ptrace(groupStop ? PTRACE_LISTEN : PTRACE_CONT, child, 0, 0);
		} else {
			ptrace(PTRACE_CONT, child, 0, event == 0 && sig != SIGCONT && sig != SIGSTOP ? sig : 0);
		}
	}
	// Too many events without an exit: give up on the child.
	kill(child, SIGKILL);
	waitChildGone(child);
	sh->errnum = ETIMEDOUT;
	helperDone(sh);
}

// "Key:	value" of /proc/self/status.
std::string statusField(const std::string &key)
{
	return procFileField("/proc/self/status", key);
}

void readGateFacts(PtraceProbeFacts &f)
{
	f.yamaScope = static_cast<int>(parseInteger(readFirstLine("/proc/sys/kernel/yama/ptrace_scope")).value_or(-1));
	f.seccompMode = static_cast<int>(parseInteger(statusField("Seccomp")).value_or(0));
	f.gateTracerPid = static_cast<pid_t>(parseInteger(statusField("TracerPid")).value_or(0));
	std::string capEff = statusField("CapEff");
	unsigned long long caps = std::strtoull(capEff.c_str(), nullptr, 16);
	constexpr int kCapSysPtrace = 19;
	f.hasCapSysPtrace = (caps >> kCapSysPtrace) & 1;
}

const char *stageCall(int stage)
{
	switch (stage) {
	case kStageFork:
		return "fork()";
	case kStageWaitStop:
		return "waitpid(probe child, WSTOPPED)";
	case kStageSeize:
		return "ptrace(PTRACE_SEIZE)";
	case kStageResume:
		return "kill(probe child, SIGCONT)";
	case kStageNoNewPrivs:
		return "prctl(PR_SET_NO_NEW_PRIVS)";
	case kStageSeccomp:
		return "seccomp(SECCOMP_SET_MODE_FILTER)";
	case kStageTrap:
		return "connect() under SECCOMP_RET_TRACE";
	default:
		return "the ptrace probe";
	}
}

std::string seccompFact(const PtraceProbeFacts &f)
{
	return "Seccomp: " + std::to_string(f.seccompMode) + " in /proc/self/status";
}

std::string seizeCause(const PtraceProbeFacts &f)
{
	if (f.childTracerPid > 0) {
		std::string who = "pid " + std::to_string(f.childTracerPid);
		if (!f.childTracerComm.empty())
			who += " (" + f.childTracerComm + ")";
		return "the gate's child already has a tracer, " + who +
		       ": the gate runs under a debugger, tracer or profiler that follows forks (strace -f, gdb, ...), and a process can have only one tracer";
	}
	if (f.ptraceFiltered) {
		if (f.seccompMode == 2)
			return "denied by a seccomp filter on the gate (" + seccompFact(f) +
			       "): likely the container's seccomp profile";
		return "the ptrace syscall itself is intercepted (ptrace on a pid that cannot exist failed with " +
		       errnoName(f.filteredErrno) + ", not ESRCH)";
	}
	if (f.yamaScope == 3)
		return "kernel.yama.ptrace_scope=3 forbids ptrace";
	if (f.yamaScope == 2 && !f.hasCapSysPtrace)
		return "kernel.yama.ptrace_scope=2 allows ptrace only with CAP_SYS_PTRACE, which the gate does not have";
	switch (f.errnum) {
	case EACCES:
		return "refused by a Linux security module (an AppArmor or SELinux profile that denies ptrace)";
	case EPERM:
		return "refused by the kernel although no seccomp filter or Yama setting explains it: likely a security module (AppArmor, SELinux) or a missing capability";
	case ENOSYS:
		return "the kernel answers ptrace with ENOSYS (a sandbox kernel such as gVisor, or a filter returning ENOSYS)";
	default:
		return std::strerror(f.errnum);
	}
}

std::string seccompCause(const PtraceProbeFacts &f)
{
	switch (f.errnum) {
	case EINVAL:
		return "the kernel has no seccomp filter support (CONFIG_SECCOMP_FILTER) or rejected the filter";
	case EACCES:
		return "no_new_privs is not set and the gate lacks CAP_SYS_ADMIN";
	case ENOMEM:
		return "the stacked seccomp filters of the gate are too long";
	default:
		if (f.seccompMode == 2)
			return "the gate's own seccomp filter (" + seccompFact(f) + ") forbids loading another one";
		return std::strerror(f.errnum);
	}
}

} // namespace

std::string explainPtraceFailure(const PtraceProbeFacts &f)
{
	if (f.syscallInfoUnusable) {
		std::string line = f.errnum != 0 ? f.call + " failed with " + errnoName(f.errnum)
						 : f.call + " reported op " + std::to_string(f.syscallInfoOp) +
							   " instead of PTRACE_SYSCALL_INFO_SECCOMP";
		return line + " at a seccomp stop: the gate reads every trapped call with PTRACE_GET_SYSCALL_INFO, "
			      "which needs Linux >= 5.3 (this kernel: " +
		       (f.kernelRelease.empty() ? std::string("unknown") : f.kernelRelease) + ")";
	}
	if (f.killedBySignal) {
		std::string line = f.call + " killed the probe with " + signalName(f.killedBySignal);
		if (f.killedBySignal == SIGSYS)
			return line + ": a seccomp filter on the gate (" + seccompFact(f) + ") kills on that call";
		return line;
	}
	if (f.trapNotDelivered) {
		std::string line = f.call + " returned " + errnoName(f.errnum) + " without stopping at the tracer";
		if (f.seccompMode == 2)
			return line + ": a seccomp filter on the gate (" + seccompFact(f) + ") answers network calls before the gate's filter can trap them";
		return line + ": the kernel did not deliver the SECCOMP_RET_TRACE stop";
	}
	std::string line = f.call + " failed with " + errnoName(f.errnum);
	if (f.call.rfind("ptrace(", 0) == 0)
		return line + ": " + seizeCause(f);
	if (f.call.rfind("seccomp(", 0) == 0)
		return line + ": " + seccompCause(f);
	return line + ": " + std::strerror(f.errnum);
}

namespace {

// Builds the gate's filter, maps the shared page and runs P on it. Returns P's wait status,
// or fills out (which names the call that failed) and returns -1.
int runProbe(PtraceOps &ops, Shared *sh, PtraceAvailability &out, PtraceProbeFacts &facts)
{
	auto filter = buildNetworkFilter();
	if (!filter) {
		out.errnum = filter.error().errnum;
		out.call = "buildNetworkFilter()";
		out.reason = out.call + " failed: " + filter.error().message;
		return -1;
	}
	bool needNoNewPrivs = geteuid() != 0; // as spawnTraced() decides
	pid_t gate = getpid();
	pid_t helper = fork();
	if (helper < 0) {
		facts.call = "fork()";
		facts.errnum = errno;
		return -1;
	}
	if (helper == 0)
		runHelper(sh, gate, ops, *filter, needNoNewPrivs);

	// Bounded wait for the helper: it makes a handful of calls, so seconds mean it hangs.
	int st = 0;
	if (!waitExitWithin(helper, kHelperTimeoutMs, st)) {
		kill(helper, SIGKILL);
		waitChildGone(helper);
		out.errnum = ETIMEDOUT;
		out.call = stageCall(sh->stage);
		out.reason = "the ptrace probe hung in " + out.call + " for " + std::to_string(kHelperTimeoutMs / 1000) + " s";
		return -1;
	}
	return st;
}

// What the helper's report says, into facts. False when something failed (facts.call set).
bool readReport(const Shared &sh, PtraceProbeFacts &facts)
{
	if (sh.errnum != 0) {
		facts.call = stageCall(sh.stage);
		facts.errnum = sh.errnum;
		facts.childTracerPid = sh.childTracer;
		if (facts.childTracerPid > 0)
			facts.childTracerComm = readFirstLine(procPath(facts.childTracerPid, "/comm"));
		facts.filteredErrno = sh.filteredErrno;
		facts.ptraceFiltered = sh.stage == kStageSeize && sh.filteredErrno != ESRCH;
	} else if (sh.childSignal) {
		facts.call = stageCall(sh.childStage);
		facts.killedBySignal = sh.childSignal;
	} else if (sh.childStage != kStageDone) {
		facts.call = stageCall(sh.childStage);
		facts.errnum = sh.childErrnum;
	} else if (!sh.trapSeen) {
		facts.call = stageCall(kStageTrap);
		facts.errnum = sh.trapErrno;
		facts.trapNotDelivered = true;
	} else if (sh.infoFailed) {
		facts.call = "ptrace(PTRACE_GET_SYSCALL_INFO)";
		facts.errnum = sh.infoErrno;
		facts.syscallInfoUnusable = true;
		facts.syscallInfoOp = sh.infoOp;
		utsname u{};
		if (uname(&u) == 0)
			facts.kernelRelease = u.release;
	} else {
		return true;
	}
	return false;
}

} // namespace

PtraceAvailability probePtrace()
{
	KernelPtraceOps ops;
	return probePtrace(ops);
}

PtraceAvailability probePtrace(PtraceOps &ops)
{
	PtraceAvailability out;
	PtraceProbeFacts facts;
	readGateFacts(facts);
	auto fail = [&]() {
		out.ok = false;
		out.errnum = facts.errnum;
		out.call = facts.call;
		out.reason = explainPtraceFailure(facts);
		return out;
	};

	void *page = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		facts.call = "mmap(probe page)";
		facts.errnum = errno;
		return fail();
	}
	auto *sh = static_cast<Shared *>(page);
	std::memset(page, 0, sizeof(Shared));
	sh->infoOp = -1;
	struct Unmap {
		void *p;
		~Unmap() { munmap(p, sizeof(Shared)); }
	} unmap{page};

	int st = runProbe(ops, sh, out, facts);
	if (st == -1)
		return out.call.empty() ? fail() : out;
	if (!sh->done) {
		facts.call = stageCall(sh->stage);
		facts.killedBySignal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
		if (facts.killedBySignal)
			return fail();
		out.call = facts.call;
		out.reason = "the ptrace probe exited early (status " + std::to_string(WEXITSTATUS(st)) + ")";
		return out;
	}
	if (!readReport(*sh, facts))
		return fail();
	out.ok = true;
	return out;
}

} // namespace hg
