#include "tracer/ptrace_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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

// P: the tracer side. Never returns.
[[noreturn]] void runHelper(Shared *sh, pid_t gate, const BpfProgram &filter, bool needNoNewPrivs)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != gate)
		_exit(1);
	pid_t self = getpid();
	sh->stage = kStageFork;
	pid_t child = fork();
	if (child < 0) {
		sh->errnum = errno;
		sh->done = 1;
		_exit(0);
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
		sh->done = 1;
		_exit(0);
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
		sh->done = 1;
		_exit(0);
	}
	sh->stage = kStageResume;
	if (kill(child, SIGCONT) != 0) {
		sh->errnum = errno;
		kill(child, SIGKILL);
		waitChildGone(child);
		sh->done = 1;
		_exit(0);
	}
	for (int i = 0; i < kMaxChildEvents; i++) {
		while ((w = waitpid(child, &st, __WALL)) < 0 && errno == EINTR) {
		}
		if (w != child)
			break;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (WIFSIGNALED(st))
				sh->childSignal = WTERMSIG(st);
			sh->stage = kStageDone;
			sh->done = 1;
			_exit(0);
		}
		if (!WIFSTOPPED(st))
			continue;
		int event = st >> 16;
		int sig = WSTOPSIG(st);
		if (event == PTRACE_EVENT_SECCOMP) {
			sh->trapSeen = 1;
			ptrace(PTRACE_CONT, child, 0, 0);
		} else if (event == PTRACE_EVENT_STOP) {
			bool groupStop = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
			ptrace(groupStop ? PTRACE_LISTEN : PTRACE_CONT, child, 0, 0);
		} else if (event == 0) {
			ptrace(PTRACE_CONT, child, 0, sig == SIGCONT || sig == SIGSTOP ? 0 : sig);
		} else {
			ptrace(PTRACE_CONT, child, 0, 0);
		}
	}
	// Too many events without an exit: give up on the child.
	kill(child, SIGKILL);
	waitChildGone(child);
	sh->errnum = ETIMEDOUT;
	sh->done = 1;
	_exit(0);
}

// "Key:	value" of /proc/self/status.
std::string statusField(const std::string &key)
{
	return procFileField("/proc/self/status", key);
}

void readGateFacts(PtraceProbeFacts &f)
{
	std::string yama = readFirstLine("/proc/sys/kernel/yama/ptrace_scope");
	f.yamaScope = yama.empty() ? -1 : std::atoi(yama.c_str());
	f.seccompMode = std::atoi(statusField("Seccomp").c_str());
	f.gateTracerPid = std::atoi(statusField("TracerPid").c_str());
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

PtraceAvailability probePtrace()
{
	PtraceAvailability out;
	PtraceProbeFacts facts;
	readGateFacts(facts);

	auto fail = [&](PtraceProbeFacts &f) {
		out.ok = false;
		out.errnum = f.errnum;
		out.call = f.call;
		out.reason = explainPtraceFailure(f);
		return out;
	};

	FilterOptions fo;
	fo.gatePid = getpid();
	fo.gatePgid = getpgrp();
	auto filter = buildNetworkFilter(fo);
	if (!filter) {
		facts.call = "buildNetworkFilter()";
		facts.errnum = filter.error().errnum;
		out.errnum = facts.errnum;
		out.call = facts.call;
		out.reason = facts.call + " failed: " + filter.error().message;
		return out;
	}

	void *page = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		facts.call = "mmap(probe page)";
		facts.errnum = errno;
		return fail(facts);
	}
	auto *sh = static_cast<Shared *>(page);
	std::memset(page, 0, sizeof(Shared));
	struct Unmap {
		void *p;
		~Unmap() { munmap(p, sizeof(Shared)); }
	} unmap{page};

	bool needNoNewPrivs = geteuid() != 0; // as spawnTraced() decides
	pid_t gate = getpid();
	pid_t helper = fork();
	if (helper < 0) {
		facts.call = "fork()";
		facts.errnum = errno;
		return fail(facts);
	}
	if (helper == 0)
		runHelper(sh, gate, *filter, needNoNewPrivs);

	// Bounded wait for the helper: it makes a handful of calls, so seconds mean it hangs.
	int st = 0;
	if (!waitExitWithin(helper, kHelperTimeoutMs, st)) {
		kill(helper, SIGKILL);
		waitChildGone(helper);
		facts.call = stageCall(sh->stage);
		facts.errnum = ETIMEDOUT;
		out.errnum = ETIMEDOUT;
		out.call = facts.call;
		out.reason = "the ptrace probe hung in " + facts.call + " for " +
			     std::to_string(kHelperTimeoutMs / 1000) + " s";
		return out;
	}

	if (!sh->done) {
		facts.call = stageCall(sh->stage);
		facts.killedBySignal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
		facts.errnum = 0;
		if (!facts.killedBySignal) {
			out.call = facts.call;
			out.reason = "the ptrace probe exited early (status " + std::to_string(WEXITSTATUS(st)) + ")";
			return out;
		}
		return fail(facts);
	}
	if (sh->errnum != 0) {
		facts.call = stageCall(sh->stage);
		facts.errnum = sh->errnum;
		facts.childTracerPid = sh->childTracer;
		if (facts.childTracerPid > 0)
			facts.childTracerComm = readFirstLine("/proc/" + std::to_string(facts.childTracerPid) + "/comm");
		facts.filteredErrno = sh->filteredErrno;
		facts.ptraceFiltered = sh->stage == kStageSeize && sh->filteredErrno != ESRCH;
		return fail(facts);
	}
	if (sh->childSignal) {
		facts.call = stageCall(sh->childStage);
		facts.killedBySignal = sh->childSignal;
		return fail(facts);
	}
	if (sh->childStage != kStageDone) {
		facts.call = stageCall(sh->childStage);
		facts.errnum = sh->childErrnum;
		return fail(facts);
	}
	if (!sh->trapSeen) {
		facts.call = stageCall(kStageTrap);
		facts.errnum = sh->trapErrno;
		facts.trapNotDelivered = true;
		return fail(facts);
	}
	out.ok = true;
	return out;
}

} // namespace hg
