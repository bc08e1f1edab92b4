#pragma once
// `hermetic-gate exec`: one command under the tracer, live violations on stderr,
// strace.txt (and process_tree.json) in --out.

#include <string>
#include <vector>

#include "cli/detector_choice.h"
#include "net/inherited_fd.h"

namespace hg {

struct ExecOptions {
	std::vector<std::string> allowHosts;
	std::vector<std::string> allowPorts;
	std::vector<std::string> allowListen;
	std::vector<std::string> allowDelegated;
	bool enforce = false;
	bool quiet = false;
	std::string out;
	int timeoutSeconds = 0;
	bool strict = false;           // refuse to run without the native tracer
	DetectorChoice detector = DetectorChoice::Auto;
	int pollIntervalMs = 20;
	std::vector<int> passFds;            // --pass-fd: inherited descriptors the command keeps
	std::vector<InheritedFd> inherited;  // what the gate inherited (main's snapshot)
	std::vector<std::string> command;
};

// Runs the command; returns the exit code (see verdict.h).
int runExec(const ExecOptions &opts);

} // namespace hg
