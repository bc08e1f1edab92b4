#pragma once
// Which inherited descriptors a step keeps, and the evidence of it: every descriptor above
// 2 the gate inherited is closed before exec unless the policy (pass_fds) or --pass-fd
// names it; a named socket is judged as the call that would give the step what it already
// has (net/inherited_fd.h), recorded as a network record before the step starts, and not
// passed when that record is Denied (enforce mode). An io_uring ring is never passed.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "net/inherited_fd.h"
#include "policy/decide.h"
#include "record/record.h"

namespace hg {

enum class FdAction {
	Closed,  // not named: closed before exec
	Passed,  // named and left open
	Refused, // named, and closed all the same (a Denied socket, an io_uring ring)
};

// "closed", "passed", "refused": report.json's inherited_fds[].action.
const char *fdActionName(FdAction a);

struct FdOutcome {
	InheritedFd fd;
	FdAction action = FdAction::Closed;
	std::string why; // Refused: the reason; otherwise ""
};

struct PassPlan {
	std::vector<int> keep;          // descriptors left open (SpawnSpec::keepFds), ascending
	std::vector<uint64_t> keptSockets; // inodes of the sockets among them
	std::vector<FdOutcome> fds;     // every inherited descriptor, in fd order
	std::vector<NetRecord> records; // one per named socket, seq/pid/exe still to fill
};

// Error when a named descriptor is not one the gate inherited (not open, or 0-2):
// "descriptor 7 is not open (the gate inherited 3, 5)". what names the source: "--pass-fd 7".
Expected<void> checkPassFds(const std::vector<InheritedFd> &inherited, const std::vector<int> &named,
			    const std::string &what);

// The plan for one step: named must have passed checkPassFds (a name not inherited is ignored).
PassPlan planPassFds(const std::vector<InheritedFd> &inherited, const std::vector<int> &named,
		     const DecisionRules &rules);

// Sends the records of a plan to sink as calls of the step's root (pid, exe), numbered from
// seq on, counted in calls: before the step runs, so they come first.
void emitInheritedRecords(const std::vector<NetRecord> &records, pid_t root, const std::string &exe, uint64_t &seq,
			  uint64_t &calls, RecordSink &sink);

} // namespace hg
