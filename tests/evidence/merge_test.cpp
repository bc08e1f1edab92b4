// Reading a report.json back into RunEvidence (a round trip through the renderers, byte for
// byte) and merging the runs of shards (evidence/merge.h).

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>

#include "evidence/merge.h"
#include "evidence/report_reader.h"
#include "evidence_fixtures.h"
#include "schema_check.h"

using namespace hg;
using namespace hg::test;

namespace {

RunEvidence readBack(const std::string &json)
{
	rapidjson::Document doc;
	auto parsed = parseReport(json, "r.json", doc);
	REQUIRE(parsed.ok());
	auto run = readRunEvidence(doc, "r.json");
	REQUIRE(run.ok());
	return *run;
}

// render(read(render(run))) == render(run), for report.json and report.md.
void checkRoundTrip(const RunEvidence &run)
{
	std::string json = reportJson(run);
	std::string md = reportMd(run);
	RunEvidence back = readBack(json);
	CHECK(reportJson(back) == json);
	CHECK(reportMd(back) == md);
}

Exception resolvedName(const std::string &name, const std::vector<std::string> &addresses)
{
	Exception e = cidrException(name, "policy.yml:3:7");
	for (const std::string &a : addresses)
		e.nets.push_back(cidrException(a, "").nets.at(0));
	return e;
}

// Every kind of content report.json and report.md show that sampleRun() lacks.
RunEvidence variedRun()
{
	RunEvidence run = sampleRun();
	run.policyPath.clear();
	run.policySha256.clear();
	run.detector = "proc-poll";
	run.detectorNote = "ptrace(PTRACE_SEIZE) failed with EPERM";
	run.detectorLimits = { "connections shorter than the interval", "calls that fail at once" };
	run.complete = false;
	run.incompleteReason = "interrupted by SIGTERM during step 'fetch' (2 of 3)";
	run.steps[0].inheritedFds = sampleInheritedFds();
	run.steps[0].exceptions.push_back(resolvedName("registry.example.com", { "203.0.113.9", "2001:db8::7" }));
	run.steps[0].exceptions.push_back(resolvedName("gone.example.com", {}));
	run.steps[0].aggregates.add(connectRecord(9, 101, "/usr/bin/cc", inet4(203, 0, 113, 9, 443), Decision::Allowed, 2));
	run.steps[0].aggregates.outsideChannels[{ "/run/dbus/system_bus_socket", "" }] = 2;
	run.steps[0].aggregates.outsideChannels[{ "/run/x.sock", "/usr/sbin/xd" }] = 1;

	StepEvidence &fetch = run.steps[1];
	fetch.signal = SIGTERM;
	fetch.error = "interrupted by SIGTERM";
	ViolationKey dns{ Direction::Dns, "sendto", "AF_INET", "udp", "10.0.0.2", 53, "evil.example", "/usr/bin/curl",
			  Decision::Denied };
	fetch.aggregates.violations[dns] = ViolationTally{ 3, { 201, 202 } };
	ViolationKey self{ Direction::Self, "connect", "AF_INET", "tcp", "127.0.0.1", 0, "", "/usr/bin/python3",
			   Decision::Audited };
	ViolationTally many{ 7, {} };
	for (pid_t pid = 300; pid < 307; pid++) {
		fetch.processes.push_back(process(pid, 200, 10 + pid, { "worker", std::to_string(pid) }));
		many.pids.insert(pid);
	}
	fetch.aggregates.violations[self] = many;
	ViolationKey raw{ Direction::Raw, "socket", "AF_PACKET", "raw", "", std::nullopt, "", "/usr/bin/tcpdump",
			  Decision::Audited };
	fetch.aggregates.violations[raw] = ViolationTally{ 1, { 999 } }; // a caller with no process record

	StepEvidence slow;
	slow.id = "slow";
	slow.command = { "sleep", "100", "caf\xe9 \xe2\x82", "it's" }; // invalid UTF-8 is replaced alike
	slow.signal = SIGKILL;
	slow.timedOut = true;
	slow.envRemoved = { "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN" };
	run.steps.push_back(slow);

	// A tree cut at the cap, with a hostile argv deep in it.
	StepEvidence tree = treeStep();
	for (pid_t pid = 600; pid < 660; pid++) {
		tree.processes.push_back(process(pid, 402, static_cast<uint64_t>(pid), { "worker", std::to_string(pid) }));
		tree.aggregates.add(connectRecord(20, pid, "/usr/bin/worker", inet4(203, 0, 113, 5, 443), Decision::Audited));
	}
	run.steps.push_back(tree);
	return run;
}

// The shard of run that ran the steps ids, as merge reads it: its report.json read back.
Shard shardOf(const std::string &name, RunEvidence run, const std::vector<std::string> &ids)
{
	std::erase_if(run.steps, [&](const StepEvidence &s) { return std::find(ids.begin(), ids.end(), s.id) == ids.end(); });
	std::string json = reportJson(run);
	return Shard{ name, json, readBack(json) };
}

std::vector<Shard> sampleShards()
{
	return { shardOf("ci/one", sampleRun(), { "build", "fetch" }), shardOf("ci/two", sampleRun(), { "deploy" }) };
}

std::string mergedJson(std::vector<Shard> shards)
{
	auto merged = mergeRuns(std::move(shards));
	REQUIRE(merged.ok());
	return reportJson(*merged);
}

std::string mergeError(std::vector<Shard> shards)
{
	auto merged = mergeRuns(std::move(shards));
	REQUIRE_FALSE(merged.ok());
	return merged.error().message;
}

} // namespace

