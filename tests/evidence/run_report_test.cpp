// Pure evidence logic: step results, violation aggregation, exception usage.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>

#include "base/proc.h"
#include "evidence/run_report.h"
#include "evidence_fixtures.h"

using namespace hg;
using namespace hg::test;

TEST_CASE("stepResult follows violation > error > failed > pass", "[evidence]")
{
	StepEvidence s;
	s.id = "s";
	s.exitCode = 0;
	CHECK(stepResult(s) == StepResult::Pass);

	StepEvidence failedExit = s;
	failedExit.exitCode = 2;
	CHECK(stepResult(failedExit) == StepResult::Failed);

	StepEvidence killed = s;
	killed.exitCode = -1;
	killed.signal = SIGKILL;
	CHECK(stepResult(killed) == StepResult::Failed);

	StepEvidence timedOut = s;
	timedOut.timedOut = true;
	CHECK(stepResult(timedOut) == StepResult::Failed);

	StepEvidence notStarted = s;
	notStarted.started = false;
	notStarted.exitCode = -1;
	notStarted.error = "execve(x): No such file or directory";
	CHECK(stepResult(notStarted) == StepResult::Error);

	StepEvidence logged = s;
	logged.aggregates = aggregate({ connectRecord(0, 1, "/bin/x", inet4(127, 0, 0, 1, 53), Decision::Logged),
					connectRecord(1, 1, "/bin/x", inet4(10, 0, 0, 1, 53), Decision::Allowed, 0) });
	CHECK(stepResult(logged) == StepResult::Pass);

	StepEvidence denied = failedExit;
	denied.error = "tracer lost the step";
	denied.aggregates = aggregate({ connectRecord(0, 1, "/bin/x", inet4(1, 1, 1, 1, 53), Decision::Denied) });
	CHECK(stepResult(denied) == StepResult::Violation);

	StepEvidence audited = s;
	audited.aggregates = aggregate({ connectRecord(0, 1, "/bin/x", inet4(1, 1, 1, 1, 53), Decision::Audited) });
	CHECK(stepResult(audited) == StepResult::Violation);
}

TEST_CASE("overallResult is the worst step, and an interrupted run cannot pass", "[evidence]")
{
	RunEvidence run;
	CHECK(overallResult(run) == StepResult::Pass);
	run.complete = false;
	CHECK(overallResult(run) == StepResult::Error);

	RunEvidence sample = sampleRun();
	CHECK(overallResult(sample) == StepResult::Violation);
	sample.steps.erase(sample.steps.begin() + 1); // drop "fetch"
	CHECK(overallResult(sample) == StepResult::Error);
	sample.steps.pop_back(); // drop "deploy"
	CHECK(overallResult(sample) == StepResult::Pass);
	sample.steps[0].exitCode = 1;
	CHECK(overallResult(sample) == StepResult::Failed);
	CHECK(std::string(stepResultName(overallResult(sample))) == "failed");
}

TEST_CASE("aggregateViolations groups by every key and sorts", "[evidence]")
{
	RunEvidence run = sampleRun();
	auto groups = aggregateViolations(run.steps[1]);
	REQUIRE(groups.size() == 3);

	// Outbound sorts before inbound (Direction order); AF_INET before AF_INET6.
	CHECK(groups[0].kind == Direction::Outbound);
	CHECK(groups[0].syscall == "connect");
	CHECK(groups[0].family == "AF_INET");
	CHECK(groups[0].protocol == "tcp");
	CHECK(groups[0].address == "203.0.113.1");
	CHECK(groups[0].port == std::optional<uint16_t>(443));
	CHECK(groups[0].exe == "/usr/bin/curl");
	CHECK(groups[0].decision == Decision::Audited);
	CHECK(groups[0].count == 2);
	using Argv = std::vector<std::string>;
	CHECK(groups[0].argvs == std::vector<Argv>{ { "curl", "-s", "https://example.test" },
						    { "curl", "-s", "https://mirror.test" } });

	CHECK(groups[1].family == "AF_INET6");
	CHECK(groups[1].address == "2001:db8::1");
	CHECK(groups[1].count == 1);

	// listen() has no address argument: the bound address is reported.
	CHECK(groups[2].kind == Direction::Inbound);
	CHECK(groups[2].syscall == "listen");
	CHECK(groups[2].address == "0.0.0.0");
	CHECK(groups[2].port == std::optional<uint16_t>(8000));
	CHECK(groups[2].argvs == std::vector<Argv>{ { "python3", "-m", "http.server" } });

	// Logged and Allowed records are not violations.
	CHECK(aggregateViolations(run.steps[0]).empty());
}

