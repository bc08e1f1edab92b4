#include "tracer/pid_waiter.h"

#include <sys/wait.h>

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

// Sleeps until a status is ready, then takes every other ready one. False when no traced
// task is left (ECHILD).
bool WaitpidWaiter::sleepForOne()
{
	while (queue_.empty()) {
		int st;
		pid_t pid = waitpid(-1, &st, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		queue_.push_back(classifyStatus(pid, st));
		while ((pid = waitpid(-1, &st, __WALL | WNOHANG)) > 0)
			queue_.push_back(classifyStatus(pid, st));
	}
	return true;
}

} // namespace hg