TEST_CASE("report.json reads back into a run that renders both reports byte for byte", "[evidence][merge]")
{
	checkRoundTrip(sampleRun());
	checkRoundTrip(reshuffled());
	checkRoundTrip(variedRun());
	RunEvidence empty;
	empty.sha = "x";
	checkRoundTrip(empty);
}

TEST_CASE("the process tree reads back as it was rendered", "[evidence][merge][tree]")
{
	RunEvidence run = variedRun();
	RunEvidence back = readBack(reportJson(run));
	REQUIRE(back.steps.size() == run.steps.size());
	for (size_t i = 0; i < run.steps.size(); i++)
		CHECK(processTreeOf(back.steps[i]) == processTreeOf(run.steps[i]));
	REQUIRE(processTreeOf(back.steps[4]));
	CHECK(processTreeOf(back.steps[4])->nodes.size() == kMaxTreeNodes);
	CHECK(processTreeOf(back.steps[4])->pathProcesses == 66);

	// A node whose parent does not come before it is refused.
	std::string json = reportJson(run);
	size_t at = json.find("\"parent\": 4,");
	REQUIRE(at != std::string::npos);
	json.replace(at, 12, "\"parent\": 9,");
	rapidjson::Document doc;
	REQUIRE(parseReport(json, "r.json", doc).ok());
	auto bad = readRunEvidence(doc, "r.json");
	REQUIRE_FALSE(bad.ok());
	CHECK(bad.error().message.find("/process_tree/nodes/") != std::string::npos);
}

TEST_CASE("the reader refuses what the schema allows but the gate does not know, naming the place", "[evidence][merge]")
{
	std::string json = reportJson(variedRun());
	std::string bad = json;
	bad.replace(bad.find("\"SIGKILL\""), 9, "\"SIGNOPE\"");
	rapidjson::Document doc;
	REQUIRE(parseReport(bad, "r.json", doc).ok());
	auto run = readRunEvidence(doc, "r.json");
	REQUIRE_FALSE(run.ok());
	CHECK(run.error().message.find("r.json: unknown signal at #/steps/3/signal") == 0);
}

