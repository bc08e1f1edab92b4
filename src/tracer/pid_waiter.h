#pragma once
// Where the supervisor's events come from. An interface, as sandbox2's util/pid_waiter.h
// has one, so that the supervisor's handlers are unit-tested on a scripted sequence of
// events (tests/tracer/supervisor_test.cpp) and run on waitpid() otherwise.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <deque>

#include "base/unique_fd.h"
#include "tracer/trace_event.h"

namespace hg {

// After a call is resumed to its exit stop (PTRACE_SYSCALL) the gate polls this long
// before it sleeps: most trapped calls return within a few microseconds, and a gate that
// slept has to be woken, which on a VM whose idle vCPUs halt costs more than the call.
// Measured on the AF_UNIX connect storm of tests/bench (2-vCPU VM): 60 us cut the gate's
// cost per connect by about a fifth; a call that takes longer costs at most this much CPU.
constexpr std::chrono::nanoseconds kExitStopSpin = std::chrono::microseconds(60);

// The same when events stream in: if the last one came within this long of the gate
// starting to wait (a connect storm, thread churn), the gate polls this long for the next
// before it sleeps. Measured on tests/bench: connect storm 5.8x -> 4.5x, thread churn
// 2.2x -> 1.8x-2.1x; fork-exec, build and test run unchanged within noise. A stream
// that stops costs one poll of this length.
constexpr std::chrono::nanoseconds kStreamSpin = std::chrono::microseconds(30);

class PidWaiter {
public:
	virtual ~PidWaiter() = default;
	// The next event of a traced task into ev. False when no traced task is left.
	// spin: how long to poll before sleeping, because a stop is due at once (kExitStopSpin
	// after a PTRACE_SYSCALL restart, 0 otherwise).
	virtual bool next(TraceEvent &ev, std::chrono::nanoseconds spin) = 0;
	// From now on next() also returns a TraceEventKind::Tick event (pid 0) when period has
	// passed since the last Tick with no tracee event; 0 turns ticks off. Doubles that
	// script events ignore it.
	// False when ticks could not be turned on (they stay off).
	virtual bool setTick(std::chrono::milliseconds period)
	{
		(void)period;
		return true;
	}
};

// The kernel's: waitpid(-1, __WALL). Drains every ready status before the supervisor acts
// on any: waitpid() favours newer tasks, so taking one at a time can starve old ones
// (sandbox2's PidWaiter). Statuses come out in the order they were reaped, so a pid's exit
// is always handed out before the first event of a process that reuses the pid.
//
// Ticks: waitpid() cannot time out, so while ticks are on the waiter sleeps in poll() on a
// signalfd for SIGCHLD instead (the kernel sends the tracer SIGCHLD for every stop and exit
// of a tracee), with SIGCHLD blocked in the gate. The mask is restored when ticks are turned
// off, so that no process the gate starts later inherits it.
class WaitpidWaiter final : public PidWaiter {
public:
	~WaitpidWaiter() override;
	bool next(TraceEvent &ev, std::chrono::nanoseconds spin) override;
	bool setTick(std::chrono::milliseconds period) override;

private:
	bool spinFor(std::chrono::nanoseconds spin);
	bool sleepForOne();
	bool drainReady(); // takes every ready status; false when no traced task is left
	bool tickDue(std::chrono::steady_clock::time_point now) const;

	std::deque<TraceEvent> queue_;
	std::chrono::nanoseconds lastWait_{std::chrono::seconds(1)};
	std::chrono::milliseconds tick_{0};
	std::chrono::steady_clock::time_point lastTick_{};
	UniqueFd sigchld_; // signalfd for SIGCHLD while ticks are on
	sigset_t savedMask_{};
	struct sigaction savedAction_{};
};

} // namespace hg
