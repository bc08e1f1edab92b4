// The supervisor's handlers on scripted events (tests/tracer/fake_tracer.h): process
// lifetime, restarts and their failures, and calls whose details cannot be read.

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include <cerrno>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "record/record.h"
#include "seccomp/filter.h"
#include "tracer/supervisor.h"

#include "fake_tracer.h"

using namespace hg;
using namespace hgtest;
using Kind = TraceEventKind;

namespace {

constexpr pid_t kRoot = kFakePid + 1;
constexpr pid_t kChild = kFakePid + 2;
constexpr pid_t kThread = kFakePid + 3;
constexpr pid_t kStranger = kFakePid + 99;

class CollectSink final : public RecordSink {
public:
	void onViolation(const NetRecord &r) override { violations.push_back(r); }
	void onRecord(const NetRecord &r) override { records.push_back(r); }
	std::vector<NetRecord> violations;
	std::vector<NetRecord> records;
};

struct Run {
	FakePtraceOps ops;
	CollectSink sink;
	SupervisorOptions opts;
	std::vector<std::chrono::nanoseconds> spins;

	TraceResult trace(std::vector<TraceEvent> script)
	{
		ScriptedWaiter waiter(std::move(script));
		Supervisor sup(opts, sink, ops, waiter);
		TraceResult result = sup.trace(kRoot, {"root"}, "/bin/root");
		spins = waiter.spins;
		return result;
	}
};

std::vector<const ProcessRecord *> processesOf(const TraceResult &r, pid_t pid)
{
	std::vector<const ProcessRecord *> out;
	for (const ProcessRecord &p : r.processes)
		if (p.pid == pid)
			out.push_back(&p);
	return out;
}

} // namespace

TEST_CASE("a new child is recorded at its fork event and finished at its exit", "[tracer][supervisor]")
{
	Run run;
	run.ops.eventMsgs[kRoot] = {kChild};
	auto result = run.trace({
		event(Kind::NewChild, kRoot, PTRACE_EVENT_FORK),
		event(Kind::PtraceStop, kChild),
		event(Kind::Exited, kChild, 3),
		event(Kind::Exited, kRoot, 0),
	});
	REQUIRE(result.processes.size() == 2);
	const ProcessRecord &child = result.processes[1];
	CHECK(child.pid == kChild);
	CHECK(child.ppid == kRoot);
	CHECK(child.argv == std::vector<std::string>{"root"}); // runs its parent's program until it execs
	CHECK(child.exited);
	CHECK(child.exitCode == 3);
	CHECK_FALSE(child.killedByGate);
	CHECK(result.processes[0].exited);
	CHECK(result.exitCode == 0);
	CHECK(run.ops.restarts == std::vector<Restart>{{kRoot, PTRACE_CONT, 0}, {kChild, PTRACE_CONT, 0}});
	CHECK(run.ops.kills.empty());
}

TEST_CASE("a pid the kernel reuses within a step gets a second process record", "[tracer][supervisor]")
{
	Run run;
	run.ops.eventMsgs[kRoot] = {kChild, kChild};
	auto result = run.trace({
		event(Kind::NewChild, kRoot, PTRACE_EVENT_FORK),
		event(Kind::Exited, kChild, 1),
		event(Kind::NewChild, kRoot, PTRACE_EVENT_VFORK),
		event(Kind::PtraceStop, kChild),
		event(Kind::Exited, kChild, 2),
		event(Kind::Exited, kRoot, 0),
	});
	auto twins = processesOf(result, kChild);
	REQUIRE(twins.size() == 2);
	CHECK(twins[0]->exitCode == 1);
	CHECK(twins[1]->exitCode == 2);
	CHECK(twins[0]->spawnSeq != twins[1]->spawnSeq);
	CHECK(twins[1]->exited);
	CHECK(run.ops.kills.empty()); // the first one's exit was not taken for the second one's
}

TEST_CASE("a clone with CLONE_THREAD is a thread, not a process", "[tracer][supervisor]")
{
	Run run;
	run.ops.eventMsgs[kRoot] = {kThread};
	run.ops.threads = {{kRoot, kThread}};
	auto result = run.trace({
		event(Kind::NewChild, kRoot, PTRACE_EVENT_CLONE),
		event(Kind::PtraceStop, kThread),
		event(Kind::Exited, kThread, 0),
		event(Kind::Exited, kRoot, 0),
	});
	CHECK(result.processes.size() == 1);
	CHECK(run.ops.restarts.size() == 2);
}

TEST_CASE("group stops are listened to and signals re-injected", "[tracer][supervisor]")
{
	Run run;
	run.trace({
		event(Kind::GroupStop, kRoot, SIGSTOP),
		event(Kind::SignalDelivery, kRoot, SIGUSR1),
		event(Kind::VforkDone, kRoot),
		event(Kind::Exited, kRoot, 0),
	});
	CHECK(run.ops.restarts ==
	      std::vector<Restart>{{kRoot, PTRACE_LISTEN, 0}, {kRoot, PTRACE_CONT, SIGUSR1}, {kRoot, PTRACE_CONT, 0}});
}

