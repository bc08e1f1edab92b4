#include "launch/exec_plan.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "launch/landlock.h"

extern char **environ;

namespace hg {

namespace {

bool isExecutableFile(const std::string &path)
{
	struct stat st;
	return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

std::string pathVariable(const SpawnSpec &spec)
{
	if (spec.env) {
		for (const std::string &kv : *spec.env) {
			if (kv.rfind("PATH=", 0) == 0)
				return kv.substr(5);
		}
		return "/usr/local/bin:/usr/bin:/bin";
	}
	const char *p = getenv("PATH");
	return p ? p : "/usr/local/bin:/usr/bin:/bin";
}

[[noreturn]] void childFail(int fd, int err)
{
	ssize_t w = write(fd, &err, sizeof(err));
	(void)w;
	_exit(127);
}

// Closes [from, to]; 0 or errno. Only system calls: safe after fork.
int closeFdRange(unsigned from, unsigned to)
{
	if (syscall(SYS_close_range, from, to, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return errno;
	// Kernels before 5.9: one close() per number, up to the descriptor limit.
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return errno;
	rlim_t limit = rl.rlim_cur == RLIM_INFINITY ? rlim_t(INT_MAX) : rl.rlim_cur;
	for (rlim_t fd = from; fd <= to && fd < limit; fd++)
		close(static_cast<int>(fd));
	return 0;
}

// Every descriptor above 2 but keep (ascending) is closed; 0 or errno.
int closeAllBut(const std::vector<int> &keep)
{
	unsigned from = 3;
	for (int k : keep) {
		if (k < 3 || static_cast<unsigned>(k) < from)
			continue;
		if (static_cast<unsigned>(k) > from)
			if (int err = closeFdRange(from, static_cast<unsigned>(k) - 1))
				return err;
		from = static_cast<unsigned>(k) + 1;
	}
	return closeFdRange(from, ~0U);
}

} // namespace

Expected<std::string> resolveCommand(const SpawnSpec &spec)
{
	if (spec.argv.empty() || spec.argv[0].empty())
		return Error::msg("no command given (put the command after --)");
	const std::string &cmd = spec.argv[0];
	if (cmd.find('/') != std::string::npos) {
		std::string full = cmd;
		if (cmd[0] != '/' && !spec.cwd.empty())
			full = spec.cwd + "/" + cmd;
		if (!isExecutableFile(full))
			return Error{ENOENT, "cannot execute '" + cmd + "': " +
						     (access(full.c_str(), F_OK) == 0 ? "not an executable file" : "no such file") +
						     " (check the path and its execute permission)"};
		return full;
	}
	std::string path = pathVariable(spec);
	size_t start = 0;
	while (start <= path.size()) {
		size_t end = path.find(':', start);
		if (end == std::string::npos)
			end = path.size();
		// An empty entry is the current directory. Built by appending: g++ 12 reports a
		// false -Wrestrict on dir = "." and on dir + "/" + cmd.
		std::string full = end > start ? path.substr(start, end - start) : std::string(1, '.');
		full += '/';
		full += cmd;
		if (isExecutableFile(full))
			return full;
		start = end + 1;
	}
	return Error{ENOENT, "command not found: '" + cmd + "' (not in PATH=" + path + "; check the name or PATH)"};
}

Expected<ExecPlan> prepareExec(const SpawnSpec &spec)
{
	auto path = resolveCommand(spec);
	if (!path)
		return path.error();
	ExecPlan plan;
	plan.spec = &spec;
	plan.path = *path;
	for (const std::string &a : spec.argv)
		plan.argv.push_back(const_cast<char *>(a.c_str()));
	plan.argv.push_back(nullptr);
	if (spec.env) {
		for (const std::string &kv : *spec.env)
			plan.envp.push_back(const_cast<char *>(kv.c_str()));
		plan.envp.push_back(nullptr);
	}
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return Error::fromErrno("pipe2(exec status)");
	plan.errRead.reset(pipefd[0]);
	plan.errWrite.reset(pipefd[1]);
	plan.keepOpen = spec.keepFds;
	plan.keepOpen.push_back(plan.errWrite.get());
	std::sort(plan.keepOpen.begin(), plan.keepOpen.end());
	return plan;
}

void execChild(const ExecPlan &plan, const BpfProgram *filter, const BpfProgram *observe)
{
	const SpawnSpec &spec = *plan.spec;
	int wfd = plan.errWrite.get();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_DUMPABLE, 1); // the gate is not dumpable; its child must be
	// Its own process group: kill(0, ...) in the step cannot reach the gate.
	if (spec.newProcessGroup) {
		setpgid(0, 0);
		if (spec.takeTerminal && isatty(0)) {
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(0, getpid());
			signal(SIGTTOU, SIG_DFL);
		}
	}
	if (spec.stdinFd >= 0 && dup2(spec.stdinFd, 0) < 0)
		childFail(wfd, errno);
	if (spec.stdoutFd >= 0 && dup2(spec.stdoutFd, 1) < 0)
		childFail(wfd, errno);
	if (spec.stderrFd >= 0 && dup2(spec.stderrFd, 2) < 0)
		childFail(wfd, errno);
	if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0)
		childFail(wfd, errno);
	// What the gate inherited and the step was not given, and the gate's own descriptors
	// (CLOEXEC already): the step starts with stdio and keepFds only.
	if (int err = closeAllBut(plan.keepOpen))
		childFail(wfd, err);
	if (filter) {
		raise(SIGSTOP); // the supervisor seizes us here
		// With CAP_SYS_ADMIN seccomp needs no no_new_privs; leaving it unset keeps
		// setuid tools (sudo) in a step working when the gate runs as root.
		// An observer's filter first: the kernel runs the newest filter first, and the
		// network filter's tag must win where both trap (seccomp/filter.h).
		int err = observe ? installFilter(*observe, geteuid() != 0) : 0;
		if (err == 0)
			err = installFilter(*filter, geteuid() != 0);
		if (err != 0)
			childFail(wfd, err);
		// Processes outside the tree are out of the step's reach (launch/landlock.h).
		err = enterStepDomain();
		if (err != 0 && err != ENOSYS && err != EOPNOTSUPP)
			childFail(wfd, err);
	}
	execve(plan.path.c_str(), plan.argv.data(), plan.envp.empty() ? environ : const_cast<char **>(plan.envp.data()));
	childFail(wfd, errno);
}

int childSetupError(const ExecPlan &plan)
{
	int err = 0;
	ssize_t got;
	while ((got = read(plan.errRead.get(), &err, sizeof(err))) < 0 && errno == EINTR) {
	}
	return got == sizeof(err) ? err : 0;
}

} // namespace hg