TEST_CASE("merged shards render as the run of all their steps, sorted by id, in any order", "[evidence][merge]")
{
	RunEvidence whole = sampleRun();
	std::sort(whole.steps.begin(), whole.steps.end(), [](const auto &a, const auto &b) { return a.id < b.id; });
	std::vector<Shard> shards = sampleShards();
	std::string json = mergedJson(shards);
	CHECK(json == reportJson(whole));
	CHECK(schemaErrors("report.schema.json", json) == "");
	std::reverse(shards.begin(), shards.end());
	CHECK(mergedJson(shards) == json);
	auto merged = mergeRuns(shards);
	REQUIRE(merged.ok());
	CHECK(reportMd(*merged) == reportMd(whole));
	// 10.0.0.0/8 is unused in the shard of deploy alone, but build used it: not stale.
	std::string deployOnly = reportJson(shards[0].run);
	CHECK(deployOnly.find("\"spec\": \"10.0.0.0/8\"", deployOnly.find("\"stale_exceptions\"")) != std::string::npos);
	rapidjson::Document doc;
	doc.Parse(json.c_str());
	REQUIRE(doc["stale_exceptions"].Size() == 1);
	CHECK(std::string(doc["stale_exceptions"][0]["spec"].GetString()) == "198.51.100.7");
}

TEST_CASE("shards that do not belong together are refused, naming both", "[evidence][merge]")
{
	auto differing = [](auto change) {
		std::vector<Shard> shards = sampleShards();
		change(shards[1].run);
		return mergeError(shards);
	};
	std::string sha = differing([](RunEvidence &r) { r.sha = "fedcba"; });
	CHECK(sha.find("different commits") != std::string::npos);
	CHECK(sha.find("ci/one") != std::string::npos);
	CHECK(sha.find("ci/two") != std::string::npos);
	CHECK(differing([](RunEvidence &r) { r.policySha256 = std::string(64, 'b'); }).find("different policies") !=
	      std::string::npos);
	CHECK(differing([](RunEvidence &r) { r.mode = "enforce"; }).find("different modes") != std::string::npos);
	CHECK(differing([](RunEvidence &r) { r.toolVersion = "0.0.9"; }).find("different gate versions") !=
	      std::string::npos);
	std::vector<Shard> twice = sampleShards();
	twice.push_back(shardOf("ci/three", sampleRun(), { "build" }));
	std::string dup = mergeError(twice);
	CHECK(dup.find("both have step 'build'") != std::string::npos);
	CHECK(dup.find("ci/three") != std::string::npos);
}

TEST_CASE("what differs between the shards' machines is joined, not refused", "[evidence][merge]")
{
	std::vector<Shard> shards = sampleShards();
	RunEvidence &two = shards[1].run;
	two.health[1] = { "io_uring", HealthStatus::Ok, "" };
	two.kernelRelease = "6.8.0";
	two.detector = "proc-poll";
	two.detectorNote = "ptrace unavailable";
	two.detectorLimits = { "short connections" };
	two.complete = false;
	two.incompleteReason = "interrupted by SIGTERM during step 'deploy' (2 of 2)";
	auto merged = mergeRuns(shards);
	REQUIRE(merged.ok());
	CHECK(merged->detector == "proc-poll");
	CHECK(merged->detectorNote == "only the shards of steps build, fetch ran under the native tracer; ptrace unavailable");
	CHECK(merged->detectorLimits == std::vector<std::string>{ "short connections" });
	CHECK(merged->kernelRelease.find("6.8.0") != std::string::npos);
	CHECK(merged->kernelRelease.find("6.1.0-18-amd64") != std::string::npos);
	CHECK_FALSE(merged->complete);
	CHECK(merged->incompleteReason == two.incompleteReason);
	REQUIRE(merged->health.size() == 3);
	CHECK(merged->health[0].detail == "kernel.yama.ptrace_scope=1");
	CHECK(merged->health[1].status == HealthStatus::Missing);
	CHECK(merged->health[1].detail.find("differs between shards: ") == 0);
	CHECK(merged->health[1].detail.find("missing (io_uring_disabled=2) for steps build, fetch") != std::string::npos);
	CHECK(merged->health[1].detail.find("ok for step deploy") != std::string::npos);
	CHECK(schemaErrors("report.schema.json", reportJson(*merged)) == "");
}
