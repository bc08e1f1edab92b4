#include "base/stop_request.h"

#include <signal.h>
#include <unistd.h>

namespace hg {

namespace {

volatile sig_atomic_t gStopSignal = 0;
volatile sig_atomic_t gTimedOut = 0;
volatile sig_atomic_t gTarget = 0;

void onStopSignal(int sig)
{
	gStopSignal = sig;
	if (gTarget > 0)
		kill(static_cast<pid_t>(gTarget), SIGKILL);
}

void onAlarm(int)
{
	gTimedOut = 1;
	if (gTarget > 0)
		kill(static_cast<pid_t>(gTarget), SIGKILL);
}

} // namespace

void installStopHandlers()
{
	struct sigaction sa{};
	sa.sa_handler = onStopSignal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	sa.sa_handler = onAlarm;
	sigaction(SIGALRM, &sa, nullptr);
}

int stopRequested()
{
	return gStopSignal;
}

void setStopTarget(pid_t pid)
{
	gTarget = pid;
}

void armStepTimeout(int seconds)
{
	gTimedOut = 0;
	if (seconds > 0)
		alarm(static_cast<unsigned>(seconds));
}

bool disarmStepTimeout()
{
	alarm(0);
	gTarget = 0;
	bool fired = gTimedOut != 0;
	gTimedOut = 0;
	return fired;
}

bool stepTimedOut()
{
	return gTimedOut != 0;
}

} // namespace hg