TEST_CASE("aggregateViolations splits a group whose records differ in decision or exe", "[evidence]")
{
	StepEvidence s;
	s.id = "s";
	s.aggregates = aggregate({ connectRecord(0, 1, "/bin/a", inet4(192, 0, 2, 1, 80), Decision::Denied),
				   connectRecord(1, 1, "/bin/a", inet4(192, 0, 2, 1, 80), Decision::Audited),
				   connectRecord(2, 2, "/bin/b", inet4(192, 0, 2, 1, 80), Decision::Audited),
				   connectRecord(3, 1, "/bin/a", inet4(192, 0, 2, 1, 81), Decision::Audited),
				   connectRecord(4, 1, "/bin/a", inet4(192, 0, 2, 1, 80), Decision::Denied) });
	auto groups = aggregateViolations(s);
	REQUIRE(groups.size() == 4);
	CHECK((groups[0].exe == "/bin/a" && groups[0].port == 80 && groups[0].decision == Decision::Audited &&
	       groups[0].count == 1));
	CHECK((groups[1].exe == "/bin/a" && groups[1].port == 80 && groups[1].decision == Decision::Denied &&
	       groups[1].count == 2));
	CHECK((groups[2].exe == "/bin/b" && groups[2].port == 80));
	CHECK((groups[3].exe == "/bin/a" && groups[3].port == 81));
	// No ProcessRecord for these pids: no argv, but the group is still there.
	CHECK(groups[0].argvs.empty());
}

TEST_CASE("aggregateViolations of a call without a usable address", "[evidence]")
{
	NetRecord raw;
	raw.callName = "sendto";
	raw.call = NetCall::Sendto;
	raw.exe = "/usr/bin/ping";
	raw.sock = SocketInfo{ true, AF_PACKET, SOCK_RAW, 0x0800 };
	raw.cls.direction = Direction::Outbound;
	raw.cls.violation = true;
	raw.decision = Decision::Denied;

	NetRecord unknown = raw;
	unknown.sock = SocketInfo{};
	unknown.addr.status = AddrStatus::Undecodable;
	unknown.addr.undecodableReason = "EFAULT reading 0x10";

	StepEvidence s;
	s.id = "s";
	s.aggregates = aggregate({ raw, unknown });
	auto groups = aggregateViolations(s);
	REQUIRE(groups.size() == 2);
	CHECK(groups[0].family == "AF_PACKET"); // from the socket
	CHECK(groups[0].address.empty());
	CHECK_FALSE(groups[0].port);
	CHECK(groups[1].family == "unknown");
	CHECK(groups[1].address == "undecodable: EFAULT reading 0x10");
	CHECK_FALSE(groups[1].port);
}

TEST_CASE("aggregateViolations does not depend on record order or pids", "[evidence]")
{
	RunEvidence a = sampleRun();
	RunEvidence b = reshuffled();
	auto ga = aggregateViolations(a.steps[1]);
	auto gb = aggregateViolations(b.steps[1]);
	REQUIRE(ga.size() == gb.size());
	for (size_t i = 0; i < ga.size(); i++) {
		CHECK(ga[i].address == gb[i].address);
		CHECK(ga[i].count == gb[i].count);
		CHECK(ga[i].argvs == gb[i].argvs);
	}
}

TEST_CASE("exceptionUsage counts hits and lists unused exceptions in allowlist order", "[evidence]")
{
	RunEvidence run = sampleRun();
	auto usage = exceptionUsage(run.steps[1]);
	REQUIRE(usage.ok());
	REQUIRE(usage->used.size() == 1);
	CHECK(usage->used[0].spec == "10.0.0.0/8");
	CHECK(usage->used[0].source == "policy.yml:7:9");
	CHECK(usage->used[0].hits == 1);
	REQUIRE(usage->unused.size() == 1);
	CHECK(usage->unused[0].spec == "198.51.100.7");
	CHECK(usage->unused[0].hits == 0);

	auto buildUsage = exceptionUsage(run.steps[0]);
	REQUIRE(buildUsage.ok());
	CHECK(buildUsage->used[0].hits == 2);
}