TEST_CASE("tracees the supervisor has not seen", "[tracer][supervisor]")
{
	Run run;
	auto result = run.trace({
		event(Kind::Exited, kStranger, 0), // an untraced orphan re-parented to the gate
		event(Kind::PtraceStop, kChild),   // a child whose stop came before its parent's event
		event(Kind::Exited, kChild, 0),
		event(Kind::Exited, kRoot, 0),
	});
	CHECK(processesOf(result, kStranger).empty());
	REQUIRE(processesOf(result, kChild).size() == 1);
	CHECK(processesOf(result, kChild)[0]->exited);
	CHECK(run.ops.restarts == std::vector<Restart>{{kChild, PTRACE_CONT, 0}});
}

TEST_CASE("the root's exit kills what is left of the tree", "[tracer][supervisor]")
{
	Run run;
	run.ops.eventMsgs[kRoot] = {kChild};
	auto result = run.trace({
		event(Kind::NewChild, kRoot, PTRACE_EVENT_FORK),
		event(Kind::Exited, kRoot, 5),
		event(Kind::Signaled, kChild, SIGKILL),
	});
	CHECK(run.ops.kills == std::vector<std::pair<pid_t, int>>{{kChild, SIGKILL}});
	auto child = processesOf(result, kChild);
	REQUIRE(child.size() == 1);
	CHECK(child[0]->killedByGate);
	CHECK(child[0]->termSignal == SIGKILL);
	CHECK(result.exitCode == 5);
}

TEST_CASE("a trapped call whose details cannot be read is refused and recorded", "[tracer][supervisor]")
{
	Run run;
	run.opts.enforce = GENERATE(false, true); // audit mode refuses it too
	run.ops.eventMsgs[kRoot] = {kTagConnect}; // PTRACE_GETEVENTMSG still names the filter's rule
	SECTION("PTRACE_GET_SYSCALL_INFO fails")
	{
		run.ops.infos[kRoot] = {infoError(EIO)};
	}
	SECTION("PTRACE_GET_SYSCALL_INFO reports another op")
	{
		run.ops.infos[kRoot] = {exitStop(0)};
	}
	run.trace({event(Kind::SeccompStop, kRoot), event(Kind::Exited, kRoot, 0)});

	CHECK(run.ops.skips == std::vector<std::pair<pid_t, long>>{{kRoot, -EPERM}});
	CHECK(run.ops.restarts == std::vector<Restart>{{kRoot, PTRACE_CONT, 0}});
	REQUIRE(run.sink.records.size() == 1);
	const NetRecord &r = run.sink.records[0];
	CHECK(r.call == NetCall::Other);
	CHECK(r.callName == "connect");
	CHECK(r.pid == kRoot);
	CHECK(r.decision == Decision::Denied);
	CHECK(r.cls.violation);
	CHECK(r.cls.why.rfind("the gate could not read the call's details: ptrace(PTRACE_GET_SYSCALL_INFO", 0) == 0);
	CHECK((r.cls.why.find("failed with EIO") != std::string::npos ||
	       r.cls.why.find("reported op 2, not a seccomp stop") != std::string::npos));
	CHECK(r.resultKnown);
	CHECK(r.result == -EPERM);
	CHECK(r.addr.status == AddrStatus::Undecodable);
	CHECK(run.sink.violations.size() == 1);
}

TEST_CASE("an unreadable call without a known tag is recorded as unknown", "[tracer][supervisor]")
{
	Run run;
	run.ops.infos[kRoot] = {infoError(EINVAL)}; // and no event message either
	run.trace({event(Kind::SeccompStop, kRoot), event(Kind::Exited, kRoot, 0)});
	REQUIRE(run.sink.records.size() == 1);
	CHECK(run.sink.records[0].callName == "unknown");
	CHECK(run.sink.records[0].cls.why.find("failed with EINVAL") != std::string::npos);
}

TEST_CASE("ESRCH at a seccomp stop is a tracee killed there, not a violation", "[tracer][supervisor]")
{
	Run run;
	run.ops.infos[kRoot] = {infoError(ESRCH)};
	auto result = run.trace({event(Kind::SeccompStop, kRoot), event(Kind::Signaled, kRoot, SIGKILL)});
	CHECK(run.sink.records.empty());
	CHECK(run.sink.violations.empty());
	CHECK(run.ops.skips.empty());
	CHECK(run.ops.restarts.empty());
	CHECK(result.termSignal == SIGKILL);
}

TEST_CASE("a refusal that cannot be made kills the caller", "[tracer][supervisor]")
{
	Run run;
	run.ops.infos[kRoot] = {infoError(EIO)};
	run.ops.skipErrno = EIO;
	auto result = run.trace({event(Kind::SeccompStop, kRoot), event(Kind::Signaled, kRoot, SIGKILL)});
	CHECK(run.ops.kills == std::vector<std::pair<pid_t, int>>{{kRoot, SIGKILL}});
	CHECK(run.ops.restarts.empty()); // a restart would let the call run
	REQUIRE(run.sink.records.size() == 1);
	CHECK_FALSE(run.sink.records[0].resultKnown);
	CHECK(run.sink.records[0].cls.why.find("could not skip the call") != std::string::npos);
	CHECK(result.processes[0].killedByGate);
}

