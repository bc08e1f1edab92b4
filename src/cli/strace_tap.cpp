#include "cli/strace_tap.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/proc.h"
#include "tracer/ptrace_ops.h"

namespace hg::strace {

namespace {

constexpr uint64_t kI386Socketcall = 102;
constexpr uint64_t kX32Bit = 0x40000000;

// socketcall()'s first argument (linux/net.h SYS_*), as the x86_64 syscall it stands for;
// send and recv have no x86_64 syscall of their own and keep strace's names.
constexpr const char *kSocketcallNames[] = {
	nullptr,       "socket",      "bind",        "connect",  "listen",   "accept",  "getsockname",
	"getpeername", "socketpair",  "send",        "recv",     "sendto",   "recvfrom", "shutdown",
	"setsockopt",  "getsockopt",  "sendmsg",     "recvmsg",  "accept4",  "recvmmsg", "sendmmsg",
};

// Tracee memory for the printer.
class TaskMemory final : public Memory {
public:
	explicit TaskMemory(pid_t tid) : mem_(tid) {}
	std::vector<uint8_t> read(uint64_t addr, size_t len) override
	{
		std::vector<uint8_t> out(len);
		ssize_t n = len ? mem_.read(addr, out.data(), len) : 0;
		out.resize(n > 0 ? static_cast<size_t>(n) : 0);
		return out;
	}
	TraceeMemory &raw() { return mem_; }

private:
	TraceeMemory mem_;
};

// -y: what /proc says descriptor fd of tid is.
FdPath fdPathOf(pid_t tid)
{
	return [tid](int fd) { return fd < 0 ? std::string() : readLink(procPath(tid, "/fd/" + std::to_string(fd))); };
}

std::string timestamp(int level)
{
	timespec ts{};
	clock_gettime(CLOCK_REALTIME, &ts);
	char buf[64];
	if (level >= 3) {
		std::snprintf(buf, sizeof(buf), "%lld.%06ld ", static_cast<long long>(ts.tv_sec), ts.tv_nsec / 1000);
		return buf;
	}
	tm local{};
	localtime_r(&ts.tv_sec, &local);
	size_t n = std::strftime(buf, sizeof(buf), "%H:%M:%S", &local);
	if (level == 2)
		std::snprintf(buf + n, sizeof(buf) - n, ".%06ld", ts.tv_nsec / 1000);
	return std::string(buf) + " ";
}

} // namespace

Expected<void> TapOutput::open()
{
	if (opts_.output.empty() || opts_.perTask)
		return {};
	single_.reset(::open(opts_.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
	if (!single_)
		return Error::fromErrno("cannot open -o " + opts_.output);
	return {};
}

void TapOutput::fail(const std::string &what)
{
	if (error_.empty())
		error_ = what + ": " + std::strerror(errno);
}

void TapOutput::write(pid_t tid, const std::string &line)
{
	int fd = STDERR_FILENO;
	if (opts_.perTask) {
		auto it = perTask_.find(tid);
		if (it == perTask_.end()) {
			std::string path = opts_.output + "." + std::to_string(tid);
			UniqueFd f(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
			if (!f) {
				fail("cannot open " + path);
				return;
			}
			it = perTask_.emplace(tid, std::move(f)).first;
		}
		fd = it->second.get();
	} else if (single_) {
		fd = single_.get();
	}
	std::string text = line + "\n";
	size_t done = 0;
	while (done < text.size()) {
		ssize_t n = ::write(fd, text.data() + done, text.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(opts_.output.empty() ? std::string("cannot write to standard error") : "cannot write to " + opts_.output);
			return;
		}
		done += static_cast<size_t>(n);
	}
}

void TapOutput::close(pid_t tid)
{
	perTask_.erase(tid);
}

Tap::Tap(TapOptions opts) : opts_(std::move(opts)), out_(opts_), selected_(opts_.syscalls.begin(), opts_.syscalls.end())
{
}

std::string Tap::callName(const RawSyscall &sc) const
{
	uint64_t nr = sc.nr;
	if (sc.auditArch == AUDIT_ARCH_I386 && nr == kI386Socketcall) {
		uint64_t sub = sc.args[0] & 0xffffffffu;
		return sub < std::size(kSocketcallNames) && kSocketcallNames[sub] ? kSocketcallNames[sub] : "";
	}
	if (sc.auditArch == AUDIT_ARCH_X86_64)
		nr &= ~kX32Bit;
	char *name = seccomp_syscall_resolve_num_arch(sc.auditArch, static_cast<int>(nr));
	std::string out = name ? name : "";
	free(name);
	return out;
}

bool Tap::wants(const RawSyscall &sc) const
{
	std::string name = callName(sc);
	// i386's send and recv are sendto and recvfrom without an address.
	if (name == "send")
		name = "sendto";
	else if (name == "recv")
		name = "recvfrom";
	return !name.empty() && selected_.count(name);
}

bool Tap::shown(pid_t tid) const
{
	return started_ && (opts_.follow || tid == root_);
}

void Tap::onExec(pid_t tid)
{
	if (tid == root_)
		started_ = true;
}

std::string Tap::leader(pid_t tid) const
{
	std::string lead;
	if (!opts_.perTask && opts_.follow) {
		char buf[32];
		if (!out_.toStderr())
			std::snprintf(buf, sizeof(buf), "%-5d ", tid);
		else if (tasks_.size() > 1)
			std::snprintf(buf, sizeof(buf), "[pid %5d] ", tid);
		else
			buf[0] = '\0';
		lead = buf;
	}
	if (opts_.timestamps)
		lead += timestamp(opts_.timestamps);
	return lead;
}

void Tap::interruptOthers(pid_t tid)
{
	// In one stream strace has written the entry of every call in flight when it writes
	// something else; each of those is cut short there, in the order they entered.
	if (opts_.perTask)
		return;
	for (auto &[other, p] : calls_) {
		if (other == tid || p.interrupted)
			continue;
		out_.write(other, p.leader + entryText(p.call, p.entry) + " <unfinished ...>");
		p.interrupted = true;
	}
}

void Tap::emit(pid_t tid, const std::string &body, const std::string &lead)
{
	interruptOthers(tid);
	out_.write(tid, lead + body);
}

void Tap::onEntry(pid_t tid, const RawSyscall &sc)
{
	if (!shown(tid))
		return;
	TaskMemory mem(tid);
	CallArgs args = readCallArgs(sc, mem.raw());
	Pending p;
	p.call.name = callName(sc);
	std::memcpy(p.call.args, args.a, sizeof(p.call.args));
	p.call.compat32 = args.compat;
	p.leader = leader(tid);
	p.entry = strace::onEntry(p.call, mem, opts_.print, fdPathOf(tid));
	calls_[tid] = std::move(p);
}

void Tap::onExit(pid_t tid, std::optional<long> ret)
{
	auto it = calls_.find(tid);
	if (it == calls_.end())
		return;
	Pending p = std::move(it->second);
	calls_.erase(it);
	TaskMemory mem(tid);
	if (!p.interrupted) {
		emit(tid, strace::onExit(p.call, p.entry, ret, mem, opts_.print, fdPathOf(tid), p.leader.size()), p.leader);
		return;
	}
	std::string lead = leader(tid);
	std::string resumed = "<... " + p.call.name + " resumed>";
	emit(tid, resumed + resumedText(p.call, p.entry, ret, mem, opts_.print, fdPathOf(tid), lead.size() + resumed.size()),
	     lead);
}

void Tap::onNewTask(pid_t tid, pid_t parent)
{
	if (parent == 0 && root_ == 0)
		root_ = tid;
	else if (!opts_.follow)
		return; // strace without -f does not trace it
	tasks_.insert(tid);
	if (parent != 0 && opts_.quiet == 0 && out_.toStderr()) {
		// strace's own message, on its standard error, not in the trace.
		std::string msg = opts_.program + ": Process " + std::to_string(tid) + " attached\n";
		interruptOthers(0);
		(void)::write(STDERR_FILENO, msg.data(), msg.size());
	}
}

void Tap::onSignal(pid_t tid, int sig)
{
	if (!shown(tid))
		return;
	siginfo_t si{};
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) != 0) {
		si.si_signo = sig;
		si.si_code = SI_KERNEL;
	}
	emit(tid, signalLine(si), leader(tid));
}

void Tap::onGroupStop(pid_t tid, int sig)
{
	if (shown(tid))
		emit(tid, stopLine(sig), leader(tid));
}

void Tap::onTaskExit(pid_t tid, int exitCode, int termSignal, bool coreDumped)
{
	if (!shown(tid))
		return;
	if (opts_.quiet < 2)
		emit(tid, exitLine(exitCode, termSignal, coreDumped), leader(tid));
	tasks_.erase(tid);
	out_.close(tid);
}

} // namespace hg::strace