TEST_CASE("exceptionUsage rejects an Allowed record naming no exception", "[evidence]")
{
	StepEvidence s;
	s.id = "lint";
	s.exceptions = { cidrException("10.0.0.0/8", "--allow-host") };
	NetRecord allowed = connectRecord(7, 1, "/bin/x", inet4(10, 0, 0, 1, 1), Decision::Allowed, 3);
	s.aggregates = aggregate({ allowed });
	auto usage = exceptionUsage(s);
	REQUIRE_FALSE(usage.ok());
	CHECK_THAT(usage.error().message, Catch::Contains("step 'lint'") && Catch::Contains("record 7") &&
						  Catch::Contains("#3") && Catch::Contains("has 1 exceptions"));

	allowed.exception = -1;
	s.aggregates = aggregate({ allowed });
	CHECK_FALSE(exceptionUsage(s).ok());
	allowed.exception = 0;
	s.aggregates = aggregate({ allowed });
	CHECK(exceptionUsage(s).ok());
}

TEST_CASE("staleExceptions lists exceptions no step used", "[evidence]")
{
	RunEvidence run = sampleRun();
	run.steps[2].exceptions.push_back(cidrException("192.0.2.0/24", "policy.yml:30:11 (step deploy)"));
	auto stale = staleExceptions(run);
	REQUIRE(stale.ok());
	REQUIRE(stale->size() == 2);
	CHECK((*stale)[0].spec == "198.51.100.7");
	CHECK((*stale)[1].spec == "192.0.2.0/24");
	CHECK((*stale)[1].source == "policy.yml:30:11 (step deploy)");
}

TEST_CASE("validateStepId accepts folder-safe ids only", "[evidence]")
{
	for (const char *good : { "build", "unit-tests", "a.b_c-1", "x" })
		CHECK(validateStepId(good).ok());
	for (const std::string &bad : std::vector<std::string>{ "", ".", "..", "a/b", "a b", "../x", "caf\xc3\xa9", std::string(129, 'a') }) {
		auto r = validateStepId(bad);
		CHECK_FALSE(r.ok());
		if (!r.ok())
			CHECK_THAT(r.error().message, Catch::Contains("cannot name a log directory"));
	}
	CHECK(validateStepId(std::string(128, 'a')).ok());
}

TEST_CASE("validateRun checks mode, duplicate ids and exception indexes", "[evidence]")
{
	RunEvidence run = sampleRun();
	CHECK(validateRun(run).ok());

	RunEvidence badMode = run;
	badMode.mode = "permissive";
	REQUIRE_FALSE(validateRun(badMode).ok());
	CHECK_THAT(validateRun(badMode).error().message, Catch::Contains("permissive"));

	RunEvidence dup = run;
	dup.steps[1].id = "build";
	REQUIRE_FALSE(validateRun(dup).ok());
	CHECK_THAT(validateRun(dup).error().message, Catch::Contains("used twice"));

	SampleRecords records = sampleRecords();
	records[0][0].exception = 9;
	RunEvidence badIndex = sampleRun(records);
	CHECK_FALSE(validateRun(badIndex).ok());
}

TEST_CASE("signalName uses the SIG names", "[evidence]")
{
	CHECK(signalName(SIGKILL) == "SIGKILL");
	CHECK(signalName(SIGTERM) == "SIGTERM");
	CHECK(signalName(SIGSEGV) == "SIGSEGV");
	CHECK(signalName(200) == "SIG200");
}

TEST_CASE("exception usage shows what hostname exceptions resolved to", "[evidence]")
{
	StepEvidence step;
	step.id = "s";
	auto host = parseHostException("localhost", "policy.yml:3:7");
	auto cidr = parseHostException("10.0.0.0/8", "policy.yml:4:7");
	REQUIRE(host.ok());
	REQUIRE(cidr.ok());
	host->nets.push_back(IpNet{true, {203, 0, 113, 7}, 32});
	host->nets.push_back(IpNet{true, {127, 0, 0, 1}, 32});
	host->resolved = true;
	step.exceptions = {*host, *cidr};
	auto usage = exceptionUsage(step);
	REQUIRE(usage.ok());
	REQUIRE(usage->unused.size() == 2);
	REQUIRE(usage->unused[0].resolved.has_value());
	CHECK(*usage->unused[0].resolved == std::vector<std::string>{"127.0.0.1/32", "203.0.113.7/32"});
	CHECK_FALSE(usage->unused[1].resolved.has_value());
}