TEST_CASE("a restart that fails with another error than ESRCH kills the tracee", "[tracer][supervisor]")
{
	Run run;
	run.ops.restartErrno = EIO;
	run.ops.restartFailures = 1;
	auto result = run.trace({event(Kind::PtraceStop, kRoot), event(Kind::Signaled, kRoot, SIGKILL)});
	CHECK(run.ops.failedRestarts == std::vector<Restart>{{kRoot, PTRACE_CONT, 0}});
	CHECK(run.ops.kills == std::vector<std::pair<pid_t, int>>{{kRoot, SIGKILL}});
	CHECK(result.processes[0].killedByGate);
	CHECK(result.termSignal == SIGKILL);
}

TEST_CASE("a restart that fails with ESRCH is a tracee gone", "[tracer][supervisor]")
{
	Run run;
	run.ops.restartErrno = ESRCH;
	run.ops.restartFailures = -1;
	auto result = run.trace({event(Kind::PtraceStop, kRoot), event(Kind::Exited, kRoot, 0)});
	CHECK(run.ops.failedRestarts.size() == 1);
	CHECK(run.ops.kills.empty());
	CHECK_FALSE(result.processes[0].killedByGate);
}

TEST_CASE("a call resumed to its exit stop", "[tracer][supervisor]")
{
	Run run;
	// connect(3, 0x1000, 16): the address cannot be read (no such process): a violation,
	// audited, so the call runs and its result comes at the exit stop.
	auto connect = seccompStop(SYS_connect, kTagConnect, {3, 0x1000, 16});
	SECTION("its result is read there")
	{
		run.ops.infos[kRoot] = {connect, exitStop(-EINPROGRESS)};
		run.trace({event(Kind::SeccompStop, kRoot), event(Kind::SyscallExit, kRoot), event(Kind::Exited, kRoot, 0)});
		REQUIRE(run.sink.records.size() == 1);
		CHECK(run.sink.records[0].decision == Decision::Audited);
		CHECK(run.sink.records[0].resultKnown);
		CHECK(run.sink.records[0].result == -EINPROGRESS);
	}
	SECTION("its result cannot be read: unknown, and the tracee still goes on")
	{
		run.ops.infos[kRoot] = {connect, infoError(EIO)};
		run.trace({event(Kind::SeccompStop, kRoot), event(Kind::SyscallExit, kRoot), event(Kind::Exited, kRoot, 0)});
		REQUIRE(run.sink.records.size() == 1);
		CHECK_FALSE(run.sink.records[0].resultKnown);
	}
	CHECK(run.ops.restarts == std::vector<Restart>{{kRoot, PTRACE_SYSCALL, 0}, {kRoot, PTRACE_CONT, 0}});
	// The waiter polls for the exit stop it knows is due (kExitStopSpin), only then.
	CHECK(run.spins == std::vector<std::chrono::nanoseconds>{std::chrono::nanoseconds(0), kExitStopSpin,
								  std::chrono::nanoseconds(0)});
}

TEST_CASE("a tracee killed inside its call: the record completes at its exit", "[tracer][supervisor]")
{
	Run run;
	run.ops.infos[kRoot] = {seccompStop(SYS_connect, kTagConnect, {3, 0x1000, 16}), infoError(ESRCH)};
	run.trace({event(Kind::SeccompStop, kRoot), event(Kind::SyscallExit, kRoot), event(Kind::Signaled, kRoot, SIGKILL)});
	REQUIRE(run.sink.records.size() == 1);
	CHECK_FALSE(run.sink.records[0].resultKnown);
	CHECK(run.ops.restarts == std::vector<Restart>{{kRoot, PTRACE_SYSCALL, 0}});
}

TEST_CASE("a call whose restart to its exit stop fails: killed, and its record says so", "[tracer][supervisor]")
{
	Run run;
	run.ops.infos[kRoot] = {seccompStop(SYS_connect, kTagConnect, {3, 0x1000, 16})};
	run.ops.restartErrno = EIO;
	run.ops.restartFailures = 1;
	auto result = run.trace({event(Kind::SeccompStop, kRoot), event(Kind::Signaled, kRoot, SIGKILL)});
	CHECK(run.ops.failedRestarts == std::vector<Restart>{{kRoot, PTRACE_SYSCALL, 0}});
	CHECK(run.ops.kills == std::vector<std::pair<pid_t, int>>{{kRoot, SIGKILL}});
	REQUIRE(run.sink.records.size() == 1);
	CHECK_FALSE(run.sink.records[0].resultKnown);
	CHECK(run.sink.records[0].cls.why.find("could not resume the call") != std::string::npos);
	CHECK(result.processes[0].killedByGate);
}
