#include "tracer/spawn.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tracer/ptrace_ops.h"

namespace hg {

namespace {

// Kills and reaps a child whose setup failed, so no error path leaves one behind.
void killAndReap(pid_t pid)
{
	kill(pid, SIGKILL);
	int st;
	while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR) {
	}
}

} // namespace

Expected<SpawnedChild> spawnTraced(const SpawnSpec &spec, const BpfProgram &filter, const BpfProgram *observe)
{
	auto plan = prepareExec(spec);
	if (!plan)
		return plan.error();

	pid_t pid = fork();
	if (pid < 0)
		return Error::fromErrno("fork()");
	if (pid == 0)
		execChild(*plan, &filter, observe);
	plan->errWrite.reset();

	int st;
	pid_t w;
	while ((w = waitpid(pid, &st, WSTOPPED | __WALL)) < 0 && errno == EINTR) {
	}
	if (w != pid || !WIFSTOPPED(st)) {
		if (w == pid && !WIFSTOPPED(st)) {
			if (int err = childSetupError(*plan); err != 0)
				return Error{err, "cannot start '" + spec.argv[0] + "': " + std::strerror(err) +
							  (spec.cwd.empty() ? "" : " (cwd " + spec.cwd + ")")};
			return Error::msg("the child exited before it could be traced");
		}
		Error e = Error::fromErrno("waitpid(child " + std::to_string(pid) + ")");
		killAndReap(pid);
		return e;
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, kPtraceOptions) != 0) {
		Error e = Error::fromErrno("ptrace(PTRACE_SEIZE, pid=" + std::to_string(pid) + ")");
		killAndReap(pid);
		return e;
	}
	if (kill(pid, SIGCONT) != 0) {
		Error e = Error::fromErrno("kill(" + std::to_string(pid) + ", SIGCONT)");
		killAndReap(pid);
		return e;
	}
	SpawnedChild child;
	child.pid = pid;
	child.execErrors = std::move(plan->errRead);
	child.path = plan->path;
	return child;
}

} // namespace hg
