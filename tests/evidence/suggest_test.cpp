// suggest, pure parts: which allow: entries a report's violations call for, and report.json
// read back against the schema.

#include <catch2/catch.hpp>

#include "evidence/report_json.h"
#include "evidence/report_reader.h"
#include "evidence/suggest_entries.h"
#include "evidence_fixtures.h"

using namespace hg;

namespace {

ViolationKey row(Direction kind, const std::string &address, std::optional<uint16_t> port, const std::string &name = "")
{
	ViolationKey k;
	k.kind = kind;
	k.syscall = kind == Direction::Inbound ? "listen" : "connect";
	k.family = "AF_INET";
	k.protocol = "tcp";
	k.address = address;
	k.port = port;
	k.name = name;
	k.exe = "/usr/bin/netprobe";
	return k;
}

std::vector<std::string> values(const SuggestedScope &scope)
{
	std::vector<std::string> out;
	for (const AllowEntry &e : scope.entries)
		out.push_back(std::string(allowListKey(e.list)) + " " + e.value);
	return out;
}

ReportFacts twoSteps()
{
	ReportFacts facts;
	facts.steps.push_back(ReportStep{ "unit",
					  { row(Direction::Outbound, "203.0.113.1", 443, "registry.example.com"),
					    row(Direction::Outbound, "203.0.113.9", 443, "registry.example.com"),
					    row(Direction::Dns, "127.0.0.53", 53, "registry.example.com"),
					    row(Direction::Dns, "127.0.0.53", 53, "only-asked.example.com"),
					    row(Direction::Inbound, "127.0.0.1", 0), row(Direction::Self, "127.0.0.1", 0),
					    row(Direction::Evasion, "", std::nullopt) } });
	facts.steps.push_back(ReportStep{ "e2e",
					  { row(Direction::Outbound, "2001:db8::1", 8443),
					    row(Direction::Inbound, "::1", 5432) } });
	return facts;
}

} // namespace

TEST_CASE("per step: names for resolved addresses, never a kernel-chosen port, one entry per name")
{
	size_t unallowable = 0;
	auto scopes = suggestScopes(twoSteps(), true, unallowable);
	REQUIRE(scopes.size() == 2);
	CHECK(scopes[0].stepId == "unit");
	CHECK(values(scopes[0]) == std::vector<std::string>{ "outbound_hosts only-asked.example.com",
							      "outbound_hosts registry.example.com:443", "inbound 127.0.0.1" });
	CHECK(scopes[1].stepId == "e2e");
	CHECK(values(scopes[1]) == std::vector<std::string>{ "outbound_hosts [2001:db8::1]:8443", "inbound [::1]:5432" });
	CHECK(unallowable == 1);
}

TEST_CASE("global: the union of every step's entries in one scope")
{
	size_t unallowable = 0;
	auto scopes = suggestScopes(twoSteps(), false, unallowable);
	REQUIRE(scopes.size() == 1);
	CHECK(scopes[0].stepId.empty());
	CHECK(scopes[0].entries.size() == 5);
	std::string text = renderSuggestion(scopes, "r.json", "2027-03-02");
	CHECK(text.find("allow:\n  outbound_hosts:\n    - host: \"[2001:db8::1]:8443\"\n") != std::string::npos);
	CHECK(text.find(":0") == std::string::npos);
}

TEST_CASE("a bare name stays when an outbound row asked for it on any port")
{
	ReportFacts facts;
	facts.steps.push_back(ReportStep{ "u",
					  { row(Direction::Outbound, "203.0.113.1", 0, "a.example.com"),
					    row(Direction::Outbound, "203.0.113.1", 443, "a.example.com"),
					    row(Direction::Outbound, "203.0.113.5", 0) } });
	size_t unallowable = 0;
	auto scopes = suggestScopes(facts, true, unallowable);
	REQUIRE(scopes.size() == 1);
	CHECK(values(scopes[0]) == std::vector<std::string>{ "outbound_hosts 203.0.113.5", "outbound_hosts a.example.com",
							      "outbound_hosts a.example.com:443" });
}

TEST_CASE("entry lines mark every placeholder and the printed fragment loads as a policy part")
{
	auto lines = entryLines(AllowEntry{ AllowList::Delegated, "/run/docker.sock" }, "2027-03-02");
	REQUIRE(lines.size() == 4);
	CHECK(lines[0] == "- socket: \"/run/docker.sock\"");
	for (size_t i = 1; i < lines.size(); i++)
		CHECK(lines[i].find(kFillIn) != std::string::npos);
	size_t unallowable = 0;
	std::string text = renderSuggestion(suggestScopes(twoSteps(), true, unallowable), "r.json", "2027-03-02");
	CHECK(text.find("hermetic_steps:\n  - id: unit\n    allow:\n      outbound_hosts:\n") != std::string::npos);
	CHECK(text.find("  - id: e2e\n    allow:\n") != std::string::npos);
	CHECK(renderSuggestion({}, "r.json", "2027-03-02").find("# None") != std::string::npos);
}

TEST_CASE("addDays crosses months, years and leap days")
{
	CHECK(addDays("2026-12-02", 90) == "2027-03-02");
	CHECK(addDays("2028-02-28", 1) == "2028-02-29");
	CHECK(addDays("2027-12-31", 1) == "2028-01-01");
}

TEST_CASE("a rendered report reads back; a foreign or broken one is refused with the place")
{
	RunEvidence run;
	run.sha = "abc";
	run.kernelRelease = "6.1";
	StepEvidence step;
	step.id = "unit";
	step.command = { "netprobe" };
	step.exitCode = 0;
	step.aggregates.add(test::connectRecord(1, 10, "/usr/bin/netprobe", test::inet4(203, 0, 113, 1, 443), Decision::Audited));
	run.steps.push_back(step);
	auto json = renderReportJson(run);
	REQUIRE(json.ok());
	rapidjson::Document doc;
	REQUIRE(parseReport(*json, "r.json", doc).ok());
	auto facts = reportFacts(doc, "r.json");
	REQUIRE(facts.ok());
	CHECK(facts->sha == "abc");
	REQUIRE(facts->steps.size() == 1);
	REQUIRE(facts->steps[0].violations.size() == 1);
	CHECK(facts->steps[0].violations[0].address == "203.0.113.1");
	CHECK(facts->steps[0].violations[0].port == uint16_t{ 443 });

	rapidjson::Document bad;
	auto notJson = parseReport("{\"sha\": ", "r.json", bad);
	REQUIRE_FALSE(notJson.ok());
	CHECK(notJson.error().message.rfind("r.json: not JSON: ", 0) == 0);
	auto foreign = parseReport("{\"sha\": \"x\"}", "r.json", bad);
	REQUIRE_FALSE(foreign.ok());
	CHECK(foreign.error().message.rfind("r.json: does not match the report schema: keyword 'required'", 0) == 0);
}
