#pragma once
// The strace drop-in's output: a CallObserver (tracer/call_observer.h) that writes, for the
// calls, signals and task ends the supervisor shows it, the lines `strace` writes with the
// same options: -f / -ff and -o (one file, or PREFIX.TID per task), -q/-qq, -t/-tt/-ttt, and
// the printer's -s / -y (strace/format.h).
//
// Lines are written as strace writes them:
//   one file with -f:       "1234  connect(3, {...}, 16) = 0"  (the tid, left-aligned in 5 columns)
//   standard error with -f: "[pid  1234] connect(...) = 0" while more than one task is traced
//   -ff -o PREFIX:          PREFIX.1234 holds the lines of task 1234, without a prefix
//   without -f:             only the command's own task, without a prefix
// A call is written as one line when it returns. Where strace is writing something else
// between a call's entry and its return (another task's line, in one file or on standard
// error), it splits the call into "connect(3, ... <unfinished ...>" and
// "<... connect resumed>) = 0"; so does the tap, with the same words.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "strace/format.h"
#include "tracer/call_observer.h"

namespace hg::strace {

struct TapOptions {
	std::vector<std::string> syscalls; // -e trace=: x86_64 names, all of networkSyscalls() by default
	bool follow = false;               // -f
	bool perTask = false;              // -ff with -o: PREFIX.TID
	std::string output;                // -o FILE (or PREFIX); "" for standard error
	int quiet = 0;                     // -q: no "Process N attached"; -qq: no "+++ exited" lines either
	int timestamps = 0;                // -t 1, -tt 2, -ttt 3
	Options print;                     // -s, -y
	std::string program = "strace";    // how its own messages start: argv[0] when run as strace
};

// Where the lines go: standard error, one file, or one file per task.
class TapOutput {
public:
	explicit TapOutput(const TapOptions &o) : opts_(o) {}
	// Opens -o FILE (truncated, as strace does). Error: "cannot open -o FILE: ..."; per-task
	// files open at their first line, so a PREFIX in a missing folder fails on that line.
	Expected<void> open();
	// Writes line plus a newline for task tid, in one write(2).
	void write(pid_t tid, const std::string &line);
	// Task tid is gone: its per-task file is closed.
	void close(pid_t tid);
	bool toStderr() const { return opts_.output.empty(); }
	// The first error writing (or opening a per-task file), "" while there is none.
	const std::string &error() const { return error_; }

private:
	const TapOptions &opts_;
	UniqueFd single_;
	std::map<pid_t, UniqueFd> perTask_;
	std::string error_;
	void fail(const std::string &what);
};

class Tap final : public CallObserver {
public:
	explicit Tap(TapOptions opts);
	Expected<void> open() { return out_.open(); }
	const std::string &outputError() const { return out_.error(); }

	const std::vector<std::string> &syscalls() const override { return opts_.syscalls; }
	bool wants(const RawSyscall &sc) const override;
	void onEntry(pid_t tid, const RawSyscall &sc) override;
	void onExit(pid_t tid, std::optional<long> ret) override;
	void onNewTask(pid_t tid, pid_t parent) override;
	void onExec(pid_t tid) override;
	void onSignal(pid_t tid, int sig) override;
	void onGroupStop(pid_t tid, int sig) override;
	void onTaskExit(pid_t tid, int exitCode, int termSignal, bool coreDumped) override;

private:
	struct Pending {
		Call call;
		Entry entry;
		std::string leader; // prefix and timestamp at the entry
		bool interrupted = false;
	};

	// The name of sc's call in x86_64 terms, "" when the call is not a socket call.
	std::string callName(const RawSyscall &sc) const;
	bool shown(pid_t tid) const; // without -f only the command's own task is shown
	std::string leader(pid_t tid) const;
	// Writes a whole line of tid, first cutting short a call of another task in mid-line.
	void emit(pid_t tid, const std::string &body, const std::string &lead);
	void interruptOthers(pid_t tid);

	TapOptions opts_;
	TapOutput out_;
	std::set<std::string> selected_;
	pid_t root_ = 0;
	bool started_ = false;          // the root has exec'd the command: strace's output starts there
	std::set<pid_t> tasks_;         // traced tasks alive (strace's nprocs)
	std::map<pid_t, Pending> calls_; // calls between entry and exit
};

} // namespace hg::strace
