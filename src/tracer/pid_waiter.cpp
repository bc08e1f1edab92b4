#include "tracer/pid_waiter.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace hg {

bool WaitpidWaiter::next(TraceEvent &ev, std::chrono::nanoseconds spin)
{
	const auto waitStart = std::chrono::steady_clock::now();
	const bool waited = queue_.empty();
	if (waited && lastWait_ < kStreamSpin)
		spin = std::max(spin, kStreamSpin);
	// Sleeping in waitpid() lets this vCPU halt, and waking it again costs more than the poll.
	if (queue_.empty() && spin.count() > 0 && !spinFor(spin))
		return false;
	if (queue_.empty() && !sleepForOne())
		return false;
	if (waited)
		lastWait_ = std::chrono::steady_clock::now() - waitStart;
	ev = queue_.front();
	queue_.pop_front();
	return true;
}

// Polls for one status until spin has passed. False when no traced task is left.
bool WaitpidWaiter::spinFor(std::chrono::nanoseconds spin)
{
	const auto until = std::chrono::steady_clock::now() + spin;
	do {
		int st;
		pid_t pid = waitpid(-1, &st, __WALL | WNOHANG);
		if (pid > 0) {
			queue_.push_back(classifyStatus(pid, st));
			return true;
		}
		if (pid < 0 && errno != EINTR)
			return false;
	} while (std::chrono::steady_clock::now() < until);
	return true;
}

// Sleeps until a status is ready, then takes every other ready one; with ticks on, until a
// status is ready or the tick is due. False when no traced task is left (ECHILD).
bool WaitpidWaiter::sleepForOne()
{
	while (queue_.empty()) {
		if (!sigchld_) {
			int st;
			pid_t pid = waitpid(-1, &st, __WALL);
			if (pid < 0) {
				if (errno == EINTR)
					continue;
				return false;
			}
			queue_.push_back(classifyStatus(pid, st));
			return drainReady();
		}
		if (!drainReady())
			return false;
		if (!queue_.empty())
			break;
		auto now = std::chrono::steady_clock::now();
		if (tickDue(now)) {
			lastTick_ = now;
			queue_.push_back(TraceEvent{TraceEventKind::Tick, 0, 0});
			break;
		}
		auto left = std::chrono::ceil<std::chrono::milliseconds>(lastTick_ + tick_ - now);
		pollfd p{sigchld_.get(), POLLIN, 0};
		if (poll(&p, 1, static_cast<int>(std::max<long long>(1, left.count()))) > 0) {
			signalfd_siginfo si;
			while (read(sigchld_.get(), &si, sizeof(si)) == sizeof(si)) {
			}
		}
	}
	return true;
}

bool WaitpidWaiter::drainReady()
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, __WALL | WNOHANG)) > 0)
		queue_.push_back(classifyStatus(pid, st));
	return pid == 0 || errno != ECHILD || !queue_.empty();
}

bool WaitpidWaiter::tickDue(std::chrono::steady_clock::time_point now) const
{
	return tick_.count() > 0 && now - lastTick_ >= tick_;
}

bool WaitpidWaiter::setTick(std::chrono::milliseconds period)
{
	if (period.count() > 0 && !sigchld_) {
		sigset_t chld;
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		if (sigprocmask(SIG_BLOCK, &chld, &savedMask_) != 0)
			return false;
		sigchld_.reset(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
		if (!sigchld_) {
			sigprocmask(SIG_SETMASK, &savedMask_, nullptr);
			return false;
		}
		// With SIGCHLD ignored (a parent can hand that down) the kernel sends none for a
		// tracee's stops: the default action sends it (and discards it, were it not blocked).
		struct sigaction dfl {};
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGCHLD, &dfl, &savedAction_);
	} else if (period.count() == 0 && sigchld_) {
		sigchld_.reset();
		sigaction(SIGCHLD, &savedAction_, nullptr);
		sigprocmask(SIG_SETMASK, &savedMask_, nullptr);
	}
	tick_ = sigchld_ ? period : std::chrono::milliseconds(0);
	lastTick_ = std::chrono::steady_clock::now();
	return true;
}

WaitpidWaiter::~WaitpidWaiter()
{
	setTick(std::chrono::milliseconds(0));
}

} // namespace hg
