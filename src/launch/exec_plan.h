#pragma once
// Starting a step's command: what to run (SpawnSpec), and the child side of fork, shared
// by both detectors. The tracer (tracer/spawn.h) stops the child for the supervisor and
// loads the seccomp filter before execve; the /proc poller execs it plainly.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "seccomp/filter.h"

namespace hg {

struct SpawnSpec {
	std::vector<std::string> argv;               // argv[0] is looked up in PATH when it has no '/'
	std::optional<std::vector<std::string>> env; // "NAME=value"; nullopt inherits the gate's environment
	std::string cwd;                             // empty: the gate's cwd
	int stdinFd = -1;                            // -1: inherit
	int stdoutFd = -1;
	int stderrFd = -1;
	bool newProcessGroup = true; // the step gets its own process group
	bool takeTerminal = false;   // and, with a terminal on stdin, becomes its foreground group
	// Inherited descriptors above 2 the step keeps (record/fd_pass.h); every other one
	// above 2 is closed before exec.
	std::vector<int> keepFds;
};

// What a child needs to exec spec, prepared before fork (the child must not allocate):
// the resolved path, argv/envp arrays pointing into spec's strings, and a CLOEXEC pipe
// on which the child reports the errno of a failed setup or execve.
struct ExecPlan {
	const SpawnSpec *spec = nullptr;
	std::string path;
	std::vector<char *> argv;
	std::vector<char *> envp; // empty: the gate's environment
	UniqueFd errRead, errWrite;
	std::vector<int> keepOpen; // spec.keepFds and errWrite (CLOEXEC: open until execve), ascending
};
Expected<ExecPlan> prepareExec(const SpawnSpec &spec);

// In the child, right after fork: dies with the gate, becomes dumpable, gets its own
// process group (and the terminal when asked), stdio and cwd; closes every descriptor above
// 2 but the plan's keepOpen; then, when filter is set, stops for the tracer, installs the
// filter and enters the step's Landlock domain (launch/landlock.h); then execve. Reports
// errno on the plan's pipe and _exit(127)s on failure. Only system calls: safe after fork.
// observe: with filter, an observer's filter installed just before it (seccomp/filter.h).
[[noreturn]] void execChild(const ExecPlan &plan, const BpfProgram *filter, const BpfProgram *observe = nullptr);

// The errno a child reported on the plan's pipe, 0 when it exec'd (the pipe closed).
int childSetupError(const ExecPlan &plan);

// Resolves argv[0] against PATH (the step's PATH if env sets one). Error names the
// command and the fix.
Expected<std::string> resolveCommand(const SpawnSpec &spec);

} // namespace hg
