#pragma once
// `hermetic-gate strace [OPTIONS] CMD [ARG...]`, also run as `strace` through a link of that
// name: the options scripts pass to strace for network tracing, the lines strace writes
// (strace/tap.h), strace's exit status. The gate watches as in `exec` (audit mode, no
// exception): its violation lines go to standard error only with --hermetic-live, so a script
// that reads strace's standard error sees what strace would print there.

#include <string>
#include <vector>

#include "base/error.h"
#include "record/fd_pass.h"
#include "cli/strace_tap.h"

namespace hg {

struct StraceArgs {
	strace::TapOptions tap;
	bool live = false;  // --hermetic-live
	bool help = false;  // -h, --help
	std::vector<std::string> command;
};

// The options strace takes that the drop-in accepts, for --help and the man page.
extern const char *const kStraceUsage;

// args: what follows "strace" on the command line. Options end at the first argument that
// is not one (or at "--"), as with strace. Error: one line naming the option and what to do,
// e.g. "option -p: attaching to a running process is not supported (run the command under it)".
Expected<StraceArgs> parseStraceArgs(const std::vector<std::string> &args);

// Runs the command; returns its exit status (128 + N if a signal N killed it and the gate
// could not die of the same signal), 2 for a usage error, 4 when the tracer cannot run.
int runStrace(const StraceArgs &args, std::vector<InheritedFd> inherited);

} // namespace hg
