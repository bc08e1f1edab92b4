#include "record/fd_pass.h"

#include <algorithm>
#include <cerrno>

namespace hg {

namespace {

bool named(const std::vector<int> &fds, int fd)
{
	return std::find(fds.begin(), fds.end(), fd) != fds.end();
}

std::string inheritedList(const std::vector<InheritedFd> &inherited)
{
	if (inherited.empty())
		return "the gate inherited none above 2";
	std::string list;
	for (const InheritedFd &d : inherited)
		list += (list.empty() ? "" : ", ") + std::to_string(d.fd);
	return "the gate inherited " + list;
}

// The record of a named socket: the pseudo-call "inherited" on its fd, judged as the call
// it stands for; result 0 when passed, -EPERM when refused.
NetRecord socketRecord(const InheritedFd &d, const DecisionRules &rules)
{
	PassedSocketUse u = classifyPassedSocket(d);
	NetRecord r;
	r.call = NetCall::Other;
	r.callName = "inherited";
	r.fd = d.fd;
	r.sock = d.sock;
	r.addr = u.matched;
	r.boundAddr = d.local;
	Judgement j = decide(u.like, u.cls, u.matched, rules);
	r.cls = std::move(u.cls);
	r.exception = j.exception;
	r.decision = j.decision;
	r.resultKnown = true;
	r.result = r.decision == Decision::Denied ? -EPERM : 0;
	if (r.decision == Decision::Denied)
		r.cls.why += "; denied: not passed, closed before the step started";
	return r;
}

} // namespace

const char *fdActionName(FdAction a)
{
	switch (a) {
	case FdAction::Closed:
		return "closed";
	case FdAction::Passed:
		return "passed";
	case FdAction::Refused:
		return "refused";
	}
	return "closed";
}

Expected<void> checkPassFds(const std::vector<InheritedFd> &inherited, const std::vector<int> &fds,
			    const std::string &what)
{
	for (int fd : fds) {
		bool found = std::any_of(inherited.begin(), inherited.end(), [fd](const InheritedFd &d) { return d.fd == fd; });
		if (fd >= 0 && fd <= 2)
			return Error{EBADF, what + ": descriptor " + std::to_string(fd) +
						    " is the step's standard input, output or error, which it always gets"};
		if (!found)
			return Error{EBADF, what + ": descriptor " + std::to_string(fd) + " is not open (" +
						    inheritedList(inherited) + ")"};
	}
	return {};
}

PassPlan planPassFds(const std::vector<InheritedFd> &inherited, const std::vector<int> &fds, const DecisionRules &rules)
{
	PassPlan plan;
	for (const InheritedFd &d : inherited) {
		FdOutcome o{d, FdAction::Closed, ""};
		if (named(fds, d.fd)) {
			o.action = FdAction::Passed;
			if (isIoUring(d)) {
				o.action = FdAction::Refused;
				o.why = "an io_uring ring is never passed: operations submitted on it bypass the traced syscalls";
			} else if (d.type == FdType::Socket) {
				NetRecord r = socketRecord(d, rules);
				if (r.decision == Decision::Denied) {
					o.action = FdAction::Refused;
					o.why = std::string("an ") + directionName(r.cls.direction) +
						" violation, denied: not passed, closed before the step started";
				}
				plan.records.push_back(std::move(r));
			}
		}
		if (o.action == FdAction::Passed)
			plan.keep.push_back(d.fd);
		if (o.action == FdAction::Passed && d.type == FdType::Socket && d.inode != 0)
			plan.keptSockets.push_back(d.inode);
		plan.fds.push_back(std::move(o));
	}
	std::sort(plan.keep.begin(), plan.keep.end());
	return plan;
}

void emitInheritedRecords(const std::vector<NetRecord> &records, pid_t root, const std::string &exe, uint64_t &seq,
			  uint64_t &calls, RecordSink &sink)
{
	for (NetRecord r : records) {
		r.seq = seq++;
		r.pid = root;
		r.tid = root;
		r.exe = exe;
		calls++;
		if (r.decision == Decision::Audited || r.decision == Decision::Denied)
			sink.onViolation(r);
		sink.onRecord(r);
	}
}

} // namespace hg
